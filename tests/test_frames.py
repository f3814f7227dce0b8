"""Tables for analysis: typed columns, pandas and astropy conversions, imported only when asked."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from exofop_cli import InvalidInputError
from exofop_cli.frames import typed_columns
from exofop_cli.remote.tables import parse_table

BODY = (
    b"TIC ID|GAIA DR2|TESS Mag|Notes|Sectors\n"
    b"365938305|5375123456789012345|9.82|first|1,27\n"
    b"365938306||.386554||\n"
)


def test_typed_columns_keep_big_integers_exact() -> None:
    table = parse_table(BODY)
    typed = typed_columns(table.columns, table.rows)
    assert typed["TIC ID"] == ("int", [365938305, 365938306])
    assert typed["GAIA DR2"] == ("int", [5375123456789012345, None])  # 19 digits, no float rounding
    assert typed["TESS Mag"] == ("float", [9.82, 0.386554])
    assert typed["Notes"] == ("str", ["first", None])
    assert typed["Sectors"] == ("str", ["1,27", None])


def test_to_pandas() -> None:
    pytest.importorskip("pandas")
    frame = parse_table(BODY).to_pandas()
    assert list(frame.columns) == ["TIC ID", "GAIA DR2", "TESS Mag", "Notes", "Sectors"]
    assert str(frame["GAIA DR2"].dtype) == "Int64" and int(frame["GAIA DR2"][0]) == 5375123456789012345
    assert frame["GAIA DR2"].isna().tolist() == [False, True]
    assert math.isclose(float(frame["TESS Mag"][1]), 0.386554)


def test_to_astropy() -> None:
    pytest.importorskip("astropy")
    table = parse_table(BODY).to_astropy()
    assert table.colnames == ["TIC ID", "GAIA DR2", "TESS Mag", "Notes", "Sectors"]
    assert int(table["GAIA DR2"][0]) == 5375123456789012345 and bool(table["GAIA DR2"].mask[1])
    assert table["Notes"][0] == "first" and bool(table["Notes"].mask[1])


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def without_pandas(name: str, package: str | None = None) -> object:
        if name.split(".", maxsplit=1)[0] in ("pandas", "astropy"):
            raise ImportError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_pandas)
    with pytest.raises(InvalidInputError) as info:
        parse_table(BODY).to_pandas()
    assert info.value.hint is not None and "exofop-cli[pandas]" in info.value.hint
    with pytest.raises(InvalidInputError, match="astropy"):
        parse_table(BODY).to_astropy()


def test_exofop_never_imports_pandas_or_astropy_by_itself() -> None:
    probe = (
        "import sys, exofop_cli\n"
        "from exofop_cli.remote.tables import parse_table\n"
        "from exofop_cli.ops import catalogs\n"
        "parse_table(b'a|b\\n1|2\\n')\n"
        "print(sorted(m for m in ('pandas', 'astropy', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
