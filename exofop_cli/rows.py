"""Typed rows of ExoFOP's catalogue tables and observing notes (``ExoFopToiRow``, ``ExoFopObsNoteRow``).

Frozen dataclasses with tess-vetter's field names and order (code written against its ``exofop`` module uses
them). Apart from ``models`` so that a warm ``fetch``, which needs neither, does not create them at start-up.
Each keeps the row as ExoFOP sent it in ``raw`` (column name → cell), since catalogue headers change.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExoFopToiRow:
    """One row of the TOI table (``download_toi.php``): one planet candidate."""

    tic_id: int
    toi: str | None
    tfopwg_disposition: str | None
    planet_disposition: str | None  # the TESS project's disposition ("TESS Disposition")
    comments: str | None
    raw: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape (``exofop toi --json``): the typed fields, then every column as sent."""
        return {
            "tic_id": self.tic_id,
            "toi": self.toi,
            "tfopwg_disposition": self.tfopwg_disposition,
            "planet_disposition": self.planet_disposition,
            "comments": self.comments,
            "raw": dict(self.raw),
        }


@dataclass(frozen=True)
class ExoFopObsNoteRow:
    """One observing note (``download_obsnotes.php``), its HTML turned into plain text."""

    tic_id: int
    author: str | None
    date_utc: str | None
    data_tag: str | None
    text: str
    note_id: int | None = None
    group: str | None = None
    raw: dict[str, str | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: the typed fields and the row as sent (the note's HTML included)."""
        return {
            "tic_id": self.tic_id,
            "author": self.author,
            "date_utc": self.date_utc,
            "data_tag": self.data_tag,
            "text": self.text,
            "note_id": self.note_id,
            "group": self.group,
            "raw": dict(self.raw or {}),
        }
