"""Safe reading of ExoFOP's whole-star zip/tar archives.

The member layout of ``download_files_zip.php`` is unknown (a real per-tag zip had one top-level folder), so
members are matched to file-list rows by base name only, and member paths are never trusted: members with
``..``, absolute paths, links, devices or FIFOs are refused; a base name that two members (or two rows)
share is ambiguous and left to the one-by-one download; the total written is bounded (zip bombs). A damaged
archive is ``InvalidResponseError``; ``fetch --archive`` then deletes it and downloads files one by one.
"""

from __future__ import annotations

import contextlib
import posixpath
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import InvalidInputError, InvalidResponseError, OfflineError, RequestError
from ..models import ExoFopFileRow
from ..store.atomic import AtomicWriter
from ..store.layout import TargetLayout, safe_filename
from ..store.records import write_record

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from ..remote.service import ExoFopRemote

DEFAULT_MAX_EXTRACT_BYTES = 20 * 1024**3
_CHUNK = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or an empty archive
_UNIX = 3  # ZipInfo.create_system of archives made on Unix
# What a damaged or hostile archive raises while being read (truncated, bad CRC, encrypted, odd method...).
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


@dataclass(frozen=True)
class Member:
    """A regular-file member that passed the safety checks."""

    name: str
    size: int
    # The archive's own entry: two members may share a name, and opening by name would give both the last.
    info: zipfile.ZipInfo | tarfile.TarInfo | None = field(default=None, repr=False, compare=False)


def unsafe_reason(name: str, *, is_file: bool) -> str | None:
    """Why a member must not be extracted, or None when it is a plain file with a harmless path."""
    if not is_file:
        return "not a regular file (link, device, FIFO or folder)"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return "absolute path"
    if ".." in normalized.split("/"):
        return "path escapes the archive ('..')"
    if "\x00" in name:
        return "NUL byte in name"
    return None


def _is_zip(path: Path) -> bool:
    # By the leading magic, not zipfile.is_zipfile: that looks for a zip directory near the end, which a tar
    # whose last member is a .zip upload also has.
    with open(path, "rb") as fh:
        return fh.read(4) in _ZIP_MAGIC


class SafeArchive:
    """A zip or tar opened for reading, exposing only safe regular-file members."""

    def __init__(self, path: Path, *, fmt: str | None = None) -> None:
        """Open ``path`` as ``fmt`` ("zip" or "tar"), or as what its first bytes say when ``fmt`` is None."""
        self.path = path
        self.refused: list[str] = []
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        try:
            if fmt == "zip" or (fmt is None and _is_zip(path)):
                self._zip = zipfile.ZipFile(path)
            else:
                self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed in close()
        except _READ_ERRORS as exc:
            raise InvalidResponseError(f"{path.name} is not a readable zip or tar archive: {exc}") from exc

    def close(self) -> None:
        """Close the archive."""
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def members(self) -> list[Member]:
        """Safe members; unsafe ones are listed in ``refused`` with the reason."""
        try:
            return list(self._members())
        except _READ_ERRORS as exc:
            raise InvalidResponseError(f"{self.path.name} is a damaged archive: {exc}") from exc

    def _members(self) -> Iterator[Member]:
        if self._zip is not None:
            for info in self._zip.infolist():
                # Only Unix-made zips carry a file type, and many writers (Python's writestr among them)
                # leave the type bits empty: no type is a plain file, any type but "regular" is refused.
                file_type = stat.S_IFMT(info.external_attr >> 16) if info.create_system == _UNIX else 0
                is_file = not info.is_dir() and file_type in (0, stat.S_IFREG)
                reason = unsafe_reason(info.filename, is_file=is_file)
                if reason:
                    if not info.is_dir():
                        self.refused.append(f"{info.filename!r}: {reason}")
                    continue
                yield Member(info.filename, info.file_size, info)
        else:
            assert self._tar is not None
            for tinfo in self._tar.getmembers():
                reason = unsafe_reason(tinfo.name, is_file=tinfo.isreg())
                if reason:
                    if not tinfo.isdir():
                        self.refused.append(f"{tinfo.name!r}: {reason}")
                    continue
                yield Member(tinfo.name, tinfo.size, tinfo)

    def open(self, member: Member) -> IO[bytes]:
        """A binary stream of a member."""
        try:
            if self._zip is not None:
                info = member.info if isinstance(member.info, zipfile.ZipInfo) else member.name
                return self._zip.open(info)
            assert self._tar is not None
            fh = self._tar.extractfile(
                member.info if isinstance(member.info, tarfile.TarInfo) else member.name
            )
        except _READ_ERRORS as exc:
            raise InvalidResponseError(
                f"{member.name!r} cannot be read from {self.path.name}: {exc}"
            ) from exc
        if fh is None:
            raise InvalidResponseError(f"{member.name!r} cannot be read from {self.path.name}")
        return fh


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, n: int, what: str) -> None:
        self.left -= n
        if self.left < 0:
            raise InvalidResponseError(
                f"refusing to extract {what}: the archive expands beyond the size limit"
            )


def _copy(archive: SafeArchive, member: Member, dest: Path, budget: _Budget) -> AtomicWriter:
    writer = AtomicWriter(dest)
    try:
        with archive.open(member) as src:
            while True:
                try:
                    block = src.read(_CHUNK)
                except _READ_ERRORS as exc:  # truncated member, bad CRC, broken deflate stream...
                    raise InvalidResponseError(
                        f"{member.name!r} is damaged in {archive.path.name}: {exc}"
                    ) from exc
                if not block:
                    break
                budget.take(len(block), member.name)
                writer.write(block)
    except BaseException:
        writer.abort()
        raise
    return writer


def extract_archive(path: Path, dest_dir: Path, *, max_bytes: int = DEFAULT_MAX_EXTRACT_BYTES) -> list[Path]:
    """Extract every safe member flat into ``dest_dir`` (sanitised base names; duplicates get ``-2``...)."""
    written: list[Path] = []
    budget = _Budget(max_bytes)
    used: set[str] = set()
    with SafeArchive(path) as archive:
        for member in archive.members():
            name = safe_filename(posixpath.basename(member.name.replace("\\", "/")))
            stem, dot, ext = name.rpartition(".")
            candidate, n = name, 1
            while candidate in used:
                n += 1
                candidate = f"{stem}-{n}.{ext}" if dot else f"{name}-{n}"
            used.add(candidate)
            writer = _copy(archive, member, dest_dir / candidate, budget)
            writer.commit()
            written.append(dest_dir / candidate)
    return written


ARCHIVE_FORMATS = ("zip", "tar")


def archive_path(layout: TargetLayout, fmt: str) -> Path:
    """Where a star's whole archive is kept: ``archives/tic_<tic>_files.<zip|tar>``."""
    return layout.archives_dir / f"tic_{layout.tic_id}_files.{fmt}"


def download_archive(
    remote: ExoFopRemote,
    layout: TargetLayout,
    *,
    fmt: str = "zip",
    force: bool = False,
    on_start: Callable[[int | None], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """The whole-star archive (``download_files_zip.php``, or ``fmt="tar"``) under ``archives/``; ``cancel``
    stops the download (``Cancelled``) within a fraction of a second, leaving nothing."""
    if fmt not in ARCHIVE_FORMATS:
        raise InvalidInputError(f"archive format must be zip or tar, not {fmt!r}")
    dest = archive_path(layout, fmt)
    if dest.is_file() and not force:
        return dest
    remote.download_archive(
        layout.tic_id,
        fmt,
        lambda: AtomicWriter(dest),
        expected_filename=dest.name,
        on_start=on_start,
        on_bytes=on_bytes,
        cancel=cancel,
    )
    return dest


def fetch_from_archive(
    remote: ExoFopRemote,
    layout: TargetLayout,
    rows: list[ExoFopFileRow],
    *,
    fmt: str,
    force: bool,
    keep: bool = True,
    download: Callable[[], Path] | None = None,
    on_start: Callable[[int | None], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    max_bytes: int = DEFAULT_MAX_EXTRACT_BYTES,
) -> tuple[dict[int, int], list[str]]:
    """Fill ``files/`` for ``rows`` from the whole-star archive; return {file_id: bytes} done and notes.

    ``download`` gives the archive's path when it was already asked for (started alongside the file list);
    otherwise it is downloaded here. ``keep=False`` removes it once its files are in place (``--archive
    auto``: it was only a faster way to get them). Rows whose base name is missing from the archive, or
    ambiguous (shared by two rows or two members), are left for the caller to download one by one.
    """
    try:
        if download is not None:
            path = download()
        else:
            path = download_archive(
                remote, layout, fmt=fmt, force=force, on_start=on_start, on_bytes=on_bytes
            )
    except (RequestError, OfflineError) as exc:
        # The archive is a shortcut: without it every file is still fetched (or reported) one by one.
        return {}, [f"archive: could not get the {fmt} archive ({exc}); downloading files one by one"]
    notes: list[str] = []
    done: dict[int, int] = {}
    source = remote.archive_url(layout.tic_id, fmt)
    try:
        _fill_from_archive(
            layout, rows, path, fmt=fmt, source=source, max_bytes=max_bytes, done=done, notes=notes
        )
    except InvalidResponseError as exc:
        notes.append(f"archive: {exc.message}; downloading the other files one by one")
        keep = False  # a damaged or oversized archive must not be reused: it would fail the same way
    if not keep:
        with contextlib.suppress(OSError):
            path.unlink()
    return done, notes


def _fill_from_archive(
    layout: TargetLayout,
    rows: list[ExoFopFileRow],
    archive_path: Path,
    *,
    fmt: str,
    source: str,
    max_bytes: int,
    done: dict[int, int],
    notes: list[str],
) -> None:
    """Copy matching members into ``files/``, filling ``done`` and ``notes`` as it goes (kept on errors)."""
    by_name: dict[str, list[ExoFopFileRow]] = {}
    for row in rows:
        by_name.setdefault(row.filename, []).append(row)
    budget = _Budget(max_bytes)
    with SafeArchive(archive_path, fmt=fmt) as archive:
        members: dict[str, list[Member]] = {}
        for member in archive.members():
            members.setdefault(posixpath.basename(member.name.replace("\\", "/")), []).append(member)
        notes.extend(f"archive: refused member {r}" for r in archive.refused)
        for name, name_rows in by_name.items():
            found = members.get(name, [])
            if len(name_rows) != 1 or len(found) != 1:
                if found:
                    notes.append(
                        f"archive: {name!r} is ambiguous ({len(found)} members, {len(name_rows)} rows); "
                        "downloading it by file id instead"
                    )
                continue
            row, member = name_rows[0], found[0]
            writer = _copy(archive, member, layout.file_path(row.file_id, row.filename), budget)
            st = writer.commit()
            write_record(
                layout,
                row,
                sha256=writer.sha256.hexdigest(),
                size=writer.size,
                mtime_ns=st.st_mtime_ns,
                source_url=f"{source}#{member.name}",
            )
            done[row.file_id] = writer.size
