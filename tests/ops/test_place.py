"""``fetch --to DIR``: the selected files under their ExoFOP names, with a manifest of their own."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors
from exofop_cli.cli import app
from exofop_cli.errors import CacheError, InvalidInputError
from exofop_cli.ops.contrast import find_contrast_curves
from exofop_cli.ops.place import Placement, decide_names
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeTarget, bulk_target

SPECTRA = ExoFopSelectors(types={"Spectrum"})


# -- the pure decision ----------------------------------------------------------------------------------------
def test_names_are_the_exofop_names_with_the_id_only_on_a_clash() -> None:
    got = decide_names([(9, "notes.txt"), (8, "notes.txt"), (3, "a.fits")], owned={}, occupied=set())
    assert got == [Placement(3, "a.fits"), Placement(8, "notes.txt"), Placement(9, "9_notes.txt")]


def test_a_users_file_is_never_taken_and_exofops_own_is() -> None:
    # a.fits is the user's; b.fits exofop placed for file 2 before; c.fits was placed for file 7 (not wanted now).
    owned = {"b.fits": 2, "c.fits": 7}
    occupied = {"a.fits", "b.fits", "c.fits"}
    got = decide_names([(1, "a.fits"), (2, "b.fits"), (3, "c.fits")], owned=owned, occupied=occupied)
    assert got == [Placement(1, "1_a.fits"), Placement(2, "b.fits"), Placement(3, "3_c.fits")]


def test_an_earlier_name_is_kept_and_reserved_names_are_never_used() -> None:
    got = decide_names([(1, "x.dat"), (5, "x.dat")], owned={"x.dat": 5}, occupied={"x.dat"})
    assert got == [Placement(1, "1_x.dat"), Placement(5, "x.dat")]  # stable: 5 placed first keeps its name
    reserved = decide_names([(4, "manifest.json"), (6, "filelist.csv")], owned={}, occupied=set())
    assert reserved == [Placement(4, "4_manifest.json"), Placement(6, "6_filelist.csv")]


def test_both_names_taken_by_the_user_leave_the_file_unplaced() -> None:
    got = decide_names([(1, "a.fits")], owned={}, occupied={"a.fits", "1_a.fits"})
    assert got == [Placement(1, None)]


# -- placing against the fake ---------------------------------------------------------------------------------
def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    return data


def test_files_are_hard_linked_under_their_names_with_a_self_contained_manifest(
    client: ExoFopClient, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    result = client.fetch(target="TOI-1262", to=report)
    names = sorted(p.name for p in result.placed)
    assert "notes.txt" in names and "1009_notes.txt" in names  # two uploads named notes.txt
    assert "TOI1262.01_TRES_20200815.fits" in names
    assert all(p.parent == report for p in result.placed)
    cached_by_name = {p.name.split("_", 1)[1]: p for p in result.files}
    assert os.path.samefile(report / "TOI1262_TRES_ccf.pdf", cached_by_name["TOI1262_TRES_ccf.pdf"])
    manifest = _manifest(report)
    assert manifest["schema_version"] == 1 and manifest["target"]["tic_id"] == DEMO_TIC
    assert result.placed_manifest_path == report / "manifest.json"
    for entry in manifest["files"]:
        path = report / entry["path"]
        assert "/" not in entry["path"] and path.is_file()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert path.stat().st_size == entry["bytes"]
    assert (report / manifest["filelist"]["path"]).is_file()
    assert manifest["summaries"] and all((report / p).is_file() for p in manifest["summaries"].values())
    assert [e["file_id"] for e in manifest["errors"]] == [1010]  # the proprietary file, said so
    # The folder stands on its own: the spec's readers take its manifest as they take the cache's.
    assert {p.name for p in find_contrast_curves(report / "manifest.json")} >= {
        "TOI5997I-cc20240523-562_sensitivity.dat"
    }


def test_a_users_file_is_left_alone_and_the_placed_one_gets_its_id(
    client: ExoFopClient, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "TOI1262_TRES_ccf.pdf").write_bytes(b"my own notes")
    result = client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)
    assert (report / "TOI1262_TRES_ccf.pdf").read_bytes() == b"my own notes"
    assert report / "1002_TOI1262_TRES_ccf.pdf" in result.placed
    paths = {e["path"] for e in _manifest(report)["files"]}
    assert "1002_TOI1262_TRES_ccf.pdf" in paths and "TOI1262_TRES_ccf.pdf" not in paths


def test_runs_accumulate_and_an_unchanged_run_rewrites_nothing(client: ExoFopClient, tmp_path: Path) -> None:
    report = tmp_path / "report"
    client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)
    client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Image"}), to=report)
    types = {e["type"] for e in _manifest(report)["files"]}
    assert types == {"Spectrum", "Image"}
    before = (report / "manifest.json").read_bytes()
    stat = (report / "manifest.json").stat()
    client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Image"}), to=report)
    assert (report / "manifest.json").read_bytes() == before
    assert (report / "manifest.json").stat().st_mtime_ns == stat.st_mtime_ns
    # A placed file the user deleted drops out of the manifest on the next run.
    (report / "TOI1262_NEID_rv.txt").unlink()
    client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Image"}), to=report)
    assert "TOI1262_NEID_rv.txt" not in {e["path"] for e in _manifest(report)["files"]}


def test_a_placed_file_that_no_longer_matches_is_put_back(client: ExoFopClient, tmp_path: Path) -> None:
    report = tmp_path / "report"
    first = client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)
    placed = report / "TOI1262_NEID_rv.txt"
    placed.unlink()
    placed.write_bytes(b"edited by hand")  # exofop's name, listed in its manifest, other bytes
    again = client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)
    assert again.placed == first.placed
    cached = next(p for p in again.files if p.name.endswith("TOI1262_NEID_rv.txt"))
    assert os.path.samefile(placed, cached)


def test_without_hard_links_the_files_are_copied_and_checked(
    client: ExoFopClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    report = tmp_path / "report"
    result = client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)
    assert result.placed
    for path in result.placed:
        cached = next(p for p in result.files if p.name.endswith(path.name))
        assert not os.path.samefile(path, cached) and path.read_bytes() == cached.read_bytes()
    assert not [p for p in report.iterdir() if p.name.endswith(".part")]


def test_another_stars_folder_and_a_foreign_manifest_are_refused(
    client: ExoFopClient, fake: FakeExoFop, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"name": "my project"}')
    fake.reset_log()
    with pytest.raises(InvalidInputError, match="not an exofop manifest"):
        client.fetch(target="TOI-1262", to=other)
    assert fake.requests == []  # refused before anything was asked
    assert (other / "manifest.json").read_text() == '{"name": "my project"}'
    manifest = _manifest(report)
    manifest["target"]["tic_id"] = 1
    (report / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidInputError, match="describes TIC 1"):
        client.fetch(target="TOI-1262", selectors=SPECTRA, to=report)


def test_an_unwritable_folder_is_a_clear_error(client: ExoFopClient, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidInputError, match="not a folder"):
        client.fetch(target="TOI-1262", to=blocker)
    if os.geteuid() == 0:
        return  # root writes anywhere
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(CacheError, match="--to"):
        client.fetch(target="TOI-1262", selectors=SPECTRA, to=locked / "report")


def test_several_stars_get_a_folder_each(tmp_path: Path) -> None:
    from exofop_cli.testing import demo_targets

    from ..conftest import make_client

    stars: list[FakeTarget] = [*demo_targets(), bulk_target(3)]
    with FakeExoFop(stars) as fake, make_client(fake, tmp_path / "cache") as client:
        outcomes = client.fetch_many(["TOI-1262", stars[-1].tic_id, "HD 104654"], to=tmp_path / "out")
    folders = {o.placed_manifest_path.parent.name for o in outcomes if not isinstance(o, Exception)}  # type: ignore[union-attr]
    assert folders == {f"tic_{DEMO_TIC}", f"tic_{stars[-1].tic_id}"}
    assert outcomes[0] is outcomes[2]  # two names of one star: fetched and placed once


def test_the_command_prints_the_folder_and_its_manifest(fake: FakeExoFop, tmp_path: Path) -> None:
    env = {"EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(tmp_path / "cache")}
    report = tmp_path / "report"
    result = CliRunner().invoke(app, ["fetch", "TOI-1262", "-t", "Spectrum", "--to", str(report)], env=env)
    assert result.exit_code == 3  # the proprietary CHIRON spectrum needs a login
    assert result.stdout == f"{report}\t{report / 'manifest.json'}\n"
    assert f"TIC {DEMO_TIC}: 3 files in {report}" in result.stderr
    dry = CliRunner().invoke(app, ["fetch", "TOI-1262", "-n", "--to", str(tmp_path / "new")], env=env)
    assert dry.exit_code == 0 and "would place the selected files in" in dry.stderr
    assert not (tmp_path / "new").exists()
