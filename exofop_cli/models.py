"""Immutable value types shared by the library and the CLI.

Each has a ``to_dict`` that gives the JSON shape the CLI prints, so rows are built once and rendered either as
a Rich table or as JSON.

Start-up cost decided their form, because every warm ``fetch`` and every TAB imports this module:

* ``NamedTuple``, not frozen dataclasses: Python 3.11 builds a frozen dataclass's methods with six ``exec``
  calls, about 0.8 ms a class (4 ms for the five of the public API, a fifth of a warm run's budget), where a
  NamedTuple costs 0.1-0.25 ms. Like frozen dataclasses they are immutable, typed, hashed by value and printed
  with their field names; ``_replace`` plays the part of ``dataclasses.replace``. Unlike them they are
  tuples: iterable, indexable, and equal to a plain tuple (or another NamedTuple) of the same values.
* No ``from __future__ import annotations``: with it, ``NamedTuple`` compiles every field's annotation
  string into a ``ForwardRef``, which made each class 3-5 times slower to create (here 1.3 ms against 0.25
  ms for six fields, measured at import).
  The same holds for every module that defines a NamedTuple on the warm path (layout, targets, endpoints).
"""

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ErrorKind, InvalidInputError
from .targets import TargetQuery, sorted_tois

# The file-list ``Type`` values that public ExoFOP clients are known to see (reference §2, [CODE/ONE]). The
# list is open: any value the server sends is accepted, and tab completion adds the types found in the cache.
KNOWN_FILE_TYPES: tuple[str, ...] = ("Image", "Light_Curve", "Spectrum")


class ExoFopTarget(NamedTuple):
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


class ExoFopFileRow(NamedTuple):
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


class _SelectorFields(NamedTuple):
    types: tuple[str, ...] = ()
    filename_regex: str | None = None
    tag_ids: tuple[int, ...] = ()
    max_files: int | None = None
    instruments: tuple[str, ...] = ()
    telescopes: tuple[str, ...] = ()


class ExoFopSelectors(_SelectorFields):
    """Which files of a target to fetch; every given criterion must match (AND), values within one OR."""

    __slots__ = ()

    def __new__(
        cls,
        types: str | Iterable[str] = (),
        filename_regex: str | None = None,
        tag_ids: int | Iterable[int] = (),
        max_files: int | None = None,
        instruments: str | Iterable[str] = (),
        telescopes: str | Iterable[str] = (),
    ) -> "ExoFopSelectors":
        # A lone string is one value, not its characters (types="Image" would otherwise select nothing).
        types, instruments, telescopes = _many(types), _many(instruments), _many(telescopes)
        tag_ids = (tag_ids,) if isinstance(tag_ids, int) else tuple(tag_ids)
        # Validate at construction so a bad regex is a usage error before any network traffic.
        if max_files is not None and max_files < 0:
            raise InvalidInputError(f"--max-files must be >= 0, got {max_files}")
        if any(t < 0 for t in tag_ids):
            raise InvalidInputError("tags must be non-negative integers")
        if filename_regex is not None:
            try:
                re.compile(filename_regex)  # kept in re's own cache for matches_row
            except re.error as exc:
                raise InvalidInputError(
                    f"invalid --regex {filename_regex!r}: {exc}",
                    hint="the pattern is a Python regular expression searched in the file name",
                ) from exc
        return super().__new__(
            cls,
            tuple(types),
            filename_regex,
            tuple(tag_ids),
            max_files,
            tuple(instruments),
            tuple(telescopes),
        )

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
        if self.filename_regex is not None and not re.search(self.filename_regex, row.filename):
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


class FetchIssue(NamedTuple):
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


class ExoFopFetchResult(NamedTuple):
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


def target_from_parts(
    tic_id: int, tois: Iterable[str | None], aliases: Iterable[str], query: TargetQuery | None = None
) -> ExoFopTarget:
    """Assemble an ``ExoFopTarget``: sorted unique TOIs; aliases in given order, the queried name included."""
    names: list[str] = []
    for name in aliases:
        if name and name not in names:
            names.append(name)
    if query is not None and query.kind == "name" and query.name and query.name not in names:
        names.insert(0, query.name)
    return ExoFopTarget(tic_id=tic_id, toi=sorted_tois(tois), aliases=tuple(names))


def _many(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
