"""Read the whole-catalogue tables (``download_toi.php?sort=toi``, ``download_ctoi.php?sort=ctoi``).

Columns are found by name (headers change over the years: ``ACWG ESM`` → ``ESM``; the web grid's export
says ``Master priority`` where the download says ``Master``). A catalogue without rows is refused: the real
tables hold thousands, so an empty one is a throttled or broken answer, never something to cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import InvalidResponseError
from ..rows import ExoFopToiRow
from ..targets import normalize_toi_cell
from .endpoints import CatalogSpec
from .tables import Row, Table, parse_table, to_int

TFOPWG_DISPOSITION = ("TFOPWG Disposition", "TFOPWG Disp", "tfopwg_disposition")
TESS_DISPOSITION = ("TESS Disposition", "TESS Disp", "disposition")
SECTORS = ("Sectors", "Sector")
COMMENTS = ("Comments", "Notes")


def check_catalog(content: bytes, spec: CatalogSpec) -> Table:
    """``content`` parsed as the catalogue ``spec`` describes; ``InvalidResponseError`` when it is not one."""
    table = parse_table(content, what=spec.description, endpoint=spec.endpoint, required=spec.required)
    if not table.rows:
        raise InvalidResponseError(
            f"ExoFOP sent {spec.description} without a single row (throttled or truncated?)",
            endpoint=spec.endpoint,
        )
    return table


def toi_rows(table: Table) -> list[ExoFopToiRow]:
    """The TOI table's rows as ``ExoFopToiRow`` (rows without a TIC id are left out)."""
    tic_col, toi_col = table.column("TIC ID", "TIC"), table.column("TOI")
    tfop, tess, comments = (
        table.column(*names) for names in (TFOPWG_DISPOSITION, TESS_DISPOSITION, COMMENTS)
    )
    out = []
    for row in table.rows:
        tic = to_int(row.get(tic_col or ""))
        if tic is None:
            continue
        out.append(
            ExoFopToiRow(
                tic_id=tic,
                toi=normalize_toi_cell(row.get(toi_col or "")),
                tfopwg_disposition=row.get(tfop or ""),
                planet_disposition=row.get(tess or ""),
                comments=row.get(comments or ""),
                raw=dict(row),
            )
        )
    return out


def sectors_of(value: str | None) -> set[int]:
    """Sector numbers of a ``Sectors`` cell (``"1,27,67"``, ``"14 15"``)."""
    return {int(s) for s in re.findall(r"\d+", value or "")}


def distinct(rows: Iterable[Row], column: str | None) -> list[str]:
    """The distinct non-empty values of a column, sorted (for "valid values are …" messages)."""
    if column is None:
        return []
    return sorted({v.strip() for row in rows if (v := row.get(column)) and v.strip()})
