"""Tables for analysis: any exofop table as a pandas ``DataFrame`` or an astropy ``Table``.

pandas and astropy are optional (``pip install "exofop-cli[pandas]"``, ``[astropy]`` or ``[analysis]``) and
imported only here, when a conversion is asked for. Cells are typed per column: integers when every value is
one (19-digit Gaia ids stay exact), else floats when every value is a number, else text; empty cells are
missing values (pandas' nullable dtypes, astropy's masks). Columns of typed rows (``ExoFopFileRow``,
``ExoFopObsNoteRow``) take their kind from the row class's annotations instead, so a TOI stays the text
``"1262.10"`` (never the float 1262.1) and a Data Tag stays as sent; in other tables, columns of TOI or CTOI
numbers (by name: ``identifier_kinds``) stay text for the same reason.

``RowList`` is the list the client returns rows in (``file_list``, ``obs_notes``): a plain ``list`` to
everything else, with ``to_pandas()``/``to_astropy()``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from .errors import InvalidInputError

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:nan|inf)$", re.I)

# Column kinds: what ``typed_columns`` infers (int, float, str) and what a row class may declare besides
# (bool, and object for cells that are no scalar, such as a row's ``raw`` dict).
_PANDAS_DTYPES: dict[str, Any] = {"int": "Int64", "float": "Float64", "str": "string", "bool": "boolean"}
_ASTROPY_FILL: dict[str, Any] = {"int": 0, "float": math.nan, "str": "", "bool": False, "object": None}
_SCALAR_KINDS: dict[Any, str] = {bool: "bool", int: "int", float: "float", str: "str"}
_ASTROPY_DTYPES = {"int": "int64", "float": "float64", "str": "str", "bool": "bool", "object": "object"}


# TOI and CTOI numbers are names, not quantities: 500.10 and 500.1 are different strings in ExoFOP's tables
# only by the float formatting that dropped a zero, and a float column would merge TOI 500.10 with nothing but
# lose the text users search for. Columns named so (TOI, CTOI, "Promoted to TOI", "Previous CTOI"...) stay text.
_TOI_COLUMN = re.compile(r"(?:^|[^a-z0-9])c?toi(?:$|[^a-z0-9])", re.IGNORECASE)


def identifier_kinds(columns: Iterable[str]) -> dict[str, str]:
    """Kinds for the columns of a table that hold TOI/CTOI numbers: text, never floats."""
    return {c: "str" for c in columns if _TOI_COLUMN.search(c) and "date" not in c.lower()}


def typed_columns(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], kinds: Mapping[str, str] | None = None
) -> dict[str, tuple[str, list[Any]]]:
    """``{column: (kind, values)}``; empty cells are None; ``kinds`` declares some columns' kind.

    Undeclared columns are ``int``, ``float`` or ``str`` by their values; a declared column whose values
    do not fit its kind falls back to that too.
    """
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for row in rows:
        for c in columns:
            value = row.get(c)
            data[c].append(None if value is None or (isinstance(value, str) and not value.strip()) else value)
    out: dict[str, tuple[str, list[Any]]] = {}
    for c, values in data.items():
        declared = (kinds or {}).get(c)
        converted = _as_kind(declared, values) if declared else None
        out[c] = (declared, converted) if declared and converted is not None else _inferred(values)
    return out


def _inferred(values: list[Any]) -> tuple[str, list[Any]]:
    present = [str(v).strip() for v in values if v is not None]
    if present and all(_INT.match(v) for v in present):
        return "int", [None if v is None else int(str(v).strip()) for v in values]
    if present and all(_FLOAT.match(v) for v in present):
        return "float", [None if v is None else float(str(v).strip()) for v in values]
    return "str", [None if v is None else str(v) for v in values]


def _as_kind(kind: str, values: list[Any]) -> list[Any] | None:
    """The values as ``kind``, or None when one does not fit it (the caller then infers the kind)."""
    present = [v for v in values if v is not None]
    if kind == "object":
        return values
    if kind == "str":
        return [None if v is None else str(v) for v in values]
    if kind == "bool":
        return values if all(isinstance(v, bool) for v in present) else None
    if kind == "int" and all(
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and _INT.match(v.strip()))
        for v in present
    ):
        return [None if v is None else int(v) for v in values]
    if kind == "float" and all(
        (isinstance(v, (int, float)) and not isinstance(v, bool))
        or (isinstance(v, str) and _FLOAT.match(v.strip()))
        for v in present
    ):
        return [None if v is None else float(v) for v in values]
    return None


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise InvalidInputError(
            f"{module} is not installed", hint=f'pip install "exofop-cli[{extra}]" (or pip install {module})'
        ) from exc


def to_pandas(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, kinds: Mapping[str, str] | None = None
) -> Any:
    """A ``pandas.DataFrame`` of the rows (nullable ``Int64``/``Float64``/``string``/``boolean`` columns)."""
    pd = _need("pandas", "pandas")
    typed = typed_columns(columns, rows, kinds)
    return pd.DataFrame(
        {c: pd.array(values, dtype=_PANDAS_DTYPES.get(kind, object)) for c, (kind, values) in typed.items()}
    )


def to_astropy(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, kinds: Mapping[str, str] | None = None
) -> Any:
    """An ``astropy.table.Table`` of the rows (masked where a cell is empty)."""
    table_mod = _need("astropy.table", "astropy")
    out = table_mod.Table(masked=True)
    for c, (kind, values) in typed_columns(columns, rows, kinds).items():
        mask = [v is None for v in values]
        fill = _ASTROPY_FILL[kind]
        data = [fill if v is None else v for v in values]
        # The dtype is named so that an empty column is of its kind too (numpy would make it float).
        out[c] = table_mod.MaskedColumn(data, mask=mask, name=c, dtype=_ASTROPY_DTYPES[kind])
    return out


def row_kinds(row_type: type) -> dict[str, str]:
    """Column kinds of a dataclass row type by field, from its annotations (``int | None`` is ``int``;
    ``str | int | None`` is ``auto``: inferred from the values)."""
    import dataclasses
    import types
    import typing

    hints = typing.get_type_hints(row_type)
    out: dict[str, str] = {}
    for f in dataclasses.fields(row_type):
        hint = hints[f.name]
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        options = [t for t in (typing.get_args(hint) if union else (hint,)) if t is not type(None)]
        if len(options) == 1:
            out[f.name] = _SCALAR_KINDS.get(options[0], "object")
        else:
            # Several scalar types (the spec's ``tag: str | int | None``): the values decide, as undeclared.
            scalar = all(t in _SCALAR_KINDS for t in options)
            out[f.name] = "auto" if scalar else "object"
    return out


def dict_columns(rows: Sequence[Mapping[str, Any]], kinds: Mapping[str, str]) -> list[str]:
    """Columns of dict rows: the first row's keys, or the declared ones when there is no row."""
    return list(rows[0]) if rows else list(kinds)


class _Row(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


_R = TypeVar("_R", bound=_Row)


class RowList(list[_R]):
    """Typed rows (``ExoFopFileRow``, ``ExoFopObsNoteRow``) in a ``list`` that converts to a table too.

    To everything else it is the list it subclasses: equal to a plain list of the same rows, ``isinstance``
    of ``list``; slices and copies are plain lists. Columns are the rows' ``to_dict()`` keys typed by the row
    class (``row_kinds``); an empty list still gives them.
    """

    def __init__(self, rows: Iterable[_R] = (), *, row_type: type[_R]) -> None:
        super().__init__(rows)
        self.row_type = row_type

    def _parts(self) -> tuple[list[str], list[dict[str, Any]], dict[str, str]]:
        kinds = row_kinds(self.row_type)
        rows = [row.to_dict() for row in self]
        return dict_columns(rows, kinds), rows, kinds

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (needs pandas), one column per ``to_dict()`` key."""
        columns, rows, kinds = self._parts()
        return to_pandas(columns, rows, kinds=kinds)

    def to_astropy(self) -> Any:
        """The rows as an ``astropy.table.Table`` (needs astropy), one column per ``to_dict()`` key."""
        columns, rows, kinds = self._parts()
        return to_astropy(columns, rows, kinds=kinds)
