"""The on-disk resolution cache: target text → TIC id, TOIs and aliases, so warm runs never resolve online.

Apart from the parsers of server answers because every warm ``fetch`` and every TAB of a target reads it and
must not pay for the CSV machinery those parsers need (``remote.answers``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..models import ExoFopTarget
from .atomic import read_json, write_json_if_changed
from .layout import RESOLUTIONS_NAME


class ResolutionCache:
    """``<cache_root>/resolutions.json``: query key → target, so warm runs never resolve online.

    Read-merge-write with an atomic replace; two concurrent processes can at worst drop each other's newest
    entry, which only costs one more online resolution later (never a wrong answer).
    """

    def __init__(self, cache_root: Path) -> None:
        self.path = cache_root / RESOLUTIONS_NAME
        # The stars of one batch are fetched side by side in one process: their read-merge-writes take turns
        # so that none drops another's entry (across processes a dropped entry only costs a lookup).
        self._writing = threading.Lock()

    def _load(self) -> dict[str, Any]:
        data = read_json(self.path)
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> ExoFopTarget | None:
        """The cached target for a query key, or None."""
        return _target(self._load().get(key))

    def targets(self) -> list[ExoFopTarget]:
        """Every cached resolution's target (with its TOIs and aliases)."""
        return [t for t in map(_target, self._load().values()) if t is not None]

    def put(self, keys: Iterable[str], target: ExoFopTarget) -> None:
        """Remember ``target`` under every key (the query and ``tic:<id>``)."""
        with self._writing:
            data = self._load()
            for key in keys:
                data[key] = target.to_dict()
            write_json_if_changed(self.path, data)

    def keys(self) -> list[str]:
        """All cached query keys (for tab completion)."""
        return sorted(self._load())


def _target(entry: Any) -> ExoFopTarget | None:
    return ExoFopTarget.from_dict(entry) if isinstance(entry, dict) else None
