"""Results of ``browse.list_files`` and ``browse.collect_summaries`` (row objects for ``ls`` and ``summaries``).

Apart from ``models`` so that a warm ``fetch``, which needs neither, does not build them at start-up; no
``from __future__ import annotations`` for the reason given in ``models``.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ExoFopError, OfflineError, RequestError
from ..models import ExoFopFileRow, FetchIssue

if TYPE_CHECKING:
    from ..remote.tables import Table


class FileListing(NamedTuple):
    """Result of ``list_files``: rows, and the cached path of each row already downloaded.

    ``to_pandas()``/``to_astropy()`` give the ``to_rows()`` table (file-list fields, ``cached``, ``path``).
    """

    tic_id: int
    rows: tuple[ExoFopFileRow, ...]
    cached: dict[int, Path]
    warnings: tuple[str, ...] = ()

    def to_rows(self) -> list[dict[str, Any]]:
        """JSON rows (the file-list fields plus ``cached`` and ``path``)."""
        out = []
        for row in self.rows:
            path = self.cached.get(row.file_id)
            out.append({**row.to_dict(), "cached": path is not None, "path": str(path) if path else None})
        return out

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (needs pandas), one column per ``to_rows()`` key."""
        from ..frames import to_pandas

        columns, rows, kinds = self._frame_parts()
        return to_pandas(columns, rows, kinds=kinds)

    def to_astropy(self) -> Any:
        """The rows as an ``astropy.table.Table`` (needs astropy), one column per ``to_rows()`` key."""
        from ..frames import to_astropy

        columns, rows, kinds = self._frame_parts()
        return to_astropy(columns, rows, kinds=kinds)

    def _frame_parts(self) -> tuple[list[str], list[dict[str, Any]], dict[str, str]]:
        # Typed by ExoFopFileRow's fields, so a TOI stays "1262.10"; an empty listing keeps its columns.
        from ..frames import dict_columns, row_kinds

        kinds = {**row_kinds(ExoFopFileRow), "cached": "bool", "path": "str"}
        rows = self.to_rows()
        return dict_columns(rows, kinds), rows, kinds


class SummariesResult(NamedTuple):
    """Result of ``collect_summaries``: tables by kind, the kinds that failed, and the hints of those
    failures (each once: what to try, as the CLI prints after the error lines)."""

    tic_id: int
    tables: "dict[str, Table]"
    errors: tuple[FetchIssue, ...] = ()
    hints: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # warnings for the user (a failed refresh served from the cache)

    def to_dict(self) -> dict[str, list[dict[str, str | None]]]:
        """``{kind: [row objects]}`` as shown (``display_rows``: notes as plain text, like every output of
        ``exofop summaries``); the cached table and ``summary_tables`` keep ExoFOP's HTML."""
        return {kind: self.display_rows(kind) for kind in self.tables}

    def display_rows(self, kind: str) -> list[dict[str, str | None]]:
        """Rows of one table for people: observing notes as plain text (their HTML turned into text)."""
        table = self.tables[kind]
        rows = [dict(r) for r in table.rows]
        column = table.column("notes") if kind == "obsnotes" else None
        if column is not None:
            from ..remote.notes import html_to_text

            for row in rows:
                if row.get(column):
                    row[column] = html_to_text(row[column] or "")
        return rows


def issue_from(exc: BaseException, *, file_id: int | None = None, endpoint: str | None = None) -> FetchIssue:
    """A manifest error object for an exception."""
    if isinstance(exc, RequestError):
        return FetchIssue(
            kind=exc.kind, message=exc.message, file_id=file_id, endpoint=exc.endpoint or endpoint
        )
    if isinstance(exc, OfflineError):
        return FetchIssue(kind="network", message=exc.message, file_id=file_id, endpoint=endpoint)
    if isinstance(exc, ExoFopError):
        return FetchIssue(kind="invalid_response", message=exc.message, file_id=file_id, endpoint=endpoint)
    return FetchIssue(
        kind="invalid_response", message=f"{type(exc).__name__}: {exc}", file_id=file_id, endpoint=endpoint
    )
