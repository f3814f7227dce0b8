"""Many stars and whole stars: targets from lists, one fetch per star, overlap within --jobs, the archive."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors, InvalidInputError
from exofop_cli.cli import app
from exofop_cli.models import ExoFopFileRow
from exofop_cli.ops.plan import archive_choice, speculate_archive
from exofop_cli.targets import target_lines
from exofop_cli.testing import BULK_TIC, DEMO_TIC, FakeExoFop, FakeFile, FakeTarget, bulk_target

from ..conftest import make_client


# -- target lists -------------------------------------------------------------------------------------------
def test_target_lines() -> None:
    text = "TOI-1262\n\n# a comment\nHD 104654   # the same star\n  TIC 1  \n#\nbad target ###\n"
    assert target_lines(text) == ["TOI-1262", "HD 104654", "TIC 1", "bad target"]


def _cli(fake: FakeExoFop, cache: Path, *args: str, stdin: str | None = None) -> Any:
    env = {"EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache)}
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def test_stdin_targets_naming_one_star_are_fetched_once(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _cli(
        fake, cache_dir, "fetch", "-", "--types", "Spectrum", "--regex", "TRES", stdin="TOI-1262\nHD 104654\n"
    )
    assert result.exit_code == 0, result.stderr
    root = cache_dir / "exofop" / f"tic_{DEMO_TIC}"
    assert result.stdout == f"{root}\t{root / 'manifest.json'}\n"  # one line per star
    assert "TOI-1262 and HD 104654 name the same star (TIC 365938305): fetched once" in result.stderr
    assert fake.count("download_filelist.php") == 1 and fake.count("get_file.php") == 2


def test_a_list_with_a_bad_line_fetches_the_others_and_exits_3(fake: FakeExoFop, cache_dir: Path) -> None:
    listing = cache_dir / "targets.txt"
    listing.write_text("# stars to vet\nTOI-1262\nTOI-\n231702397\n")
    result = _cli(fake, cache_dir, "fetch", "--from", str(listing), "--no-summaries", "--regex", "TRES")
    assert result.exit_code == 3
    assert "cannot read target 'TOI-'" in result.stderr
    assert len(result.stdout.splitlines()) == 2  # the two good targets


def test_an_empty_list_is_a_usage_error(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _cli(fake, cache_dir, "fetch", "-", stdin="# nothing here\n\n")
    assert result.exit_code == 2 and "no target" in result.stderr
    assert fake.requests == []


def test_toi_ids_pipe_into_fetch(fake: FakeExoFop, cache_dir: Path) -> None:
    """`exofop toi --disposition PC --ids | exofop fetch - --types Image --regex sensitivity`."""
    ids = _cli(fake, cache_dir, "toi", "--disposition", "PC", "--ids")
    assert ids.stdout == "TOI-1262.01\n"
    fetched = _cli(
        fake, cache_dir, "fetch", "-", "--types", "Image", "--regex", "sensitivity", stdin=ids.stdout
    )
    assert fetched.exit_code == 0, fetched.stderr
    manifest = json.loads((cache_dir / "exofop" / f"tic_{DEMO_TIC}" / "manifest.json").read_text())
    assert [f["filename"] for f in manifest["files"]] == ["TOI5997I-cc20240523-562_sensitivity.dat"]


# -- many stars ------------------------------------------------------------------------------------------------
def _stars(fake: FakeExoFop, n: int) -> list[str]:
    tics = []
    for i in range(n):
        tic = 500_000_000 + i
        files = [
            FakeFile(700_000 + 10 * i + k, f"f{k}.txt", "Image", content=f"{tic}/{k}".encode())
            for k in range(2)
        ]
        fake.add_target(FakeTarget(tic_id=tic, tois=[f"{8000 + i}.01"], files=files))
        tics.append(str(tic))
    return tics


def test_many_stars_overlap_within_jobs(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.latency = 0.02  # requests last long enough to overlap
    tics = _stars(fake, 6)
    with make_client(fake, cache_dir, jobs=3) as client:
        outcomes = client.fetch_many(tics, include_summaries=False, archive="off")
    assert all(not isinstance(o, Exception) and o.ok and o.n_downloaded == 2 for o in outcomes)
    assert fake.in_flight.peak <= 3  # --jobs bounds the requests of all stars together...
    assert fake.in_flight.stars_together >= 2  # ...and stars share them: more than one in flight at once
    for tic, outcome in zip(tics, outcomes, strict=True):
        assert [p.read_text() for p in sorted(outcome.files_downloaded)] == [f"{tic}/0", f"{tic}/1"]  # type: ignore[union-attr]


def test_one_star_failing_does_not_stop_the_others(fake: FakeExoFop, cache_dir: Path) -> None:
    tics = _stars(fake, 3)
    with make_client(fake, cache_dir) as client:
        outcomes = client.fetch_many([tics[0], "999999999", tics[1], "TOI-99999", tics[2]])
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == [
        "ExoFopFetchResult",
        "TargetNotFoundError",
        "ExoFopFetchResult",
        "TargetNotFoundError",
        "ExoFopFetchResult",
    ]


def test_a_warm_batch_makes_no_request(fake: FakeExoFop, cache_dir: Path) -> None:
    tics = _stars(fake, 3)
    with make_client(fake, cache_dir) as client:
        client.fetch_many(tics)
        fake.reset_log()
        again = client.fetch_many(tics)
    assert fake.requests == [] and all(o.n_skipped == 2 for o in again)  # type: ignore[union-attr]


# -- whole stars from the archive --------------------------------------------------------------------------
def test_a_whole_star_comes_in_one_archive_request(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(bulk_target(40, 4096))
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=BULK_TIC, include_summaries=False)
    assert result.ok and result.n_downloaded == 40
    assert fake.count("download_files_zip.php") == 1 and fake.count("get_file.php") == 0
    manifest = json.loads(result.manifest_path.read_text())
    served = {f.file_id: f.sha256() for f in fake.targets[BULK_TIC].files}
    assert {f["file_id"]: f["sha256"] for f in manifest["files"]} == served  # hashed and recorded as ever
    assert all("download_files_zip.php" in f["source_url"] for f in manifest["files"])
    assert "download_files_zip.php" in manifest["sources"]["endpoints"]
    assert not any((result.cache_root / "archives").glob("*"))  # auto does not keep the zip


def test_files_the_archive_lacks_are_fetched_by_id(fake: FakeExoFop, cache_dir: Path) -> None:
    """The anonymous zip lacks the proprietary file; two notes.txt are ambiguous in it: both by id."""
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=DEMO_TIC, include_summaries=False)
    assert fake.count("download_files_zip.php") == 1
    asked = sorted(int(r.query.split("=")[1]) for r in fake.requests if r.endpoint == "get_file.php")
    assert asked == [1008, 1009, 1010]  # notes.txt twice (ambiguous), and the proprietary file
    assert [e.file_id for e in result.errors] == [1010]
    public = [f for f in fake.targets[DEMO_TIC].files if not f.proprietary]
    assert result.n_downloaded == len(public)
    for path in result.files_downloaded:
        fid = int(path.name.split("_", 1)[0])
        assert hashlib.sha256(path.read_bytes()).hexdigest() == next(
            f.sha256() for f in public if f.file_id == fid
        )


def test_a_selection_never_takes_the_archive(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(bulk_target(40, 4096))
    selectors = ExoFopSelectors(filename_regex=r"bulk_00\d")
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=BULK_TIC, selectors=selectors, include_summaries=False)
    assert result.n_downloaded == 10
    assert fake.count("download_files_zip.php") == 0 and fake.count("get_file.php") == 10


def test_the_rest_of_a_star_after_a_selection_is_fetched_by_id(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(bulk_target(12, 1024))
    with make_client(fake, cache_dir, jobs=4) as client:
        client.fetch(target=BULK_TIC, selectors=ExoFopSelectors(tag_ids={40000}), include_summaries=False)
        fake.reset_log()
        rest = client.fetch(target=BULK_TIC, include_summaries=False)
    # 9 left: all wanted, but not every listed file (3 are cached), so the zip would carry unwanted bytes.
    assert rest.n_downloaded == 9 and fake.count("download_files_zip.php") == 0


def test_a_failed_archive_falls_back_to_files(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(bulk_target(8, 1024))
    fake.faults.fail("download_files_zip.php", 502, times=100)
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=BULK_TIC, include_summaries=False)
    assert result.ok and result.n_downloaded == 8 and fake.count("get_file.php") == 8
    assert any("could not get the zip archive" in w for w in result.warnings)


def test_an_explicit_archive_is_kept(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=DEMO_TIC, archive="zip", include_summaries=False)
    assert (result.cache_root / "archives" / f"tic_{DEMO_TIC}_files.zip").is_file()


def test_the_archive_mode_is_checked_and_read_in_any_case(fake: FakeExoFop, cache_dir: Path) -> None:
    from exofop_cli.ops.batch import FetchRequest

    assert FetchRequest(archive="ZIP").archive == "zip" and FetchRequest(archive=None).archive is None
    with make_client(fake, cache_dir) as client:
        with pytest.raises(InvalidInputError) as info:
            client.plan_fetch(target=DEMO_TIC, archive="rar")
        result = client.fetch(target=DEMO_TIC, archive="Zip", include_summaries=False)
    assert info.value.message == "--archive must be one of auto, zip, tar, off, not 'rar'"
    assert (
        info.value.hint == "auto (the default) takes a whole star from its zip; off asks for each file by id"
    )
    assert (result.cache_root / "archives" / f"tic_{DEMO_TIC}_files.zip").is_file()  # "Zip" is zip


def test_cli_refuses_an_unknown_archive_before_any_request(fake: FakeExoFop, cache_dir: Path) -> None:
    for extra in ((), ("--dry-run",)):
        result = _cli(fake, cache_dir, "fetch", "TOI-1262", "--archive", "RAR", *extra)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.startswith("error: --archive must be one of auto, zip, tar, off, not 'rar'\n")
        assert "off asks for each file by id" in result.stderr
    assert fake.requests == []


def _row(file_id: int) -> ExoFopFileRow:
    return ExoFopFileRow(file_id, 1, None, f"f{file_id}", "Image")


def test_archive_choice_rules() -> None:
    listed = [_row(i) for i in range(10)]
    assert archive_choice("zip", wanted=listed[:1], listed=listed, refused=(), jobs=4) == "zip"
    assert archive_choice("off", wanted=listed, listed=listed, refused=(), jobs=4) is None
    assert archive_choice(None, wanted=listed, listed=listed, refused=(), jobs=4) is None
    assert archive_choice("auto", wanted=listed, listed=listed, refused=(), jobs=4) == "zip"
    assert (
        archive_choice("auto", wanted=listed[:4], listed=listed[:4], refused=(), jobs=4) is None
    )  # one round
    assert archive_choice("auto", wanted=listed[:9], listed=listed, refused=(), jobs=4) is None  # a subset
    assert archive_choice("auto", wanted=listed[:9], listed=listed, refused={9}, jobs=4) == "zip"


def test_speculation_rules() -> None:
    assert speculate_archive("auto", selectors=None, cached_anything=False)
    assert speculate_archive("auto", selectors=ExoFopSelectors(), cached_anything=False)
    assert not speculate_archive("auto", selectors=ExoFopSelectors(types="Image"), cached_anything=False)
    assert not speculate_archive("auto", selectors=None, cached_anything=True)
    assert not speculate_archive("zip", selectors=None, cached_anything=False)


def test_bad_archive_modes_are_refused(client: ExoFopClient) -> None:
    from exofop_cli import InvalidInputError

    with pytest.raises(InvalidInputError, match="auto, zip, tar, off"):
        client.fetch(target=DEMO_TIC, archive="rar")


def test_warnings_of_several_stars_name_their_star(fake: FakeExoFop, cache_dir: Path) -> None:
    result = _cli(fake, cache_dir, "fetch", "TOI-1262", "231702397", "--types", "Spectra", "--no-summaries")
    assert result.exit_code == 0, result.stderr
    assert f"warning: TIC {DEMO_TIC}: no file of the" in result.stderr
    single = _cli(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectra", "--no-summaries")
    assert "warning: no file of the" in single.stderr  # one star: the summary line names it
