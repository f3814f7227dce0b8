"""Decide, then act: pure functions that choose files and what to do with each (no I/O, no network).

Modelled on pooch's ``download_action``: the executor only carries out what these functions decided, so
every decision is unit-testable without a server or a disk.
"""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Literal

from ..models import ExoFopFileRow, ExoFopSelectors
from ..remote.tables import Table, to_int
from ..store.records import RecordState

Action = Literal["download", "rehash", "skip"]
# What a fetch would do with one selected file, as ``fetch --dry-run`` shows it.
FileAction = Literal["download", "cached", "rehash", "needs_login"]

# Summary tables whose rows describe observations that uploaded files belong to (joined by Tag).
OBSERVATION_KINDS = ("imaging", "spect", "tseries")
_INSTRUMENT_COLUMNS = ("Instrument", "Camera")
_TELESCOPE_COLUMNS = ("Telescope",)
# The file list's Date format is a GUESS (reference §2: YYYY-MM-DD); a time, slashes and the US
# MM/DD/YYYY order are read too, so "newest" never depends on comparing dates as text.
_DATE = (
    r"^\s*(?:(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})|(?P<us_m>\d{1,2})/(?P<us_d>\d{1,2})/(?P<us_y>\d{4}))"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)


def download_action(state: RecordState, *, force: bool = False, verify: bool = False) -> Action:
    """``download`` if missing/changed/forced; ``rehash`` if only the mtime moved (or verify); else ``skip``."""
    if force or state.record_size is None or state.disk_size is None:
        return "download"
    if state.disk_size != state.record_size:
        return "download"
    if verify or state.disk_mtime_ns != state.record_mtime_ns:
        # Same size but touched (copied cache, restored backup): re-hash rather than trust or re-download.
        return "rehash"
    return "skip"


def file_actions(
    rows: Sequence[ExoFopFileRow],
    states: Mapping[int, RecordState],
    *,
    refused: Collection[int] = (),
    force: bool = False,
    verify: bool = False,
) -> list[tuple[ExoFopFileRow, FileAction]]:
    """Per selected row: ``download``, ``cached``, ``rehash`` (checked by its sha256) or ``needs_login``.

    ``refused`` holds the files a past anonymous run was refused for lack of a login and that are not asked
    for again (the caller empties it when the user has a session or asks for a refresh).
    """
    out: list[tuple[ExoFopFileRow, FileAction]] = []
    for row in rows:
        action = download_action(states[row.file_id], force=force, verify=verify)
        if action == "download" and row.file_id in refused:
            out.append((row, "needs_login"))
        else:
            out.append((row, "cached" if action == "skip" else action))
    return out


def observation_index(tables: Mapping[str, Table]) -> dict[int, tuple[set[str], set[str]]]:
    """Tag → (instruments, telescopes) from the imaging/spectroscopy/time-series summary tables."""
    index: dict[int, tuple[set[str], set[str]]] = {}
    for kind in OBSERVATION_KINDS:
        table = tables.get(kind)
        if table is None:
            continue
        tag_col = table.column("Tag", "TAG ID")
        if tag_col is None:
            continue
        inst_cols = [c for c in (table.column(name) for name in _INSTRUMENT_COLUMNS) if c]
        tel_cols = [c for c in (table.column(name) for name in _TELESCOPE_COLUMNS) if c]
        for row in table.rows:
            tag = to_int(row.get(tag_col))
            if tag is None:
                continue
            instruments, telescopes = index.setdefault(tag, (set(), set()))
            instruments.update(v for c in inst_cols if (v := row.get(c)))
            telescopes.update(v for c in tel_cols if (v := row.get(c)))
    return index


def _any_substring(needles: Sequence[str], haystack: Iterable[str]) -> bool:
    hay = [h.casefold() for h in haystack]
    return any(n.casefold() in h for n in needles for h in hay)


def select_rows(
    rows: Sequence[ExoFopFileRow],
    selectors: ExoFopSelectors | None,
    *,
    observations: Mapping[int, tuple[set[str], set[str]]] | None = None,
) -> list[ExoFopFileRow]:
    """Rows matching every selector; ``max_files`` keeps the newest (by date, then file id)."""
    if selectors is None:
        return list(rows)
    chosen = [r for r in rows if selectors.matches_row(r)]
    if selectors.needs_summaries:
        obs = observations or {}

        def joined(row: ExoFopFileRow) -> bool:
            if not isinstance(row.tag, int) or row.tag not in obs:
                return False
            instruments, telescopes = obs[row.tag]
            if selectors.instruments and not _any_substring(selectors.instruments, instruments):
                return False
            return not (selectors.telescopes and not _any_substring(selectors.telescopes, telescopes))

        chosen = [r for r in chosen if joined(r)]
    if selectors.max_files is not None:
        import heapq

        # nlargest keeps max_files keys, not one per row (a million-row list would need ~180 MB of them).
        newest = heapq.nlargest(
            selectors.max_files, chosen, key=lambda r: (date_sort_key(r.date_utc), r.file_id)
        )
        keep = {r.file_id for r in newest}
        chosen = [r for r in chosen if r.file_id in keep]
    return chosen


def empty_selection_note(
    rows: Sequence[ExoFopFileRow],
    selectors: ExoFopSelectors | None,
    *,
    observations: Mapping[int, tuple[set[str], set[str]]] | None = None,
) -> str | None:
    """Why a selection picked nothing from a star that has files, and what the star does have; else None.

    A selection that matches nothing is most often a typo (``--types Spectra``): it must not pass for "this
    star has no such file". The note names the criteria that alone match nothing, with the types,
    instruments or telescopes the star does have (counts, the closest spelling), or says that each criterion
    matches some files but never together.
    """
    if selectors is None or not rows or select_rows(rows, selectors, observations=observations):
        return None
    obs = observations or {}
    tagged = [obs[r.tag] for r in rows if isinstance(r.tag, int) and r.tag in obs]
    facts: dict[str, tuple[dict[str, Any], str]] = {}
    if selectors.types:
        have = [r.type or "(no type)" for r in rows]
        facts[f"--types {','.join(sorted(selectors.types))}"] = (
            {"types": selectors.types},
            _have("types", have, selectors.types),
        )
    if selectors.filename_regex is not None:
        facts[f"--regex {selectors.filename_regex}"] = ({"filename_regex": selectors.filename_regex}, "")
    if selectors.tag_ids:
        tags = [str(r.tag) for r in rows if r.tag is not None]
        facts[f"--tag {','.join(map(str, sorted(selectors.tag_ids)))}"] = (
            {"tag_ids": selectors.tag_ids},
            _have("tags", tags, ()),
        )
    if selectors.instruments:
        have = [i for instruments, _ in tagged for i in instruments]
        facts[f"--instrument {','.join(selectors.instruments)}"] = (
            {"instruments": selectors.instruments},
            _have("instruments", have, selectors.instruments),
        )
    if selectors.telescopes:
        have = [t for _, telescopes in tagged for t in telescopes]
        facts[f"--telescope {','.join(selectors.telescopes)}"] = (
            {"telescopes": selectors.telescopes},
            _have("telescopes", have, selectors.telescopes),
        )
    alone = {
        label: select_rows(rows, ExoFopSelectors(**fields), observations=observations)
        for label, (fields, _) in facts.items()
    }
    empty = [label for label, chosen in alone.items() if not chosen]
    head = f"no file of the {len(rows)} listed matches"
    if not empty:
        return f"{head} {' and '.join(alone)} together (each alone matches some)"
    return f"{head} " + "; ".join(
        label + (f" (this star's {facts[label][1]})" if facts[label][1] else "") for label in empty
    )


def _have(what: str, values: Sequence[str], wanted: Iterable[str]) -> str:
    """``types: Spectrum (4), Image (3); did you mean Spectrum?``"""
    if not values:
        return f"{what}: none listed"
    text = f"{what}: {_counts(values)}"
    guess = _closest(wanted, sorted(set(values)))
    return text + (f"; did you mean {guess}?" if guess else "")


def _counts(values: Iterable[str]) -> str:
    """``Spectrum (4), Image (3)``: most common first."""
    from collections import Counter

    return ", ".join(f"{value} ({n})" for value, n in Counter(values).most_common())


def _closest(wanted: Iterable[str], known: Sequence[str]) -> str | None:
    import difflib

    for word in wanted:
        if word in known:
            continue
        match = difflib.get_close_matches(word.casefold(), [k.casefold() for k in known], n=1, cutoff=0.6)
        if match:
            return next(k for k in known if k.casefold() == match[0])
    return None


def date_sort_key(text: str | None) -> tuple[int, ...]:
    """(year, month, day, hour, minute, second) of a file-list date; () when unreadable (sorts oldest)."""
    match = re.match(_DATE, text or "")  # a string: compiled (and cached by re) on first use only
    if match is None:
        return ()
    g = match.groupdict()
    date = (g["y"], g["m"], g["d"]) if g["y"] else (g["us_y"], g["us_m"], g["us_d"])
    return tuple(int(v or 0) for v in (*date, g["H"], g["M"], g["S"]))


def archive_choice(
    mode: str | None,
    *,
    wanted: Sequence[ExoFopFileRow],
    listed: Sequence[ExoFopFileRow],
    refused: Collection[int],
    jobs: int,
) -> str | None:
    """Which archive (``zip``/``tar``) to take the ``wanted`` files from, or None for one by one.

    ``zip``/``tar`` are the user's choice. ``auto`` takes the zip only when it saves round trips without
    extra bytes: more files than ``jobs`` parallel requests fetch in one round, and every listed file that
    can be had (not refused for lack of a login) is wanted, so the archive carries nothing unwanted.
    """
    if mode in ("zip", "tar"):
        return mode
    if mode != "auto" or len(wanted) <= jobs:
        return None
    obtainable = {r.file_id for r in listed if r.file_id not in refused}
    return "zip" if obtainable <= {r.file_id for r in wanted} else None


def speculate_archive(mode: str | None, *, selectors: ExoFopSelectors | None, cached_anything: bool) -> bool:
    """Start the star's zip alongside its file list? Only with ``auto`` for a whole star seen for the first time.

    Then every file will be wanted (no selection, nothing cached), and waiting for the list before asking for
    the archive would cost a round trip. Files the archive lacks are fetched by id afterwards.
    """
    return mode == "auto" and (selectors is None or selectors.selects_all) and not cached_anything
