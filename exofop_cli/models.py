"""Frozen value types shared by the library and the CLI.

They are plain dataclasses with a ``to_dict`` that gives the JSON shape the CLI prints, so rows are built once
and rendered either as a Rich table or as JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ErrorKind, InvalidInputError

# The file-list ``Type`` values that public ExoFOP clients are known to see (reference §2, [CODE/ONE]). The
# list is open: any value the server sends is accepted, and tab completion adds the types found in the cache.
KNOWN_FILE_TYPES: tuple[str, ...] = ("Image", "Light_Curve", "Spectrum")


@dataclass(frozen=True)
class ExoFopTarget:
    """A star resolved to its TIC id, with the TOIs and other names it is known by."""

    tic_id: int
    toi: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Human label such as ``TIC 365938305``."""
        return f"TIC {self.tic_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape used by ``exofop resolve --json`` and the manifest."""
        return {"tic_id": self.tic_id, "toi": list(self.toi), "aliases": list(self.aliases)}


@dataclass(frozen=True)
class ExoFopFileRow:
    """One row of ExoFOP's file index (``download_filelist.php``)."""

    file_id: int
    tic_id: int
    filename: str
    type: str = ""
    toi: str | None = None
    date_utc: str | None = None
    tag: int | None = None
    description: str = ""
    user: str = ""
    group: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape used by ``exofop ls --json``."""
        return {
            "file_id": self.file_id,
            "tic_id": self.tic_id,
            "toi": self.toi,
            "filename": self.filename,
            "type": self.type,
            "date_utc": self.date_utc,
            "tag": self.tag,
            "description": self.description,
            "user": self.user,
            "group": self.group,
        }


def _normalize_type(value: str) -> str:
    # "Light Curve", "light-curve" and "Light_Curve" name the same ExoFOP type.
    return re.sub(r"[\s\-]+", "_", value.strip()).casefold()


@dataclass(frozen=True)
class ExoFopSelectors:
    """Which files of a target to fetch; every given criterion must match (AND), values within one OR."""

    types: tuple[str, ...] = ()
    filename_regex: str | None = None
    tag_ids: tuple[int, ...] = ()
    max_files: int | None = None
    instruments: tuple[str, ...] = ()
    telescopes: tuple[str, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Validate at construction so a bad regex is a usage error before any network traffic.
        if self.max_files is not None and self.max_files < 0:
            raise InvalidInputError(f"--max-files must be >= 0, got {self.max_files}")
        if any(t < 0 for t in self.tag_ids):
            raise InvalidInputError("tags must be non-negative integers")
        pattern = None
        if self.filename_regex is not None:
            try:
                pattern = re.compile(self.filename_regex)
            except re.error as exc:
                raise InvalidInputError(
                    f"invalid --regex {self.filename_regex!r}: {exc}",
                    hint="the pattern is a Python regular expression searched in the file name",
                ) from exc
        object.__setattr__(self, "_pattern", pattern)

    @property
    def needs_summaries(self) -> bool:
        """True when matching needs the summary tables (instrument/telescope join by Tag)."""
        return bool(self.instruments or self.telescopes)

    def matches_row(self, row: ExoFopFileRow) -> bool:
        """Row-level criteria (type, regex, tag); instrument/telescope are applied by ``select``."""
        if self.types:
            wanted = {_normalize_type(t) for t in self.types}
            if _normalize_type(row.type) not in wanted:
                return False
        if self._pattern is not None and not self._pattern.search(row.filename):
            return False
        return not (self.tag_ids and row.tag not in self.tag_ids)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the selection, for logs and results."""
        return {
            "types": list(self.types),
            "filename_regex": self.filename_regex,
            "tag_ids": list(self.tag_ids),
            "max_files": self.max_files,
            "instruments": list(self.instruments),
            "telescopes": list(self.telescopes),
        }


@dataclass(frozen=True)
class FetchIssue:
    """One error of a fetch, as written into the manifest."""

    kind: ErrorKind
    message: str
    file_id: int | None = None
    endpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Manifest/JSON shape; optional keys are omitted when unknown."""
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.file_id is not None:
            out["file_id"] = self.file_id
        if self.endpoint is not None:
            out["endpoint"] = self.endpoint
        return out


@dataclass(frozen=True)
class ExoFopFetchResult:
    """What one ``fetch`` did for one target."""

    target: ExoFopTarget
    cache_root: Path
    manifest_path: Path
    files: tuple[Path, ...] = ()
    files_downloaded: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    bytes_downloaded: int = 0
    summaries: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[FetchIssue, ...] = ()

    @property
    def tic_id(self) -> int:
        """TIC id of the fetched target."""
        return self.target.tic_id

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """JSON shape printed by ``exofop fetch --json``."""
        return {
            "tic_id": self.tic_id,
            "toi": list(self.target.toi),
            "cache_root": str(self.cache_root),
            "manifest_path": str(self.manifest_path),
            "files": [str(p) for p in self.files],
            "files_downloaded": self.files_downloaded,
            "files_skipped": self.files_skipped,
            "files_failed": self.files_failed,
            "bytes_downloaded": self.bytes_downloaded,
            "summaries": list(self.summaries),
            "warnings": list(self.warnings),
            "errors": [e.to_dict() for e in self.errors],
        }
