"""The public value types: frozen dataclasses with the field names, order and types of the spec first.

The draft spec "ExoFOP Fetch + Cache" (and tess-vetter's ``exofop`` module, written against it) defines
``ExoFopTarget(tic_id, toi, aliases)``, ``ExoFopFileRow(file_id, tic_id, toi, filename, type, date_utc, tag,
description)``, ``ExoFopSelectors(types, filename_regex, tag_ids, max_files)`` and ``ExoFopFetchResult(target,
cache_root, manifest_path, files_downloaded, files_skipped, warnings)``. Code written against those works
here verbatim, positionally too; exofop's own fields come after them, all with defaults. Every type supports
``dataclasses.asdict``/``replace`` and has a ``to_dict`` giving the JSON shape the CLI prints.

Start-up: a frozen dataclass costs ~0.5 ms to create on Python 3.11 (six ``exec``-ed methods), about 2.3 ms
more than NamedTuples for this module; the benchmark shows the warm path stays within its target with them.

Inputs are normalised in ``__post_init__`` (a lone string is one value, ``"TOI-1262.01"`` is ``"1262.01"``,
any iterable of types becomes a frozenset), so equality means the same selection or the same star.
"""

import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ErrorKind, InvalidInputError
from .targets import TargetQuery, normalize_toi_cell, sorted_tois

# Names that are the star itself or its TOIs, not a catalogue alias (they have fields of their own).
_SELF_PREFIXES = frozenset({"tic", "toi", "ctoi"})


def alias_key(name: str) -> str:
    """The catalogue prefix a star name is keyed by in ``ExoFopTarget.aliases``.

    The rule: ``Gaia DR3 …``/``Gaia DR2 …``/``Gaia EDR3 …`` → ``gaia_dr3``/``gaia_dr2``/``gaia_edr3``; a Bayer
    name (a Greek letter, ``pi Men``, ``alf Cen A``) → ``bayer``; a Flamsteed name (``51 Peg``) → ``flamsteed``;
    a variable star's (``V1298 Tau``, ``AU Mic``) → ``gcvs``; otherwise the name's first word, cut before a sign or hyphen that precedes the number (``WASP-12`` →
    ``wasp``, ``HAT-P-7`` → ``hat_p``, ``K2-18`` → ``k2``, ``BD+20 2457`` and ``BD-20 2457`` → ``bd``),
    lower-cased with every other non-alphanumeric run as ``_`` (``HD 104654`` → ``hd``, ``2MASS J0630…`` →
    ``2mass``, ``TYC 1891-01178-1`` → ``tyc``).
    """
    text = " ".join(name.split())
    gaia = re.match(r"(?i)^gaia[\s_-]*(e?dr\d+)\b", text)
    if gaia:
        return f"gaia_{gaia.group(1).lower()}"
    word, _, rest = text.partition(" ")
    if rest and re.match(_CONSTELLATION, rest):
        if re.fullmatch(_GREEK, word):
            return "bayer"
        if word.isdigit():
            return "flamsteed"
        if re.fullmatch(r"V\d{3,4}|[A-Z]{1,2}", word):
            return "gcvs"  # a variable star's name (V1298 Tau, AU Mic)
    cut = re.match(r"^(.+?)[-+][+-]?\d", word)
    if cut:
        word = cut.group(1)
    return re.sub(r"[^0-9a-z]+", "_", word.lower()).strip("_")


# Bayer letters as catalogues abbreviate them (alf, bet…) or spell them, with an optional index (pi1, ups01).
_GREEK = (
    r"(?i)(?:alf|alpha|bet|beta|gam|gamma|del|delta|eps|epsilon|zet|zeta|eta|tet|the|theta|iot|iota|kap|kappa"
    r"|lam|lambda|mu|nu|ksi|xi|omi|omicron|pi|rho|sig|sigma|tau|ups|upsilon|phi|chi|psi|ome|omega)\.?\d{0,2}"
)
# A constellation's three-letter abbreviation (Men, Cen, Peg), maybe followed by a component (A, B, b).
_CONSTELLATION = r"^[A-Z][a-z]{2}(?:\s|$)"


def alias_map(names: Iterable[str]) -> dict[str, str]:
    """``{catalogue prefix: name}`` for star names; the first name of a catalogue wins (ExoFOP's order)."""
    out: dict[str, str] = {}
    for name in names:
        key = alias_key(name)
        if key and key not in _SELF_PREFIXES and key not in out:
            out[key] = name
    return out


@dataclass(frozen=True)
class ExoFopTarget:
    """A star: its TIC id, its primary TOI and the names catalogues know it by.

    ``toi`` is the primary TOI: the one given, else the lowest-numbered of ``tois`` (``"1262.01"``; ``None`` for
    a star without one); every TOI is in ``tois``. So ``replace(target, toi=None)`` picks the lowest again. ``aliases`` maps a catalogue prefix to the star's name there (``{"hd": "HD 104654",
    "gaia_dr3": "Gaia DR3 …"}``, keys by ``alias_key``); ``names`` keeps every name in ExoFOP's order,
    including those of a catalogue already keyed. ``aliases`` may be given as a mapping or as names.
    """

    tic_id: int
    toi: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    tois: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        given = self.aliases
        names = tuple(dict.fromkeys(self.names or ()))
        if given is None:
            aliases: dict[str, str] = {}
        elif isinstance(given, Mapping):
            aliases = {str(k): str(v) for k, v in given.items()}
        else:  # names (an older resolution, a list): keyed by catalogue
            listed = [given] if isinstance(given, str) else [str(n) for n in given]
            names = tuple(dict.fromkeys([*names, *listed]))
            aliases = alias_map(listed)
        if not names:
            names = tuple(aliases.values())
        toi: Any = self.toi
        if not (toi is None or isinstance(toi, (str, list, tuple))):
            # A float cannot say whether 1262.1 meant .01 or .10: refused rather than guessed.
            raise TypeError(f"ExoFopTarget.toi must be a string such as '1262.01', not {type(toi).__name__}")
        listed = (toi,) if isinstance(toi, str) or toi is None else tuple(toi)  # 1.0 gave a tuple of TOIs
        tois = sorted_tois(normalize_toi_cell(t) or t for t in (*self.tois, *listed) if t)
        if not isinstance(toi, str):
            toi = None
        primary = (normalize_toi_cell(toi) or toi) if toi else (tois[0] if tois else None)
        object.__setattr__(self, "tic_id", int(self.tic_id))
        object.__setattr__(self, "toi", primary)
        object.__setattr__(self, "aliases", aliases)
        object.__setattr__(self, "tois", tois)
        object.__setattr__(self, "names", names)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ExoFopTarget | None":
        """The target a ``to_dict`` (a manifest's or a stored resolution's) describes; None if unusable.

        exofop 1.0 wrote ``toi`` and ``aliases`` as lists of TOIs and names: those are read too.
        """
        tic = data.get("tic_id")
        if not isinstance(tic, int) or isinstance(tic, bool):
            return None
        toi, tois, aliases, names = (data.get(k) for k in ("toi", "tois", "aliases", "names"))
        all_tois = [str(t) for t in tois] if isinstance(tois, list) else []
        if isinstance(toi, list):
            all_tois += [str(t) for t in toi]
        all_names = [str(n) for n in names] if isinstance(names, list) else []
        if isinstance(aliases, list):
            all_names += [str(n) for n in aliases]
            aliases = alias_map(all_names)
        keyed = {str(k): str(v) for k, v in aliases.items()} if isinstance(aliases, dict) else {}
        # JSON on disk is written with sorted keys: put the aliases back in ExoFOP's order of the names, so a
        # star read from the cache shows them as it did when it was resolved.
        order = {name: i for i, name in reversed(list(enumerate(all_names)))}
        keyed = dict(sorted(keyed.items(), key=lambda kv: order.get(kv[1], len(order))))
        return cls(
            tic_id=tic,
            toi=toi if isinstance(toi, str) else None,
            aliases=keyed,
            tois=tuple(all_tois),
            names=tuple(all_names),
        )

    @property
    def label(self) -> str:
        """Human label such as ``TIC 365938305``."""
        return f"TIC {self.tic_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``exofop resolve --json`` and the manifest's ``target`` (the spec's keys first)."""
        return {
            "tic_id": self.tic_id,
            "toi": self.toi,
            "aliases": dict(self.aliases),
            "tois": list(self.tois),
            "names": list(self.names),
        }


@dataclass(frozen=True, slots=True)  # slots: a star may list a million files (a third less memory each)
class ExoFopFileRow:
    """One row of ExoFOP's file index (``download_filelist.php``)."""

    file_id: int
    tic_id: int
    toi: str | None
    filename: str
    type: str
    date_utc: str | None = None
    tag: str | int | None = None  # the spec's type; ExoFOP's tags are numbers, kept as int when they are
    description: str | None = ""
    user: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        # A numeric string is the same tag as the int (``"7"`` is tag 7, as ``--tag 7`` selects it); other text
        # is kept as it is, blank is no tag.
        if isinstance(self.tag, str):
            text = self.tag.strip()
            object.__setattr__(self, "tag", int(text) if text.isdigit() else (text or None))

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


def _strings(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A lone string is one value (``types="Image"`` is not five letters); blanks are dropped."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(s.strip() for s in items if isinstance(s, str) and s.strip()))


@dataclass(frozen=True)
class ExoFopSelectors:
    """Which files of a target to fetch; every given criterion must match (AND), values within one OR.

    ``types``/``tag_ids`` take None (no filter), one value, or any iterable, and are kept as frozensets
    (equal to the sets the spec shows). ``max_files`` keeps the newest N. ``instruments``/``telescopes``
    (exofop's own) match case-insensitive substrings of the observation tables joined by Tag.
    """

    types: AbstractSet[str] | None = None
    filename_regex: str | None = None
    tag_ids: AbstractSet[int] | None = None
    max_files: int | None = None
    instruments: tuple[str, ...] = ()
    telescopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Any iterable, a lone string (types) or a lone int (tags) is accepted, whatever the annotation says.
        types = _strings(self.types)
        raw_tags: Any = self.tag_ids
        if raw_tags is None:
            tags: tuple[int, ...] = ()
        elif isinstance(raw_tags, int | str):
            tags = (_tag(raw_tags),)
        else:
            tags = tuple(_tag(t) for t in raw_tags)
        # Validated at construction so a bad regex is a usage error before any network traffic.
        if self.max_files is not None and self.max_files < 0:
            raise InvalidInputError(f"--max-files must be >= 0, got {self.max_files}")
        if any(t < 0 for t in tags):
            raise InvalidInputError("tags must be non-negative integers")
        if self.filename_regex is not None:
            try:
                re.compile(self.filename_regex)  # kept in re's own cache for matches_row
            except re.error as exc:
                raise InvalidInputError(
                    f"invalid --regex {self.filename_regex!r}: {exc}",
                    hint="the pattern is a Python regular expression searched in the file name",
                ) from exc
        object.__setattr__(self, "types", frozenset(types) if types else None)
        object.__setattr__(self, "tag_ids", frozenset(tags) if tags else None)
        object.__setattr__(self, "instruments", _many(self.instruments))
        object.__setattr__(self, "telescopes", _many(self.telescopes))

    @property
    def selects_all(self) -> bool:
        """True when no criterion is given: every file of the star is selected."""
        return (
            not (self.types or self.filename_regex is not None or self.tag_ids or self.max_files is not None)
            and not self.needs_summaries
        )

    @property
    def needs_summaries(self) -> bool:
        """True when matching needs the summary tables (instrument/telescope join by Tag)."""
        return bool(self.instruments or self.telescopes)

    def matches_row(self, row: ExoFopFileRow) -> bool:
        """Row-level criteria (type, regex, tag); instrument/telescope are applied by ``ops.plan.select_rows``."""
        if self.types and _normalize_type(row.type) not in {_normalize_type(t) for t in self.types}:
            return False
        if self.filename_regex is not None and not re.search(self.filename_regex, row.filename):
            return False
        return not (self.tag_ids and row.tag not in self.tag_ids)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the selection (sorted, so that equal selections give equal JSON in every process)."""
        return {
            "types": sorted(self.types or ()),
            "filename_regex": self.filename_regex,
            "tag_ids": sorted(self.tag_ids or ()),
            "max_files": self.max_files,
            "instruments": list(self.instruments),
            "telescopes": list(self.telescopes),
        }


def _many(value: str | Iterable[str] | None) -> tuple[str, ...]:
    return () if value is None else (value,) if isinstance(value, str) else tuple(value)


def _tag(value: int | str) -> int:
    if isinstance(value, bool):
        raise InvalidInputError(f"invalid tag {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?\d+", text):
        raise InvalidInputError(f"invalid tag {value!r}: tags are integers")
    return int(text)


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
    """What one ``fetch`` did for one target.

    ``files_downloaded``: the paths downloaded by this run; ``files_skipped``: the ExoFOP names of selected
    files not downloaded because the cache already had them; ``files``: every selected file now in the cache;
    ``errors``: what failed (each file that could not be had, with the reason).
    """

    target: ExoFopTarget
    cache_root: Path
    manifest_path: Path
    files_downloaded: list[Path] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    filelist_path: Path | None = None
    summary_paths: dict[str, Path] = field(default_factory=dict)
    errors: list[FetchIssue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    bytes_downloaded: int = 0
    placed: list[Path] = field(default_factory=list)  # with ``to=DIR``: the selected files there
    placed_manifest_path: Path | None = None  # with ``to=DIR``: DIR/manifest.json

    @property
    def tic_id(self) -> int:
        """TIC id of the fetched target."""
        return self.target.tic_id

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    @property
    def n_downloaded(self) -> int:
        """How many files this run downloaded."""
        return len(self.files_downloaded)

    @property
    def n_skipped(self) -> int:
        """How many selected files were already cached."""
        return len(self.files_skipped)

    @property
    def n_failed(self) -> int:
        """How many selected files could not be had."""
        return len({e.file_id for e in self.errors if e.file_id is not None})

    def to_dict(self) -> dict[str, Any]:
        """JSON shape printed by ``exofop fetch --json`` (the spec's fields, then counts and exofop's own)."""
        return {
            "tic_id": self.tic_id,
            "toi": self.target.toi,
            "tois": list(self.target.tois),
            "cache_root": str(self.cache_root),
            "manifest_path": str(self.manifest_path),
            "files_downloaded": [str(p) for p in self.files_downloaded],
            "files_skipped": list(self.files_skipped),
            "warnings": list(self.warnings),
            "filelist_path": str(self.filelist_path) if self.filelist_path else None,
            "summary_paths": {k: str(v) for k, v in self.summary_paths.items()},
            "errors": [e.to_dict() for e in self.errors],
            "files": [str(p) for p in self.files],
            "n_downloaded": self.n_downloaded,
            "n_skipped": self.n_skipped,
            "n_failed": self.n_failed,
            "bytes_downloaded": self.bytes_downloaded,
            "placed": [str(p) for p in self.placed],
            "placed_manifest_path": str(self.placed_manifest_path) if self.placed_manifest_path else None,
        }


def target_from_parts(
    tic_id: int, tois: Iterable[str | None], names: Iterable[str], query: TargetQuery | None = None
) -> ExoFopTarget:
    """Assemble an ``ExoFopTarget``: sorted unique TOIs; names in given order, the queried name first."""
    known: list[str] = []
    for name in names:
        if name and name not in known:
            known.append(name)
    ordered = list(known)
    if query is not None and query.kind == "name" and query.name and query.name not in ordered:
        ordered.insert(0, query.name)
    # ExoFOP's spelling keys a catalogue ("HATS-71"); the user's ("hats 71") only where ExoFOP has none.
    aliases = alias_map([*known, *ordered])
    return ExoFopTarget(tic_id=tic_id, tois=sorted_tois(tois), aliases=aliases, names=tuple(ordered))
