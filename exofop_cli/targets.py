"""Parse what a user types: a target (a TIC id, a TOI or a name) and file types (pure, no network)."""

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

from .errors import InvalidInputError

TargetKind = Literal["tic", "toi", "name"]

# The file-list ``Type`` values public ExoFOP captures show (reference §2 and §7; ``Photometry`` is what WIYN
# speckle sensitivity files are filed as). The list is open: any value the server sends is accepted, and
# tab completion adds the types found in the cache. Here, not in ``models``: TAB completes them without
# creating the public dataclasses.
# ExoFOP documents no list of file types (reference §2 names Light_Curve, Image, Spectrum, Other); Notes is the
# type of the fake's demo notes and Photometry a plausible one. They drive help, TAB and the spec's spaced form
# (`--types Image Notes`); any other type still works comma-joined (`--types Image,Report`).
KNOWN_FILE_TYPES: tuple[str, ...] = ("Image", "Light_Curve", "Spectrum", "Notes", "Photometry", "Other")

# Patterns are strings, compiled by ``re``'s cache on first use: parsing a TIC needs one, not all four.
_TIC_RE = r"(?i)^(?:tic[\s_\-]*)?(\d{1,12})$"
# Planet suffixes always have two digits; "TOI-1262.1" is refused rather than guessed (.01 or .10?).
_TOI_RE = r"(?i)^toi[\s_\-]*(\d{1,6})(?:\.(\d{2}))?$"
_BARE_TOI_RE = r"^(\d{1,6})\.(\d{2})$"
# Looks like an attempt at a TIC/TOI but is not one ("TIC", "TOI-", "TIC 12.5", "TOI-1.2.3", "-5", "TIC abc"):
# no star's name is a signed number or "TIC"/"TOI" and a word (those catalogues number their entries).
_BROKEN_ID_RE = r"(?i)^(?:(?:tic|toi)[\s_\-]*)?[-+]?[\d.\s]*$|^(?:tic|toi)(?:[\s_\-]+|$)[^\d\s]"
_MAX_NAME_LENGTH = 200


class TargetQuery(NamedTuple):
    """A parsed target: exactly one of ``tic_id``, ``toi`` or ``name`` is set, as ``kind`` says."""

    kind: TargetKind
    text: str
    tic_id: int | None = None
    toi: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        """Normalised key under which the resolution is cached (``tic:1``, ``toi:1262.01``, ``name:hd 1``)."""
        if self.kind == "tic":
            return f"tic:{self.tic_id}"
        if self.kind == "toi":
            return f"toi:{self.toi}"
        assert self.name is not None
        return "name:" + " ".join(self.name.split()).casefold()

    @property
    def toi_number(self) -> int | None:
        """Integer TOI (the system) for ``download_toi.php?toi=``."""
        return int(self.toi.split(".")[0]) if self.toi else None

    @property
    def exofop_target_param(self) -> str:
        """The ``target=`` spelling ExoFOP documents: bare TIC digits, ``TOI1130.02``, or the name."""
        if self.kind == "tic":
            return str(self.tic_id)
        if self.kind == "toi":
            return f"TOI{self.toi}"
        assert self.name is not None
        return self.name


def parse_target(text: str | int) -> TargetQuery:
    """Classify a target: a TIC (``TIC 1``, ``tic_1``, ``1``, or an int), a TOI (``TOI-1262.01``) or a name."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise InvalidInputError(f"a target is a TIC id (int) or text, not {type(text).__name__}")
    if isinstance(text, int):
        if text <= 0:
            raise InvalidInputError(f"invalid TIC id: {text}", hint="TIC ids are positive integers")
        text = str(text)  # the spec types targets ``str | int``: an int is a TIC id
    raw = text
    text = " ".join(text.split())
    if not text:
        raise InvalidInputError("empty target", hint="give a TIC id, a TOI (TOI-1262) or a star name")
    if any(ord(c) < 32 for c in raw if c not in "\t\n\r"):
        raise InvalidInputError(
            f"target contains control characters: {raw!r}", hint="type the TIC id, TOI or name plainly"
        )
    if len(text) > _MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"target is longer than {_MAX_NAME_LENGTH} characters",
            hint="give a TIC id, a TOI (TOI-1262) or a star name",
        )
    if m := re.match(_TIC_RE, text):
        tic = int(m.group(1))
        if tic <= 0:
            raise InvalidInputError(f"invalid TIC id: {text!r}", hint="TIC ids are positive integers")
        return TargetQuery(kind="tic", text=raw, tic_id=tic)
    if m := (re.match(_TOI_RE, text) or re.match(_BARE_TOI_RE, text)):
        number = int(m.group(1))
        if number <= 0:
            raise InvalidInputError(f"invalid TOI: {text!r}")
        toi = str(number) if m.group(2) is None else f"{number}.{m.group(2)}"
        return TargetQuery(kind="toi", text=raw, toi=toi)
    if re.match(_BROKEN_ID_RE, text):
        raise InvalidInputError(
            f"cannot read target {text!r}",
            hint="write a TIC as `TIC 365938305` or `365938305`, a TOI as `TOI-1262` or `TOI-1262.01`"
            " (two-digit planet suffix)",
        )
    return TargetQuery(kind="name", text=raw, name=text)


def format_toi(toi: str) -> str:
    """``1262.01`` → ``TOI-1262.01`` for display."""
    return f"TOI-{toi}"


def normalize_toi_cell(value: str | None) -> str | None:
    """Read a TOI cell from any ExoFOP table (``TOI 1130.02``, ``1130.02``, ``1130.2``, ``TOI-1130``)."""
    if value is None:
        return None
    text = value.strip()
    m = re.match(r"^(?:toi[\s_\-]*)?(\d+)(?:\.(\d+))?$", text, re.IGNORECASE)
    if not m:
        return None
    if m.group(2) is None:
        return str(int(m.group(1)))
    # Tables print TOIs as floats, so 1130.1 means 1130.10 (floats drop the trailing zero).
    return f"{int(m.group(1))}.{m.group(2).ljust(2, '0')[:2]}"


def toi_sort_key(toi: str) -> tuple[int, int]:
    """Numeric order for TOIs: 99.01 < 125.01 < 125.02."""
    head, _, tail = toi.partition(".")
    return (int(head) if head.isdigit() else 0, int(tail) if tail.isdigit() else 0)


def sorted_tois(tois: Iterable[str | None]) -> tuple[str, ...]:
    """Unique, numerically sorted TOIs."""
    return tuple(sorted({t for t in tois if t}, key=toi_sort_key))


def target_lines(text: str) -> list[str]:
    """Targets of a list (``exofop fetch -`` / ``--from FILE``): one per line, names with spaces kept whole.

    Blank lines are skipped, and so are comments: a line starting with ``#``, or the rest of a line after
    `` #`` (a name never holds that). Each target is checked later, so one bad line cannot stop the others.
    """
    out = []
    # A byte order mark (Windows editors write one at the start of UTF-8 files) is not part of a target.
    for raw in text.removeprefix("\ufeff").splitlines():
        line = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].strip()
        if line:
            out.append(line)
    return out
