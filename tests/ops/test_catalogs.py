"""The TOI and CTOI catalogues: caching by age, refresh fallbacks, filters, typed rows, the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, InvalidInputError, OfflineError
from exofop_cli.cli import app
from exofop_cli.errors import InvalidResponseError, ServerError
from exofop_cli.ops.catalogs import (
    catalog_filter,
    human_age,
    max_age_seconds,
    row_ids,
    select_catalog_rows,
)
from exofop_cli.remote.catalogs import sectors_of, toi_rows
from exofop_cli.remote.tables import parse_table
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from ..conftest import make_client

SAMPLES = Path(__file__).parent.parent / "data" / "tables"


def test_the_toi_table_is_cached_for_max_age(client: ExoFopClient, fake: FakeExoFop) -> None:
    first = client.toi_table()
    assert not first.from_cache and fake.count("download_toi.php") == 1
    assert {r.toi for r in first.toi_rows()} == {"1262.01", "144.01"}
    again = client.toi_table(max_age="1d")
    assert again.from_cache and fake.count("download_toi.php") == 1  # no request within a day
    assert again.rows == first.rows
    client.toi_table(max_age=0)
    assert fake.count("download_toi.php") == 2  # too old for max_age=0
    client.toi_table(refresh=True)
    assert fake.count("download_toi.php") == 3
    query = next(r.query for r in fake.requests if r.endpoint == "download_toi.php")
    assert query == "sort=toi&output=csv"
    stored = sorted(p.name for p in (client.cache_root / "catalogs").iterdir())
    assert stored == ["toi.csv", "toi.json"]


def test_a_failed_refresh_serves_the_cached_copy_and_says_how_old(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    client.toi_table()
    meta = client.cache_root / "catalogs" / "toi.json"
    data = json.loads(meta.read_text())
    data["fetched_at"] -= 3 * 86400  # three days old
    meta.write_text(json.dumps(data))
    fake.faults.fail("download_toi.php", 503, times=100)
    table = client.toi_table()
    assert table.from_cache and len(table.rows) == 2
    assert (
        len(table.notes) == 1 and "3.0 days ago" in table.notes[0] and "could not refresh" in table.notes[0]
    )


def test_offline_serves_the_cached_copy_and_fails_without_one(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir, offline=True) as offline, pytest.raises(OfflineError):
        offline.toi_table()
    with make_client(fake, cache_dir) as client:
        client.toi_table()
    with make_client(fake, cache_dir, offline=True) as offline:
        table = offline.toi_table(refresh=True)
    assert table.from_cache and "offline" in table.notes[0]


def test_no_cached_copy_and_no_answer_is_an_error(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.fail("download_toi.php", 503, times=100)
    with pytest.raises(ServerError):
        client.toi_table()
    assert not (client.cache_root / "catalogs" / "toi.csv").exists()


def test_a_catalogue_without_rows_is_never_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    header_only = b"TIC ID,TOI,TFOPWG Disposition\n"
    fake.faults.replace_body("download_toi.php", header_only, times=2, content_type="text/plain")
    with pytest.raises(InvalidResponseError, match="without a single row"):
        client.toi_table()
    assert not (client.cache_root / "catalogs").exists() or not any(
        (client.cache_root / "catalogs").iterdir()
    )


def test_pipe_is_the_fallback_when_csv_is_not_a_table(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.replace_body("download_toi.php", b"Sorry, output=csv is down\n", content_type="text/plain")
    table = client.toi_table()
    assert len(table.rows) == 2 and table.table.delimiter == "|"
    assert [r.query for r in fake.requests if r.endpoint == "download_toi.php"] == [
        "sort=toi&output=csv",
        "sort=toi&output=pipe",
    ]
    assert (client.cache_root / "catalogs" / "toi.pipe").is_file()
    client.toi_table(refresh=True)  # CSV works again: the pipe copy is replaced, not kept beside it
    assert sorted(p.name for p in (client.cache_root / "catalogs").iterdir()) == ["toi.csv", "toi.json"]


def test_a_damaged_cached_copy_is_fetched_again(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.toi_table()
    (client.cache_root / "catalogs" / "toi.csv").write_text("garbage\n")
    assert len(client.toi_table().rows) == 2
    assert fake.count("download_toi.php") == 2


def test_toi_row(client: ExoFopClient) -> None:
    row = client.toi_row(tic_id=DEMO_TIC)
    assert row is not None and (row.toi, row.tfopwg_disposition, row.planet_disposition) == (
        "1262.01",
        "PC",
        "PC",
    )
    assert row.raw["Sectors"] == "9,36,63" and row.comments == "fake TOI 1262.01, PC"
    assert client.toi_row(toi="144.01").tic_id == 261136679  # type: ignore[union-attr]
    assert client.toi_row(toi="TOI-144").toi == "144.01"  # type: ignore[union-attr]
    assert client.toi_row(tic_id=1) is None
    with pytest.raises(InvalidInputError):
        client.toi_row()


def test_toi_row_takes_tess_vetters_forms(client: ExoFopClient, fake: FakeExoFop) -> None:
    """tess-vetter's call forms: a float TOI (two decimals: 500.1 is 500.10) and ``force_refresh``."""
    assert client.toi_row(tic_id=DEMO_TIC, toi=1262.01).toi == "1262.01"  # type: ignore[union-attr]
    assert client.toi_row(toi=144.01).tic_id == 261136679  # type: ignore[union-attr]
    assert client.toi_row(toi=144).toi == "144.01"  # type: ignore[union-attr]
    before = fake.count("download_toi.php")
    client.toi_row(tic_id=DEMO_TIC, force_refresh=True)
    assert fake.count("download_toi.php") == before + 1
    for bad in (float("nan"), -1.5, True, b"144"):
        with pytest.raises(InvalidInputError):
            client.toi_row(toi=bad)  # type: ignore[arg-type]


def test_the_row_types_are_public_names() -> None:
    import exofop_cli
    from exofop_cli.rows import ExoFopObsNoteRow, ExoFopToiRow

    assert exofop_cli.ExoFopToiRow is ExoFopToiRow and exofop_cli.ExoFopObsNoteRow is ExoFopObsNoteRow
    assert {"ExoFopToiRow", "ExoFopObsNoteRow"} <= set(exofop_cli.__all__)


def test_filters_combine(client: ExoFopClient) -> None:
    table = client.toi_table()

    def tois(**kw: object) -> list[str]:
        return row_ids("toi", table, select_catalog_rows(table, catalog_filter("toi", **kw)))  # type: ignore[arg-type]

    assert tois() == ["TOI-1262.01", "TOI-144.01"]
    assert tois(dispositions=["kp"]) == ["TOI-144.01"]
    assert tois(dispositions=["PC,KP"]) == ["TOI-1262.01", "TOI-144.01"]
    assert tois(dispositions=["PC"], tess_dispositions=["KP"]) == []  # AND across filters
    assert tois(sectors=[9]) == ["TOI-1262.01"]
    assert tois(sectors=[1, 9]) == ["TOI-1262.01", "TOI-144.01"]  # any of the sectors
    assert tois(targets=["TOI-1262"]) == ["TOI-1262.01"]
    assert tois(targets=["1262"]) == ["TOI-1262.01"]  # a bare number: TOI system or TIC id
    assert tois(targets=[str(DEMO_TIC), "144.01"]) == ["TOI-1262.01", "TOI-144.01"]
    assert tois(targets=["HD 104654"], resolver=client.resolver) == ["TOI-1262.01"]


def test_unknown_filter_values_name_the_valid_ones(client: ExoFopClient) -> None:
    table = client.toi_table()
    with pytest.raises(InvalidInputError) as info:
        select_catalog_rows(table, catalog_filter("toi", dispositions=["XX"]))
    assert "XX" in info.value.message and info.value.hint is not None and "KP" in info.value.hint
    with pytest.raises(InvalidInputError) as sector:
        select_catalog_rows(table, catalog_filter("toi", sectors=[99]))
    assert sector.value.hint == "sectors in the table: 1, 4, 8-9, 11-13, 27-28, 31, 34, 36, 38-39, 61-69"
    # A disposition ExoFOP uses but no row has today is "no rows", not an error.
    assert select_catalog_rows(table, catalog_filter("toi", dispositions=["FA"])) == []


def test_ctoi_table_and_its_ids(client: ExoFopClient) -> None:
    table = client.ctoi_table()
    assert [r["CTOI"] for r in table.rows] == ["365938305.02", "261136679.02"]
    rows = select_catalog_rows(table, catalog_filter("ctoi", dispositions=["FP"]))
    assert row_ids("ctoi", table, rows) == ["TIC 261136679"]
    by_ctoi = select_catalog_rows(table, catalog_filter("ctoi", targets=["365938305.02"]))
    assert [r["CTOI"] for r in by_ctoi] == ["365938305.02"]
    with pytest.raises(InvalidInputError, match="no Sectors column"):
        select_catalog_rows(table, catalog_filter("ctoi", sectors=[1]))


def test_client_catalog_selects_and_says_where_the_table_came_from(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    fresh = client.catalog("toi", dispositions=["pc"])
    assert fresh.ids() == ["TOI-1262.01"] and (len(fresh.rows), fresh.total) == (1, 2)
    assert not fresh.from_cache and fresh.age_text() is None and fresh.notes == ()
    assert (fresh.absent, fresh.exit_kinds, fresh.obtained) == ((), (), True)
    assert fresh.shown_columns[:3] == [("TOI", "TOI"), ("TIC ID", "TIC"), ("TFOPWG Disposition", "TFOPWG")]
    assert fresh.columns[:2] == ("TIC ID", "TOI")  # every column as sent, for --csv
    (row,) = fresh.to_json_rows()
    assert (row["toi"], row["tic_id"], row["planet_disposition"]) == ("1262.01", DEMO_TIC, "PC")
    assert row["raw"]["Sectors"] == "9,36,63"
    cached = client.catalog("toi", sectors=[1, 9], other_dispositions=["PC,KP"])
    assert cached.from_cache and fake.count("download_toi.php") == 1
    assert cached.age_text(now=time.time() + 600) == "10 min"
    assert cached.ids() == ["TOI-1262.01", "TOI-144.01"]
    by_name = client.catalog("toi", targets=["HD 104654"])  # a name is resolved to its TIC
    assert by_name.ids() == ["TOI-1262.01"]


def test_client_catalog_names_the_targets_the_table_lacks(client: ExoFopClient) -> None:
    some = client.catalog("toi", targets=["TOI-1262", "TOI-99999", "TIC 12345"])
    assert some.ids() == ["TOI-1262.01"] and some.absent == ("TOI-99999", "TIC 12345")
    assert some.exit_kinds == ("not_found", "not_found") and some.obtained  # a partial result
    none = client.catalog("toi", targets=["TOI-99999"])
    assert none.rows == () and none.absent == ("TOI-99999",) and not none.obtained
    # In the table but filtered out is not absent.
    filtered = client.catalog("toi", targets=["TOI-1262"], dispositions=["KP"])
    assert filtered.rows == () and filtered.absent == () and filtered.obtained


def test_client_catalog_of_the_ctoi_table(client: ExoFopClient) -> None:
    fp = client.catalog("ctoi", dispositions=["FP"])
    assert fp.kind == "ctoi" and fp.ids() == ["TIC 261136679"]
    assert fp.to_json_rows() == [dict(r) for r in fp.rows] and fp.to_json_rows()[0]["CTOI"] == "261136679.02"
    assert [name for name, _ in fp.shown_columns] == [
        "CTOI",
        "TIC ID",
        "Promoted to TOI",
        "TFOPWG Disposition",
        "User Disposition",
        "Period (days)",
        "Depth ppm",
        "Notes",
    ]


def test_client_catalog_refuses_bad_input_naming_what_is_valid(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    with pytest.raises(InvalidInputError, match="unknown catalogue 'koi': ctoi or toi"):
        client.catalog("koi")
    assert fake.requests == []  # refused before any request
    with pytest.raises(InvalidInputError) as info:
        client.catalog("ctoi", other_dispositions=["XX"])
    assert "--user-disposition" in info.value.message and info.value.hint is not None
    with pytest.raises(InvalidInputError, match="max age"):
        client.catalog("toi", max_age=-1)


def test_the_real_toi_headers_give_typed_rows() -> None:
    """2021 (pipe, leading-space header, .386554) and 2025 (CSV, quoted sectors) samples."""
    old = toi_rows(parse_table((SAMPLES / "download_toi_toi-127.pipe").read_bytes()))
    assert [(r.tic_id, r.toi, r.tfopwg_disposition, r.planet_disposition) for r in old] == [
        (234523599, "127.01", "CP", "KP")
    ]
    new = toi_rows(parse_table((SAMPLES / "download_toi_2025-10_head6.pandas.csv").read_bytes()))
    assert new[0].toi == "101.01" and new[0].comments == "WASP-46 b"
    assert sectors_of(new[0].raw["Sectors"]) == {1, 27, 67}


def test_durations_and_ages() -> None:
    assert max_age_seconds(None) == 86400 and max_age_seconds("12h") == 43200 and max_age_seconds(5) == 5
    from datetime import timedelta

    assert max_age_seconds(timedelta(minutes=2)) == 120
    for bad in ("soon", -1, float("nan")):
        with pytest.raises(InvalidInputError):
            max_age_seconds(bad)  # type: ignore[arg-type]
    assert [human_age(s) for s in (30, 600, 7200, 3 * 86400)] == ["30 s", "10 min", "2.0 h", "3.0 days"]


# -- CLI ----------------------------------------------------------------------------------------------------
def _run(fake: FakeExoFop, cache: Path, *args: str) -> object:
    env = {"EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache)}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_cli_ids_feed_a_pipe(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _run(fake, cache_dir, "toi", "--disposition", "PC", "--ids")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert result.stdout == "TOI-1262.01\n"  # type: ignore[attr-defined]
    assert "TOI table: 1 of 2 rows" in result.stderr  # type: ignore[attr-defined]


def test_cli_csv_is_plain_csv_with_every_column(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _run(fake, cache_dir, "toi", "--sector", "9", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))  # type: ignore[attr-defined]
    assert len(rows) == 1 and rows[0]["TOI"] == "1262.01" and rows[0]["Sectors"] == "9,36,63"
    assert "Comments" in rows[0] and result.stdout.startswith("TIC ID,TOI,")  # type: ignore[attr-defined]


def test_cli_csv_reads_with_pandas_as_it_is(fake: FakeExoFop, cache_dir: Path) -> None:
    pd = pytest.importorskip("pandas")
    result = _run(fake, cache_dir, "ctoi", "--csv")
    frame = pd.read_csv(io.StringIO(result.stdout), dtype={"CTOI": str})  # type: ignore[attr-defined]
    assert list(frame["CTOI"]) == ["365938305.02", "261136679.02"]


def test_cli_json_and_bad_input(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _run(fake, cache_dir, "toi", "TOI-144", "--json")
    (row,) = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert (
        row["toi"] == "144.01" and row["tfopwg_disposition"] == "KP" and row["raw"]["TIC ID"] == "261136679"
    )
    bad = _run(fake, cache_dir, "toi", "--disposition", "maybe")
    assert bad.exit_code == 2 and "valid values: APC" in bad.stderr  # type: ignore[attr-defined]
    both = _run(fake, cache_dir, "toi", "--json", "--ids")
    assert both.exit_code == 2  # type: ignore[attr-defined]


def test_cli_offline_with_an_old_copy_says_its_age(fake: FakeExoFop, cache_dir: Path) -> None:
    assert _run(fake, cache_dir, "toi").exit_code == 0  # type: ignore[attr-defined]
    meta = cache_dir / "exofop" / "catalogs" / "toi.json"
    data = json.loads(meta.read_text())
    data["fetched_at"] = time.time() - 2 * 86400
    meta.write_text(json.dumps(data))
    fake.reset_log()
    result = _run(fake, cache_dir, "--offline", "toi", "--ids")
    assert result.exit_code == 0 and fake.requests == []  # type: ignore[attr-defined]
    assert "offline; using the cached copy from 2.0 days ago" in result.stderr  # type: ignore[attr-defined]
    assert os.path.exists(meta)


def test_cli_force_refresh_is_refresh(fake: FakeExoFop, cache_dir: Path) -> None:
    """The spec's --force-refresh works on every command that has --refresh."""
    for command in ("toi", "ctoi"):
        assert _run(fake, cache_dir, command, "--ids").exit_code == 0  # type: ignore[attr-defined]
        before = len(fake.requests)
        assert _run(fake, cache_dir, command, "--ids").exit_code == 0  # type: ignore[attr-defined]
        assert len(fake.requests) == before  # cached
        again = _run(fake, cache_dir, command, "--force-refresh", "--ids")
        assert again.exit_code == 0 and len(fake.requests) == before + 1  # type: ignore[attr-defined]


def test_cli_a_target_the_table_lacks_is_said(fake: FakeExoFop, cache_dir: Path) -> None:
    """Not an empty table and exit 0: the missing one is named (exit 4 when all are, 3 when some are)."""
    missing = _run(fake, cache_dir, "toi", "TOI-99999", "--ids")
    assert missing.exit_code == 4 and missing.stdout == ""  # type: ignore[attr-defined]
    for form in ((), ("--json",), ("--csv",)):  # no lone header, no "[]"
        assert _run(fake, cache_dir, "toi", "TOI-99999", *form).stdout == ""  # type: ignore[attr-defined]
    assert "warning: TOI-99999 is not in the TOI table" in missing.stderr  # type: ignore[attr-defined]
    assert "--refresh" not in missing.stderr  # type: ignore[attr-defined]  # the table is fresh
    some = _run(fake, cache_dir, "toi", "TOI-1262", "TOI-99999", "TIC 12345", "--ids")
    assert some.exit_code == 3 and some.stdout == "TOI-1262.01\n"  # type: ignore[attr-defined]
    assert "TIC 12345 is not in the TOI table" in some.stderr  # type: ignore[attr-defined]
    assert "--refresh downloads the table again" in some.stderr  # type: ignore[attr-defined]  # a copy
    # In the table but filtered out, or named by its bare number: no warning, exit 0.
    for args in (("TOI-1262", "--disposition", "KP"), ("1262",), (str(DEMO_TIC),)):
        ok = _run(fake, cache_dir, "toi", *args, "--ids")
        assert ok.exit_code == 0 and "not in the" not in ok.stderr, args  # type: ignore[attr-defined]
    ctoi = _run(fake, cache_dir, "ctoi", "999999999.01", "--ids")
    assert ctoi.exit_code == 4 and "999999999.01 is not in the CTOI table" in ctoi.stderr  # type: ignore[attr-defined]
