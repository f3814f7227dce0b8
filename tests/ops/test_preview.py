"""``fetch --dry-run``: the fetch's own decisions, shown before anything is downloaded or written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors
from exofop_cli.cli import app
from exofop_cli.errors import OfflineError, TargetNotFoundError
from exofop_cli.models import ExoFopFileRow
from exofop_cli.ops.plan import file_actions
from exofop_cli.store.records import RecordState
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from ..conftest import make_client


def _tree(folder: Path) -> list[tuple[str, int, int]]:
    """Every path under ``folder`` with its size and mtime: what "writes nothing" is checked against."""
    out = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in sorted(files):
            st = os.stat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), folder), st.st_size, st.st_mtime_ns))
    return sorted(out)


def _actions(plan: Any) -> dict[int, str]:
    return {f.file_id: f.action for f in plan.files}


# -- the pure decision ----------------------------------------------------------------------------------------
def _row(file_id: int) -> ExoFopFileRow:
    return ExoFopFileRow(file_id=file_id, tic_id=1, toi=None, filename=f"f{file_id}.dat", type="Image")


def test_file_actions_name_each_case() -> None:
    rows = [_row(i) for i in range(1, 6)]
    states = {
        1: RecordState(None, None, None, None),  # never downloaded
        2: RecordState(10, 5, 10, 5),  # cached, untouched
        3: RecordState(10, 5, 10, 6),  # same size, mtime moved: re-hash
        4: RecordState(10, 5, None, None),  # record left, file gone
        5: RecordState(None, None, None, None),  # refused for lack of a login last time
    }
    got = dict((r.file_id, a) for r, a in file_actions(rows, states, refused={5}))
    assert got == {1: "download", 2: "cached", 3: "rehash", 4: "download", 5: "needs_login"}
    forced = dict((r.file_id, a) for r, a in file_actions(rows, states, refused={5}, force=True))
    assert forced[2] == "download" and forced[5] == "needs_login"
    verified = dict((r.file_id, a) for r, a in file_actions(rows, states, verify=True))
    assert verified[2] == "rehash" and verified[5] == "download"


# -- plans against the fake -------------------------------------------------------------------------------
def test_a_new_star_is_planned_without_writing_or_downloading(
    client: ExoFopClient, fake: FakeExoFop, cache_dir: Path
) -> None:
    plan = client.plan_fetch(target="TOI-1262")
    assert plan.tic_id == DEMO_TIC
    assert set(_actions(plan).values()) == {"download"}
    assert plan.unknown_sizes == len(plan.files) and plan.bytes_to_download == 0  # sizes are never guessed
    assert plan.archive == "zip"  # a whole new star comes from its zip, as the fetch would take it
    assert "the file list" in plan.requests and "the star's overview" in plan.requests
    assert fake.count("get_file.php") == 0 and fake.count("download_files_zip.php") == 0
    assert _tree(cache_dir) == []  # not even the file list or the resolution is kept


def test_the_plan_is_what_the_fetch_then_does(client: ExoFopClient, fake: FakeExoFop) -> None:
    selectors = ExoFopSelectors(types={"Spectrum", "Image"})
    plan = client.plan_fetch(target="TOI-1262", selectors=selectors, archive="off")
    result = client.fetch(target="TOI-1262", selectors=selectors, archive="off")
    planned = {f.path for f in plan.with_action("download")}
    assert planned == set(result.files_downloaded) | {
        f.path for f in plan.files if f.file_id in {e.file_id for e in result.errors}
    }
    assert plan.file_requests == fake.count("get_file.php")


def test_a_cached_star_plans_offline_with_the_recorded_sizes(
    client: ExoFopClient, fake: FakeExoFop, cache_dir: Path
) -> None:
    client.fetch(target="TOI-1262")
    before = _tree(cache_dir)
    fake.reset_log()
    plan = client.plan_fetch(target="TOI-1262")
    assert fake.requests == []
    assert _tree(cache_dir) == before
    cached = plan.with_action("cached")
    assert cached and all(f.bytes == f.path.stat().st_size for f in cached)
    # The proprietary file an anonymous fetch was refused is not asked for again: it needs a login.
    assert [f.file_id for f in plan.with_action("needs_login")] == [1010]
    assert plan.requests == () and plan.file_requests == 0
    assert any("login" in w for w in plan.warnings)


def test_a_deleted_file_is_planned_at_its_recorded_size_a_touched_one_is_checked(
    client: ExoFopClient, cache_dir: Path
) -> None:
    result = client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}))
    gone, touched = result.files[0], result.files[1]
    size = gone.stat().st_size
    gone.unlink()
    os.utime(touched, ns=(1, 1))
    plan = client.plan_fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}))
    by_path = {f.path: f for f in plan.files}
    assert by_path[gone].action == "download" and by_path[gone].bytes == size
    assert by_path[touched].action == "rehash"
    assert plan.bytes_to_download == size and plan.unknown_sizes == 0


def test_force_and_refresh_are_planned(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}))
    fake.reset_log()
    plan = client.plan_fetch(
        target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}), force_download=True
    )
    assert {f.action for f in plan.files} == {"download"}
    assert plan.requests == ()
    refreshed = client.plan_fetch(target="TOI-1262", force_refresh=True)
    assert "the file list" in refreshed.requests and "the spect table" in refreshed.requests
    assert fake.count("get_file.php") == 0


def test_an_instrument_selection_reads_the_tables_into_memory_only(
    client: ExoFopClient, fake: FakeExoFop, cache_dir: Path
) -> None:
    plan = client.plan_fetch(
        target="TOI-1262", selectors=ExoFopSelectors(instruments=["TRES"]), include_summaries=False
    )
    assert plan.files and any("TRES" in f.filename for f in plan.files)
    assert fake.count("download_spect.php") + fake.count("download_imaging.php") > 0
    assert _tree(cache_dir) == []
    listing = client.list_files(target="TOI-1262", selectors=ExoFopSelectors(instruments=["TRES"]))
    assert [f.file_id for f in plan.files] == [r.file_id for r in listing.rows]  # the join `ls` makes


def test_an_empty_selection_says_why(client: ExoFopClient) -> None:
    plan = client.plan_fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectra"}))
    assert plan.files == ()
    assert any("Spectrum" in w for w in plan.warnings)


def test_unknown_star_and_offline_plans_fail_as_the_fetch_would(
    fake: FakeExoFop, cache_dir: Path, client: ExoFopClient
) -> None:
    with pytest.raises(TargetNotFoundError):
        client.plan_fetch(target=999_999_999)
    with make_client(fake, cache_dir, offline=True) as offline, pytest.raises(OfflineError):
        offline.plan_fetch(target="TOI-1262")


def test_many_plans_each_target_its_own_outcome(client: ExoFopClient) -> None:
    outcomes = client.plan_fetch_many(["TOI-1262", 999_999_999, "HD 104654"])
    assert isinstance(outcomes[1], TargetNotFoundError)
    assert outcomes[0].tic_id == outcomes[2].tic_id == DEMO_TIC  # type: ignore[union-attr]


# -- the command --------------------------------------------------------------------------------------------
def _cli(fake: FakeExoFop, cache: Path, *args: str) -> Any:
    env = {"EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache)}
    return CliRunner().invoke(app, list(args), env=env)


def test_dry_run_prints_a_plan_table_and_a_sentence(fake: FakeExoFop, cache_dir: Path) -> None:
    _cli(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectrum", "--regex", "TRES")
    result = _cli(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectrum", "--dry-run")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["Action", "File name", "File ID", "Type", "Bytes", "TIC"]
    rows = {line.split("\t")[2]: line.split("\t") for line in lines[1:]}
    assert rows["1001"][0] == "cached" and rows["1001"][4] == "180000"
    assert rows["1003"][0] == "download" and rows["1003"][4] == ""
    assert (
        f"TIC {DEMO_TIC}: would download 2 files (sizes unknown until downloaded), 2 cached" in result.stderr
    )
    assert "would ask ExoFOP for 2 files" in result.stderr


def test_dry_run_json_and_exit_codes(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _cli(fake, cache_dir, "fetch", "TOI-1262", "999999999", "-n", "--json", "--no-summaries")
    assert result.exit_code == 3  # one planned, one unknown: partial, as a fetch would exit
    data = json.loads(result.stdout)
    assert data[0]["tic_id"] == DEMO_TIC and data[0]["counts"]["download"] == len(data[0]["files"])
    assert data[0]["archive"] == "zip" and data[0]["file_requests"] == 1
    assert data[1]["error"]["kind"] == "not_found"
    assert not (cache_dir / "exofop").exists()


def test_a_dry_run_over_an_earlier_builds_refusal_list_writes_nothing(
    client: ExoFopClient, cache_dir: Path
) -> None:
    client.fetch(target="TOI-1262", selectors=ExoFopSelectors(filename_regex="TRES"))
    legacy = client.layout(DEMO_TIC).root / ".state" / "refused.json"
    legacy.write_text(
        '[{"kind": "auth_required", "message": "file 1010 requires an ExoFOP login", "file_id": 1010,'
        ' "endpoint": "get_file.php"}]'
    )
    before = _tree(cache_dir)
    plan = client.plan_fetch(target="TOI-1262")
    assert _actions(plan)[1010] == "needs_login"
    assert _tree(cache_dir) == before  # the list is read, not turned into notes: that is the fetch's job


def test_cli_a_dry_run_of_an_unknown_star_prints_no_lone_header(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _cli(fake, cache_dir, "fetch", "5555", "--dry-run")
    assert result.exit_code == 4 and result.stdout == ""
    assert "not found" in result.stderr
