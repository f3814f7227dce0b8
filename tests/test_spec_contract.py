"""The original spec's API, manifest schema, CLI lines and five user stories, verbatim, against the fake.

Each check of ``exofop_cli.testing.contract`` (the same checks downstream projects run) is one test here;
the rest of this module covers what the contract cannot: upgrading a cache written by exofop 1.0.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import exofop_cli
from exofop_cli import (
    ExoFopClient,
    ExoFopSelectors,
    ExoFopTarget,
    InvalidInputError,
    TargetNotFoundError,
    read_manifest,
)
from exofop_cli.testing import DEMO_TIC, FakeExoFop
from exofop_cli.testing.contract import CHECKS, run_contract

from .conftest import make_client


@pytest.mark.parametrize("check", list(CHECKS))
def test_spec_contract(check: str, tmp_path: Path) -> None:
    report = run_contract(workdir=tmp_path, checks=[check])
    assert report.ok, str(report)


def test_contract_reports_a_broken_implementation(tmp_path: Path) -> None:
    """The contract can fail: an API whose fetch returns counts (as exofop 1.0 did) is reported, not passed."""

    class OneZero(ExoFopClient):
        def fetch(self, **kwargs):  # type: ignore[no-untyped-def, override]
            result = super().fetch(**kwargs)
            return type("Result", (), {"files_downloaded": len(result.files_downloaded)})()

    class Api:
        pass

    api = Api()
    for name in exofop_cli.__all__:
        setattr(api, name, getattr(exofop_cli, name))
    api.ExoFopClient = OneZero  # type: ignore[attr-defined]
    report = run_contract(workdir=tmp_path, api=api, checks=["fetch_result"], cli=None)  # type: ignore[arg-type]
    assert not report.ok and "fetch_result" in str(report)


def test_errors_derive_from_builtins() -> None:
    from exofop_cli import (
        AuthRequiredError,
        CacheError,
        NetworkError,
        NotFoundError,
        OfflineError,
        ServerError,
    )

    for cls in (InvalidInputError, TargetNotFoundError, NotFoundError):
        assert issubclass(cls, ValueError)
    for cls in (CacheError, OfflineError, NetworkError, ServerError, AuthRequiredError):
        assert issubclass(cls, OSError)
    assert issubclass(AuthRequiredError, PermissionError) and issubclass(NetworkError, ConnectionError)
    assert str(NetworkError("timed out", endpoint="x")) == "timed out"


def test_targets_are_str_or_int_everywhere(fake: FakeExoFop, client: ExoFopClient) -> None:
    assert client.resolve_target(DEMO_TIC) == client.resolve_target(f"TIC {DEMO_TIC}")
    assert client.list_files(DEMO_TIC).tic_id == DEMO_TIC
    assert client.collect_summaries(DEMO_TIC, kinds=["spect"]).tic_id == DEMO_TIC
    result = client.fetch(target=DEMO_TIC, include_summaries=False)
    assert client.manifest_path_for(DEMO_TIC) == result.manifest_path
    with pytest.raises(InvalidInputError):
        client.resolve_target(True)  # type: ignore[arg-type]  # a bool is not a TIC id


def test_target_toi_and_alias_rules() -> None:
    target = ExoFopTarget(
        1, aliases=["WASP-12", "WASP-12 A", "HAT-P-7", "2MASS J06303279+2940202", "Gaia DR2 3435", "TIC 1"]
    )
    assert target.aliases == {
        "wasp": "WASP-12",
        "hat_p": "HAT-P-7",
        "2mass": "2MASS J06303279+2940202",
        "gaia_dr2": "Gaia DR2 3435",
    }
    assert target.names[1] == "WASP-12 A"  # every name is kept, keyed or not
    assert ExoFopTarget(1, "TOI-1262.01").toi == "1262.01"
    assert ExoFopTarget(1, tois=("1262.02", "TOI 1262.01")).toi == "1262.01"  # the lowest is primary
    assert ExoFopTarget(1, "1262.01", {"hd": "HD 1"}).to_dict()["toi"] == "1262.01"
    given = ExoFopTarget(1, "1262.02", {}, tois=("1262.01",))
    assert (given.toi, given.tois) == ("1262.02", ("1262.01", "1262.02"))  # a given primary is kept
    assert dataclasses.replace(given, toi=None).toi == "1262.01"  # none given: the lowest again
    with pytest.raises(TypeError, match=r"string such as '1262\.01'"):
        ExoFopTarget(1, 1262.1, {})  # type: ignore[arg-type]  # .01 or .10? refused, not guessed


# -- a cache written by exofop 1.0 ----------------------------------------------------------------------------
def _as_written_by_1_0(root: Path, cache_root: Path) -> None:
    """Turn this version's files into the shapes exofop 1.0 wrote (manifest, resolutions, warm stamp)."""
    manifest = json.loads((root / "manifest.json").read_text())
    target = manifest["target"]
    manifest["target"] = {"tic_id": target["tic_id"], "toi": target["tois"], "aliases": target["names"]}
    manifest["sources"] = {
        "base_url": manifest["sources"]["base_url"],
        "endpoints": manifest["sources"]["requests"],
    }
    (root / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=2))
    resolutions = json.loads((cache_root / "resolutions.json").read_text())
    for entry in resolutions.values():
        entry["toi"], entry["aliases"] = entry.pop("tois"), entry.pop("names")
    (cache_root / "resolutions.json").write_text(json.dumps(resolutions))
    stamp_path = root / ".state" / "warm.json"
    stamp = json.loads(stamp_path.read_text())
    stamp["version"], stamp["key"]["exofop"] = 2, "1.0.0"
    stamp["read_at_ns"] = time.time_ns() + 10**10  # would be trusted, were it not from another version
    stamp_path.write_text(json.dumps(stamp))


def test_a_cache_from_1_0_is_upgraded_and_its_old_manifest_never_replayed(
    fake: FakeExoFop, cache_dir: Path
) -> None:
    with make_client(fake, cache_dir) as client:
        client.fetch(target="TOI-1262", include_summaries=False)
        time.sleep(0.05)
        client.fetch(target="TOI-1262", include_summaries=False)  # records a warm stamp
    root = cache_dir / "exofop" / f"tic_{DEMO_TIC}"
    assert (root / ".state" / "warm.json").is_file()
    _as_written_by_1_0(root, cache_dir / "exofop")
    fake.reset_log()
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target="TOI-1262", include_summaries=False)
    assert fake.requests == []  # still served from the cache (the 1.0 resolution is read)...
    manifest = json.loads(result.manifest_path.read_text())
    # ...but through the full path, which rewrote the manifest in this version's shape.
    assert manifest["target"]["toi"] == "1262.01" and isinstance(manifest["target"]["aliases"], dict)
    assert isinstance(manifest["sources"]["endpoints"], list)
    assert result.target.aliases["hd"] == "HD 104654"


def test_the_cli_never_prints_a_1_0_shaped_result(fake: FakeExoFop, cache_dir: Path) -> None:
    env = {**os.environ, "EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache_dir)}
    args = [sys.executable, "-m", "exofop_cli", "fetch", "TOI-1262", "--no-summaries", "--json"]
    assert subprocess.run(args, env=env, capture_output=True, check=False).returncode == 3
    assert subprocess.run(args, env=env, capture_output=True, check=False).returncode == 3
    _as_written_by_1_0(cache_dir / "exofop" / f"tic_{DEMO_TIC}", cache_dir / "exofop")
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    (data,) = json.loads(out.stdout)
    assert data["toi"] == "1262.01" and isinstance(data["files_skipped"], list)


def test_read_manifest_gives_the_spec_shape_for_a_1_0_manifest(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir) as client:
        client.fetch(target="TOI-1262", include_summaries=False)
        time.sleep(0.05)
        result = client.fetch(target="TOI-1262", include_summaries=False)  # records a warm stamp
    current = read_manifest(result.manifest_path)
    _as_written_by_1_0(result.cache_root, cache_dir / "exofop")
    old = read_manifest(result.manifest_path)
    assert old["target"]["toi"] == "1262.01" and old["target"]["aliases"]["hd"] == "HD 104654"
    assert old["sources"]["endpoints"] == current["sources"]["endpoints"]
    assert old["sources"]["requests"] == current["sources"]["requests"]
    assert old == current  # nothing else differs


def test_an_offline_fetch_of_a_1_0_cache_does_not_fail_on_tables_1_0_never_had(
    fake: FakeExoFop, cache_dir: Path
) -> None:
    """exofop 1.0 fetched no nearby/companions tables; offline, their absence is said, not a failure."""
    with make_client(fake, cache_dir) as client:
        client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}))
        time.sleep(0.05)
        result = client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}))
    for kind in ("nearby", "companions"):
        result.summary_paths[kind].unlink()
    _as_written_by_1_0(result.cache_root, cache_dir / "exofop")
    fake.reset_log()
    with make_client(fake, cache_dir, offline=True) as offline:
        again = offline.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Spectrum"}))
    assert fake.requests == []
    assert not [e for e in again.errors if e.kind != "auth_required"], again.errors
    assert sum("nearby table is not in the cache" in w for w in again.warnings) == 1
    assert set(again.summary_paths) >= {"spect", "imaging"} and "nearby" not in again.summary_paths


def test_a_file_rows_tag_has_the_specs_type() -> None:
    """``tag: str | int | None`` as the spec types it: a numeric string is that tag, other text is kept."""
    from exofop_cli import ExoFopFileRow

    (tag,) = [f for f in dataclasses.fields(ExoFopFileRow) if f.name == "tag"]
    assert tag.type == (str | int | None)
    assert ExoFopFileRow(1, 2, None, "a.fits", "Image", None, " 7 ").tag == 7
    assert ExoFopFileRow(1, 2, None, "a.fits", "Image", None, "A7").tag == "A7"
    assert ExoFopFileRow(1, 2, None, "a.fits", "Image", None, "  ").tag is None


def test_aliases_keep_exofops_order_when_read_from_the_cache(fake: FakeExoFop, cache_dir: Path) -> None:
    """resolutions.json is written with sorted keys: read back, the aliases are in ExoFOP's order again."""
    with make_client(fake, cache_dir) as client:
        online = client.resolve_target("TOI-1262")
    fake.reset_log()
    with make_client(fake, cache_dir) as client:
        cached = client.resolve_target(DEMO_TIC)
        fetched = client.fetch(target=DEMO_TIC, include_summaries=False)
    assert fake.count("gototicid.php") == fake.count("target.php") == 0  # from the cache
    assert list(online.aliases) == list(cached.aliases) == list(fetched.target.aliases) == ["hd", "gaia_dr3"]
