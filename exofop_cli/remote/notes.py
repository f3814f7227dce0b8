"""Observing notes (``download_obsnotes.php``): typed rows, their HTML turned into plain text.

Real notes (reference §7, ExoNotes) hold HTML: ``&nbsp;`` in ~72% of rows, ``<!DOCTYPE html>`` documents,
inline ``<span style=…>``, unterminated tags (``<a target="_blank"``), raw newlines and literal ``|``. Plain
``<`` also occurs in science text ("depth <1 ppt"), so only ``<`` followed by a letter, ``/`` or ``!`` opens
a tag.
"""

from __future__ import annotations

import html
import re

from ..rows import ExoFopObsNoteRow
from .tables import Table, to_int

_BLOCKS = re.compile(r"(?is)<(script|style|head|title)\b.*?</\1\s*>")
_COMMENTS = re.compile(r"(?s)<!--.*?(?:-->|$)|<![^>]*>")
_BREAKS = re.compile(r"(?i)<br\s*/?>|</?(?:p|div|li|tr|h[1-6]|ul|ol|table|blockquote|pre)\b[^>]*>")
_TAGS = re.compile(r"</?[A-Za-z][^<>]*(?:>|$)")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def html_to_text(value: str) -> str:
    """Plain text of a note: tags dropped, entities decoded, line breaks kept (``<br>``, paragraphs, newlines)."""
    text = _BLOCKS.sub("", value)
    text = _COMMENTS.sub("", text)
    text = _BREAKS.sub("\n", text)
    text = _TAGS.sub("", text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def obs_note_rows(table: Table, *, tic_id: int) -> list[ExoFopObsNoteRow]:
    """The notes of an obsnotes table (header ``ID, TIC ID, Username, Groupname, TAG ID, Lastmod, notes``)."""
    cols = {
        key: table.column(*names)
        for key, names in {
            "id": ("ID", "Note ID"),
            "tic": ("TIC ID", "TIC"),
            "user": ("Username", "User", "Author"),
            "group": ("Groupname", "Group"),
            "tag": ("TAG ID", "Tag", "Data Tag"),
            "date": ("Lastmod", "Date", "Date (UTC)"),
            "text": ("notes", "Note", "Notes", "Comments"),
        }.items()
    }
    out = []
    for row in table.rows:

        def get(key: str, row: dict[str, str | None] = row) -> str | None:
            col = cols[key]
            return row.get(col) if col is not None else None

        out.append(
            ExoFopObsNoteRow(
                tic_id=to_int(get("tic")) or tic_id,
                author=get("user"),
                date_utc=get("date"),
                data_tag=get("tag"),
                text=html_to_text(get("text") or ""),
                note_id=to_int(get("id")),
                group=get("group"),
                raw=dict(row),
            )
        )
    return out
