"""A fake ExoFOP-TESS server for tests (yours and ours): real HTTP on 127.0.0.1 with fault switches.

Not imported by the CLI or the library; import it from test code::

    from exofop_cli.testing import FakeExoFop, FakeFile, FakeTarget, demo_targets

Run ``python -m exofop_cli.testing --help`` to serve the demo catalogue from a shell.
"""

from __future__ import annotations

from .data import FakeFile, FakeTarget
from .scenarios import (
    BULK_TIC,
    DEMO_TIC,
    DEMO_TOI,
    HUGE_TIC,
    bulk_target,
    demo_targets,
    huge_filelist_target,
    synthetic_measurements,
)
from .server import FakeExoFop, Fault, Faults, LoggedRequest

__all__ = [
    "BULK_TIC",
    "DEMO_TIC",
    "DEMO_TOI",
    "HUGE_TIC",
    "FakeExoFop",
    "FakeFile",
    "FakeTarget",
    "Fault",
    "Faults",
    "LoggedRequest",
    "bulk_target",
    "demo_targets",
    "huge_filelist_target",
    "synthetic_measurements",
]
