"""Hostile and damaged zip/tar archives: ``exofop_cli.ops.archive`` directly and ``fetch --archive zip|tar``.

Members with ``..``, absolute paths, links and devices are refused; duplicate names keep their own
contents; the bytes written are bounded; a damaged archive is ``invalid_response`` (and ``fetch`` falls back
to one-by-one downloads), never a crash; nothing is ever written outside the destination folder.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors
from exofop_cli.cli import app
from exofop_cli.errors import InvalidResponseError
from exofop_cli.ops.archive import SafeArchive, extract_archive, fetch_from_archive, unsafe_reason
from exofop_cli.remote.filelist import parse_filelist
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from ..test_faults import assert_clean_cache, assert_files_match_server

# Demo rows with unique names (notes.txt is shared by two rows and is left to get_file.php).
NEID = (1003, "TOI1262_NEID_rv.txt")
SPECKLE = (1004, "TOI5997I-cc20240523-562_sensitivity.dat")
AO = (1005, "TOI5997I-dc20230606-Brgamma_plot.tbl")
EVIL = b"pwned\n"


def body_of(fake: FakeExoFop, file_id: int) -> bytes:
    found = fake.find_file(file_id)
    assert found is not None
    return found[1].body()


def zip_bytes(entries: list[tuple[str, bytes, int | None]]) -> bytes:
    """A zip from (name, data, unix mode or None); duplicate names are kept (zipfile only warns)."""
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": exactly what some tests want
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


def tar_bytes(entries: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tf.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def hostile_zip(good: list[tuple[str, bytes]]) -> bytes:
    return zip_bytes(
        [
            ("../evil.txt", EVIL, None),
            ("TIC1/../../evil.txt", EVIL, None),
            ("/tmp/evil-absolute.txt", EVIL, None),
            ("C:\\Windows\\evil.txt", EVIL, None),
            ("..\\..\\evil-backslash.txt", EVIL, None),
            ("link-to-passwd", b"/etc/passwd", stat.S_IFLNK | 0o777),
            ("char-device", b"", stat.S_IFCHR | 0o666),
            ("a-fifo", b"", stat.S_IFIFO | 0o666),
            *((f"TIC{DEMO_TIC}/{name}", data, stat.S_IFREG | 0o644) for name, data in good),
        ]
    )


def hostile_tar(good: list[tuple[str, bytes]]) -> bytes:
    return tar_bytes(
        [
            ("../evil.txt", EVIL),
            ("/tmp/evil-absolute.txt", EVIL),
            ("TIC1/../../evil.txt", EVIL),
            special("symlink", tarfile.SYMTYPE, "/etc/passwd"),
            special("TOI1262_NEID_rv.txt.link", tarfile.SYMTYPE, "../../../../etc/passwd"),
            special("hardlink", tarfile.LNKTYPE, "/etc/passwd"),
            special("chardev", tarfile.CHRTYPE),
            special("blockdev", tarfile.BLKTYPE),
            special("fifo", tarfile.FIFOTYPE),
            special("a-folder/", tarfile.DIRTYPE),
            *((f"TIC{DEMO_TIC}/{name}", data) for name, data in good),
        ]
    )


def assert_nothing_escaped(root: Path) -> None:
    """No file written anywhere under ``root`` carries the hostile payload or an 'evil' name."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            assert "evil" not in name, path
            if path.is_file() and not path.is_symlink() and path.stat().st_size == len(EVIL):
                assert path.read_bytes() != EVIL, path


# -- the checks themselves -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "is_file", "reason"),
    [
        ("a/b.txt", True, None),
        ("b..c.txt", True, None),
        ("../x", True, "'..'"),
        ("a/../../x", True, "'..'"),
        ("a\\..\\..\\x", True, "'..'"),
        ("/etc/passwd", True, "absolute"),
        ("\\\\server\\share\\x", True, "absolute"),
        ("C:\\x", True, "absolute"),
        ("c:x", True, "absolute"),
        ("a\x00b", True, "NUL"),
        ("link", False, "not a regular file"),
    ],
)
def test_unsafe_reason(name: str, is_file: bool, reason: str | None) -> None:
    got = unsafe_reason(name, is_file=is_file)
    assert (got is None) if reason is None else (got is not None and reason in got)


def test_hostile_zip_extracts_only_safe_members(tmp_path: Path) -> None:
    archive = tmp_path / "in" / "a.zip"
    archive.parent.mkdir()
    archive.write_bytes(hostile_zip([("good.txt", b"good"), ("sub/dir/deep.txt", b"deep")]))
    dest = tmp_path / "out" / "x" / "y"
    written = extract_archive(archive, dest)
    assert sorted(p.name for p in written) == ["deep.txt", "good.txt"]
    assert sorted(p.name for p in dest.iterdir()) == ["deep.txt", "good.txt"]
    assert (dest / "good.txt").read_bytes() == b"good"
    assert_nothing_escaped(tmp_path)
    assert not Path("/tmp/evil-absolute.txt").exists()
    with SafeArchive(archive) as safe:
        safe.members()
        refused = "\n".join(safe.refused)
    for needle in ("../evil.txt", "evil-absolute", "Windows", "link-to-passwd", "char-device", "a-fifo"):
        assert needle in refused


def test_hostile_tar_extracts_only_safe_members(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    archive.write_bytes(hostile_tar([("good.txt", b"good")]))
    dest = tmp_path / "out"
    written = extract_archive(archive, dest)
    assert [p.name for p in written] == ["good.txt"]
    assert [p.name for p in dest.iterdir()] == ["good.txt"]
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))
    assert_nothing_escaped(tmp_path)
    with SafeArchive(archive) as safe:
        safe.members()
        refused = "\n".join(safe.refused)
    for needle in ("symlink", "hardlink", "chardev", "blockdev", "fifo", "../evil.txt", "evil-absolute"):
        assert needle in refused
    assert "a-folder" not in refused  # folders are skipped silently, not reported


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_duplicate_member_names_keep_their_own_contents(tmp_path: Path, fmt: str) -> None:
    entries = [("d/dup.txt", b"first"), ("e/dup.txt", b"second"), ("dup.txt", b"third"), ("dup-2.txt", b"4")]
    archive = tmp_path / f"a.{fmt}"
    if fmt == "zip":
        archive.write_bytes(zip_bytes([("same.txt", b"one", None), ("same.txt", b"two", None)]))
        assert sorted(p.read_bytes() for p in extract_archive(archive, tmp_path / "z")) == [b"one", b"two"]
        archive.write_bytes(zip_bytes([(n, d, None) for n, d in entries]))
    else:
        archive.write_bytes(tar_bytes([("same.txt", b"one"), ("same.txt", b"two")]))
        assert sorted(p.read_bytes() for p in extract_archive(archive, tmp_path / "z")) == [b"one", b"two"]
        archive.write_bytes(tar_bytes(list(entries)))
    written = extract_archive(archive, tmp_path / "out")
    contents = {p.name: p.read_bytes() for p in written}
    assert sorted(contents.values()) == sorted(d for _n, d in entries)  # nothing lost, nothing overwritten
    assert len(contents) == 4 and contents["dup.txt"] == b"first"


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_total_size_is_bounded(tmp_path: Path, fmt: str) -> None:
    zeros = b"\0" * (8 * 1024 * 1024)
    archive = tmp_path / f"bomb.{fmt}"
    if fmt == "zip":
        archive.write_bytes(zip_bytes([("small.txt", b"ok", None), ("bomb.bin", zeros, None)]))
        assert archive.stat().st_size < 100_000  # it really is a bomb
    else:
        archive.write_bytes(tar_bytes([("small.txt", b"ok"), ("bomb.bin", zeros)]))
    dest = tmp_path / "out"
    with pytest.raises(InvalidResponseError, match="size limit"):
        extract_archive(archive, dest, max_bytes=1024 * 1024)
    assert [p.name for p in dest.iterdir()] == ["small.txt"]  # no partial bomb, no temp file


def test_damaged_archives_are_invalid_response(tmp_path: Path) -> None:
    good = zip_bytes([("a.txt", os.urandom(50_000), None), ("b.txt", b"b" * 1000, None)])
    cases = {
        "garbage.zip": os.urandom(4096),
        "empty.zip": b"",
        "truncated.zip": good[: len(good) // 2],
        "corrupt-member.zip": good[:200] + bytes(b ^ 0xFF for b in good[200:2000]) + good[2000:],
        "truncated.tar": tar_bytes([("a.txt", os.urandom(50_000))])[:20_000],
        "html-instead.tar": b"<html><body>Error 500</body></html>",
    }
    # Set the "encrypted" flag in the local and central headers: reading then asks for a password.
    encrypted = bytearray(zip_bytes([("secret.txt", b"data", None)]))
    local, central = encrypted.find(b"PK\x03\x04"), encrypted.find(b"PK\x01\x02")
    encrypted[local + 6] |= 0x1
    encrypted[central + 8] |= 0x1
    cases["encrypted.zip"] = bytes(encrypted)
    for name, data in cases.items():
        archive = tmp_path / name
        archive.write_bytes(data)
        dest = tmp_path / ("out-" + name)
        with pytest.raises(InvalidResponseError):
            extract_archive(archive, dest)
        assert not dest.exists() or not [p for p in dest.iterdir() if p.name.endswith(".part")], name


def test_tar_whose_last_member_is_a_zip_is_read_as_a_tar(tmp_path: Path) -> None:
    inner = zip_bytes([("notes.txt", b"inner zip content", None)])
    archive = tmp_path / "star.tar"
    archive.write_bytes(tar_bytes([("TIC1/notes.txt", b"the real notes"), ("TIC1/upload.zip", inner)]))
    assert zipfile.is_zipfile(archive)  # why the format is not guessed from the end of the file
    for fmt in (None, "tar"):
        with SafeArchive(archive, fmt=fmt) as safe:
            members = {m.name: safe.open(m).read() for m in safe.members()}
        assert members == {"TIC1/notes.txt": b"the real notes", "TIC1/upload.zip": inner}


# -- fetch --archive -----------------------------------------------------------------------------------------
def _good_members(fake: FakeExoFop) -> list[tuple[str, bytes]]:
    return [(name, body_of(fake, file_id)) for file_id, name in (NEID, SPECKLE, AO)]


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_fetch_from_a_hostile_archive(client: ExoFopClient, fake: FakeExoFop, fmt: str) -> None:
    good = _good_members(fake)
    body = hostile_zip(good) if fmt == "zip" else hostile_tar(good)
    # notes.txt twice: ambiguous, so both rows go through get_file.php.
    if fmt == "zip":
        body = zip_bytes(
            [
                *((i.filename, zipfile.ZipFile(io.BytesIO(body)).read(i), i.external_attr >> 16 or None)
                  for i in zipfile.ZipFile(io.BytesIO(body)).infolist()),
                ("a/notes.txt", b"which one?", None),
                ("b/notes.txt", b"which one?", None),
            ]
        )  # fmt: skip
    endpoint = "download_files_zip.php" if fmt == "zip" else "download_files.php"
    fake.faults.replace_body(endpoint, body, content_type=f"application/{fmt}")
    public = ExoFopSelectors(filename_regex="NEID|TOI5997I-(cc|dc).*(dat|tbl)$|notes")
    result = client.fetch(target=str(DEMO_TIC), selectors=public, include_summaries=False, archive=fmt)
    assert result.ok, result.errors
    manifest = assert_clean_cache(result.manifest_path)
    assert {f["file_id"] for f in manifest["files"]} == {1003, 1004, 1005, 1008, 1009}
    by_id = {f["file_id"]: f for f in manifest["files"]}
    for file_id, name in (NEID, SPECKLE, AO):
        assert by_id[file_id]["source_url"].endswith(f"#TIC{DEMO_TIC}/{name}")
    # Only the two ambiguous notes.txt were fetched one by one.
    assert sorted(r.query for r in fake.requests if r.endpoint == "get_file.php") == ["id=1008", "id=1009"]
    assert any("refused member" in w for w in result.warnings)
    if fmt == "zip":
        assert any("ambiguous" in w for w in result.warnings)
    assert_nothing_escaped(client.cache_root.parent.parent)


def test_fetch_archive_bomb_is_stopped_and_the_rest_downloaded(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    zeros = b"\0" * (4 * 1024 * 1024)
    body = zip_bytes([(f"TIC{DEMO_TIC}/{NEID[1]}", zeros, None), (f"TIC{DEMO_TIC}/{AO[1]}", zeros, None)])
    fake.faults.replace_body("download_files_zip.php", body, content_type="application/zip")
    layout = client.layout(DEMO_TIC)
    rows, _ = parse_filelist(client.remote.filelist(DEMO_TIC), tic_id=DEMO_TIC)
    wanted = [r for r in rows if r.file_id in (NEID[0], AO[0])]
    done, notes = fetch_from_archive(
        client.remote, layout, wanted, fmt="zip", force=False, max_bytes=5 * 1024 * 1024
    )
    assert set(done) <= {NEID[0]}  # the first 4 MiB fit the budget, the second member did not
    assert any("size limit" in n for n in notes)
    assert not (layout.archives_dir / f"tic_{DEMO_TIC}_files.zip").exists()  # never reused
    assert not list(layout.files_dir.glob(".*.part"))


@pytest.mark.parametrize("fault", ["502", "login", "damaged", "html"])
def test_fetch_falls_back_to_single_files_when_the_archive_fails(
    client: ExoFopClient, fake: FakeExoFop, fault: str
) -> None:
    from exofop_cli.testing.server import LOGIN_PAGE

    if fault == "502":
        fake.faults.fail("download_files.php", 502, times=100)
    elif fault == "login":
        fake.faults.replace_body("download_files.php", LOGIN_PAGE)
    elif fault == "damaged":
        fake.faults.replace_body("download_files.php", tar_bytes([("a", os.urandom(30_000))])[:9000])
    else:
        fake.faults.replace_body("download_files.php", b"<html><body>Internal error</body></html>")
    selectors = ExoFopSelectors(filename_regex="NEID|notes")
    result = client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False, archive="tar")
    assert result.ok and result.n_downloaded == 3
    assert any(w.startswith("archive:") for w in result.warnings)
    assert fake.count("get_file.php") == 3
    assert_clean_cache(result.manifest_path)
    assert not list((result.cache_root / "archives").glob("*.tar"))  # a broken archive is not kept


def test_cli_fetch_with_hostile_archive(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.replace_body(
        "download_files_zip.php", hostile_zip(_good_members(fake)), content_type="application/zip"
    )
    result = CliRunner().invoke(
        app,
        ["--cache-dir", str(cache_dir), "--base-url", fake.base_url, "fetch", str(DEMO_TIC),
         "--archive", "zip", "--regex", "NEID|TOI5997I-(cc|dc).*(dat|tbl)$", "--no-summaries"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "refused member" in result.stderr and "Traceback" not in result.stderr
    assert fake.count("get_file.php") == 0
    manifest = assert_clean_cache(cache_dir / "exofop" / f"tic_{DEMO_TIC}" / "manifest.json")
    assert len(manifest["files"]) == 3
    assert_nothing_escaped(cache_dir.parent)


@pytest.mark.filterwarnings("ignore:Duplicate name")  # the fake's zip holds notes.txt twice, like ExoFOP's
@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_fetch_from_the_servers_own_archive(client: ExoFopClient, fake: FakeExoFop, fmt: str) -> None:
    public = ExoFopSelectors(filename_regex="^(?!.*CHIRON)")
    result = client.fetch(target=str(DEMO_TIC), selectors=public, include_summaries=False, archive=fmt)
    assert result.ok and result.n_downloaded == 9
    # Everything came out of the archive except the two rows that share the name notes.txt.
    assert sorted(r.query for r in fake.requests if r.endpoint == "get_file.php") == ["id=1008", "id=1009"]
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)
