"""Read-only views of one star: its file list, its summary tables, a listing with what is cached.

Each comes from the cache unless it is missing, damaged since it was cached, or a refresh is asked for;
a refresh that fails falls back to the cached copy and says so, as ``fetch`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidInputError, OfflineError, RequestError
from ..remote import endpoints
from .results import FileListing, SummariesResult, issue_from

if TYPE_CHECKING:
    from ..models import ExoFopFileRow, ExoFopSelectors
    from ..remote.service import ExoFopRemote
    from ..remote.tables import Table
    from ..store.cache import CacheStore, TargetStore
    from .resolve import Resolver


def fetch_filelist(store: TargetStore, remote: ExoFopRemote) -> tuple[list[ExoFopFileRow], list[str]]:
    """Download the star's file index and keep it as ``filelist.csv``; its rows and the parser's warnings.

    Streamed to a temp file and parsed from there before it takes the final name (a bad answer never
    replaces a good copy), so that a list of a million rows is never in memory as text.
    """
    from ..remote.filelist import parse_filelist
    from ..store.atomic import AtomicWriter, ensure_dir

    parsed: list[tuple[list[ExoFopFileRow], list[str]]] = []

    def check(path: Path) -> None:
        parsed.append(parse_filelist(path, tic_id=store.tic_id, trusted=True))  # sniffed while streaming

    ensure_dir(store.layout.root)
    remote.filelist_into(store.tic_id, lambda: AtomicWriter(store.layout.filelist, check=check))
    return parsed[-1]


def fetch_summary(store: TargetStore, remote: ExoFopRemote, kind: str) -> bytes:
    """Download one summary table, checked, and keep it under ``summaries/``."""
    content = remote.summary(store.tic_id, kind)
    store.save_summary(kind, content)
    return content


def file_list(
    store: TargetStore, remote: ExoFopRemote, *, refresh: bool = False
) -> tuple[list[ExoFopFileRow], list[str]]:
    """The star's file index and the parser's warnings; from the cache unless missing, damaged or ``refresh``."""
    cached = store.read_filelist()
    if cached is not None and not refresh:
        return cached
    try:
        return fetch_filelist(store, remote)
    except (RequestError, OfflineError) as exc:
        if cached is None:
            store.forget_if_unknown()  # nothing was had: leave no empty folder for `cache ls` to list
            raise
        rows, warnings = cached
        return rows, [f"could not refresh the file list ({exc}); using the cached copy", *warnings]


def summary_kinds(kinds: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Summary kinds asked for: one as a string, several, or (None or empty) all; unknown ones refused."""
    if not kinds:
        return endpoints.SUMMARY_KINDS
    wanted = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in wanted if k not in endpoints.SUMMARIES]
    if unknown:
        raise InvalidInputError(
            f"unknown summary kind(s): {', '.join(unknown)}",
            hint="choose from " + ", ".join(endpoints.SUMMARY_KINDS),
        )
    return wanted


def summary_tables(
    store: TargetStore,
    remote: ExoFopRemote,
    *,
    kinds: str | list[str] | tuple[str, ...] | None = None,
    refresh: bool = False,
) -> dict[str, Table]:
    """Summary tables by kind (``spect``, ``imaging``...); from the cache unless missing, damaged or ``refresh``."""
    from ..remote.tables import parse_table

    out: dict[str, Table] = {}
    for kind in summary_kinds(kinds):
        table = None if refresh else store.read_summary(kind)
        if table is None:
            spec = endpoints.SUMMARIES[kind]
            data = fetch_summary(store, remote, kind)
            table = parse_table(data, what=f"the {kind} table", endpoint=spec.endpoint)
        out[kind] = table
    return out


def list_files(
    *,
    resolver: Resolver,
    cache: CacheStore,
    target: str | int,
    selectors: ExoFopSelectors | None = None,
    refresh: bool = False,
) -> FileListing:
    """The selected rows of a target's file index, each with its cached path if downloaded."""
    from ..store.records import valid_records
    from .plan import OBSERVATION_KINDS, empty_selection_note, observation_index, select_rows

    tic, _ = resolver.tic_for(target)
    store = cache.target(tic)
    rows, warnings = file_list(store, resolver.remote, refresh=refresh)
    if not rows:
        resolver.check_known(store)
    observations = None
    if selectors is not None and selectors.needs_summaries:
        tables = summary_tables(store, resolver.remote, kinds=OBSERVATION_KINDS, refresh=refresh)
        observations = observation_index(tables)
    layout = store.layout
    cached = {int(r["file_id"]): layout.root / r["path"] for r in valid_records(layout)}
    chosen = select_rows(rows, selectors, observations=observations)
    note = None if chosen else empty_selection_note(rows, selectors, observations=observations)
    if note:
        warnings = [*warnings, note]
    return FileListing(tic_id=tic, rows=tuple(chosen), cached=cached, warnings=tuple(warnings))


def collect_summaries(
    *,
    resolver: Resolver,
    cache: CacheStore,
    target: str | int,
    kinds: list[str] | tuple[str, ...] | None = None,
    refresh: bool = False,
) -> SummariesResult:
    """Every requested summary table; one that fails is reported and the others still come (a failed
    ``refresh`` of a cached table serves the cached copy, said in ``notes``).

    When every table failed for one reason (no network, a base URL that is not ExoFOP), that error is raised
    once, with its hint, rather than reported once per table.
    """
    tic, _ = resolver.tic_for(target)
    store = cache.target(tic)
    tables: dict[str, Table] = {}
    failures: dict[str, RequestError | OfflineError] = {}
    notes: list[str] = []
    for kind in summary_kinds(kinds):
        try:
            tables.update(summary_tables(store, resolver.remote, kinds=(kind,), refresh=refresh))
        except (RequestError, OfflineError) as exc:
            stale = store.read_summary(kind) if refresh else None
            if stale is None:
                failures[kind] = exc
                continue
            # As `ls --refresh` and `fetch --refresh` do: a failed refresh keeps, and shows, the cached copy.
            tables[kind] = stale
            notes.append(f"could not refresh the {kind} table ({exc}); using the cached copy")
    if failures and not tables:
        common = _one_reason(failures)
        if common is not None:
            raise common
    if not failures and not any(t.rows for t in tables.values()):
        resolver.check_known(store)
    errors = tuple(issue_from(exc, endpoint=endpoints.SUMMARIES[k].endpoint) for k, exc in failures.items())
    hints = tuple(dict.fromkeys(exc.hint for exc in failures.values() if exc.hint))
    return SummariesResult(tic_id=tic, tables=tables, errors=errors, hints=hints, notes=tuple(notes))


def _one_reason(failures: dict[str, RequestError | OfflineError]) -> RequestError | OfflineError | None:
    """The one error behind every failed table (its message naming "the summary tables"), or None when the
    tables failed in different ways. Messages are compared without the table and script each one names."""
    import copy

    def general(kind: str, message: str) -> str:
        return message.replace(f"the {kind} table", "the summary tables")

    def reason(kind: str, exc: Exception) -> tuple[type, str]:
        return type(exc), general(kind, str(exc)).replace(endpoints.SUMMARIES[kind].endpoint, "")

    if len({reason(kind, exc) for kind, exc in failures.items()}) != 1:
        return None
    kind, first = next(iter(failures.items()))
    if len(failures) == 1:
        return first
    common = copy.copy(first)
    common.message = general(kind, first.message)
    common.args = (common.message,)
    return common
