"""Tables: on a terminal they fit its width (least useful columns first), piped they are one plain TSV."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from exofop_cli.cli import app
from exofop_cli.cli._output import Column, fit_columns
from exofop_cli.testing import DEMO_TIC, FakeExoFop

runner = CliRunner()
WIDTHS = (80, 100, 120, 200)
LS_NAMES = {
    "TOI1262.01_TRES_20200815.fits",
    "TOI1262_NEID_rv.txt",
    "TIC365938305-01_20200301_LCO-SSO-1m_ip_measurements.tbl",
    "TOI5997I-cc20240523-562_sensitivity.dat",
}


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdout counts as a terminal (CliRunner's is a pipe); COLUMNS then sets its width."""
    import exofop_cli.cli._output as output
    from exofop_cli.cli import commands

    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(commands, "stdout_is_terminal", lambda: True)


def run(fake: FakeExoFop, cache: Path, *args: str, columns: int = 80) -> Result:
    base = ["--cache-dir", str(cache), "--base-url", fake.base_url]
    env = {"COLUMNS": str(columns), "NO_COLOR": "1"}
    return runner.invoke(app, [*base, *args], env=env, prog_name="exofop")


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


# --- the layout, without a terminal ----------------------------------------------------------------------

COLS = [
    Column("id", "ID", priority=1),
    Column("name", "Name", priority=0),
    Column("desc", "Description", priority=3, min_width=8),
    Column("group", "Group", priority=5),
]


def test_everything_fits_at_natural_widths() -> None:
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 200)
    assert shown == [(0, 4), (1, 30), (2, 40), (3, 6)] and hidden == []


def test_the_least_useful_column_goes_first_then_free_text_is_cut() -> None:
    # 4 + 30 + 40 + 6 plus gaps (2 per column, less 1) = 87 cells: one too many for 86.
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 86)
    assert hidden == [] and dict(shown)[2] == 39  # the description gives a cell, nothing is hidden
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 60)
    assert hidden == [] and dict(shown) == {0: 4, 1: 30, 2: 13, 3: 6}
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 50)
    assert hidden == [3] and dict(shown) == {0: 4, 1: 30, 2: 11}
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 40)  # no room for 8 cells of description
    assert hidden == [2, 3] and dict(shown) == {0: 4, 1: 30}


def test_a_narrow_column_is_not_kept_in_place_of_a_more_useful_wide_one() -> None:
    cols = [*COLS[:2], Column("date", "Date", priority=2), Column("tag", "Tag", priority=4)]
    # Room for the tag (5 cells) but not the date (10): both go, the tag being the less useful.
    shown, hidden = fit_columns(cols, [4, 30, 10, 5], 46)
    assert dict(shown) == {0: 4, 1: 30} and hidden == [2, 3]
    shown, hidden = fit_columns(cols, [4, 30, 10, 5], 50)
    assert dict(shown) == {0: 4, 1: 30, 2: 10} and hidden == [3]


def test_a_name_is_never_cut_even_when_it_alone_overflows() -> None:
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 20)
    assert dict(shown) == {1: 30} and hidden == [0, 2, 3]


def test_wide_shows_every_column_wrapping_free_text_first() -> None:
    shown, hidden = fit_columns(COLS, [4, 30, 40, 6], 60, wide=True)
    assert hidden == [] and dict(shown) == {0: 4, 1: 30, 2: 13, 3: 6}
    # Then the widest of the others wrap between words (names here of words of at most 12 cells)...
    shown, _ = fit_columns(COLS, [4, 30, 40, 6], 40, wide=True, words=[4, 12, 10, 6])
    assert dict(shown) == {0: 4, 1: 15, 2: 8, 3: 6}
    # ...never inside one: a name, a path, a date without spaces keeps its width, the terminal wraps the line.
    shown, _ = fit_columns(COLS, [4, 30, 40, 6], 40, wide=True, words=[4, 30, 10, 6])
    assert dict(shown) == {0: 4, 1: 30, 2: 40, 3: 6}
    shown, _ = fit_columns(COLS, [4, 30, 40, 6], 40, wide=True)  # words default to the whole values
    assert dict(shown) == {0: 4, 1: 30, 2: 40, 3: 6}
    shown, _ = fit_columns(COLS, [4, 30, 40, 6], 20, wide=True, words=[4, 12, 10, 6])  # hopeless
    assert dict(shown) == {0: 4, 1: 30, 2: 40, 3: 6}


# --- on a terminal ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("width", WIDTHS)
def test_ls_fits_the_terminal_with_whole_file_names(fake: FakeExoFop, cache_dir: Path, width: int) -> None:
    result = run(fake, cache_dir, "ls", "TOI-1262", columns=width)
    assert result.exit_code == 0, result.stderr
    out = lines_of(result.stdout)
    assert max(len(line) for line in out) <= width
    assert len(out) == 2 + len(fake.targets[DEMO_TIC].files)  # header, rule, one line per file: no cards
    header = out[0].split()
    assert header[:2] == ["File", "ID"] and "Cached" in header  # what `ls` is for stays at every width
    assert ("Type" in header) == (width > 80)
    # A column stays only when every more useful one does: Type, then Date, before Tag, TOI, User, Group.
    order = ["Type", "Date", "Description", "Tag", "TOI", "User", "Group"]
    kept = [name in header for name in order]
    assert kept == sorted(kept, reverse=True), header
    cells = {cell for line in out for cell in line.split()}
    assert cells >= LS_NAMES  # whole names, never split
    assert result.stderr.startswith(f"TIC {DEMO_TIC}: 10 files\n")
    if width < 200:
        assert "--wide shows" in result.stderr and "Group" in result.stderr and "Group" not in out[0]
    else:
        assert "--wide" not in result.stderr and "Description" in out[0]


@pytest.mark.usefixtures("terminal")
def test_ls_drops_user_and_group_before_date_and_cuts_descriptions(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "ls", "TOI-1262", columns=120)
    header = lines_of(result.stdout)[0].split()
    assert {"Date", "Cached", "Description"} <= set(header)
    assert not {"User", "Group", "Tag"} & set(header)
    assert "TRES reconnaissance…" in result.stdout  # cut with an ellipsis, on one line
    assert result.stderr.splitlines()[-1] == "--wide shows 4 more columns: Tag, TOI, User, Group"


@pytest.mark.usefixtures("terminal")
def test_wide_shows_every_column(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "ls", "TOI-1262", "--types", "Spectrum", "--wide", columns=120)
    assert result.exit_code == 0, result.stderr
    out = lines_of(result.stdout)
    assert out[0].split()[-4:] == ["User", "Group", "Cached", "Description"]
    assert max(len(line) for line in out) <= 120
    assert "TOI1262.01_TRES_20200815.fits" in result.stdout and "--wide" not in result.stderr


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("width", WIDTHS)
def test_cache_tables_keep_paths_whole(fake: FakeExoFop, cache_dir: Path, width: int) -> None:
    assert run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Notes").exit_code == 0
    folder = str(cache_dir / "exofop" / f"tic_{DEMO_TIC}")
    listing = run(fake, cache_dir, "cache", "ls", columns=width)
    out = lines_of(listing.stdout)
    assert len(out) == 3 and max(len(line) for line in out) <= width
    assert out[2].split()[0] == str(DEMO_TIC)
    assert folder in out[2] or ("Path" in listing.stderr and folder not in listing.stdout)
    assert "1262.01" not in out[2] or folder in out[2]  # the folder gives way only after the TOI
    plan = run(fake, cache_dir, "cache", "prune", "--all", "--dry-run", columns=width)
    assert plan.exit_code == 0
    assert folder in lines_of(plan.stdout)[2]  # what would be deleted is always shown, whole
    assert plan.stderr.startswith("prune plan: 1 item, ")


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("width", WIDTHS)
def test_summaries_are_tables_not_cards(fake: FakeExoFop, cache_dir: Path, width: int) -> None:
    result = run(fake, cache_dir, "summaries", "TOI-1262", "--kind", "spect", columns=width)
    assert result.exit_code == 0, result.stderr
    out = lines_of(result.stdout)
    assert len(out) == 4 and max(len(line) for line in out) <= width  # header, rule, 2 rows
    first = out[0].split()[:3] if width < 200 else out[0].split()[2:5]  # TIC ID goes first, when it must
    assert first == ["TOI", "Telescope", "Instrument"]
    assert result.stderr.startswith(f"spect (TIC {DEMO_TIC}): 2 rows\n")


@pytest.mark.usefixtures("terminal")
def test_nearby_and_companions_keep_their_key_columns(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "summaries", "TOI-1262", "--kind", "nearby,companions", columns=80)
    assert result.exit_code == 0, result.stderr
    out = lines_of(result.stdout)
    assert max(len(line) for line in out) <= 80
    nearby, companions = out[0], out[4]  # header, rule, 2 rows; header, rule, 1 row
    assert nearby.startswith("TIC ID ")  # which star each row is
    assert all(name in nearby for name in ("TESS Mag", "Distance(pc)", "Separation (arcsec)"))
    assert all(name in companions for name in ("Separation (arcsec)", "Delta Mag", "Filter"))
    assert "TIC ID" not in companions  # the star's own, said in the title


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("width", WIDTHS)
def test_contrast_fits(fake: FakeExoFop, cache_dir: Path, width: int) -> None:
    assert run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Image").exit_code == 0
    result = run(fake, cache_dir, "contrast", "TOI-1262", columns=width)
    assert result.exit_code == 0, result.stderr
    out = lines_of(result.stdout)
    assert len(out) == 4 and max(len(line) for line in out) <= width
    assert {"File", "filt"} <= set(out[0].split())
    assert "TOI5997I-cc20240523-562_sensitivity.dat" in out[2].split()
    assert "Problem" not in out[0]  # empty in every row: not worth a column on a terminal


@pytest.fixture
def short_cache() -> Iterator[Path]:
    """A cache under a short path (pytest's are ~90 characters), so that its folders fit 80 columns."""
    folder = Path(tempfile.mkdtemp(prefix="xc", dir="/tmp" if Path("/tmp").is_dir() else None))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.usefixtures("terminal")
def test_cache_ls_keeps_the_path_and_wide_never_folds_it(fake: FakeExoFop, short_cache: Path) -> None:
    assert run(fake, short_cache, "fetch", "TOI-1262", "--types", "Notes").exit_code == 0
    folder = str(short_cache / "exofop" / f"tic_{DEMO_TIC}")
    narrow = run(fake, short_cache, "cache", "ls", columns=80)
    header, _rule, row = lines_of(narrow.stdout)
    assert "Path" in header and folder in row.split()  # what `cache ls` is for
    assert "Last fetch" not in header and "Last fetch" in narrow.stderr  # the least useful gives way
    wide = run(fake, short_cache, "cache", "ls", "--wide", columns=80)
    header, _rule, row = lines_of(wide.stdout)  # one line per row: nothing folded
    assert header.split()[-3:] == ["Last", "fetch", "Path"]
    assert folder in row.split() and re.search(r" \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", row)
    assert "--wide" not in wide.stderr


@pytest.mark.usefixtures("terminal")
def test_nothing_to_prune_prints_no_table(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "cache", "prune", "--older-than", "30d")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == "nothing to prune\n"


# --- piped: one plain TSV, whatever the width ----------------------------------------------------------


def tsv(text: str) -> list[dict[str, str]]:
    """Read stdout the way pandas.read_csv(sep="\\t") does: the first line is the header."""
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def test_piped_tables_are_plain_tsv_unchanged_by_width(fake: FakeExoFop, cache_dir: Path) -> None:
    narrow = run(fake, cache_dir, "ls", "TOI-1262", columns=80)
    wide = run(fake, cache_dir, "ls", "TOI-1262", columns=200)
    assert narrow.stdout == wide.stdout
    rows = tsv(narrow.stdout)
    assert len(rows) == 10 and rows[0]["File ID"] == "1001" and rows[0]["Group"] == "tfopwg"
    assert not narrow.stdout.startswith("#")


def test_every_tsv_output_has_one_header_row(fake: FakeExoFop, cache_dir: Path) -> None:
    assert run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Image,Notes").exit_code == 0
    listing = tsv(run(fake, cache_dir, "cache", "ls").stdout)
    assert [(r["TIC"], r["TOI"], r["Files"]) for r in listing] == [(str(DEMO_TIC), "1262.01", "5")]
    plan = tsv(run(fake, cache_dir, "cache", "prune", "--all", "--dry-run").stdout)
    assert [(r["Kind"], r["TIC"]) for r in plan] == [("target", str(DEMO_TIC))]
    assert (
        run(fake, cache_dir, "cache", "prune", "--older-than", "30d").stdout == "Kind\tTIC\tSize\tWhy\tPath\n"
    )
    curves = tsv(run(fake, cache_dir, "contrast", "TOI-1262").stdout)
    assert [r["filt"] for r in curves] == ["Vis", "K"]


def test_summaries_pipe_as_one_tsv_with_a_kind_column(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "summaries", "TOI-1262", "--kind", "spect,imaging")
    assert result.exit_code == 0, result.stderr
    rows = tsv(result.stdout)
    assert [r["kind"] for r in rows] == ["spect", "spect", "imaging", "imaging"]
    assert [r["Instrument"] for r in rows][:3] == ["TRES", "NEID", "Alopeke"]
    assert result.stdout.splitlines()[0].startswith("kind\tTIC ID\t")
    assert f"spect (TIC {DEMO_TIC}): 2 rows" in result.stderr
    data = json.loads(run(fake, cache_dir, "summaries", "TOI-1262", "--kind", "spect", "--json").stdout)
    assert set(data) == {"spect"}  # --json keeps its shape


def test_summaries_csv_is_one_plain_csv_that_pandas_reads(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "summaries", "TOI-1262", "--kind", "spect,obsnotes", "--csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["kind"] for r in rows] == ["spect", "spect", "obsnotes", "obsnotes"]
    assert rows[0]["Notes"] == "Teff 5600, vsini 3.1, no evidence of SB2"  # a comma inside a cell, quoted
    assert "\n" in rows[3]["notes"] and "<br" not in rows[3]["notes"]  # notes as plain text, lines kept
    assert "spect (TIC" in result.stderr and "spect (TIC" not in result.stdout
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(io.StringIO(result.stdout))
    assert frame.shape == (4, len(rows[0])) and list(frame["kind"]) == [r["kind"] for r in rows]
    both = run(fake, cache_dir, "summaries", "TOI-1262", "--csv", "--json")
    assert both.exit_code == 2 and both.stdout == ""
