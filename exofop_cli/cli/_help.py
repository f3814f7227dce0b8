"""--help that reads plainly: plain metavars without Click's range notes, the options every command takes under
their own heading, and an Examples section printed as written.

Plain Click help (no Rich): ``--help`` runs the program each time, and must stay as cheap as a TAB.
"""

from typing import Any

EXAMPLES_HEADING = "Examples:\n"


def examples(*items: tuple[str, str], after: str = "") -> str:
    """The epilog of a command's --help: ``(what it does, command line)`` pairs, printed as written, then
    ``after`` (a paragraph Click wraps)."""
    block = "\n\n".join(f"# {what}\n{line}" for what, line in items)
    return EXAMPLES_HEADING + block + (f"\n\n\n{after}" if after else "")


def _help_record(ctx: Any, param: Any) -> tuple[str, str] | None:
    """Click's help line for a parameter, without its machine-made range (``[x>=0]``, ``1<=x<=16``).

    A range reads as noise next to a plain metavar (``--max-files N``); where a bound matters the help text
    says it in words.
    """
    record = param.get_help_record(ctx)
    if record is None:
        return None
    name, text = record
    describe = getattr(param.type, "_describe_range", None)
    if describe is not None:
        bounds = describe()
        text = text.replace(f"; {bounds}]", "]").replace(f"  [{bounds}]", "").replace(f"[{bounds}]", "")
    return name, text


def format_params(ctx: Any, formatter: Any, params: list[Any], *, shared: set[str]) -> None:
    """Arguments, then the command's own options, then the options every command takes."""
    sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": [], "Global options": []}
    for param in params:
        record = _help_record(ctx, param)
        if record is None:
            continue
        if param.param_type_name == "argument":
            sections["Arguments"].append(record)
        else:
            sections["Global options" if param.name in shared else "Options"].append(record)
    for heading, records in sections.items():
        if records:
            with formatter.section(heading):
                formatter.write_dl(records)


def format_epilog(epilog: str | None, formatter: Any) -> None:
    """Examples as written (commands must not be re-wrapped), any other text as Click wraps it."""
    if not epilog:
        return
    text = epilog
    if text.startswith(EXAMPLES_HEADING):
        block, _, text = text[len(EXAMPLES_HEADING) :].partition("\n\n\n")
        with formatter.section("Examples"):
            for line in block.splitlines():
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n" if line else "\n")
    if text.strip():
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text.strip())
