"""The library end to end against the fake ExoFOP: fetch, warm runs, selections, refresh, force."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from exofop_cli import ExoFopClient, ExoFopSelectors, TargetNotFoundError, read_manifest
from exofop_cli.errors import InvalidResponseError, ServerError
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from .conftest import make_client


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_manifest_matches_disk(manifest_path: Path) -> dict[str, object]:
    """Every manifest entry exists with its size and sha256; paths stay inside the target folder."""
    manifest = read_manifest(manifest_path)
    root = manifest_path.parent
    for entry in manifest["files"]:
        path = (root / entry["path"]).resolve()
        assert path.is_relative_to(root.resolve())
        assert path.stat().st_size == entry["bytes"]
        assert _sha(path) == entry["sha256"]
    return manifest


def test_fetch_everything_for_a_tic(client: ExoFopClient, fake: FakeExoFop) -> None:
    result = client.fetch(target=str(DEMO_TIC), archive="off")
    public = [f for f in fake.targets[DEMO_TIC].files if not f.proprietary]
    assert result.n_downloaded == len(public)
    assert result.tic_id == DEMO_TIC
    assert result.target.toi == "1262.01" and result.target.tois == ("1262.01",)
    assert result.target.aliases["hd"] == "HD 104654"
    manifest = assert_manifest_matches_disk(result.manifest_path)
    assert manifest["schema_version"] == 1
    assert {f["file_id"] for f in manifest["files"]} == {f.file_id for f in public}
    assert set(manifest["summaries"]) == {
        "spect",
        "imaging",
        "tseries",
        "obsnotes",
        "stellar",
        "planet",
        "uploads",
        "nearby",
        "companions",
    }
    assert manifest["summaries"]["obsnotes"] == "summaries/obsnotes.csv"
    assert manifest["filelist"] == {"path": "filelist.csv", "n_rows": len(fake.targets[DEMO_TIC].files)}
    by_id = {f.file_id: f for f in public}
    for entry in manifest["files"]:
        assert entry["sha256"] == by_id[entry["file_id"]].sha256()
        assert entry["source_url"] == f"{fake.base_url}get_file.php?id={entry['file_id']}"
    # The proprietary file came back as the login page: reported, never saved.
    (error,) = manifest["errors"]
    assert error["kind"] == "auth_required" and error["file_id"] == 1010
    assert not list((result.cache_root / "files").glob("1010_*"))


def test_two_notes_txt_do_not_collide(client: ExoFopClient) -> None:
    result = client.fetch(target="TOI-1262", selectors=ExoFopSelectors(filename_regex=r"^notes\.txt$"))
    names = sorted(p.name for p in result.files)
    assert names == ["1008_notes.txt", "1009_notes.txt"]
    assert {p.read_bytes() for p in result.files} == {
        b"Full transit detected on target.\n",
        b"No nearby eclipsing binaries within 2.5'.\n",
    }


def test_warm_run_makes_no_request_and_keeps_manifest_bytes(client: ExoFopClient, fake: FakeExoFop) -> None:
    first = client.fetch(target="TOI-1262")
    before = first.manifest_path.read_bytes()
    mtime = first.manifest_path.stat().st_mtime_ns
    fake.reset_log()
    with make_client(fake, Path(client.cache_root).parent) as warm:
        again = warm.fetch(target="TOI-1262")
        assert warm.requests_made == 0
    assert fake.requests == []
    assert again.n_downloaded == 0 and again.n_skipped == first.n_downloaded
    assert again.manifest_path.read_bytes() == before
    assert again.manifest_path.stat().st_mtime_ns == mtime  # not even rewritten


def test_selective_fetch_transfers_only_selected_files(client: ExoFopClient, fake: FakeExoFop) -> None:
    result = client.fetch(
        target="TOI-1262",
        selectors=ExoFopSelectors(types=("Spectrum",), filename_regex="TRES"),
        include_summaries=False,
    )
    assert sorted(p.name for p in result.files) == [
        "1001_TOI1262.01_TRES_20200815.fits",
        "1002_TOI1262_TRES_ccf.pdf",
    ]
    file_bytes = sum(r.bytes_sent for r in fake.requests if r.endpoint == "get_file.php")
    assert file_bytes == 180_000 + 52_000
    assert fake.count("get_file.php") == 2


def test_new_selection_downloads_only_what_is_missing(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types=("Spectrum",)))
    fake.reset_log()
    result = client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types=("Spectrum", "Notes")))
    assert fake.count("get_file.php") == 2  # the two notes.txt; spectra were cached
    assert fake.count("download_filelist.php") == 0
    assert result.n_downloaded == 2
    manifest = read_manifest(result.manifest_path)
    # The manifest describes the whole cache folder: both selections are listed.
    assert {f["file_id"] for f in manifest["files"]} >= {1001, 1002, 1003, 1008, 1009}


def test_refresh_rereads_listing_but_not_files(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.fetch(target=str(DEMO_TIC))
    fake.reset_log()
    client.fetch(target=str(DEMO_TIC), force_refresh=True)
    assert fake.count("download_filelist.php") == 1
    assert fake.count("download_spect.php") == 1
    assert fake.count("get_file.php") == 1  # only the proprietary file is asked for again


def test_force_downloads_again(client: ExoFopClient, fake: FakeExoFop) -> None:
    selectors = ExoFopSelectors(types=("Spectrum",), filename_regex="NEID")
    client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False)
    fake.reset_log()
    result = client.fetch(
        target=str(DEMO_TIC), selectors=selectors, include_summaries=False, force_download=True
    )
    assert fake.count("get_file.php") == 1 and result.n_downloaded == 1


def test_damaged_cached_file_is_refetched(client: ExoFopClient, fake: FakeExoFop) -> None:
    selectors = ExoFopSelectors(tag_ids=(30002,))
    result = client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False)
    (path,) = result.files
    path.write_bytes(b"corrupted by someone")
    fake.reset_log()
    again = client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False)
    assert fake.count("get_file.php") == 1
    assert path.read_bytes() == fake.targets[DEMO_TIC].files[2].body()
    assert_manifest_matches_disk(again.manifest_path)


def test_touched_file_is_rehashed_not_downloaded(client: ExoFopClient, fake: FakeExoFop) -> None:
    import os

    selectors = ExoFopSelectors(tag_ids=(30002,))
    (path,) = client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False).files
    os.utime(path, (1_000_000_000, 1_000_000_000))
    fake.reset_log()
    client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False)
    assert fake.count("get_file.php") == 0


def test_unknown_targets_are_not_found(client: ExoFopClient) -> None:
    with pytest.raises(TargetNotFoundError):
        client.resolve_target("TOI-99999")
    with pytest.raises(TargetNotFoundError):
        client.resolve_target("Kepler-99999")
    with pytest.raises(TargetNotFoundError):
        client.fetch(target="123")


def test_resolution_is_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    target = client.resolve_target("TOI-1262.01")
    assert target.tic_id == DEMO_TIC
    fake.reset_log()
    assert client.resolve_target("TOI-1262.01") == target
    assert client.resolve_target(f"TIC {DEMO_TIC}") == target  # stored under the TIC too
    assert fake.requests == []
    data = json.loads((client.cache_root / "resolutions.json").read_text())
    assert data["toi:1262.01"]["tic_id"] == DEMO_TIC


def test_name_resolution(client: ExoFopClient) -> None:
    target = client.resolve_target("HD 104654")
    assert target.tic_id == DEMO_TIC
    assert target.aliases["hd"] == "HD 104654" and target.names[0] == "HD 104654"


def test_offline_serves_cache_and_names_what_is_missing(fake: FakeExoFop, cache_dir: Path) -> None:
    from exofop_cli import OfflineError

    with make_client(fake, cache_dir) as online:
        online.fetch(target="TOI-1262", selectors=ExoFopSelectors(types=("Notes",)))
    fake.reset_log()
    with make_client(fake, cache_dir, offline=True) as offline:
        result = offline.fetch(target="TOI-1262", selectors=ExoFopSelectors(types=("Notes",)))
        assert result.n_skipped == 2 and not result.errors
        partial = offline.fetch(target="TOI-1262", selectors=ExoFopSelectors(types=("Spectrum",)))
        assert {e.kind for e in partial.errors} == {"network"}
        assert all("offline" in e.message for e in partial.errors)
        with pytest.raises(OfflineError, match="never been resolved"):
            offline.fetch(target="TOI-5")
    assert fake.requests == []


def test_cookie_jar_unlocks_proprietary_file(fake: FakeExoFop, cache_dir: Path, tmp_path: Path) -> None:
    host = fake.base_url.split("/")[2].split(":")[0]
    jar = tmp_path / "jar.txt"
    jar.write_text(
        f"# Netscape HTTP Cookie File\n#HttpOnly_{host}\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{fake.new_session()}\n"
    )
    jar.chmod(0o600)
    with make_client(fake, cache_dir, cookie_jar_path=jar) as c:
        result = c.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="CHIRON"))
    assert not result.errors and result.n_downloaded == 1
    manifest = assert_manifest_matches_disk(result.manifest_path)
    assert manifest["auth"] == {"cookie_jar_used": True}
    assert "PHPSESSID" not in result.manifest_path.read_text()


def test_a_multi_line_observing_note_stays_one_note(client: ExoFopClient, fake: FakeExoFop) -> None:
    note = "TOI1262.01: SG1 full transit\nsecond line | with a pipe"
    fake.targets[DEMO_TIC].summary_rows["obsnotes"][0]["notes"] = note
    tables = client.summary_tables(tic_id=DEMO_TIC, kinds=["obsnotes"])
    assert [row["notes"] for row in tables["obsnotes"].rows][:1] == [note]
    assert tables["obsnotes"].warnings == ()


def test_a_summary_stored_as_pipe_by_an_older_version_is_replaced(client: ExoFopClient) -> None:
    summaries = client.layout(DEMO_TIC).summaries_dir
    summaries.mkdir(parents=True)
    (summaries / "obsnotes.pipe").write_bytes(b"ID|TIC ID|notes\n1|1|old\n")
    client.fetch(target=str(DEMO_TIC))
    assert (summaries / "obsnotes.csv").is_file()
    assert not (summaries / "obsnotes.pipe").exists()


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("spect", b"TIC ID   TIC   TOI  Telescope\n365938305  x  1262.01  FLWO\n"),  # output=text
        ("imaging", b"TIC|Notes\n1|no TIC ID column\n"),
        ("stellar", b"No records found\n"),  # a message where the header is unknown
    ],
)
def test_text_that_is_not_the_table_is_refused_and_not_cached(
    client: ExoFopClient, fake: FakeExoFop, kind: str, body: bytes
) -> None:
    fake.targets[DEMO_TIC].summary_raw[kind] = body
    with pytest.raises(InvalidResponseError):
        client.summary_tables(tic_id=DEMO_TIC, kinds=[kind])
    result = client.fetch(target=str(DEMO_TIC))
    assert [(e.kind, e.endpoint) for e in result.errors if e.file_id is None] == [
        ("invalid_response", f"download_{kind}.php")
    ]
    assert not list(client.layout(DEMO_TIC).summaries_dir.glob(f"{kind}.*"))
    assert result.n_downloaded > 0  # the rest of the fetch went on


def test_a_bare_header_is_an_empty_table_but_an_empty_body_is_not(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    fake.targets[DEMO_TIC].summary_raw["stellar"] = b"Table|TIC ID|Teff (K)\n"
    assert client.summary_tables(tic_id=DEMO_TIC, kinds=["stellar"])["stellar"].rows == ()
    fake.targets[DEMO_TIC].summary_raw["spect"] = b""
    with pytest.raises(ServerError, match="empty answer for the spect table"):
        client.summary_tables(tic_id=DEMO_TIC, kinds=["spect"])
    assert not client.cache.target(DEMO_TIC).summary_path("spect").exists()


def test_summary_tables_accepts_one_kind_as_a_string(client: ExoFopClient) -> None:
    assert list(client.summary_tables(tic_id=DEMO_TIC, kinds="spect")) == ["spect"]


def test_a_damaged_cached_file_list_is_fetched_again(client: ExoFopClient, fake: FakeExoFop) -> None:
    first = client.fetch(target=str(DEMO_TIC))
    layout = client.layout(DEMO_TIC)
    layout.filelist.write_text("<html><body>oops</body></html>")
    fake.reset_log()
    assert len(client.file_list(tic_id=DEMO_TIC)) == len(fake.targets[DEMO_TIC].files)
    layout.filelist.write_text("junk")
    again = client.fetch(target=str(DEMO_TIC))
    assert {e.kind for e in again.errors} == {"auth_required"}  # the demo's proprietary file, as before
    assert again.n_skipped == first.n_downloaded
    assert fake.count("download_filelist.php") == 2


def test_damaged_cached_summaries_are_renewed_where_they_matter(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    by_instrument = ExoFopSelectors(instruments=("TRES",))
    wanted = client.fetch(target=str(DEMO_TIC), selectors=by_instrument).n_downloaded
    assert wanted > 0
    summaries = client.layout(DEMO_TIC).summaries_dir
    (summaries / "spect.csv").write_text("junk\n")
    (summaries / "stellar.pipe").write_text("junk\n")
    # Selecting by instrument from a damaged table would match nothing: it is fetched again.
    result = client.fetch(target=str(DEMO_TIC), selectors=by_instrument)
    assert result.n_skipped == wanted and "TIC ID" in (summaries / "spect.csv").read_text()
    assert (summaries / "stellar.pipe").read_text() == "junk\n"  # not needed for that: left alone...
    client.fetch(target=str(DEMO_TIC), verify=True)
    assert (summaries / "stellar.pipe").read_text() != "junk\n"  # ...until --verify


def test_a_refused_file_stays_remembered_across_other_fetches(client: ExoFopClient, fake: FakeExoFop) -> None:
    def asked_for_1010() -> int:
        return sum(1 for r in fake.requests if r.endpoint == "get_file.php" and r.query == "id=1010")

    first = client.fetch(target=str(DEMO_TIC))
    assert [e.file_id for e in first.errors] == [1010] and asked_for_1010() == 1
    other = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="TRES"))
    assert other.errors == []  # not selected: not this run's error...
    again = client.fetch(target=str(DEMO_TIC))
    assert [e.file_id for e in again.errors] == [1010]
    assert asked_for_1010() == 1  # ...but still not asked for again anonymously
    client.fetch(target=str(DEMO_TIC), force_refresh=True)
    assert asked_for_1010() == 2  # until --refresh


def test_refusal_notes_are_per_file_so_concurrent_fetches_keep_each_others(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    from exofop_cli.store.refusals import remember_refusals

    client.fetch(target=str(DEMO_TIC))
    layout = client.layout(DEMO_TIC)
    assert [p.name for p in layout.refused_dir.iterdir()] == ["1010.json"]
    # A run that selected other files (as a concurrent `--regex NEID` would) leaves 1010's note alone,
    # whatever it read before: it writes or removes only the notes of its own selection.
    neid = [r for r in client.file_list(tic_id=DEMO_TIC) if "NEID" in r.filename]
    remember_refusals(layout, neid, [])
    assert (layout.refused_dir / "1010.json").is_file()
    (layout.refused_dir / "1010.json").write_text("5")  # damaged: ignored, not a crash
    layout.manifest.write_text('{"errors": 5}')
    again = client.fetch(target=str(DEMO_TIC))
    assert [e.kind for e in again.errors] == ["auth_required"]


def test_ls_and_summaries_renew_a_damaged_cached_table(client: ExoFopClient, fake: FakeExoFop) -> None:
    wanted = client.list_files(str(DEMO_TIC), selectors=ExoFopSelectors(instruments=("TRES",))).rows
    assert wanted
    spect = client.layout(DEMO_TIC).summaries_dir / "spect.csv"
    spect.write_text("Database busy, try again later\n")
    again = client.list_files(str(DEMO_TIC), selectors=ExoFopSelectors(instruments=("TRES",))).rows
    assert again == wanted and "TIC ID" in spect.read_text()


def test_a_failed_renewal_of_a_damaged_table_is_reported(client: ExoFopClient, fake: FakeExoFop) -> None:
    by_instrument = ExoFopSelectors(instruments=("TRES",))
    client.fetch(target=str(DEMO_TIC), selectors=by_instrument)
    (client.layout(DEMO_TIC).summaries_dir / "spect.csv").write_text("junk\n")
    # ExoFOP's scripts never answer 404 (one that does means a wrong base URL): a refusal, then.
    fake.faults.fail("download_spect.php", 403, times=100)
    result = client.fetch(target=str(DEMO_TIC), selectors=by_instrument)
    assert [(e.kind, e.endpoint) for e in result.errors] == [("auth_required", "download_spect.php")]


def test_a_known_star_without_uploads_is_looked_up_once(client: ExoFopClient, fake: FakeExoFop) -> None:
    from exofop_cli.testing import FakeTarget

    fake.add_target(FakeTarget(tic_id=42))
    for _ in range(3):
        assert client.list_files("42").rows == ()
    assert fake.count("target.php") == 1 and fake.count("download_filelist.php") == 1


def test_forget_unknown_never_touches_a_star_with_uploads_or_files(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    # The overview says "No TIC object found" though the file list has rows (fetcher tolerates that case).
    fake.faults.replace_body("target.php", b"No TIC object found", content_type="text/html", times=100)
    fake.targets[DEMO_TIC].summary_raw["uploads"] = b"TIC ID,Files\n"
    layout = client.layout(DEMO_TIC)
    client.file_list(tic_id=DEMO_TIC)  # the star has uploads: it is known...
    summaries = client.collect_summaries(str(DEMO_TIC), kinds=["uploads"])  # ...though this table is empty
    assert summaries.errors == () and summaries.tables["uploads"].rows == ()
    client.cache.target(DEMO_TIC).forget_if_unknown()
    assert layout.filelist.is_file()
    # A fetch still running (files and records written, manifest not yet): nothing of it is removed.
    layout.filelist.write_text("Type,File Name,File ID\n")
    layout.files_dir.mkdir(parents=True, exist_ok=True)
    (layout.files_dir / "1001_x.fits").write_bytes(b"x")
    client.cache.target(DEMO_TIC).forget_if_unknown()
    assert layout.filelist.is_file() and (layout.files_dir / "1001_x.fits").is_file()


def test_refusals_in_an_earlier_builds_refused_json_are_kept(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="TRES"))
    layout = client.layout(DEMO_TIC)
    legacy = layout.root / ".state" / "refused.json"
    legacy.write_text(
        '[{"kind": "auth_required", "message": "file 1010 requires an ExoFOP login", "file_id": 1010,'
        ' "endpoint": "get_file.php"}]'
    )
    fake.reset_log()
    result = client.fetch(target=str(DEMO_TIC))
    assert [e.file_id for e in result.errors] == [1010]
    assert not [r for r in fake.requests if r.query == "id=1010"]  # not asked for again
    assert not legacy.exists() and (layout.refused_dir / "1010.json").is_file()


def test_a_failed_offline_lookup_leaves_no_star_folder(fake: FakeExoFop, cache_dir: Path) -> None:
    """`exofop --offline fetch 5555` / `ls 12345` with nothing cached: an error, and `cache ls` stays empty."""
    from exofop_cli import OfflineError

    with make_client(fake, cache_dir, offline=True) as offline:
        with pytest.raises(OfflineError):
            offline.fetch(target="5555")
        with pytest.raises(OfflineError):
            offline.list_files("12345")
    root = cache_dir / "exofop"
    assert not root.exists() or [p.name for p in root.iterdir()] == []
    assert fake.requests == []
