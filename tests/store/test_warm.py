"""The warm path (``exofop_cli.store.warm``): a recorded no-op fetch is replayed exactly, and only while it holds."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from exofop_cli import ExoFopClient, ExoFopSelectors
from exofop_cli.ops import fetcher as fetcher_mod
from exofop_cli.store import warm
from exofop_cli.store.layout import TargetLayout
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from ..conftest import make_client
from ..test_fetch_library import assert_manifest_matches_disk


@pytest.fixture
def full_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full (non-replayed) fetches: one entry per ``Fetcher.run``."""
    calls: list[int] = []
    real = fetcher_mod.Fetcher.run

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(fetcher_mod.Fetcher, "run", counting)
    return calls


def layout_of(client: ExoFopClient) -> TargetLayout:
    return client.layout(DEMO_TIC)


def age_stamp(layout: TargetLayout, seconds: float = 10.0) -> None:
    """Make the stamp look recorded ``seconds`` after its inputs changed (as when a user re-runs later)."""
    stamp = json.loads(layout.warm_stamp.read_text())
    stamp["read_at_ns"] += int(seconds * 1e9)
    layout.warm_stamp.write_text(json.dumps(stamp))


def warmed(client: ExoFopClient, **options: Any) -> Any:
    """Cold fetch, then a full no-op fetch that records the stamp, made trustworthy; returns the no-op result."""
    client.fetch(target="TOI-1262", **options)
    result = client.fetch(target="TOI-1262", **options)
    assert layout_of(client).warm_stamp.is_file()
    age_stamp(layout_of(client))
    return result


SELECTIONS: dict[str, dict[str, Any]] = {
    "everything": {},
    "types": {"selectors": ExoFopSelectors(types=("Spectrum",))},
    "regex and tag": {"selectors": ExoFopSelectors(filename_regex="notes", tag_ids=(30001,))},
    "max files": {"selectors": ExoFopSelectors(max_files=2)},
    "instrument join": {"selectors": ExoFopSelectors(instruments=("TRES",))},
    "no summaries": {"include_summaries": False},
}


@pytest.mark.parametrize("options", SELECTIONS.values(), ids=list(SELECTIONS))
def test_replay_equals_the_full_fetch(
    client: ExoFopClient, fake: FakeExoFop, full_runs: list[int], options: dict[str, Any]
) -> None:
    full = warmed(client, **options)
    runs = len(full_runs)
    fake.reset_log()
    replayed = client.fetch(target="TOI-1262", **options)
    assert len(full_runs) == runs, "the warm fetch was not replayed"
    assert replayed == full  # every field: files, counts, target, warnings, errors
    assert not fake.requests


def test_replay_matches_for_another_spelling_of_the_target(
    client: ExoFopClient, full_runs: list[int]
) -> None:
    full = warmed(client)
    client.fetch(target=str(DEMO_TIC))  # another query key: records the stamp for it
    age_stamp(layout_of(client))
    runs = len(full_runs)
    assert client.fetch(target=str(DEMO_TIC)).files == full.files
    assert len(full_runs) == runs


def test_the_auth_failure_is_replayed_with_its_exit_semantics(client: ExoFopClient) -> None:
    full = warmed(client)
    replayed = client.fetch(target="TOI-1262")
    assert [e.kind for e in replayed.errors] == ["auth_required"]
    assert replayed.n_failed == full.n_failed == 1
    assert any("not asked for again" in w for w in replayed.warnings)


def test_a_cold_fetch_records_no_stamp(client: ExoFopClient) -> None:
    client.fetch(target="TOI-1262")
    assert not layout_of(client).warm_stamp.exists()


def test_a_fresh_stamp_is_not_trusted(client: ExoFopClient, full_runs: list[int]) -> None:
    """Inputs changed less than RACY_WINDOW_NS before the stamp: a same-tick change could hide."""
    client.fetch(target="TOI-1262")
    client.fetch(target="TOI-1262")  # records the stamp right after the downloads
    runs = len(full_runs)
    client.fetch(target="TOI-1262")
    assert len(full_runs) == runs + 1


def _read_at(layout: TargetLayout) -> int:
    return int(json.loads(layout.warm_stamp.read_text())["read_at_ns"])


def test_the_stamp_is_rewritten_until_it_can_be_trusted(client: ExoFopClient) -> None:
    layout = layout_of(client)
    client.fetch(target="TOI-1262")
    client.fetch(target="TOI-1262")
    first = _read_at(layout)
    time.sleep(0.02)
    client.fetch(target="TOI-1262")  # untrusted, so recorded again: its clock moves on towards trust
    assert _read_at(layout) > first
    age_stamp(layout)
    trusted = layout.warm_stamp.read_bytes()
    client.fetch(target="TOI-1262")
    assert layout.warm_stamp.read_bytes() == trusted  # a trusted stamp is left alone


def test_trust_is_measured_from_when_the_inputs_were_read() -> None:
    """Not from when the stamp was written: a slow run must not make a same-tick change look old."""
    window = warm.RACY_WINDOW_NS
    read_at = 100 * window
    stamp = {"read_at_ns": read_at, "inputs": {"a": [1, read_at - window - 1, 7], "b": None}}
    assert warm._trusted(stamp)
    stamp["inputs"]["a"] = [1, read_at - window, 7]
    assert not warm._trusted(stamp)
    for broken in ({"read_at_ns": "x", "inputs": {}}, {"read_at_ns": read_at, "inputs": {"a": [1, "2", 3]}}):
        assert not warm._trusted(broken)


def test_the_stamp_clock_is_read_before_the_decision(
    client: ExoFopClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_at_ns must predate everything the run read, however long the run then takes."""
    client.fetch(target="TOI-1262")
    probe = layout_of(client).root / "probe"  # same file system, so the same clock
    real = fetcher_mod.converge_manifest

    def slow_then_mark(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)  # several clock ticks, even on a coarse clock
        probe.write_bytes(b"")
        return real(*args, **kwargs)

    monkeypatch.setattr(fetcher_mod, "converge_manifest", slow_then_mark)
    client.fetch(target="TOI-1262")
    assert _read_at(layout_of(client)) < probe.stat().st_mtime_ns


def test_a_stamp_from_another_version_is_not_replayed(
    client: ExoFopClient, full_runs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    warmed(client)
    monkeypatch.setattr(warm, "__version__", "999.0")
    runs = len(full_runs)
    client.fetch(target="TOI-1262")
    assert len(full_runs) == runs + 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: m["files"][0].update(file_id="x"),
        lambda m: m["files"][0].update(file_id=[1]),
        lambda m: m["files"][0].update(path="files/\x00nul"),
        lambda m: m.update(files=7),
        lambda m: m.update(summaries=["x"]),
    ],
    ids=["file_id text", "file_id list", "NUL in path", "files not a list", "summaries not a map"],
)
def test_a_hand_edited_manifest_is_rewritten_not_fatal(
    client: ExoFopClient, damage: Callable[[dict[str, Any]], object]
) -> None:
    warmed(client)
    layout = layout_of(client)
    manifest = json.loads(layout.manifest.read_text())
    damage(manifest)
    layout.manifest.write_text(json.dumps(manifest))
    result = client.fetch(target="TOI-1262")
    assert_manifest_matches_disk(result.manifest_path)
    assert len(json.loads(layout.manifest.read_text())["files"]) == 9


def test_replay_touches_last_used(client: ExoFopClient) -> None:
    warmed(client)
    marker = layout_of(client).last_used
    os.utime(marker, ns=(1, 1))
    client.fetch(target="TOI-1262")
    assert marker.stat().st_mtime_ns > 1


def test_client_notices_come_first_on_replay(client: ExoFopClient) -> None:
    full = warmed(client)
    client.notices.append("cookie jar note")
    replayed = client.fetch(target="TOI-1262")
    assert replayed.warnings == ["cookie jar note", *full.warnings]


# -- anything that could change the outcome sends the fetch down the full path --------------------------------


def _file(layout: TargetLayout, prefix: str = "1003_") -> Path:
    return next((layout.root / "files").glob(prefix + "*"))


def _append(layout: TargetLayout) -> None:
    with open(_file(layout), "ab") as fh:
        fh.write(b"tampered")


def _touch_file(layout: TargetLayout) -> None:
    path = _file(layout)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def _replace_same_bytes(path: Path) -> None:
    data, st = path.read_bytes(), path.stat()
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(data)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with size and mtime unchanged
    os.replace(tmp, path)


def _edit_resolution(layout: TargetLayout) -> None:
    path = layout.root.parent / "resolutions.json"
    data = json.loads(path.read_text())
    data["toi:1262"]["aliases"] = ["renamed"]
    path.write_text(json.dumps(data))


MUTATIONS: dict[str, Callable[[TargetLayout], object]] = {
    "file grew": _append,
    "file touched": _touch_file,
    "file deleted": lambda lay: _file(lay).unlink(),
    "file replaced by an identical copy": lambda lay: _replace_same_bytes(_file(lay)),
    "record deleted": lambda lay: (lay.records_dir / "1003.json").unlink(),
    "record edited in place": lambda lay: (lay.records_dir / "1003.json").write_text("{}"),
    "file list replaced": lambda lay: _replace_same_bytes(lay.filelist),
    "file list deleted": lambda lay: lay.filelist.unlink(),
    "summary deleted": lambda lay: (lay.summaries_dir / "spect.csv").unlink(),
    "summary edited": lambda lay: (lay.summaries_dir / "spect.csv").write_text("x"),
    "manifest edited": lambda lay: lay.manifest.write_bytes(lay.manifest.read_bytes() + b" "),
    "manifest deleted": lambda lay: lay.manifest.unlink(),
    "stray file in files/": lambda lay: (lay.root / "files" / "stray").write_bytes(b""),
    "resolution changed": _edit_resolution,
    "stamp is garbage": lambda lay: lay.warm_stamp.write_bytes(b"\x00not json"),
    "stamp from another version": lambda lay: lay.warm_stamp.write_text('{"version": 999}'),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=list(MUTATIONS))
def test_any_change_takes_the_full_path(
    client: ExoFopClient, full_runs: list[int], mutate: Callable[[TargetLayout], object]
) -> None:
    warmed(client)
    layout = layout_of(client)
    mutate(layout)
    runs = len(full_runs)
    result = client.fetch(target="TOI-1262")
    assert len(full_runs) == runs + 1
    # And the full path repaired what needed repairing: every public file is there and intact.
    assert result.n_skipped + result.n_downloaded == 9
    assert_manifest_matches_disk(result.manifest_path)


def test_a_grown_file_is_downloaded_again(client: ExoFopClient) -> None:
    warmed(client)
    _append(layout_of(client))
    assert client.fetch(target="TOI-1262").n_downloaded == 1


def test_a_touched_file_is_rehashed_not_downloaded(client: ExoFopClient, fake: FakeExoFop) -> None:
    warmed(client)
    _touch_file(layout_of(client))
    fake.reset_log()
    result = client.fetch(target="TOI-1262")
    assert result.n_downloaded == 0 and not fake.requests


OPTION_CHANGES: dict[str, dict[str, Any]] = {
    "other selection": {"selectors": ExoFopSelectors(types=("Image",))},
    "without summaries": {"include_summaries": False},
    "archive": {"archive": "zip"},
    "refresh": {"force_refresh": True},
    "force": {"force_download": True},
    "verify": {"verify": True},
}


@pytest.mark.parametrize("options", OPTION_CHANGES.values(), ids=list(OPTION_CHANGES))
def test_other_options_take_the_full_path(
    client: ExoFopClient, full_runs: list[int], options: dict[str, Any]
) -> None:
    warmed(client)
    runs = len(full_runs)
    client.fetch(target="TOI-1262", **options)
    assert len(full_runs) == runs + 1


def test_another_server_takes_the_full_path(
    client: ExoFopClient, fake: FakeExoFop, cache_dir: Path, full_runs: list[int]
) -> None:
    warmed(client)
    with FakeExoFop(list(fake.targets.values())) as other, make_client(other, cache_dir) as c:
        runs = len(full_runs)
        c.fetch(target="TOI-1262")
        assert len(full_runs) == runs + 1


def test_a_login_takes_the_full_path(
    client: ExoFopClient, fake: FakeExoFop, cache_dir: Path, tmp_path: Path, full_runs: list[int]
) -> None:
    warmed(client)
    jar = tmp_path / "jar.txt"
    jar.write_text(f"127.0.0.1\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{fake.new_session()}\n")
    with make_client(fake, cache_dir, cookie_jar_path=jar) as c:
        runs = len(full_runs)
        result = c.fetch(target="TOI-1262")
        assert len(full_runs) == runs + 1
        assert not result.errors  # the proprietary file is asked for again, with the session


def test_no_stamp_when_the_cache_changes_during_the_run(
    client: ExoFopClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer between the decision and the end: that run's result must not be replayed."""
    client.fetch(target="TOI-1262")
    layout = layout_of(client)
    real = fetcher_mod.converge_manifest

    def concurrent_change(*args: Any, **kwargs: Any) -> Any:
        (layout.root / "files" / "from-another-run").write_bytes(b"")
        return real(*args, **kwargs)

    monkeypatch.setattr(fetcher_mod, "converge_manifest", concurrent_change)
    client.fetch(target="TOI-1262")
    assert not layout.warm_stamp.exists()


def test_replay_survives_a_moved_cache(fake: FakeExoFop, tmp_path: Path, full_runs: list[int]) -> None:
    first = tmp_path / "first"
    with make_client(fake, first) as c:
        warmed(c)
    moved = tmp_path / "moved"
    os.rename(first, moved)
    with make_client(fake, moved) as c:
        runs = len(full_runs)
        result = c.fetch(target="TOI-1262")
    assert len(full_runs) == runs  # inodes and mtimes survive a rename; paths are relative
    assert all(p.is_relative_to(moved) and p.is_file() for p in result.files)


def test_request_key_treats_no_selectors_as_empty_selectors() -> None:
    def key(sel: ExoFopSelectors | None) -> dict[str, Any]:
        return warm.request_key(
            base_url="u", selectors=sel, include_summaries=True, archive=None, cookie_jar_used=False
        )

    assert key(None) == key(ExoFopSelectors())
    assert key(None) != key(ExoFopSelectors(max_files=1))


def test_input_paths_cover_files_records_and_summaries() -> None:
    manifest = {
        "files": [{"file_id": 7, "path": "files/7_a.fits"}, {"bad": 1}],
        "summaries": {"spect": "summaries/spect.csv"},
    }
    paths = warm.input_paths(manifest)
    assert {"filelist.csv", "manifest.json", "files", "summaries", ".state/records"} <= set(paths)
    assert {"files/7_a.fits", ".state/records/7.json", "summaries/spect.csv"} <= set(paths)
    assert warm.input_paths(None) == warm.input_paths("garbage")  # type: ignore[arg-type]


def test_many_targets_naming_a_replayed_star_share_its_outcome(
    client: ExoFopClient, fake: FakeExoFop, full_runs: list[int]
) -> None:
    """A warm star named twice (one name replays, the other is not stamped) is not fetched a second time."""
    warmed(client)
    runs = len(full_runs)
    fake.reset_log()
    outcomes = client.fetch_many(["TOI-1262", "HD 104654", "TOI-1262"])
    assert len(full_runs) == runs, "the star was fetched again for its other name"
    assert outcomes[0] is outcomes[1] is outcomes[2]  # one outcome: the CLI prints the star once
    assert fake.count("download_filelist.php") == 0 and fake.count("get_file.php") == 0
