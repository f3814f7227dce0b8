"""The command-line parameters commands share (targets, ``--tic``, selectors, ``--json``) and their merging.

The spec's CLI lines (``fetch --tic 365938305 --types Image Spectrum --regex …``) work verbatim: ``--tic N``
is accepted wherever a target is, and a known file type right after a ``--types`` value joins the types
(``join_spaced_types``, applied by ``_app.ExoFopCommand`` before Click parses).
"""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from ..targets import KNOWN_FILE_TYPES
from ._complete import complete_instrument, complete_target, complete_telescope, complete_types

if TYPE_CHECKING:
    from ..models import ExoFopSelectors

TYPES_OPTIONS = ("--types", "-t")

TargetArg = Annotated[
    str | None,
    typer.Argument(
        metavar="TARGET",
        help="TIC id (365938305, TIC 365938305), TOI (TOI-1262, 1262.01) or star name (HD 104654); "
        "or --tic N.",
        autocompletion=complete_target,
        show_default=False,
    ),
]
TargetsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="TARGET...",
        help="One or more TIC ids, TOIs (TOI-1262, 1262.01) or star names; or --tic N.",
        autocompletion=complete_target,
        show_default=False,
    ),
]
TicOpt = Annotated[
    int | None,
    typer.Option(
        "--tic", min=1, metavar="N", help="The target as a TIC id (the spec's form).", show_default=False
    ),
]
TicsOpt = Annotated[
    list[int] | None,
    typer.Option(
        "--tic",
        min=1,
        metavar="N",
        help="A target as a TIC id (repeatable; the spec's form).",
        show_default=False,
    ),
]
TypesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--types",
        "-t",
        metavar="TYPE[,TYPE...]",
        help="File types, case-insensitive, repeatable or comma/space-separated (--types Image,Spectrum "
        "or --types Image Spectrum). Known: "
        + ", ".join(KNOWN_FILE_TYPES)
        + "; any type ExoFOP lists works.",
        autocompletion=complete_types,
        show_default=False,
    ),
]
RegexOpt = Annotated[
    str | None,
    typer.Option(
        "--regex",
        "-r",
        metavar="PATTERN",
        help="Python regex searched in the file name (case-sensitive; start with (?i) to ignore case).",
        show_default=False,
    ),
]
TagOpt = Annotated[
    list[int] | None,
    typer.Option("--tag", metavar="N", help="ExoFOP tag id (repeatable).", min=0, show_default=False),
]
MaxFilesOpt = Annotated[
    int | None,
    typer.Option(
        "--max-files", min=0, metavar="N", help="Keep at most N files (newest first).", show_default=False
    ),
]
InstrumentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--instrument",
        metavar="NAME",
        help="Instrument substring, joined by Tag to the observation tables "
        "(repeatable, case-insensitive): --instrument Alopeke --instrument TRES.",
        autocompletion=complete_instrument,
        show_default=False,
    ),
]
TelescopeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--telescope",
        metavar="NAME",
        help="Telescope substring, joined like --instrument (repeatable).",
        autocompletion=complete_telescope,
        show_default=False,
    ),
]
RefreshOpt = Annotated[
    bool,
    typer.Option(
        "--refresh",
        "--force-refresh",
        help="Re-read the file list and summary tables (--force-refresh: same).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
WideOpt = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Show every column on a terminal (long text wraps) instead of cutting the table to fit. "
        "Piped output (TSV) and --json always have every column.",
    ),
]


def one_target(target: str | None, tic: int | None) -> str:
    """The one target of a command, given as TARGET or as ``--tic`` (not both, not neither)."""
    if target is not None and tic is not None:
        raise typer.BadParameter("give the target once: as TARGET or as --tic, not both", param_hint="--tic")
    if tic is not None:
        return str(tic)
    if target is None:
        raise typer.BadParameter(
            "a target is required (TIC id, TOI or name, or --tic N)", param_hint="TARGET"
        )
    return target


def all_targets(targets: Sequence[str] | None, tics: Sequence[int] | None) -> list[str]:
    """Targets given as arguments and as ``--tic`` (at least one)."""
    out = [*(targets or ()), *(str(t) for t in tics or ())]
    if not out:
        raise typer.BadParameter("at least one target is required (TIC id, TOI or name, or --tic N)")
    return out


def build_selectors(
    types: list[str] | None,
    regex: str | None,
    tags: list[int] | None,
    max_files: int | None,
    instruments: list[str] | None = None,
    telescopes: list[str] | None = None,
) -> "ExoFopSelectors":
    """Selectors from CLI values (``--types A,B`` is split on commas)."""
    from ..models import ExoFopSelectors  # not at import: TAB completion loads this module

    split_types = {t.strip() for value in types or () for t in value.split(",") if t.strip()}
    return ExoFopSelectors(
        types=split_types or None,
        filename_regex=regex,
        tag_ids=set(tags or ()) or None,
        max_files=max_files,
        instruments=tuple(i for i in instruments or () if i.strip()),
        telescopes=tuple(t for t in telescopes or () if t.strip()),
    )


def _type_key(value: str) -> str:
    return value.strip().replace("-", "_").replace(" ", "_").casefold()


_KNOWN = frozenset(_type_key(t) for t in KNOWN_FILE_TYPES)


def _is_type_list(token: str) -> bool:
    parts = [p for p in token.split(",") if p.strip()]
    return bool(parts) and not token.startswith("-") and all(_type_key(p) in _KNOWN for p in parts)


def join_spaced_types(args: Sequence[str]) -> list[str]:
    """Rewrite ``--types Image Spectrum`` as ``--types Image --types Spectrum`` (the spec's form).

    Only tokens that name known file types, right after a ``--types`` value, are taken; anything else (a
    target, an option) ends the list. Nothing after ``--`` is touched.
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        out.append(token)
        i += 1
        if token == "--":
            out.extend(args[i:])
            break
        if token in TYPES_OPTIONS and i < len(args):
            out.append(args[i])
            i += 1
        elif not (token.startswith("--types=") or (token.startswith("-t") and len(token) > 2)):
            continue
        while i < len(args) and _is_type_list(args[i]):
            out += ["--types", args[i]]
            i += 1
    return out
