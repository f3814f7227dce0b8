"""cache_manager: durations, prune plans (pure reading) and their execution (only inside the cache root)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from exofop_cli.errors import InvalidInputError, TargetNotFoundError
from exofop_cli.models import ExoFopTarget
from exofop_cli.ops.maintenance import (
    PruneItem,
    PrunePlan,
    cache_root_for,
    execute_prune,
    parse_duration,
    plan_prune,
    scan_cache,
    target_folder,
    tic_ids_for,
    verify_cache,
    verify_target,
)
from exofop_cli.store.atomic import STALE_TEMP_SECONDS, temp_path_for
from exofop_cli.store.layout import TargetLayout, target_dirs
from exofop_cli.store.resolutions import ResolutionCache

NOW = 2_000_000_000.0
DAY = 86400.0


# -- parse_duration ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30d", 30 * DAY),
        ("12h", 12 * 3600.0),
        ("2w", 14 * DAY),
        ("90m", 5400.0),
        ("45s", 45.0),
        ("1.5d", 1.5 * DAY),
        (" 7D ", 7 * DAY),
        ("0s", 0.0),
        ("3 h", 3 * 3600.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "d", "-1d", "30y", "1 day", "1d2h", ".5d", "1e3s", "thirty days"])
def test_bad_durations_are_invalid_input_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid duration") as info:
        parse_duration(text)
    assert info.value.hint == "use a number and a unit: 30d, 12h, 2w, 90m or 45s"


# -- a cache to prune -------------------------------------------------------------------------------------
def _target(
    root: Path, tic: int, *, last_used: float | None, manifest_mtime: float | None = None
) -> TargetLayout:
    layout = TargetLayout.for_tic(root, tic)
    layout.files_dir.mkdir(parents=True)
    (layout.files_dir / "1_a.fits").write_bytes(b"x" * (100 * tic))
    if manifest_mtime is not None:
        layout.manifest.write_text(json.dumps({"schema_version": 1, "target": {"toi": []}, "files": []}))
        os.utime(layout.manifest, (manifest_mtime, manifest_mtime))
    if last_used is not None:
        layout.last_used.parent.mkdir(parents=True, exist_ok=True)
        layout.last_used.write_bytes(b"")
        os.utime(layout.last_used, (last_used, last_used))
    os.utime(layout.root, (NOW - 400 * DAY, NOW - 400 * DAY))
    return layout


def _manifest_size() -> int:
    return len(json.dumps({"schema_version": 1, "target": {"toi": []}, "files": []}))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    root = tmp_path / "cache" / "exofop"
    root.mkdir(parents=True)
    _target(root, 1, last_used=NOW - 40 * DAY)
    # Used yesterday, although its manifest was last rewritten long ago: --older-than must go by last_used.
    _target(root, 2, last_used=NOW - 1 * DAY, manifest_mtime=NOW - 100 * DAY)
    # Never touched last_used (older version): falls back to the manifest's mtime.
    _target(root, 3, last_used=None, manifest_mtime=NOW - 50 * DAY)
    (root / "resolutions.json").write_text("{}")
    (root / "not_a_target").mkdir()
    (root / "tic_12x").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    (root / "tic_4").symlink_to(outside, target_is_directory=True)
    return root


def _snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root.parent.parent)) for p in root.parent.parent.rglob("*"))


def test_target_dirs_skips_symlinks_and_other_folders(cache: Path) -> None:
    assert [lay.tic_id for lay in target_dirs(cache)] == [1, 2, 3]
    assert target_dirs(cache / "missing") == []


def test_prune_needs_a_criterion(cache: Path) -> None:
    with pytest.raises(InvalidInputError, match="nothing to prune") as info:
        plan_prune(cache)
    assert info.value.hint
    with pytest.raises(InvalidInputError):
        plan_prune(cache, tic_ids=[])


def test_named_target(cache: Path) -> None:
    plan = plan_prune(cache, tic_ids=[2], now=NOW)
    assert plan.items == (PruneItem(cache / "tic_2", "target", 200 + _manifest_size(), "named target", 2),)


def test_everything(cache: Path) -> None:
    plan = plan_prune(cache, everything=True, now=NOW)
    assert [(i.tic_id, i.reason) for i in plan.items] == [(1, "--all"), (2, "--all"), (3, "--all")]


def test_older_than_uses_last_used_then_the_manifest(cache: Path) -> None:
    plan = plan_prune(cache, older_than_seconds=30 * DAY, now=NOW)
    assert [(i.tic_id, i.reason) for i in plan.items] == [
        (1, "last used 40.0 days ago"),
        (3, "last used 50.0 days ago"),
    ]
    assert [i.tic_id for i in plan_prune(cache, older_than_seconds=45 * DAY, now=NOW).items] == [3]
    assert [i.tic_id for i in plan_prune(cache, older_than_seconds=0.5 * DAY, now=NOW).items] == [1, 2, 3]
    assert plan_prune(cache, older_than_seconds=60 * DAY, now=NOW).items == ()


def test_older_than_combined_with_names(cache: Path) -> None:
    assert [
        i.tic_id for i in plan_prune(cache, tic_ids=[1, 2], older_than_seconds=30 * DAY, now=NOW).items
    ] == [1]


def test_plan_takes_targets_and_durations_as_typed(cache: Path) -> None:
    ResolutionCache(cache).put(["toi:1262"], ExoFopTarget(tic_id=2))
    assert [i.tic_id for i in plan_prune(cache, targets=["TOI-1262", "TIC 3"], now=NOW).items] == [2, 3]
    assert plan_prune(cache, older_than="30d", now=NOW) == plan_prune(
        cache, older_than_seconds=30 * DAY, now=NOW
    )
    assert [i.tic_id for i in plan_prune(cache, targets=["1"], tic_ids=[3], now=NOW).items] == [1, 3]
    with pytest.raises(InvalidInputError, match="invalid duration"):
        plan_prune(cache, older_than="soon", now=NOW)
    with pytest.raises(InvalidInputError, match="not both"):
        plan_prune(cache, older_than="30d", older_than_seconds=1.0, now=NOW)
    with pytest.raises(InvalidInputError, match="nothing to prune"):
        plan_prune(cache, targets=[], now=NOW)
    with pytest.raises(InvalidInputError, match="not one target in the cache"):
        plan_prune(cache, targets=["TOI-9999"], now=NOW)


def test_planning_deletes_nothing(cache: Path) -> None:
    before = _snapshot(cache)
    plan_prune(cache, everything=True, now=NOW)
    plan_prune(cache, older_than_seconds=0, now=NOW)
    plan_prune(cache, tic_ids=[1, 2, 3, 4], now=NOW)
    assert _snapshot(cache) == before


def test_execute_deletes_exactly_the_plan(cache: Path) -> None:
    plan = plan_prune(cache, older_than_seconds=30 * DAY, now=NOW)
    outcome = execute_prune(plan)
    assert outcome.deleted == [cache / "tic_1", cache / "tic_3"]
    assert outcome.freed_bytes == plan.total_bytes == 100 + 300 + _manifest_size()
    assert outcome.failed == []
    assert sorted(p.name for p in cache.iterdir()) == [
        "not_a_target",
        "resolutions.json",
        "tic_12x",
        "tic_2",
        "tic_4",
    ]
    assert (cache.parent.parent / "outside" / "precious.txt").read_text() == "keep me"


def test_execute_never_deletes_outside_the_cache_root(cache: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    plan = PrunePlan(
        cache_root=cache,
        items=(
            PruneItem(outside, "target", 7, "forged"),
            PruneItem(cache / "tic_4", "target", 7, "symlink to outside"),
            PruneItem(cache / ".." / ".." / "outside", "target", 7, "dot-dot"),
            PruneItem(outside / "precious.txt", "temp", 7, "forged temp"),
        ),
    )
    outcome = execute_prune(plan)
    assert outcome.deleted == []
    assert outcome.freed_bytes == 0
    assert len(outcome.failed) == 4
    assert all(msg.endswith(": outside the cache, not deleted") for msg in outcome.failed)
    assert (outside / "precious.txt").read_text() == "keep me"
    assert (cache / "tic_4").is_symlink()


def test_execute_never_deletes_the_cache_root_itself(cache: Path) -> None:
    outcome = execute_prune(PrunePlan(cache_root=cache, items=(PruneItem(cache, "target", 1, "forged"),)))
    assert outcome.deleted == []
    assert (cache / "resolutions.json").exists()


def test_deleting_a_target_does_not_follow_links_inside_it(cache: Path, tmp_path: Path) -> None:
    (cache / "tic_1" / "files" / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    (cache / "tic_1" / "files" / "filelink").symlink_to(tmp_path / "outside" / "precious.txt")
    outcome = execute_prune(plan_prune(cache, tic_ids=[1], now=NOW))
    assert outcome.deleted == [cache / "tic_1"]
    assert (tmp_path / "outside" / "precious.txt").read_text() == "keep me"


def test_already_gone_item_is_not_a_failure(cache: Path) -> None:
    plan = plan_prune(cache, tic_ids=[1], now=NOW)
    execute_prune(plan)
    assert execute_prune(plan).failed == []


# -- stale temp files ------------------------------------------------------------------------------------
def test_stale_temps_are_planned_fresh_ones_are_not(cache: Path) -> None:
    stale = temp_path_for(cache / "tic_2" / "files" / "9_big.fits")
    stale.write_bytes(b"p" * 11)
    old = NOW - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    fresh = temp_path_for(cache / "tic_2" / "files" / "10_big.fits")
    fresh.write_bytes(b"q" * 5)
    os.utime(fresh, (NOW - 10, NOW - 10))
    (cache / "tic_2" / "files" / "not_a_temp.part").write_bytes(b"r")  # no leading dot: a real file
    plan = plan_prune(cache, tic_ids=[3], now=NOW)
    assert [(i.kind, i.path, i.bytes, i.reason) for i in plan.items] == [
        ("target", cache / "tic_3", 300 + _manifest_size(), "named target"),
        ("temp", stale, 11, "stale partial download"),
    ]
    outcome = execute_prune(plan)
    assert not stale.exists() and fresh.exists()
    assert (cache / "tic_2" / "files" / "not_a_temp.part").exists()
    assert outcome.freed_bytes == 300 + _manifest_size() + 11


def test_temps_inside_a_pruned_target_are_not_listed_twice(cache: Path) -> None:
    stale = temp_path_for(cache / "tic_1" / "files" / "x")
    stale.write_bytes(b"p")
    os.utime(stale, (0, 0))
    plan = plan_prune(cache, tic_ids=[1], now=NOW)
    assert [i.kind for i in plan.items] == ["target"]


def test_plan_to_dict(cache: Path) -> None:
    plan = plan_prune(cache, tic_ids=[1], now=NOW)
    assert plan.to_dict() == {
        "cache_root": str(cache),
        "total_bytes": 100,
        "items": [
            {
                "path": str(cache / "tic_1"),
                "kind": "target",
                "bytes": 100,
                "reason": "named target",
                "tic_id": 1,
            }
        ],
        "skipped": [],
    }


# -- tic_ids_for (offline) ----------------------------------------------------------------------------
def test_tic_ids_for(cache: Path) -> None:
    ResolutionCache(cache).put(["toi:1262", "name:hd 104654"], ExoFopTarget(tic_id=365938305))
    assert tic_ids_for(cache, ["TIC 5", "TOI-1262", "hd  104654", "7"]) == [5, 365938305, 365938305, 7]
    with pytest.raises(InvalidInputError, match="not one target in the cache") as info:
        tic_ids_for(cache, ["TOI-9999"])
    assert info.value.hint
    with pytest.raises(InvalidInputError):
        tic_ids_for(cache, ["TOI-"])


def test_tic_ids_for_names_that_cache_ls_shows(cache: Path) -> None:
    # Resolved as TOI-1262 (system) only; its planet, another alias, and a star known by its manifest.
    ResolutionCache(cache).put(
        ["toi:1262"], ExoFopTarget(tic_id=365938305, toi=("1262.01",), aliases=("HD 104654",))
    )
    other = TargetLayout.for_tic(cache, 42)
    other.root.mkdir(parents=True)
    other.manifest.write_text(
        json.dumps({"target": {"tic_id": 42, "toi": ["77.01", "77.02"], "aliases": ["Wasp 9"]}})
    )
    assert tic_ids_for(cache, ["TOI-1262.01", "hd 104654", "TOI-77.02", "TOI-77", "WASP  9"]) == [
        365938305,
        365938305,
        42,
        42,
        42,
    ]
    with pytest.raises(InvalidInputError, match="not one target"):
        tic_ids_for(cache, ["TOI-1262.03"])


def test_target_folder(cache: Path) -> None:
    ResolutionCache(cache).put(["toi:1262"], ExoFopTarget(tic_id=365938305))
    assert target_folder(cache) == cache
    assert target_folder(cache, "TIC 2") == cache / "tic_2"
    assert target_folder(cache, "TOI-1262") == cache / "tic_365938305"  # named, though not fetched
    with pytest.raises(InvalidInputError, match="not one target in the cache"):
        target_folder(cache, "TOI-9999")


def test_cache_root_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOFOP_CACHE_DIR", str(tmp_path / "env"))
    assert cache_root_for(tmp_path / "given") == tmp_path / "given" / "exofop"
    assert cache_root_for(None) == tmp_path / "env" / "exofop"


# -- scan and verify ----------------------------------------------------------------------------------
def _verified_target(root: Path) -> TargetLayout:
    layout = TargetLayout.for_tic(root, 9)
    layout.files_dir.mkdir(parents=True)
    (layout.files_dir / "1_a.txt").write_bytes(b"aaa")
    (layout.files_dir / "2_b.txt").write_bytes(b"bb")
    (layout.root / "filelist.csv").write_text("Type,File Name,File ID\nImage,a.txt,1\nImage,b.txt,2\n")
    (layout.summaries_dir).mkdir()
    (layout.summaries_dir / "spect.csv").write_text("TIC ID,Tag,Notes\n")
    manifest = {
        "schema_version": 1,
        "target": {"tic_id": 9, "toi": ["5.01"], "aliases": []},
        "generated_at": "2025-01-02T03:04:05Z",
        "filelist": {"path": "filelist.csv", "n_rows": 2},
        "summaries": {"spect": "summaries/spect.csv"},
        "files": [
            {"file_id": 1, "path": "files/1_a.txt", "bytes": 3, "sha256": hashlib.sha256(b"aaa").hexdigest()},
            {"file_id": 2, "path": "files/2_b.txt", "bytes": 2, "sha256": hashlib.sha256(b"bb").hexdigest()},
        ],
    }
    layout.manifest.write_text(json.dumps(manifest))
    return layout


def test_verify_ok(tmp_path: Path) -> None:
    report = verify_target(_verified_target(tmp_path))
    assert report.to_dict() == {"tic_id": 9, "checked": 2, "ok": True, "problems": []}


def test_verify_cache_names_targets_not_cached(tmp_path: Path) -> None:
    _verified_target(tmp_path)
    everything = verify_cache(tmp_path)
    assert [r.tic_id for r in everything.reports] == [9] and everything.missing == ()
    assert verify_cache(tmp_path, []) == everything
    asked = verify_cache(tmp_path, ["TIC 9", "123", "7"])
    assert [r.tic_id for r in asked.reports] == [9] and asked.damaged == ()
    assert [e.target for e in asked.missing] == ["TIC 7", "TIC 123"]
    (error,) = verify_cache(tmp_path, ["123"]).missing
    assert isinstance(error, TargetNotFoundError)
    assert str(error) == "target not found in the cache: TIC 123" and error.hint and "cache ls" in error.hint


def test_verify_cache_damaged(tmp_path: Path) -> None:
    layout = _verified_target(tmp_path)
    (layout.files_dir / "2_b.txt").write_bytes(b"BB")
    result = verify_cache(tmp_path, ["9"])
    assert result.missing == () and [r.tic_id for r in result.damaged] == [9]


def test_verify_names_every_problem(tmp_path: Path) -> None:
    layout = _verified_target(tmp_path)
    manifest = json.loads(layout.manifest.read_text())
    manifest["files"].append({"file_id": 3, "path": "../../etc/passwd", "bytes": 1, "sha256": "x"})
    manifest["files"].append({"file_id": 4, "path": "files/4_gone.txt", "bytes": 1, "sha256": "x"})
    layout.manifest.write_text(json.dumps(manifest))
    (layout.files_dir / "1_a.txt").write_bytes(b"aaaa")
    (layout.files_dir / "2_b.txt").write_bytes(b"BB")
    (layout.summaries_dir / "spect.csv").unlink()
    (layout.root / "filelist.csv").unlink()
    report = verify_target(layout)
    assert not report.ok
    assert [(p.path, p.file_id, p.problem) for p in report.problems] == [
        ("files/1_a.txt", 1, "size 4 != 3 in manifest"),
        ("files/2_b.txt", 2, "sha256 does not match the manifest"),
        ("../../etc/passwd", 3, "path outside the target folder"),
        ("files/4_gone.txt", 4, "missing"),
        ("filelist.csv", None, "missing"),
        ("summaries/spect.csv", None, "missing"),
    ]


def test_verify_of_a_target_only_listed_is_ok(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, 9)
    layout.root.mkdir()
    (layout.root / "filelist.csv").write_text("Type,File Name,File ID\n")  # what `exofop ls` leaves
    report = verify_target(layout)
    assert (report.checked, report.problems) == (0, ())


def test_verify_of_a_fetched_target_whose_manifest_is_gone(tmp_path: Path) -> None:
    layout = _verified_target(tmp_path)
    layout.manifest.unlink()
    report = verify_target(layout)
    assert (report.checked, [p.problem for p in report.problems]) == (0, ["manifest missing or unreadable"])


@pytest.mark.parametrize(
    "manifest", ['{"files": "abc", "target": [1]}', '{"summaries": "x", "files": [1, "a"]}', "[]", "{"]
)
def test_verify_and_scan_survive_a_manifest_of_any_shape(tmp_path: Path, manifest: str) -> None:
    layout = _verified_target(tmp_path)
    layout.manifest.write_text(manifest)
    report = verify_target(layout)  # a report, never an AttributeError
    assert report.checked == 0
    (cached,) = scan_cache(tmp_path)
    assert cached.tic_id == 9 and cached.toi == ()


def test_verify_names_a_cached_table_that_no_longer_reads(tmp_path: Path) -> None:
    layout = _verified_target(tmp_path)
    (layout.summaries_dir / "spect.csv").write_text("junk\n")
    (layout.root / "filelist.csv").write_text("<html><body>login</body></html>")
    problems = {p.path: p.problem for p in verify_target(layout).problems}
    assert set(problems) == {"summaries/spect.csv", "filelist.csv"}
    assert all("fetch --refresh" in p for p in problems.values())


def test_scan_cache(tmp_path: Path) -> None:
    layout = _verified_target(tmp_path)
    os.utime(layout.manifest, (NOW, NOW))
    (cached,) = scan_cache(tmp_path)
    assert (cached.tic_id, cached.toi, cached.files, cached.last_used, cached.generated_at) == (
        9,
        ("5.01",),
        2,
        NOW,
        "2025-01-02T03:04:05Z",
    )
    assert cached.bytes == sum(p.stat().st_size for p in layout.root.rglob("*") if p.is_file())
    assert cached.to_dict() == {
        "tic_id": 9,
        "toi": "5.01",
        "tois": ["5.01"],
        "files": 2,
        "bytes": cached.bytes,
        "last_fetch": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW)),
        "path": str(layout.root),
    }
    assert scan_cache(tmp_path, with_sizes=False)[0].bytes == 0
