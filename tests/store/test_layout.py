"""layout: server-given file names become safe, stable, collision-free paths inside files/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exofop_cli.store.layout import TARGET_DIR_PATTERN, TargetLayout, file_relpath, safe_filename

HOSTILE = [
    "../../x",
    "/etc/passwd",
    "C:\\Windows\\x",
    "..\\..\\evil.sh",
    "..",
    ".",
    "",
    ".hidden",
    "a\x00b",
    "\x00",
    "x" * 1000 + ".fits",
    "Δmag ñ.txt",
    "日本語.pdf",
    "\uff0fetc\uff0fpasswd",
    "foo/",
    "a|b?c*d<e>f:g\"h'i$j`k",
    "-rf",
    "~root",
    " ",
    "notes.txt",
]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\x", "x"),
        ("..\\..\\evil.sh", "evil.sh"),
        ("..", "file"),
        ("", "file"),
        (".hidden", "hidden"),
        ("a\x00b", "a_b"),
        ("\x00", "file"),
        ("foo/", "file"),
        ("Δmag ñ.txt", "Δmag_ñ.txt"),  # letters of any script stay recognisable
        ("ﬁle.txt", "file.txt"),  # NFKC
        ("\uff0fetc\uff0fpasswd", "etc_passwd"),  # full-width solidus never becomes a folder
        ("a|b?c*d<e>f:g\"h'i$j`k", "a_b_c_d_e_f_g_h_i_j_k"),
        ("  spaced name .txt ", "spaced_name_.txt"),
        (".foo.part", "foo.part"),  # never looks like one of exofop's own temp files
        ("TOI678I-ef20201228-832_sensitivity.dat", "TOI678I-ef20201228-832_sensitivity.dat"),
        (
            "TIC254113311-01_20190527_LCO(1m)[ip]+a=b,c@d.tbl",
            "TIC254113311-01_20190527_LCO(1m)[ip]+a=b,c@d.tbl",
        ),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_long_name_is_cut_to_160_bytes_keeping_the_extension() -> None:
    safe = safe_filename("x" * 1000 + ".fits")
    assert safe == "x" * 155 + ".fits"
    assert len(safe.encode()) == 160


def test_long_name_without_extension_is_cut() -> None:
    assert safe_filename("a" * 1000) == "a" * 159


def test_long_name_with_an_implausible_extension_is_cut_whole() -> None:
    assert safe_filename("a" * 300 + "." + "b" * 20) == "a" * 159


@pytest.mark.parametrize(("name", "ext"), [("日本語.pdf", ".pdf"), ("é" * 1000 + ".fits", ".fits")])
def test_non_ascii_stem_keeps_the_extension(name: str, ext: str) -> None:
    assert safe_filename(name).endswith(ext)


@pytest.mark.parametrize("name", HOSTILE)
def test_result_is_one_harmless_component(name: str) -> None:
    safe = safe_filename(name)
    assert safe and all(c.isalnum() or c in "._+-=,@()[]" for c in safe)
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith((".", " ", "_"))  # (a leading "-" is harmless: paths start "<id>_")
    assert safe not in (".", "..")
    assert len(safe.encode()) <= 160


@pytest.mark.parametrize("name", HOSTILE)
def test_relpath_stays_inside_files(tmp_path: Path, name: str) -> None:
    layout = TargetLayout.for_tic(tmp_path, 1)
    rel = file_relpath(1008, name)
    assert rel.startswith("files/1008_")
    assert rel.count("/") == 1
    path = layout.file_path(1008, name).resolve()
    assert path.parent == layout.files_dir.resolve()


def test_relpath_is_a_pure_function() -> None:
    first = [file_relpath(i, n) for i, n in enumerate(HOSTILE)]
    second = [file_relpath(i, n) for i, n in enumerate(HOSTILE)]
    assert first == second
    assert file_relpath(1008, "notes.txt") == "files/1008_notes.txt"


def test_same_name_different_ids_never_collide() -> None:
    assert file_relpath(1008, "notes.txt") != file_relpath(1009, "notes.txt")
    paths = {file_relpath(file_id, name) for file_id in (1, 12, 123, 1008) for name in HOSTILE}
    assert len(paths) == 4 * len({safe_filename(n) for n in HOSTILE})
    # An id prefix cannot be faked through the name: "1" + "2_x" vs "12" + "x".
    assert file_relpath(1, "2_x") != file_relpath(12, "x")
    assert file_relpath(1, "_2_x") != file_relpath(12, "_x")


def test_relpath_coerces_the_id() -> None:
    assert file_relpath(True, "a") == "files/1_a"  # bool is an int; no "True_a"


def test_target_layout_paths(tmp_path: Path) -> None:
    layout = TargetLayout.for_tic(tmp_path, 365938305)
    root = tmp_path / "tic_365938305"
    assert layout.root == root
    assert layout.tic_id == 365938305
    assert layout.manifest == root / "manifest.json"
    assert layout.filelist == root / "filelist.csv"
    assert layout.summaries_dir == root / "summaries"
    assert layout.files_dir == root / "files"
    assert layout.archives_dir == root / "archives"
    assert layout.records_dir == root / ".state" / "records"
    assert layout.last_used == root / ".state" / "last_used"
    assert layout.file_path(7, "../a b.txt") == root / "files" / "7_a_b.txt"
    assert layout.record_path(7) == root / ".state" / "records" / "7.json"


def test_target_dir_re() -> None:
    assert re.match(TARGET_DIR_PATTERN, "tic_365938305")
    assert not re.match(TARGET_DIR_PATTERN, "tic_")
    assert not re.match(TARGET_DIR_PATTERN, "tic_1x")
    assert not re.match(TARGET_DIR_PATTERN, "TIC_1")
