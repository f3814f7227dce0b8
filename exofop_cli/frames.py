"""Tables for analysis: any exofop table as a pandas ``DataFrame`` or an astropy ``Table``.

pandas and astropy are optional (``pip install "exofop-cli[pandas]"``, ``[astropy]`` or ``[analysis]``) and
imported only here, when a conversion is asked for. Cells are typed per column: integers when every value is
one (19-digit Gaia ids stay exact), else floats when every value is a number, else text; empty cells are
missing values (pandas' nullable dtypes, astropy's masks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import InvalidInputError

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:nan|inf)$", re.I)


def typed_columns(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> dict[str, tuple[str, list[Any]]]:
    """``{column: (kind, values)}`` with kind ``int``, ``float`` or ``str``; empty cells are None."""
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for row in rows:
        for c in columns:
            value = row.get(c)
            data[c].append(None if value is None or (isinstance(value, str) and not value.strip()) else value)
    out: dict[str, tuple[str, list[Any]]] = {}
    for c, values in data.items():
        present = [str(v).strip() for v in values if v is not None]
        if present and all(_INT.match(v) for v in present):
            out[c] = ("int", [None if v is None else int(str(v).strip()) for v in values])
        elif present and all(_FLOAT.match(v) for v in present):
            out[c] = ("float", [None if v is None else float(str(v).strip()) for v in values])
        else:
            out[c] = ("str", [None if v is None else str(v) for v in values])
    return out


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise InvalidInputError(
            f"{module} is not installed", hint=f'pip install "exofop-cli[{extra}]" (or pip install {module})'
        ) from exc


def to_pandas(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Any:
    """A ``pandas.DataFrame`` of the rows (nullable ``Int64``/``Float64``/``string`` columns)."""
    pd = _need("pandas", "pandas")
    dtypes = {"int": "Int64", "float": "Float64", "str": "string"}
    typed = typed_columns(columns, rows)
    return pd.DataFrame({c: pd.array(values, dtype=dtypes[kind]) for c, (kind, values) in typed.items()})


def to_astropy(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Any:
    """An ``astropy.table.Table`` of the rows (masked where a cell is empty)."""
    table_mod = _need("astropy.table", "astropy")
    out = table_mod.Table(masked=True)
    for c, (kind, values) in typed_columns(columns, rows).items():
        mask = [v is None for v in values]
        fill: Any = {"int": 0, "float": math.nan, "str": ""}[kind]
        out[c] = table_mod.MaskedColumn([fill if v is None else v for v in values], mask=mask, name=c)
    return out
