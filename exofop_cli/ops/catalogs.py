"""The TOI and CTOI catalogues: one cached copy each, refreshed when older than ``max_age``, filtered by name.

The real TOI table is several MB and takes 20-32 s to download (reference §7), so it is fetched at most once
per ``max_age`` (default a day) and otherwise read from ``catalogs/``. A refresh that fails, or ``--offline``,
serves the cached copy and says how old it is; without a cached copy it is an error. Filters combine (AND);
values within one filter OR; columns are found by name.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..errors import ExoFopError, InvalidInputError, OfflineError, RequestError
from ..remote import endpoints
from ..remote.catalogs import SECTORS, TESS_DISPOSITION, TFOPWG_DISPOSITION, distinct, sectors_of, toi_rows
from ..remote.tables import Table, parse_table, to_int
from ..targets import normalize_toi_cell, parse_target

if TYPE_CHECKING:
    from ..remote.service import ExoFopRemote
    from ..rows import ExoFopToiRow
    from ..store.catalogs import CatalogStore
    from .resolve import Resolver

DEFAULT_MAX_AGE_SECONDS = 86400.0
USER_DISPOSITION = ("User Disposition",)
_CTOI_ID = r"^(?:tic[\s_-]*)?(\d{1,12})\.(\d{1,2})$"


@dataclass(frozen=True)
class CatalogTable:
    """A catalogue as read (``kind`` ``toi`` or ``ctoi``), when it was fetched, and what was said about it."""

    kind: str
    table: Table
    fetched_at: float
    from_cache: bool
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names as ExoFOP sent them."""
        return self.table.columns

    @property
    def rows(self) -> tuple[dict[str, str | None], ...]:
        """Every row, keyed by column name."""
        return self.table.rows

    def age_seconds(self, now: float | None = None) -> float:
        """How old the data is."""
        return max(0.0, (time.time() if now is None else now) - self.fetched_at)

    def toi_rows(self) -> list[ExoFopToiRow]:
        """The rows as ``ExoFopToiRow`` (TOI table only)."""
        return toi_rows(self.table)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of the table (needs pandas)."""
        return self.table.to_pandas()

    def to_astropy(self) -> Any:
        """An ``astropy.table.Table`` of the table (needs astropy)."""
        return self.table.to_astropy()


# The columns a person sees, in order, with their short headers (``--csv`` and ``--json`` keep every column).
SHOWN_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "toi": (
        ("TOI", "TOI"),
        ("TIC ID", "TIC"),
        ("TFOPWG Disposition", "TFOPWG"),
        ("TESS Disposition", "TESS"),
        ("Period (days)", "Period (d)"),
        ("Depth (ppm)", "Depth (ppm)"),
        ("Planet Radius (R_Earth)", "Rp (R_E)"),
        ("Sectors", "Sectors"),
        ("Comments", "Comments"),
    ),
    "ctoi": (
        ("CTOI", "CTOI"),
        ("TIC ID", "TIC"),
        ("Promoted to TOI", "TOI"),
        ("TFOPWG Disposition", "TFOPWG"),
        ("User Disposition", "User disp."),
        ("Period (days)", "Period (d)"),
        ("Depth ppm", "Depth (ppm)"),
        ("Notes", "Notes"),
    ),
}


@dataclass(frozen=True)
class CatalogSelection:
    """The rows of a catalogue a filter kept, the named targets no row has, and where the table came from."""

    catalog: CatalogTable
    rows: tuple[dict[str, str | None], ...]
    absent: tuple[str, ...] = ()  # targets, as typed, that no row of the whole table names
    named: int = 0  # how many targets were named

    @property
    def kind(self) -> str:
        """``toi`` or ``ctoi``."""
        return self.catalog.kind

    @property
    def notes(self) -> tuple[str, ...]:
        """Warnings about the table (a failed refresh or offline mode served the cached copy)."""
        return self.catalog.notes

    @property
    def from_cache(self) -> bool:
        """True when the table was read from the cache rather than downloaded now."""
        return self.catalog.from_cache

    @property
    def total(self) -> int:
        """How many rows the whole table has."""
        return len(self.catalog.rows)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column as ExoFOP sent it (``--csv``)."""
        return self.catalog.columns

    @property
    def shown_columns(self) -> list[tuple[str, str]]:
        """The columns for people, ``(name, short header)``, those the table has."""
        return [(name, header) for name, header in SHOWN_COLUMNS[self.kind] if name in self.columns]

    def age_text(self, now: float | None = None) -> str | None:
        """How old the cached copy is (``3.2 h``); None when the table was downloaded now."""
        return human_age(self.catalog.age_seconds(now)) if self.from_cache else None

    @property
    def obtained(self) -> bool:
        """False only when targets were named and none of them is in the table."""
        return len(self.absent) < self.named or not self.named

    @property
    def exit_kinds(self) -> tuple[str, ...]:
        """One ``not_found`` per absent target: the error kinds that decide a command's outcome."""
        return ("not_found",) * len(self.absent)

    def ids(self) -> list[str]:
        """One target per selected row, for pipes (``TOI-1262.01``; ``TIC 287328866`` once per star)."""
        return row_ids(self.kind, self.catalog, self.rows)

    def to_json_rows(self) -> list[dict[str, Any]]:
        """The selected rows as JSON: ``ExoFopToiRow.to_dict()`` for TOIs, every column as sent for CTOIs."""
        if self.kind != "toi":
            return [dict(r) for r in self.rows]
        return [r.to_dict() for r in toi_rows(self.catalog.table._replace(rows=self.rows))]


def check_kind(kind: str) -> str:
    """``kind`` when it names a catalogue (``toi`` or ``ctoi``); ``InvalidInputError`` otherwise."""
    if kind not in endpoints.CATALOGS:
        raise InvalidInputError(f"unknown catalogue {kind!r}: {' or '.join(sorted(endpoints.CATALOGS))}")
    return kind


def max_age_seconds(value: float | str | timedelta | None) -> float:
    """``max_age`` as seconds: a number of seconds, a duration (``1d``, ``12h``) or a ``timedelta``."""
    if value is None:
        return DEFAULT_MAX_AGE_SECONDS
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str):
        from .maintenance import parse_duration

        seconds = parse_duration(value)
    else:
        seconds = float(value)
    if not seconds >= 0:  # also refuses NaN
        raise InvalidInputError(f"max age must be >= 0, got {value!r}")
    return seconds


def human_age(seconds: float) -> str:
    """``42 s``, ``7 min``, ``3.2 h``, ``5.0 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def load_catalog(
    kind: str,
    *,
    store: CatalogStore,
    remote: ExoFopRemote,
    max_age: float | str | timedelta | None = None,
    refresh: bool = False,
    on_start: Callable[[int | None], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> CatalogTable:
    """The ``toi``/``ctoi`` catalogue: cached unless older than ``max_age`` or ``refresh``; see the module."""
    spec = endpoints.CATALOGS[kind]
    limit = max_age_seconds(max_age)
    cached = store.read(kind)
    cached_table = None
    if cached is not None:
        try:
            cached_table = parse_table(
                cached.content, what=spec.description, required=spec.required, trusted=True
            )
        except ExoFopError:
            cached_table = None  # damaged since (a catalogue carries no hash): fetch it again
    if cached is not None and cached_table is not None and not refresh and cached.age_seconds() <= limit:
        return CatalogTable(kind, cached_table, cached.fetched_at, from_cache=True)
    try:
        content, source = remote.catalog(kind, on_start=on_start, on_bytes=on_bytes)
    except (RequestError, OfflineError) as exc:
        if cached is None or cached_table is None:
            raise
        why = "offline" if isinstance(exc, OfflineError) else f"could not refresh it ({exc})"
        note = f"{spec.description}: {why}; using the cached copy from {human_age(cached.age_seconds())} ago"
        return CatalogTable(kind, cached_table, cached.fetched_at, from_cache=True, notes=(note,))
    output = "pipe" if "output=pipe" in source else "csv"
    saved = store.save(kind, content, output=output, source=source)
    table = parse_table(content, what=spec.description, required=spec.required, trusted=True)
    return CatalogTable(kind, table, saved.fetched_at, from_cache=False)


@dataclass(frozen=True)
class CatalogFilter:
    """Which catalogue rows to keep: every given criterion must match; values within one OR.

    ``tics`` and ``ids`` are one criterion (the targets named): a row matches either.
    """

    tics: tuple[int, ...] = ()
    ids: tuple[str, ...] = ()  # TOIs ("1262" a system, "1262.01" a planet) or CTOIs ("287328866.01")
    dispositions: tuple[str, ...] = ()  # TFOPWG Disposition
    tess_dispositions: tuple[str, ...] = ()  # TESS Disposition (TOI) / User Disposition (CTOI)
    sectors: tuple[int, ...] = ()
    # Each target as typed, with the TICs and ids it stands for (to say which name no row at all).
    named: tuple[tuple[str, tuple[int, ...], tuple[str, ...]], ...] = ()


def catalog_filter(
    kind: str,
    *,
    targets: Sequence[str] = (),
    dispositions: Iterable[str] = (),
    tess_dispositions: Iterable[str] = (),
    sectors: Iterable[int] = (),
    resolver: Resolver | None = None,
) -> CatalogFilter:
    """A filter from what the user typed: TICs, TOIs/CTOIs, names (resolved to TICs), comma lists."""
    tics: list[int] = []
    ids: list[str] = []
    named: list[tuple[str, tuple[int, ...], tuple[str, ...]]] = []
    for text in targets:
        before = len(tics), len(ids)
        _add_target(kind, text, tics, ids, resolver)
        named.append((text, tuple(tics[before[0] :]), tuple(ids[before[1] :])))
    return CatalogFilter(
        tics=tuple(tics),
        ids=tuple(ids),
        dispositions=_codes(dispositions),
        tess_dispositions=_codes(tess_dispositions),
        sectors=tuple(sorted(set(sectors))),
        named=tuple(named),
    )


def _add_target(kind: str, text: str, tics: list[int], ids: list[str], resolver: Resolver | None) -> None:
    """The TICs and TOI/CTOI ids one typed target stands for, appended to ``tics`` and ``ids``."""
    ctoi = re.match(_CTOI_ID, text.strip(), re.I)
    if kind == "ctoi" and ctoi and len(ctoi.group(1)) > 6:
        ids.append(f"{int(ctoi.group(1))}.{ctoi.group(2).ljust(2, '0')}")
        return
    query = parse_target(text)
    if query.kind == "tic" and query.tic_id is not None:
        tics.append(query.tic_id)
        if kind == "toi" and text.strip().isdigit():
            ids.append(text.strip())  # a bare number names a TOI system as well as a TIC
    elif query.kind == "toi" and query.toi is not None and kind == "toi":
        ids.append(query.toi)
    elif resolver is not None:
        tics.append(resolver.tic_for(text)[0])  # a name (or a TOI in the CTOI table): its star
    else:
        raise InvalidInputError(f"cannot look up {text!r} in the {kind.upper()} table")


def absent_targets(catalog: CatalogTable, flt: CatalogFilter) -> list[str]:
    """The targets, as typed, that no row of the whole table names (whatever the other filters keep)."""
    table, spec = catalog.table, endpoints.CATALOGS[catalog.kind]
    tic_col, id_col = table.column("TIC ID", "TIC"), table.column(spec.id_column)
    present_tics = {to_int(r.get(tic_col or "")) for r in table.rows} if tic_col else set()
    out = []
    for text, tics, ids in flt.named:
        wanted = {normalize_toi_cell(i) or i for i in ids}
        if any(t in present_tics for t in tics):
            continue
        if wanted and any(_id_matches(r.get(id_col or ""), wanted) for r in table.rows):
            continue
        out.append(text)
    return out


def select_catalog(
    catalog: CatalogTable,
    *,
    targets: Sequence[str] = (),
    dispositions: Iterable[str] = (),
    other_dispositions: Iterable[str] = (),
    sectors: Iterable[int] = (),
    resolver: Resolver | None = None,
) -> CatalogSelection:
    """The rows the filters keep and the named targets the table lacks (see ``catalog_filter``)."""
    flt = catalog_filter(
        catalog.kind,
        targets=targets,
        dispositions=dispositions,
        tess_dispositions=other_dispositions,
        sectors=sectors,
        resolver=resolver,
    )
    rows = select_catalog_rows(catalog, flt)
    return CatalogSelection(
        catalog, tuple(rows), absent=tuple(absent_targets(catalog, flt)), named=len(flt.named)
    )


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip().upper() for value in values for v in value.split(",") if v.strip()))


def select_catalog_rows(catalog: CatalogTable, flt: CatalogFilter) -> list[dict[str, str | None]]:
    """The rows the filter keeps (pure); ``InvalidInputError`` naming the valid values of a bad one."""
    table, kind = catalog.table, catalog.kind
    spec = endpoints.CATALOGS[kind]
    tic_col, id_col = table.column("TIC ID", "TIC"), table.column(spec.id_column)
    disp_col = table.column(*TFOPWG_DISPOSITION)
    other_col = table.column(*(TESS_DISPOSITION if kind == "toi" else USER_DISPOSITION))
    sector_col = table.column(*SECTORS)
    _check_codes(flt.dispositions, table, disp_col, "--disposition", "TFOPWG Disposition")
    _check_codes(flt.tess_dispositions, table, other_col, _other_option(kind), "disposition")
    if flt.sectors:
        if sector_col is None:
            raise InvalidInputError(f"the {kind.upper()} table has no Sectors column: --sector cannot apply")
        known = set().union(*(sectors_of(r.get(sector_col)) for r in table.rows))
        unknown = [s for s in flt.sectors if s not in known]
        if unknown:
            raise InvalidInputError(
                f"no {kind.upper()} was observed in sector {', '.join(map(str, unknown))}",
                hint=f"sectors in the table: {_ranges(sorted(known))}",
            )
    wanted_ids = {normalize_toi_cell(i) or i for i in flt.ids}
    out = []
    for row in table.rows:
        if (flt.tics or wanted_ids) and not (
            to_int(row.get(tic_col or "")) in flt.tics or _id_matches(row.get(id_col or ""), wanted_ids)
        ):
            continue
        if flt.dispositions and (row.get(disp_col or "") or "").strip().upper() not in flt.dispositions:
            continue
        if (
            flt.tess_dispositions
            and (row.get(other_col or "") or "").strip().upper() not in flt.tess_dispositions
        ):
            continue
        if flt.sectors and not sectors_of(row.get(sector_col or "")) & set(flt.sectors):
            continue
        out.append(row)
    return out


def _other_option(kind: str) -> str:
    return "--tess-disposition" if kind == "toi" else "--user-disposition"


def _check_codes(wanted: Sequence[str], table: Table, column: str | None, option: str, name: str) -> None:
    if not wanted:
        return
    if column is None:
        raise InvalidInputError(f"the table has no {name} column: {option} cannot apply")
    valid = sorted({*endpoints.KNOWN_DISPOSITIONS, *(v.upper() for v in distinct(table.rows, column))})
    unknown = [w for w in wanted if w not in valid]
    if unknown:
        raise InvalidInputError(
            f"unknown {option} value(s): {', '.join(unknown)}", hint=f"valid values: {', '.join(valid)}"
        )


def _id_matches(cell: str | None, wanted: set[str]) -> bool:
    value = normalize_toi_cell(cell) or (cell or "").strip()
    if not value:
        return False
    if value in wanted:
        return True
    head = value.split(".", 1)[0]
    return head in wanted  # a bare TOI number names the whole system (125 → 125.01, 125.02)


def _ranges(numbers: Sequence[int]) -> str:
    """``1-3, 5, 7-9``."""
    parts: list[str] = []
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    for run in runs:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ", ".join(parts)


def row_ids(kind: str, catalog: CatalogTable, rows: Iterable[dict[str, str | None]]) -> list[str]:
    """One target per row for pipes: ``TOI-1262.01`` (TOI table), ``TIC 287328866`` (CTOI table, unique)."""
    table = catalog.table
    if kind == "toi":
        col = table.column("TOI")
        return [f"TOI-{t}" for r in rows if (t := normalize_toi_cell(r.get(col or "")))]
    tic_col = table.column("TIC ID", "TIC")
    return list(
        dict.fromkeys(f"TIC {tic}" for r in rows if (tic := to_int(r.get(tic_col or ""))) is not None)
    )


def find_toi_row(
    catalog: CatalogTable, *, tic_id: int | None = None, toi: str | float | None = None
) -> ExoFopToiRow | None:
    """The TOI row of a star (its lowest TOI) or of one TOI; None when the table has none."""
    if tic_id is None and toi is None:
        raise InvalidInputError("give tic_id, toi or both")
    if isinstance(toi, bool) or (toi is not None and not isinstance(toi, (str, int, float))):
        raise InvalidInputError(f"invalid TOI {toi!r}: give it as text, e.g. '1262.01'")
    if isinstance(toi, float):
        # A TOI as a float (tess-vetter's type) has two decimals that a float may print as one: 500.1 is 500.10.
        toi = f"{toi:.2f}" if math.isfinite(toi) and toi > 0 else repr(toi)
    elif isinstance(toi, int):
        toi = str(toi)
    wanted = normalize_toi_cell(toi) if toi is not None else None
    if toi is not None and wanted is None:
        raise InvalidInputError(f"invalid TOI {toi!r}")
    matches = [
        r
        for r in catalog.toi_rows()
        if (tic_id is None or r.tic_id == tic_id)
        and (wanted is None or r.toi == wanted or (r.toi or "").split(".")[0] == wanted)
    ]
    from ..targets import toi_sort_key

    matches.sort(key=lambda r: toi_sort_key(r.toi or ""))
    return matches[0] if matches else None
