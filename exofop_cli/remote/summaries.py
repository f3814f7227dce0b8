"""Validate a per-star summary table answer (``download_spect.php``, ``download_stellar.php``...)."""

from __future__ import annotations

from ..errors import InvalidResponseError
from .endpoints import SummarySpec
from .tables import Table, parse_table


def check_summary_table(content: bytes, spec: SummarySpec) -> Table:
    """``content`` parsed as the summary table ``spec`` describes; ``InvalidResponseError`` when it is not.

    An empty body is not an empty table: ExoFOP answers "no rows" with the header alone (51 bytes for obs
    notes, reference §7) and sends an empty body when it throttles. Caches written by older versions may
    hold such a body: it reads as damaged here, so it is fetched again instead of replayed.
    """
    if not content.strip():
        raise InvalidResponseError(
            f"the {spec.kind} table is empty (ExoFOP sends nothing when it throttles)", endpoint=spec.endpoint
        )
    table = parse_table(
        content, what=f"the {spec.kind} table", endpoint=spec.endpoint, required=spec.required
    )
    if len(table.columns) == 1:
        # Every ExoFOP table has several columns: one means text (a message, output=text), not a table.
        raise InvalidResponseError(
            f"ExoFOP sent text instead of the {spec.kind} table: {table.columns[0][:80]!r}",
            endpoint=spec.endpoint,
        )
    return table
