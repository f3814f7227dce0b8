"""manifest: records, the deterministic manifest built from them, and lock-free convergence."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from exofop_cli.models import ExoFopFetchResult, ExoFopFileRow, ExoFopTarget, FetchIssue
from exofop_cli.store import manifest as mf
from exofop_cli.store import records as rec
from exofop_cli.store.atomic import atomic_write_bytes, touch
from exofop_cli.store.layout import TargetLayout
from exofop_cli.store.records import RecordState

TIC = 294395926
BASE = "https://exofop.ipac.caltech.edu/tess/"
FIXED_NOW = "2025-01-02T03:04:05Z"
REAL_UTC_NOW = mf.utc_now


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mf, "utc_now", lambda: FIXED_NOW)


def _row(file_id: int, name: str, **kw: Any) -> ExoFopFileRow:
    defaults: dict[str, Any] = {
        "toi": None,
        "type": "Image",
        "date_utc": "2021-01-05",
        "tag": 7652,
        "user": "ef",
    }
    defaults.update(kw)
    return ExoFopFileRow(file_id=file_id, tic_id=TIC, filename=name, **defaults)


def _download(layout: TargetLayout, row: ExoFopFileRow, data: bytes) -> dict[str, Any]:
    """What the fetcher does: atomic rename into files/, then the record."""
    st = atomic_write_bytes(layout.file_path(row.file_id, row.filename), data)
    return rec.write_record(
        layout,
        row,
        sha256=hashlib.sha256(data).hexdigest(),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        source_url=f"{BASE}get_file.php?id={row.file_id}",
    )


def _inputs(rows: list[ExoFopFileRow], **kw: Any) -> mf.ManifestInputs:
    values: dict[str, Any] = {
        "target": ExoFopTarget(tic_id=TIC, toi="678.01", aliases=["WASP-94 A"]),
        "base_url": BASE,
        "cookie_jar_used": False,
        "filelist_rows": len(rows),
        "rows": {r.file_id: r for r in rows},
        "summaries": {"spect": "summaries/spect.csv", "imaging": "summaries/imaging.csv"},
        "requests": {"get_file": "get_file.php?id={file_id}", "filelist": "download_filelist.php?id=1"},
        "warnings": (),
        "errors": (),
    }
    values.update(kw)
    return mf.ManifestInputs(**values)


ROWS = [
    _row(9612, "TOI678I-ef20201228-832_sensitivity.dat", description="Zorro 832 nm"),
    _row(10, "notes.txt", type="Notes", tag=None),
    _row(9, "notes.txt", type="Notes", tag=None),
]
CONTENT = {9612: b"0.0 0.0\n0.1 3.2\n", 10: b"second notes\n", 9: b"first notes\n"}


def _populate(root: Path) -> TargetLayout:
    layout = TargetLayout.for_tic(root, TIC)
    for row in ROWS:
        _download(layout, row, CONTENT[row.file_id])
    return layout


# -- records -------------------------------------------------------------------------------------------------
def test_write_record_content(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    record = _download(layout, ROWS[0], CONTENT[9612])
    st = layout.file_path(9612, ROWS[0].filename).stat()
    assert record == {
        "file_id": 9612,
        "filename": "TOI678I-ef20201228-832_sensitivity.dat",
        "path": "files/9612_TOI678I-ef20201228-832_sensitivity.dat",
        "sha256": hashlib.sha256(CONTENT[9612]).hexdigest(),
        "bytes": len(CONTENT[9612]),
        "mtime_ns": st.st_mtime_ns,
        "source_url": f"{BASE}get_file.php?id=9612",
        "type": "Image",
        "date": "2021-01-05",
        "tag": 7652,
        "description": "Zorro 832 nm",
        "toi": None,
        "user": "ef",
        "group": "",
    }
    assert json.loads(layout.record_path(9612).read_bytes()) == record
    assert rec.read_record(layout, 9612) == record
    assert rec.read_record(layout, 1) is None


def test_write_record_rewrites_itself_when_the_file_was_replaced_after_the_rename(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    row = ROWS[0]
    path = layout.file_path(row.file_id, row.filename)
    old = atomic_write_bytes(path, b"ours\n")
    # Another run renames its (complete, different) copy onto the same name before we write our record.
    theirs = b"theirs, a longer body\n"
    atomic_write_bytes(path, theirs)
    os.utime(path, ns=(old.st_mtime_ns + 7_000_000_000, old.st_mtime_ns + 7_000_000_000))
    now = path.stat()
    record = rec.write_record(
        layout,
        row,
        sha256=hashlib.sha256(b"ours\n").hexdigest(),
        size=old.st_size,
        mtime_ns=old.st_mtime_ns,
        source_url="u",
    )
    assert (record["sha256"], record["bytes"], record["mtime_ns"]) == (
        hashlib.sha256(theirs).hexdigest(),
        len(theirs),
        now.st_mtime_ns,
    )
    assert rec.read_record(layout, row.file_id) == record
    assert [r["file_id"] for r in rec.valid_records(layout)] == [row.file_id]


def test_write_record_same_size_replacement_is_caught_by_mtime(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    row = ROWS[1]
    path = layout.file_path(row.file_id, row.filename)
    old = atomic_write_bytes(path, b"AAAA")
    atomic_write_bytes(path, b"BBBB")
    os.utime(path, ns=(old.st_mtime_ns + 1, old.st_mtime_ns + 1))
    record = rec.write_record(
        layout,
        row,
        sha256=hashlib.sha256(b"AAAA").hexdigest(),
        size=4,
        mtime_ns=old.st_mtime_ns,
        source_url="u",
    )
    assert record["sha256"] == hashlib.sha256(b"BBBB").hexdigest()
    assert record["mtime_ns"] == old.st_mtime_ns + 1


def test_write_record_for_a_vanished_file_keeps_what_it_was_told(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    record = rec.write_record(layout, ROWS[2], sha256="ab", size=3, mtime_ns=5, source_url="u")
    assert (record["sha256"], record["bytes"], record["mtime_ns"]) == ("ab", 3, 5)
    assert rec.valid_records(layout) == []


def test_record_state(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    row = ROWS[0]
    assert rec.record_state(layout, row) == (RecordState(None, None, None, None), None)
    record = _download(layout, row, CONTENT[9612])
    st = layout.file_path(row.file_id, row.filename).stat()
    size = len(CONTENT[9612])
    assert rec.record_state(layout, row) == (RecordState(size, st.st_mtime_ns, size, st.st_mtime_ns), record)
    # Renamed upstream: the old record no longer answers for the row.
    renamed = _row(row.file_id, "renamed.dat")
    assert rec.record_state(layout, renamed) == (RecordState(None, None, None, None), None)


def test_valid_records_sorted_by_numeric_id_and_only_matching_files(tmp_path: Path) -> None:
    layout = _populate(tmp_path)
    extra = _row(100, "x.fits")
    _download(layout, extra, b"fits")
    assert [r["file_id"] for r in rec.valid_records(layout)] == [9, 10, 100, 9612]
    # A file whose size changed behind the record's back is not valid any more.
    layout.file_path(100, "x.fits").write_bytes(b"longer fits")
    # A deleted file neither.
    layout.file_path(9, "notes.txt").unlink()
    # A damaged record and a stray file are ignored.
    (layout.records_dir / "55.json").write_bytes(b"{torn")
    (layout.records_dir / ".hidden.json").write_text(json.dumps({"path": "files/10_notes.txt"}))
    (layout.records_dir / "README").write_text("x")
    assert [r["file_id"] for r in rec.valid_records(layout)] == [10, 9612]


def test_valid_records_of_an_empty_target(tmp_path: Path) -> None:
    assert rec.valid_records(TargetLayout.for_tic(tmp_path, TIC)) == []


# -- build_manifest ----------------------------------------------------------------------------------------
def test_build_manifest_shape(tmp_path: Path) -> None:
    layout = _populate(tmp_path)
    content = mf.build_manifest(_inputs(ROWS), rec.valid_records(layout))
    assert list(content) == [
        "schema_version",
        "target",
        "auth",
        "sources",
        "filelist",
        "summaries",
        "files",
        "warnings",
        "errors",
    ]
    assert content["schema_version"] == 1
    # The spec's example: "toi" a string, "aliases" an object, "sources.endpoints" a list of script names.
    assert content["target"] == {
        "tic_id": TIC,
        "toi": "678.01",
        "aliases": {"wasp": "WASP-94 A"},
        "tois": ["678.01"],
        "names": ["WASP-94 A"],
    }
    assert content["auth"] == {"cookie_jar_used": False}
    assert content["sources"] == {
        "base_url": BASE,
        "endpoints": ["download_filelist.php", "get_file.php"],
        "requests": {"filelist": "download_filelist.php?id=1", "get_file": "get_file.php?id={file_id}"},
    }
    assert content["filelist"] == {"path": "filelist.csv", "n_rows": 3}
    assert content["summaries"] == {"imaging": "summaries/imaging.csv", "spect": "summaries/spect.csv"}
    assert [f["file_id"] for f in content["files"]] == [9, 10, 9612]
    assert [f["path"] for f in content["files"]] == [
        "files/9_notes.txt",
        "files/10_notes.txt",
        "files/9612_TOI678I-ef20201228-832_sensitivity.dat",
    ]
    assert content["files"][0] == {
        "file_id": 9,
        "filename": "notes.txt",
        "type": "Notes",
        "path": "files/9_notes.txt",
        "sha256": hashlib.sha256(b"first notes\n").hexdigest(),
        "bytes": len(b"first notes\n"),
        "source_url": f"{BASE}get_file.php?id=9",
        "date": "2021-01-05",
        "tag": None,
        "description": "",
        "toi": None,
        "user": "ef",
        "group": "",
    }  # no mtime_ns: the manifest does not depend on when files were written
    assert content["warnings"] == []
    assert content["errors"] == []


def test_paths_are_relative(tmp_path: Path) -> None:
    layout = _populate(tmp_path)
    content = mf.build_manifest(_inputs(ROWS), rec.valid_records(layout))
    text = mf.manifest_bytes(content).decode()
    assert str(tmp_path) not in text
    for entry in content["files"]:
        assert not Path(entry["path"]).is_absolute() and ".." not in Path(entry["path"]).parts
        assert (layout.root / entry["path"]).is_file()


def test_no_filelist_is_null() -> None:
    assert mf.build_manifest(_inputs([], filelist_rows=None), [])["filelist"] is None


def test_metadata_comes_from_the_current_listing_when_the_path_still_matches(tmp_path: Path) -> None:
    layout = _populate(tmp_path)
    records = rec.valid_records(layout)
    updated = _row(9612, ROWS[0].filename, description="updated text", toi="678.01", group="tfopwg")
    renamed = _row(10, "renamed.txt", description="new")
    content = mf.build_manifest(_inputs([updated, renamed, ROWS[2]]), records)
    by_id = {f["file_id"]: f for f in content["files"]}
    assert (by_id[9612]["description"], by_id[9612]["toi"], by_id[9612]["group"]) == (
        "updated text",
        "678.01",
        "tfopwg",
    )
    assert (by_id[10]["filename"], by_id[10]["description"]) == ("notes.txt", "")  # from the record


def test_errors_for_files_present_on_disk_are_dropped(tmp_path: Path) -> None:
    layout = _populate(tmp_path)
    errors = (
        FetchIssue(kind="network", message="cut", file_id=9612, endpoint="get_file.php"),
        FetchIssue(kind="auth_required", message="login page", file_id=1010, endpoint="get_file.php"),
        FetchIssue(kind="server", message="502", endpoint="download_spect.php"),
    )
    content = mf.build_manifest(_inputs(ROWS, errors=errors), rec.valid_records(layout))
    assert content["errors"] == [
        {"kind": "auth_required", "message": "login page", "file_id": 1010, "endpoint": "get_file.php"},
        {"kind": "server", "message": "502", "endpoint": "download_spect.php"},
    ]


def test_warnings_are_sorted_and_unique() -> None:
    content = mf.build_manifest(_inputs([], warnings=("b", "a", "b")), [])
    assert content["warnings"] == ["a", "b"]


def test_fetch_issue_to_dict_omits_unknowns() -> None:
    assert FetchIssue(kind="network", message="m").to_dict() == {"kind": "network", "message": "m"}
    assert FetchIssue(kind="not_found", message="m", file_id=0).to_dict() == {
        "kind": "not_found",
        "message": "m",
        "file_id": 0,
    }


def test_fetch_result_to_dict(tmp_path: Path) -> None:
    target = ExoFopTarget(tic_id=TIC, toi="678.01")
    issue = FetchIssue(kind="auth_required", message="login page", file_id=1010)
    root = tmp_path / "tic_1"
    result = ExoFopFetchResult(
        target,
        root,
        root / "manifest.json",
        [root / "files" / "9_notes.txt"],
        ["a.fits", "b.pdf"],
        ["w"],
        filelist_path=root / "filelist.csv",
        summary_paths={"spect": root / "summaries" / "spect.csv"},
        errors=[issue],
        files=[root / "files" / "9_notes.txt", root / "files" / "1_a.fits"],
        bytes_downloaded=12,
    )
    assert (result.tic_id, result.ok) == (TIC, False)
    assert (result.n_downloaded, result.n_skipped, result.n_failed) == (1, 2, 1)
    assert ExoFopFetchResult(target=target, cache_root=tmp_path, manifest_path=tmp_path).ok
    assert result.to_dict() == {
        "tic_id": TIC,
        "toi": "678.01",
        "tois": ["678.01"],
        "cache_root": str(root),
        "manifest_path": str(root / "manifest.json"),
        "files_downloaded": [str(root / "files" / "9_notes.txt")],
        "files_skipped": ["a.fits", "b.pdf"],
        "warnings": ["w"],
        "filelist_path": str(root / "filelist.csv"),
        "summary_paths": {"spect": str(root / "summaries" / "spect.csv")},
        "errors": [{"kind": "auth_required", "message": "login page", "file_id": 1010}],
        "files": [str(root / "files" / "9_notes.txt"), str(root / "files" / "1_a.fits")],
        "n_downloaded": 1,
        "n_skipped": 2,
        "n_failed": 1,
        "bytes_downloaded": 12,
        "placed": [],
        "placed_manifest_path": None,
    }


# -- write_manifest: determinism ----------------------------------------------------------------------
def _sorted_keys_everywhere(data: Any) -> bool:
    if isinstance(data, dict):
        return list(data) == sorted(data) and all(_sorted_keys_everywhere(v) for v in data.values())
    if isinstance(data, list):
        return all(_sorted_keys_everywhere(v) for v in data)
    return True


def test_manifest_file_is_deterministic_json_with_sorted_keys(tmp_path: Path) -> None:
    layout = _populate(tmp_path)
    content = mf.converge_manifest(layout, _inputs(ROWS))
    raw = layout.manifest.read_bytes()
    data = json.loads(raw)
    assert _sorted_keys_everywhere(data)
    assert raw == (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    assert data == {**content, "generated_at": FIXED_NOW}
    assert mf.read_manifest(layout.manifest) == data


def test_same_inputs_give_byte_identical_manifests(tmp_path: Path) -> None:
    one = _populate(tmp_path / "one")
    two = TargetLayout.for_tic(tmp_path / "two", TIC)
    for row in reversed(ROWS):  # other download order, other mtimes
        _download(two, row, CONTENT[row.file_id])
    os.utime(two.file_path(9, "notes.txt"), ns=(1, 1))
    rec.write_record(
        two,
        ROWS[2],
        sha256=hashlib.sha256(CONTENT[9]).hexdigest(),
        size=len(CONTENT[9]),
        mtime_ns=1,
        source_url=f"{BASE}get_file.php?id=9",
    )
    mf.converge_manifest(one, _inputs(ROWS))
    mf.converge_manifest(two, _inputs(list(reversed(ROWS))))
    assert one.manifest.read_bytes() == two.manifest.read_bytes()


def test_unchanged_content_is_not_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = _populate(tmp_path)
    first = mf.converge_manifest(layout, _inputs(ROWS))
    before = layout.manifest.read_bytes()
    os.utime(layout.manifest, ns=(1_000_000_000, 1_000_000_000))
    monkeypatch.setattr(mf, "utc_now", lambda: "2030-01-01T00:00:00Z")  # a later run
    assert mf.write_manifest(layout, first) is False
    assert mf.converge_manifest(layout, _inputs(ROWS)) == first
    assert layout.manifest.stat().st_mtime_ns == 1_000_000_000
    assert layout.manifest.read_bytes() == before  # generated_at kept: nothing changed


def test_changed_content_is_rewritten_with_a_new_timestamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = _populate(tmp_path)
    mf.converge_manifest(layout, _inputs(ROWS))
    monkeypatch.setattr(mf, "utc_now", lambda: "2030-01-01T00:00:00Z")
    mf.converge_manifest(layout, _inputs(ROWS, warnings=("new warning",)))
    data = mf.read_manifest(layout.manifest)
    assert (data["generated_at"], data["warnings"]) == ("2030-01-01T00:00:00Z", ["new warning"])


def test_read_manifest_refuses_other_json(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    for content in (b'{"schema_version": 2}', b"[]", b"{torn"):
        path.write_bytes(content)
        with pytest.raises(ValueError, match="not an exofop manifest"):
            mf.read_manifest(path)
    with pytest.raises(ValueError):
        mf.read_manifest(tmp_path / "missing.json")


# -- convergence of concurrent writers -----------------------------------------------------------------
def test_two_writers_converge_on_every_record(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    # Writer A downloaded 9612 and wrote its manifest from what it saw.
    _download(layout, ROWS[0], CONTENT[9612])
    a_content = mf.build_manifest(_inputs(ROWS), rec.valid_records(layout))
    # Writer B downloaded 9 and 10 meanwhile and converged.
    _download(layout, ROWS[1], CONTENT[10])
    _download(layout, ROWS[2], CONTENT[9])
    mf.converge_manifest(layout, _inputs(ROWS))
    # A writes its stale view last, then converges: the re-scan restores B's files.
    mf.write_manifest(layout, a_content)
    assert [f["file_id"] for f in mf.read_manifest(layout.manifest)["files"]] == [9612]
    final = mf.converge_manifest(layout, _inputs(ROWS))
    assert [f["file_id"] for f in final["files"]] == [9, 10, 9612]
    assert [f["file_id"] for f in mf.read_manifest(layout.manifest)["files"]] == [9, 10, 9612]


def test_record_landing_during_the_write_is_picked_up_by_the_rescan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = TargetLayout.for_tic(tmp_path, TIC)
    _download(layout, ROWS[0], CONTENT[9612])
    real_write = mf.write_manifest
    calls: list[list[int]] = []

    def write_then_other_writer_lands(lay: TargetLayout, content: Any) -> bool:
        calls.append([f["file_id"] for f in content["files"]])
        written = real_write(lay, content)
        if len(calls) == 1:  # the other run finishes its download right after our first write
            _download(layout, ROWS[1], CONTENT[10])
        return written

    monkeypatch.setattr(mf, "write_manifest", write_then_other_writer_lands)
    final = mf.converge_manifest(layout, _inputs(ROWS))
    assert calls == [[9612], [10, 9612]]
    assert [f["file_id"] for f in final["files"]] == [10, 9612]
    assert [f["file_id"] for f in mf.read_manifest(layout.manifest)["files"]] == [10, 9612]


# -- small helpers -------------------------------------------------------------------------------------
def test_sha256_of(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    assert rec.sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_touch_creates_and_updates(tmp_path: Path) -> None:
    marker = tmp_path / ".state" / "last_used"
    touch(marker)
    assert marker.is_file() and marker.read_bytes() == b""
    os.utime(marker, ns=(1, 1))
    touch(marker)
    assert marker.stat().st_mtime_ns > 1


def test_utc_now_format() -> None:
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", REAL_UTC_NOW())


def test_read_manifest_of_something_else_is_invalid_input(tmp_path: Path) -> None:
    """Inside the one hierarchy (InvalidInputError), still a ValueError for code that catches builtins."""
    from exofop_cli import read_manifest
    from exofop_cli.errors import InvalidInputError

    path = tmp_path / "manifest.json"
    path.write_text('{"schema_version": 99}')
    with pytest.raises(InvalidInputError, match="not an exofop manifest"):
        read_manifest(path)
    assert issubclass(InvalidInputError, ValueError)
