"""Whole-catalogue tables kept under ``<cache>/exofop/catalogs/``: ``<kind>.<csv|pipe>`` and its fetch time.

``<kind>.json`` records when and from where the table was fetched; it is written after the table, so a table
without one (a copy from elsewhere, a killed run) counts as fetched at its file's mtime. Both are written
atomically; a catalogue is only stored once it parsed (see ``remote.catalogs.check_catalog``).
"""

import contextlib
import time
from pathlib import Path
from typing import NamedTuple

from .atomic import atomic_write_bytes, ensure_dir, read_json, write_json_if_changed

CATALOGS_DIR = "catalogs"


class CachedCatalog(NamedTuple):
    """A cached catalogue: its bytes, when it was fetched (epoch seconds) and from which URL."""

    content: bytes
    fetched_at: float
    source: str | None
    path: Path

    def age_seconds(self, now: float | None = None) -> float:
        """How old the copy is."""
        return max(0.0, (time.time() if now is None else now) - self.fetched_at)


class CatalogStore:
    """``<cache_root>/catalogs``."""

    def __init__(self, cache_root: Path) -> None:
        self.folder = cache_root / CATALOGS_DIR

    def _paths(self, kind: str) -> list[Path]:
        return [self.folder / f"{kind}.{output}" for output in ("csv", "pipe")]

    def read(self, kind: str) -> "CachedCatalog | None":
        """The cached copy of a catalogue (the newest of its CSV/pipe forms), or None."""
        found = []
        for path in self._paths(kind):
            try:
                found.append((path.stat().st_mtime, path, path.read_bytes()))
            except OSError:
                continue
        if not found:
            return None
        mtime, path, content = max(found)
        meta = read_json(self.folder / f"{kind}.json")
        meta = meta if isinstance(meta, dict) and meta.get("file") == path.name else {}
        fetched = meta.get("fetched_at")
        source = meta.get("source")
        return CachedCatalog(
            content=content,
            fetched_at=float(fetched) if isinstance(fetched, int | float) else mtime,
            source=source if isinstance(source, str) else None,
            path=path,
        )

    def save(self, kind: str, content: bytes, *, output: str, source: str) -> CachedCatalog:
        """Keep a checked catalogue answer and its fetch time; the other format's copy is removed."""
        ensure_dir(self.folder)
        path = self.folder / f"{kind}.{output}"
        atomic_write_bytes(path, content)
        now = time.time()
        write_json_if_changed(
            self.folder / f"{kind}.json", {"file": path.name, "fetched_at": now, "source": source}
        )
        for other in self._paths(kind):
            if other != path:
                with contextlib.suppress(OSError):
                    other.unlink()
        return CachedCatalog(content=content, fetched_at=now, source=source, path=path)
