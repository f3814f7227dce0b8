"""Atomic file writes and stale temp-file cleanup.

Every file exofop creates goes through a unique temp file in its destination folder, is verified (its
size; downloads also by the sha256 computed while streaming), and only then ``os.replace``-d onto its final
name. A reader therefore
sees either the old complete file or the new complete file, never a partial one, whatever kills the
writer. Nothing here takes a lock: correctness never depends on one (locks are unreliable on NFS).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from ..config import ENV_CACHE_DIR
from ..errors import CacheError

TEMP_SUFFIX = ".part"
# A temp file nobody has written to for this long belongs to a dead or hung writer on some host.
STALE_TEMP_SECONDS = 15 * 60


def _hostname() -> str:
    try:
        name = os.uname().nodename
    except AttributeError:  # Windows
        import socket

        name = socket.gethostname()
    return "".join(c if c.isalnum() else "-" for c in name)[:32] or "host"


HOST = _hostname()


def cache_error(exc: OSError, folder: Path) -> CacheError:
    """Turn an OSError while writing the cache into a clear ``CacheError`` naming the folder."""
    elsewhere = f"choose another folder with --cache-dir or {ENV_CACHE_DIR}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what, hint = "no space left on device", f"free some space or {elsewhere}"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "permission denied" if exc.errno != errno.EROFS else "read-only file system"
        hint = elsewhere[0].upper() + elsewhere[1:]
    else:
        what, hint = exc.strerror or str(exc), f"check the folder, or {elsewhere}"
    return CacheError(f"cannot write to the cache folder {folder}: {what}", hint=hint)


def ensure_dir(folder: Path) -> None:
    """Create ``folder`` (and parents), turning failures into ``CacheError``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cache_error(exc, folder) from exc


def temp_path_for(final: Path) -> Path:
    """Unique temp path next to ``final``; the name carries host and pid so cleanup can tell if it is live."""
    token = os.urandom(4).hex()  # not `secrets`: its import (random, base64...) slows every start
    # Cut by bytes, not characters: 80 non-ASCII characters could push the name past NAME_MAX (255 bytes).
    stem = final.name.encode()[:80].decode(errors="ignore")
    return final.with_name(f".{stem}.{HOST}.{os.getpid()}.{token}{TEMP_SUFFIX}")


# Past this size a file is written and hashed by two helper threads while the caller keeps receiving (see
# _BackgroundSink): network, write and sha256 (~1.5 GB/s) then overlap. Small files stay on one thread.
BACKGROUND_AFTER_BYTES = 4 << 20
_BLOCK_BYTES = 1 << 20
_QUEUED_BLOCKS = 8  # bounds memory: at most ~8 MiB waiting


class _Digest(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def hexdigest(self) -> str: ...


class _NoDigest:
    """Stands in for sha256 where nobody reads the hash (small state files): no OpenSSL import, no CPU."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        """Ignore ``data``."""

    def hexdigest(self) -> str:
        """Refuse: the writer was made with ``hashed=False``."""
        raise RuntimeError("this AtomicWriter was created with hashed=False")


class _BackgroundSink:
    """Write and hash on two worker threads, in order; errors surface on the next ``write`` or on ``close``.

    The receiving thread copies chunks into one of ``_QUEUED_BLOCKS`` reusable 1 MiB buffers and hands each
    full one to the writer thread, which passes it on to the hashing thread, which gives it back. Receiving,
    writing and hashing so overlap as a three-stage pipeline: with three free cores a 300 MB download is
    bound by sha256 alone (~0.2 s here) rather than by write + sha256 (~0.35 s). The pool bounds memory
    (8 MiB a download) and is the back-pressure: the receiver waits for a free buffer when disk or hash
    fall behind. Reused buffers also spare the allocator a fresh 1 MiB object per block.
    """

    def __init__(self, fh: IO[bytes], digest: _Digest) -> None:
        import queue
        import threading

        self._fh = fh
        self._digest = digest
        self._full: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self._written: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self._free: queue.Queue[bytearray] = queue.Queue()
        # glibc gives heap pages back to the kernel whenever 128 KiB at the heap's top are free, until a
        # block that came from mmap has been freed; then its trim threshold rises to twice that block
        # (mallopt(3), "dynamic mmap threshold"). Before that, the ~64 KiB chunks httpx allocates and frees
        # for every read can return pages and fault them in again: up to 35,000 page faults, a process's first
        # big download ~7% slower (median of 12 here). One 1 MiB block made and freed at once raises the
        # threshold; other allocators pay a 1 MiB allocation.
        bytearray(_BLOCK_BYTES)
        for _ in range(_QUEUED_BLOCKS):
            self._free.put(bytearray(_BLOCK_BYTES))
        self._buffer = self._free.get()
        self._fill = 0
        self._closing = False
        self.error: OSError | None = None
        self._threads = [
            threading.Thread(target=self._write_loop, name="exofop-writer", daemon=True),
            threading.Thread(target=self._hash_loop, name="exofop-hasher", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # Both loops catch everything and keep draining after a failure: a worker that died would leave the
    # receiver waiting forever for a free buffer.
    def _write_loop(self) -> None:
        while (item := self._full.get()) is not None:
            buffer, size = item
            if self.error is None:
                try:
                    with memoryview(buffer) as whole, whole[:size] as block:
                        self._fh.write(block)
                except Exception as exc:  # reported by write() and close(), as an OSError
                    self.error = exc if isinstance(exc, OSError) else OSError(f"writing failed: {exc!r}")
            self._written.put(item)
        self._written.put(None)

    def _hash_loop(self) -> None:
        while (item := self._written.get()) is not None:
            buffer, size = item
            try:
                with memoryview(buffer) as whole, whole[:size] as block:
                    self._digest.update(block)
            except Exception as exc:  # as above
                self.error = self.error or OSError(f"hashing failed: {exc!r}")
            self._free.put(buffer)

    def write(self, chunk: bytes) -> None:
        """Copy ``chunk`` into the current buffer, handing each full one to the worker."""
        if self.error is not None:
            raise self.error
        with memoryview(chunk) as view:
            done = 0
            while done < len(view):
                take = min(len(view) - done, _BLOCK_BYTES - self._fill)
                self._buffer[self._fill : self._fill + take] = view[done : done + take]
                self._fill += take
                done += take
                if self._fill == _BLOCK_BYTES:
                    self._full.put((self._buffer, self._fill))
                    self._fill = 0  # first: if the wait below is interrupted, close() must not resend it
                    self._buffer = self._free.get()

    def close(self) -> None:
        """Hand over the last partial buffer, wait for the workers; raise their error if there was one.

        May be called again after an interrupted call (Ctrl-C during the wait): it then only waits.
        """
        if self._fill:
            self._full.put((self._buffer, self._fill))
            self._fill = 0
        if not self._closing:
            self._closing = True
            self._full.put(None)
        for thread in self._threads:
            thread.join()
        if self.error is not None:
            raise self.error


class AtomicWriter:
    """Stream bytes into a temp file while hashing; ``commit`` verifies and renames, ``abort`` deletes.

    ``hashed=False`` skips the sha256 (``self.sha256.hexdigest()`` then raises).
    """

    def __init__(
        self,
        final: Path,
        *,
        mode: int | None = None,
        hashed: bool = True,
        check: Callable[[Path], object] | None = None,
    ) -> None:
        self.final = final
        self.check = check  # run on the complete temp file by commit, before it takes the final name
        ensure_dir(final.parent)
        self.temp = temp_path_for(final)
        self.sha256: _Digest = _NoDigest()
        if hashed:
            import hashlib  # loads OpenSSL: only when a download needs it

            self.sha256 = hashlib.sha256()
        self.size = 0
        self._sink: _BackgroundSink | None = None
        try:
            if mode is None:
                self._fh: IO[bytes] | None = open(self.temp, "xb")  # noqa: SIM115 - closed in commit/abort
            else:
                # Secrets (cookie jars) must never exist on disk with looser permissions, not even briefly.
                self._fh = os.fdopen(os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb")
        except OSError as exc:
            raise cache_error(exc, final.parent) from exc

    def write(self, chunk: bytes) -> None:
        """Append a chunk, updating size and hash (on the helper threads once the file is large)."""
        assert self._fh is not None
        self.size += len(chunk)
        try:
            if self._sink is None and self.size > BACKGROUND_AFTER_BYTES:
                self._sink = _BackgroundSink(self._fh, self.sha256)
            if self._sink is None:
                self._fh.write(chunk)
                self.sha256.update(chunk)
                return
            # Network-sized chunks (~64 KiB) go out in 1 MiB blocks: fewer hand-offs, bigger hash calls.
            self._sink.write(chunk)
        except OSError as exc:
            self.abort()
            raise cache_error(exc, self.final.parent) from exc

    def hexdigest(self) -> str:
        """sha256 (hex) of everything written; complete once ``commit`` returned."""
        return self.sha256.hexdigest()

    def _finish_sink(self) -> None:
        # Forgotten only once closed: if Ctrl-C interrupts the wait, abort() must wait for the workers
        # again before it closes the file under them.
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def commit(
        self,
        *,
        expected_size: int | None = None,
        expected_sha256: str | None = None,
        check: Callable[[Path], object] | None = None,
    ) -> os.stat_result:
        """Verify size/hash (and ``check(temp file)``, which raises to refuse it), then atomically move the
        temp file onto the final name; return its stat."""
        assert self._fh is not None
        try:
            self._finish_sink()
            self._fh.close()
        except OSError as exc:
            self.abort()
            raise cache_error(exc, self.final.parent) from exc
        self._fh = None
        if expected_size is not None and expected_size != self.size:
            self.abort()
            raise CacheError(f"refusing to save {self.final.name}: got {self.size} of {expected_size} bytes")
        if expected_sha256 is not None and expected_sha256 != self.sha256.hexdigest():
            self.abort()
            raise CacheError(f"refusing to save {self.final.name}: sha256 mismatch")
        check = check or self.check
        if check is not None:
            try:
                check(self.temp)
            except BaseException:
                self.abort()
                raise
        try:
            os.replace(self.temp, self.final)
            return os.stat(self.final)
        except OSError as exc:
            self.abort()
            raise cache_error(exc, self.final.parent) from exc

    def abort(self) -> None:
        """Close and delete the temp file (idempotent)."""
        with contextlib.suppress(OSError):
            self._finish_sink()
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        with contextlib.suppress(OSError):
            self.temp.unlink()

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Reached without commit (an exception, or the caller gave up): never leave the temp file behind.
        self.abort()


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> os.stat_result:
    """Write ``data`` to ``path`` atomically (with file ``mode`` from creation on, if given)."""
    with AtomicWriter(path, mode=mode, hashed=False) as writer:
        writer.write(data)
        return writer.commit(expected_size=len(data))


def write_export(path: Path, data: bytes) -> None:
    """Atomically write a file the user asked for (an export, outside the cache); errors name that file."""
    try:
        atomic_write_bytes(path, data)
    except CacheError as exc:
        cause = exc.__cause__
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause or exc)
        raise CacheError(f"cannot write {path}: {reason}", hint="choose another --export folder") from exc


def dumps_json(data: Any) -> bytes:
    """Deterministic JSON: sorted keys, 2-space indent, UTF-8, trailing newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json_if_changed(path: Path, data: Any) -> bool:
    """Write ``data`` as deterministic JSON unless the file already holds exactly those bytes."""
    payload = dumps_json(data)
    try:
        if path.read_bytes() == payload:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, payload)
    return True


def read_json(path: Path) -> Any:
    """Read a JSON file; None when it is missing or unreadable (a torn file cannot exist, but be tolerant):
    a hand-edited file nested thousands deep (RecursionError) or naming a path with a NUL is unreadable too."""
    try:
        with open(path, "rb") as fh:
            return json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None


def touch(path: Path) -> None:
    """Create or update a marker file's mtime (best effort)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
        os.utime(path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but belongs to someone else
    return True


# The names temp_path_for makes, and only those: .<final name>.<host>.<pid>.<8 hex>.part
_TEMP_NAME = r"^\.(.+)\.([A-Za-z0-9-]{1,32})\.(\d{1,10})\.([0-9a-f]{8})\.part$"


def is_temp_name(name: str) -> bool:
    """True for a name ``temp_path_for`` makes (a user's own ``.draft.part`` is not one)."""
    import re

    return re.match(_TEMP_NAME, name) is not None


def is_stale_temp(path: Path, *, now: float | None = None) -> bool:
    """A temp file is stale when its writer (same host) is dead, or nobody wrote to it for a long time."""
    import re

    match = re.match(_TEMP_NAME, path.name)
    if match is None:
        return False
    host, pid = match.group(2), match.group(3)
    if host == HOST and not pid_alive(int(pid)):
        return True
    try:
        age = (now or time.time()) - path.lstat().st_mtime
    except OSError:
        return False
    return age > STALE_TEMP_SECONDS


def real_dir(folder: Path) -> bool:
    """True for a folder that is not a symbolic link (nor a file, nor missing)."""
    import stat

    try:
        return stat.S_ISDIR(os.lstat(folder).st_mode)
    except OSError:
        return False


def iter_temp_files(folder: Path, *, recursive: bool = False) -> Iterator[Path]:
    """exofop's temp files (by their exact name) in ``folder``, a regular file each, never a link; with
    ``recursive``, in its real sub-folders too. A symlinked folder is never looked into."""
    import stat

    if not real_dir(folder):
        return
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in filenames:
            path = Path(dirpath) / name
            if not is_temp_name(name):
                continue
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    yield path
        if not recursive:
            dirnames.clear()
        else:
            dirnames[:] = [d for d in dirnames if real_dir(Path(dirpath) / d)]


def remove_stale_temps(folders: Iterable[Path]) -> list[Path]:
    """Delete the stale temp files killed runs left directly in ``folders`` (the folders exofop made; a
    symlinked one is skipped); return what was removed."""
    removed = []
    for folder in folders:
        for path in iter_temp_files(folder):
            if is_stale_temp(path):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def has_entries(folder: Path) -> bool:
    """True when ``folder`` holds anything (False when it is missing or cannot be read)."""
    try:
        return any(folder.iterdir())
    except OSError:
        return False
