"""Files ExoFOP refused for lack of a login: ``.state/refused/<file_id>.json``, one note per file.

A refused file is not asked for again anonymously (a warm run stays offline and the manifest unchanged)
until the user has a session or asks with ``--refresh``/``--force``. A note keeps the fingerprint of the
session it was refused under (``session``, none when anonymous): a refusal under a login holds for that same
login too (a stale or insufficient session cookie is refused again), not for a new one. Without it, every
run with a stale saved jar asked again, and ``fetch --dry-run`` said "download" for a file noted as refused. One file per id, written or removed only
for the files a run selected: two fetches of one star at once each touch their own selection, so neither
erases what the other learnt (no lock).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import Any

from ..errors import CacheError
from ..models import ExoFopFileRow, FetchIssue
from .atomic import ensure_dir, read_json, write_json_if_changed
from .layout import TargetLayout


def previous_auth_failures(manifest: Any) -> dict[int, FetchIssue]:
    """``auth_required`` file errors recorded in a manifest (as read from disk), by file id."""
    out: dict[int, FetchIssue] = {}
    errors = manifest.get("errors") if isinstance(manifest, dict) else None
    for err in errors if isinstance(errors, list) else []:
        if (
            isinstance(err, dict)
            and err.get("kind") == "auth_required"
            and isinstance(err.get("file_id"), int)
        ):
            out[err["file_id"]] = FetchIssue(
                kind="auth_required",
                message=str(err.get("message", "")),
                file_id=err["file_id"],
                endpoint=err.get("endpoint"),
            )
    return out


def remembered_refusals(
    layout: TargetLayout, manifest: Any, *, session: str | None = None
) -> dict[int, FetchIssue]:
    """Refusals known for this star that hold for a run with ``session`` (None: anonymous, when every
    refusal holds): from its manifest (older caches: anonymous ones) and the notes on disk."""
    older = previous_auth_failures(manifest) if session is None else {}
    return {**older, **_notes_on_disk(layout, session)}


def _notes_on_disk(layout: TargetLayout, session: str | None) -> dict[int, FetchIssue]:
    """The refusals noted in ``.state/refused/`` that hold for ``session`` (hand-edited or damaged notes are
    ignored). Reading writes nothing (``fetch --dry-run`` reads this too).

    A ``.state/refused.json`` list (written by one earlier development build) is read as anonymous notes,
    and turned into notes by the next ``remember_refusals``.
    """
    try:
        names = os.listdir(layout.refused_dir)
    except OSError:
        names = []
    notes = [read_json(layout.refused_dir / n) for n in sorted(names) if n.endswith(".json")]
    if session is not None:
        notes = [n for n in notes if isinstance(n, dict) and n.get("session") == session]
    found = previous_auth_failures({"errors": notes})
    legacy = _legacy_notes(layout) if session is None else {}
    return {**legacy, **found}


def _legacy_notes(layout: TargetLayout) -> dict[int, FetchIssue]:
    legacy = layout.root / ".state" / "refused.json"
    return previous_auth_failures({"errors": read_json(legacy)}) if legacy.exists() else {}


def _migrate_legacy(layout: TargetLayout) -> None:
    """Turn a ``.state/refused.json`` list into notes (a write: only from ``remember_refusals``)."""
    legacy = layout.root / ".state" / "refused.json"
    if legacy.exists():
        for file_id, issue in _legacy_notes(layout).items():
            _write_note(layout, file_id, issue, only_if_absent=True)
        with contextlib.suppress(OSError):
            legacy.unlink()


def remember_refusals(
    layout: TargetLayout,
    selected: Iterable[ExoFopFileRow],
    errors: Iterable[FetchIssue],
    *,
    session: str | None = None,
) -> None:
    """Note this run's refusals (under ``session``) and forget those of its selected files not refused."""
    _migrate_legacy(layout)
    refused = {e.file_id: e for e in errors if e.kind == "auth_required" and e.file_id is not None}
    for row in selected:
        _write_note(layout, row.file_id, refused.get(row.file_id), session=session)


def _write_note(
    layout: TargetLayout,
    file_id: int,
    issue: FetchIssue | None,
    *,
    only_if_absent: bool = False,
    session: str | None = None,
) -> None:
    """Write (or, for None, remove) one file's refusal note; a note that cannot be kept costs one request."""
    path = layout.refused_path(file_id)
    with contextlib.suppress(OSError, CacheError):
        if issue is None:
            path.unlink(missing_ok=True)
        elif not (only_if_absent and path.exists()):
            ensure_dir(layout.refused_dir)
            note = issue.to_dict() if session is None else {**issue.to_dict(), "session": session}
            write_json_if_changed(path, note)
