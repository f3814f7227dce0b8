"""TAB completion for bash, zsh and fish: the scripts, and what the program answers on each TAB.

Typer's own classes match values case-sensitively (``--types sp`` found nothing, though ``--types spectrum``
is accepted) and every shell added a space after a value, so that continuing a comma list gave
``Spectrum ,Image``. Here the values of the options and arguments exofop completes itself (targets, file
types, summary kinds, shells) match case-insensitively, and a value of a comma list is answered as
"nospace": the script tells the shell to add no space, so ``,`` can follow.

What each script reads from the program, one item per line:

* bash: ``TYPE,VALUE`` (``plain``, ``nospace``, or ``file``/``dir``: let bash complete paths); an empty
  answer is no candidate at all, so bash falls back to file names (``-o default``), never to an empty word;
* zsh: three lines per item, ``TYPE``, ``VALUE``, ``HELP`` (``_`` for none); items are added with
  ``compadd -U`` (the program already matched them, ignoring case) and ``-S ''`` for nospace;
* fish: Typer's protocol (``VALUE<TAB>HELP``; fish matches case-insensitively itself); fish adds no space
  when two completions share the prefix, so a lone nospace value is answered with its ``VALUE,`` too.

Typer's path type offers nothing, so a TAB after ``--to``, ``--export`` or ``--cache-dir`` gave no candidate
at all; here a path parameter is answered ``dir`` (metavar ``DIR``) or ``file``, and each shell completes
paths itself (bash ``compopt``, zsh ``_path_files``, fish: no answer, so its own file names).

Only a TAB press imports this module (``cli.main``); ``exofop completion SHELL`` prints ``script(shell)``.
"""

from typing import Any

from typer._click.shell_completion import CompletionItem, add_completion_class
from typer._completion_classes import BashComplete, FishComplete, ZshComplete

# Parameters whose values exofop completes itself: matched ignoring case (what they accept is too, except the
# band names of --filter, which keep their case: "I" is Cousins I, "i" Sloan i').
FOLDED_VALUES = frozenset(
    {"target", "targets", "types", "kind", "shell", "archive", "instrument", "telescope", "filters", "band"}
)
# Parameters that take comma lists (--types Image,Spectrum): no space after a completed value.
COMMA_LISTS = frozenset({"types", "kind"})
# Where the value being completed starts: after the last "," of a list, after "FILE_ID=" of --filter.
_VALUE_AFTER = {"types": ",", "kind": ",", "filters": "="}

_BASH = """\
%(func)s() {
    local line
    local -a response
    COMPREPLY=()
    mapfile -t response < <(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \\
        %(var)s=complete_bash "$1" 2>/dev/null)
    for line in "${response[@]}"; do
        case "$line" in
            "") ;;
            nospace,*) COMPREPLY+=("${line#nospace,}"); compopt -o nospace 2>/dev/null ;;
            dir,*) COMPREPLY=(); compopt -o dirnames 2>/dev/null; return 0 ;;
            file,*) COMPREPLY=(); compopt -o default 2>/dev/null; return 0 ;;
            *) COMPREPLY+=("${line#*,}") ;;
        esac
    done
    return 0
}

complete -o default -F %(func)s %(prog)s"""

_ZSH = """\
#compdef %(prog)s

%(func)s() {
    local -a response plain plain_described nospace nospace_described
    local type value help
    (( ! $+commands[%(prog)s] )) && return 1
    response=("${(@f)$(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(var)s=complete_zsh %(prog)s 2>/dev/null)}")
    [[ -z "${response[*]}" ]] && response=()
    for type value help in "${response[@]}"; do
        case "$type" in
            plain) [[ "$help" == "_" ]] && plain+=("$value") || plain_described+=("${value//:/\\\\:}:$help") ;;
            nospace) [[ "$help" == "_" ]] && nospace+=("$value") || nospace_described+=("${value//:/\\\\:}:$help") ;;
            dir) _path_files -/ ;;
            file) _path_files -f ;;
        esac
    done
    (( ${#plain_described} )) && _describe -V unsorted plain_described -U
    (( ${#plain} )) && compadd -U -V unsorted -a plain
    (( ${#nospace_described} )) && _describe -V unsorted nospace_described -U -S ''
    (( ${#nospace} )) && compadd -U -S '' -V unsorted -a nospace
    (( ${#response} )) || _files
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    # Autoloaded from $fpath (this file is _%(prog)s): complete now, as every TAB after this one will.
    %(func)s "$@"
else
    # Sourced: register the function for later TABs.
    compdef %(func)s %(prog)s
fi"""

# Typer's fish script, unchanged: the program answers "get-args" with the values, "is-args" with its exit
# status (0: values follow, so no file names).
_FISH = (
    'complete --command %(prog)s --no-files --arguments "(env %(var)s=complete_fish '
    '_TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) %(prog)s)" '
    '--condition "env %(var)s=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args '
    '_TYPER_COMPLETE_ARGS=(commandline -cp) %(prog)s"'
)
SCRIPTS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}


def script(shell: str, prog: str = "exofop", var: str = "_EXOFOP_COMPLETE") -> str:
    """The completion script for ``shell`` (what ``exofop completion SHELL`` prints)."""
    return SCRIPTS[shell] % {"prog": prog, "var": var, "func": f"_{prog.replace('-', '_')}_completion"}


class _Matching:
    """Completions as Click finds them, but values of exofop's own parameters matched ignoring case."""

    cli: Any
    ctx_args: Any
    prog_name: str

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        """Click's lookup of what is being completed; exofop's values matched case-insensitively."""
        from typer._click.core import Parameter
        from typer._click.shell_completion import _resolve_context, _resolve_incomplete
        from typer.models import TyperPath

        ctx = _resolve_context(self.cli, self.ctx_args, self.prog_name, args)
        obj, incomplete = _resolve_incomplete(ctx, args, incomplete)
        if isinstance(obj, Parameter) and isinstance(obj.type, TyperPath) and not incomplete.startswith("-"):
            # Typer's path type answers nothing: tell the shell to complete paths (folders for a DIR).
            return [CompletionItem(incomplete, type="dir" if obj.metavar == "DIR" else "file")]
        if not isinstance(obj, Parameter) or obj.name not in FOLDED_VALUES or incomplete.startswith("-"):
            items: list[CompletionItem] = obj.shell_complete(ctx, incomplete)
            return items
        # Ask for every value (of the last list item) and match here: Typer's callback wrapper keeps
        # only the values that start with what was typed, case-sensitively.
        comma_list = obj.name in COMMA_LISTS
        sep = _VALUE_AFTER.get(obj.name or "")
        head = incomplete[: incomplete.rfind(sep) + 1] if sep else ""
        typed = incomplete.casefold()
        items = [i for i in obj.shell_complete(ctx, head) if i.value.casefold().startswith(typed)]
        if comma_list:
            items = [CompletionItem(i.value, type="nospace", help=i.help) for i in items]
        return items


class Bash(_Matching, BashComplete):
    """bash: ``TYPE,VALUE`` lines."""

    def format_completion(self, item: CompletionItem) -> str:
        """One ``TYPE,VALUE`` line."""
        return f"{item.type},{item.value}"

    def source(self) -> str:
        """The script (Typer's version check, a bash subprocess, is not run)."""
        return script("bash", self.prog_name, self.complete_var)


class Zsh(_Matching, ZshComplete):
    """zsh: ``TYPE``, ``VALUE``, ``HELP`` lines."""

    def format_completion(self, item: CompletionItem) -> str:
        """Three lines: type, value, help (``_`` when there is none)."""
        help_text = " ".join((item.help or "").split()) or "_"
        return f"{item.type}\n{item.value}\n{help_text}"

    def complete(self) -> str:
        """Every item, three lines each."""
        args, incomplete = self.get_completion_args()
        return "\n".join(self.format_completion(i) for i in self.get_completions(args, incomplete))

    def source(self) -> str:
        """The script."""
        return script("zsh", self.prog_name, self.complete_var)


class Fish(_Matching, FishComplete):
    """fish: Typer's ``VALUE<TAB>HELP`` lines; a lone nospace value also offered with a comma after it."""

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        """As for every shell (no path item: fish completes file names when the answer is empty), and a
        ``VALUE,`` twin for a lone nospace value (fish then adds no space)."""
        items = [i for i in super().get_completions(args, incomplete) if i.type not in ("file", "dir")]
        if len(items) == 1 and items[0].type == "nospace":
            items.append(CompletionItem(items[0].value + ",", type="nospace", help=items[0].help))
        return items

    def source(self) -> str:
        """The script."""
        return script("fish", self.prog_name, self.complete_var)


def register() -> None:
    """Make these classes answer ``_EXOFOP_COMPLETE=complete_bash|zsh|fish``."""
    add_completion_class(Bash, "bash")
    add_completion_class(Zsh, "zsh")
    add_completion_class(Fish, "fish")
