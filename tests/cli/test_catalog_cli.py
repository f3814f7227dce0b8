"""``exofop toi`` / ``exofop ctoi`` on the command line: ``--tic``, and help that lists what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli.cli import app
from exofop_cli.remote.endpoints import KNOWN_DISPOSITIONS
from exofop_cli.testing import DEMO_TIC, FakeExoFop


def _run(fake: FakeExoFop, cache: Path, *args: str) -> tuple[int, str, str]:
    env = {"EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache)}
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_toi_takes_tic(fake: FakeExoFop, cache_dir: Path) -> None:
    code, out, err = _run(fake, cache_dir, "toi", "--tic", str(DEMO_TIC), "--ids")
    assert (code, out) == (0, "TOI-1262.01\n")
    assert err == "TOI table: 1 of 2 rows (downloaded now)\n"  # no progress off a terminal
    code, out, err = _run(fake, cache_dir, "toi", "144.01", "--tic", str(DEMO_TIC), "--ids")
    assert (code, out) == (0, "TOI-1262.01\nTOI-144.01\n")  # with the positional targets
    assert err.startswith("TOI table: 2 of 2 rows (cached ")


def test_tic_is_a_tic_id_only(fake: FakeExoFop, cache_dir: Path) -> None:
    """A bare 1262 matches TOI-1262 as well; ``--tic 1262`` means the star TIC 1262 and nothing else."""
    assert _run(fake, cache_dir, "toi", "1262", "--ids")[1] == "TOI-1262.01\n"
    code, out, err = _run(fake, cache_dir, "toi", "--tic", "1262", "--ids")
    assert (code, out) == (4, "") and "0 of 2 rows" in err and "TIC 1262 is not in the TOI table" in err
    code, _out, err = _run(fake, cache_dir, "toi", "--tic", "0")
    assert code == 2 and "--tic" in err


def test_ctoi_takes_tic(fake: FakeExoFop, cache_dir: Path) -> None:
    code, out, err = _run(fake, cache_dir, "ctoi", "--tic", str(DEMO_TIC), "--ids")
    assert (code, out) == (0, f"TIC {DEMO_TIC}\n") and "CTOI table: 1 of 2 rows" in err


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("toi", "--disposition"),
        ("toi", "--tess-disposition"),
        ("ctoi", "--disposition"),
        ("ctoi", "--user-disposition"),
    ],
)
def test_help_lists_the_dispositions_the_filter_accepts(
    fake: FakeExoFop, cache_dir: Path, command: str, option: str
) -> None:
    listed = ", ".join(sorted(KNOWN_DISPOSITIONS))
    code, out, _err = _run(fake, cache_dir, command, "--help")
    text = " ".join(out.split())  # help wraps at the terminal's width
    assert code == 0 and f"{option} CODE[,CODE...]" in text
    after = text.split(f"{option} CODE[,CODE...]", 1)[1]
    assert f"{listed}, or any other value the table holds." in after.split("--", 1)[0]
    code, out, err = _run(fake, cache_dir, command, option, "XX")
    assert code == 2 and out == ""
    # What the validator names as valid: the same codes (the fake's table holds no other one).
    assert f"valid values: {listed}" in " ".join(err.split())


def test_every_listed_disposition_is_accepted(fake: FakeExoFop, cache_dir: Path) -> None:
    code, _out, err = _run(fake, cache_dir, "toi", "--disposition", ",".join(KNOWN_DISPOSITIONS), "--ids")
    assert code == 0 and "2 of 2 rows" in err
