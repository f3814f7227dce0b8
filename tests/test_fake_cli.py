"""``python -m exofop_cli.testing``: the fake's faults and real-site behaviours from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from exofop_cli.testing import DEMO_TIC, FakeExoFop
from exofop_cli.testing.__main__ import ALWAYS, apply_fault, build_parser


def test_fault_specs_arm_the_api_faults() -> None:
    with FakeExoFop() as fake:
        apply_fault(fake.faults, "get_file.php=empty,times=always,file=1001")
        apply_fault(fake.faults, "download_filelist.php=status:503,times=2,retry_after=1")
        apply_fault(fake.faults, "target.php=page:<h1>Oops</h1>")
        apply_fault(fake.faults, "gototicid.php=trickle:0.5")
        armed = fake.faults._faults
    assert [(f.endpoint, f.kind, f.times) for f in armed] == [
        ("get_file.php", "body", ALWAYS),
        ("download_filelist.php", "status", 2),
        ("target.php", "body", 1),
        ("gototicid.php", "trickle", 1),
    ]
    assert armed[0].file_id == 1001 and armed[1].retry_after == "1" and armed[2].body == b"<h1>Oops</h1>"
    assert armed[3].every == 0.5


@pytest.mark.parametrize(
    "spec",
    ["get_file.php", "nope=empty", "get_file.php=melt", "get_file.php=status", "get_file.php=empty:3",
     "get_file.php=empty,colour=red"],
)  # fmt: skip
def test_a_bad_fault_spec_is_refused(spec: str) -> None:
    with FakeExoFop() as fake, pytest.raises(ValueError, match=r"get_file\.php|nope"):
        apply_fault(fake.faults, spec)


def test_every_switch_parses() -> None:
    args = build_parser().parse_args(
        ["--serialise-sessions", "--anonymous-sessions", "--invalid-toi-answer", "html", "--short-header",
         "download_nearbytarget.php:Distance Err", "--real-cell-shapes", "--login-failure", "form", "--gzip"]
    )  # fmt: skip
    assert args.serialise_sessions and args.anonymous_sessions and args.real_cell_shapes and args.gzip
    assert (args.invalid_toi_answer, args.login_failure) == ("html", "form")
    assert args.short_header == ["download_nearbytarget.php:Distance Err"]


def test_a_throttling_fake_started_by_hand_is_an_error_never_a_cached_file(tmp_path: Path) -> None:
    """The issue's first case, run as a user would: an empty 200 from get_file.php, every time."""
    server = subprocess.Popen(
        [sys.executable, "-m", "exofop_cli.testing", "--fault", "get_file.php=empty,times=always"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        env = {**os.environ, "EXOFOP_BASE_URL": base_url, "EXOFOP_CACHE_DIR": str(tmp_path)}
        args = [
            sys.executable,
            "-m",
            "exofop_cli",
            "fetch",
            str(DEMO_TIC),
            "--regex",
            "NEID",
            "--no-summaries",
        ]
        args += ["--archive", "off"]
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 6, result.stderr
    assert "ExoFOP sent an empty answer" in result.stderr
    assert not list(tmp_path.rglob("*NEID*"))
