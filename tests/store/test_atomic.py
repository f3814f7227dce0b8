"""``storage.AtomicWriter``: streamed writes (through the background pipeline above 4 MiB), errors, aborts."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from exofop_cli.errors import CacheError
from exofop_cli.store import atomic as storage


def _chunks(data: bytes, seed: int = 1) -> list[bytes]:
    """Uneven pieces: a byte, network-sized ones, and some larger than a pipeline block (1 MiB)."""
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < len(data):
        size = rng.choice([1, 777, 65536, 65536, 65536, 3 << 20])
        out.append(data[pos : pos + size])
        pos += size
    return out


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("exofop-")]


@pytest.mark.parametrize("size", [0, 10, 4 << 20, (4 << 20) + 1, 23 * 1024 * 1024 + 5])
def test_streamed_bytes_and_hash_are_exact(tmp_path: Path, size: int) -> None:
    data = random.Random(size).randbytes(size)
    final = tmp_path / "out.bin"
    with storage.AtomicWriter(final) as writer:
        for chunk in _chunks(data):
            writer.write(chunk)
        writer.commit(expected_size=size, expected_sha256=hashlib.sha256(data).hexdigest())
    assert final.read_bytes() == data
    assert writer.size == size and writer.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    assert _writer_threads() == []


class _FullDisk:
    """A file whose writes fail with ENOSPC once ``limit`` bytes were written."""

    def __init__(self, inner: Any, limit: int) -> None:
        self.inner, self.limit, self.written = inner, limit, 0

    def write(self, data: Any) -> int:
        if self.written + len(data) > self.limit:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return int(self.inner.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("limit", [1 << 20, 6 << 20, 15 << 20])
def test_a_disk_error_in_the_pipeline_surfaces_and_leaves_nothing(tmp_path: Path, limit: int) -> None:
    data = random.Random(limit).randbytes(20 << 20)
    final = tmp_path / "out.bin"
    writer = storage.AtomicWriter(final)
    writer._fh = _FullDisk(writer._fh, limit)
    with pytest.raises(CacheError, match="no space left"), writer:
        for chunk in _chunks(data):  # many more blocks than the pool holds: must not dead-lock
            writer.write(chunk)
        writer.commit(expected_size=len(data))
    assert list(tmp_path.iterdir()) == []
    assert _writer_threads() == []


def test_abort_mid_stream_joins_the_pipeline_and_deletes_the_temp(tmp_path: Path) -> None:
    final = tmp_path / "out.bin"
    with storage.AtomicWriter(final) as writer:
        for chunk in _chunks(os.urandom(9 << 20)):
            writer.write(chunk)
        assert writer.temp.exists()
    # Leaving the block without commit is an abort (an exception, or the caller gave up).
    assert list(tmp_path.iterdir()) == []
    assert _writer_threads() == []


def test_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    data = os.urandom(5 << 20)
    with storage.AtomicWriter(tmp_path / "out.bin") as writer:
        writer.write(data)
        with pytest.raises(CacheError, match="sha256 mismatch"):
            writer.commit(expected_sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_unhashed_writes_for_state_files(tmp_path: Path) -> None:
    final = tmp_path / "state.json"
    storage.atomic_write_bytes(final, b"{}")
    assert final.read_bytes() == b"{}"
    with storage.AtomicWriter(tmp_path / "x", hashed=False) as writer:
        writer.write(b"abc")
        writer.commit()
        with pytest.raises(RuntimeError, match="hashed=False"):
            writer.sha256.hexdigest()


def test_an_interrupted_commit_still_waits_for_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while commit waits for the pipeline: abort must wait too before closing the file under it."""
    failures: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    writer = storage.AtomicWriter(tmp_path / "out.bin")
    for chunk in _chunks(os.urandom(12 << 20)):
        writer.write(chunk)
    sink = writer._sink
    assert sink is not None
    real_close = sink.close
    calls: list[int] = []

    def interrupted_once() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real_close()

    monkeypatch.setattr(sink, "close", interrupted_once)
    with pytest.raises(KeyboardInterrupt), writer:
        writer.commit()
    assert len(calls) == 2  # abort() waited for the workers
    assert sink.error is None  # no worker wrote to a closed file (they would record it here)
    assert failures == []
    assert list(tmp_path.iterdir()) == []
    assert _writer_threads() == []


def test_cache_error_hints_fit_the_cause(tmp_path: Path) -> None:
    import errno

    from exofop_cli.store.atomic import cache_error

    full = cache_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    read_only = cache_error(OSError(errno.EROFS, "Read-only file system"), tmp_path)
    assert "no space left" in full.message and (full.hint or "").startswith("free some space")
    assert "read-only file system" in read_only.message and "space" not in (read_only.hint or "")
