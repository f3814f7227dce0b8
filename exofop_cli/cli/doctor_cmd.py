"""``exofop doctor``: check every assumption exofop makes about ExoFOP, live, one line per check."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from pathlib import Path
from typing import Annotated

import typer

from ._app import command_app, make_client
from ._args import TicOpt, one_target
from ._errors import EXIT_OK, EXIT_UNEXPECTED
from ._help import examples
from ._output import emit_json, emit_rows, note_line, plural, warn_line

doctor_app = command_app()

_COLUMNS = [
    ("status", "Status"),
    ("check", "Check"),
    ("expected", "Expected"),
    ("seen", "Seen"),
    ("time", "Time"),
]


@doctor_app.command(
    epilog=examples(
        ("Check the real site (one line per assumption, exit 1 on any FAIL)", "exofop doctor"),
        ("Another star's answers", "exofop doctor --target TOI-5997"),
        ("The same, by TIC (the spec's form)", "exofop doctor --tic 231702397"),
        ("For a bug report: every raw answer, scrubbed of cookies", "exofop doctor --save report/"),
    )
)
def doctor(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            metavar="TARGET",
            help="The star whose answers are checked (a TIC, TOI or name) [default: TOI-1262].",
            show_default=False,
        ),
    ] = None,
    tic: TicOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Write every raw answer (cookies and session ids scrubbed) and report.json into DIR.",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check ExoFOP against what exofop assumes, live (PASS/WARN/FAIL per check)."""
    star = None if target is None and tic is None else one_target(target, tic)  # None: the default star
    with make_client(ctx) as client:
        report = client.doctor(target=star, save_dir=save)
    if as_json:
        emit_json(report.to_dict())
    else:
        rows = [{**c.to_dict(), "time": f"{c.seconds:.2f} s"} for c in report.checks]
        emit_rows(rows, _COLUMNS, title=f"exofop doctor: {report.base_url} ({report.target})")
    counts = report.counts()
    summary = f"{counts['PASS']} passed, {plural(counts['WARN'], 'warning')}, {counts['FAIL']} failed"
    (note_line if report.ok else warn_line)(summary)
    if report.saved_to is not None:
        note_line(
            f"raw answers saved in {report.saved_to} (cookies and session ids scrubbed): "
            "attach the folder to your bug report"
        )
    elif not report.ok:
        note_line("if the real site looks different, run `exofop doctor --save report/` and attach report/")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_UNEXPECTED)
