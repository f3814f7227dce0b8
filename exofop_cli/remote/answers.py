"""Read ExoFOP's identifier answers (pure parsing; the on-disk cache of answers is ``store.resolutions``).

* ``gototicid.php?target=X&json`` → ``{"status": "OK", "num": 1, "TIC": "138969239"}`` or
  ``{"status": "ERROR", "message": "No object found."}`` [DOC]. With ``num`` > 1 the shape is unknown: a list,
  a comma-separated string or a single value are all accepted.
* ``download_toi.php?toi=N&output=pipe`` → TOI rows with ``TIC ID`` and ``TOI`` columns [REAL]; a TOI it
  rejects gets "Sorry, entered TOI is invalid", plain or inside HTML [REAL, tess-vetter].
* ``target.php?id=TIC&json`` → overview JSON [REAL, rzellem/EXOTIC ``exotic/api/tic-all.json``]:
  ``basic_info.star_names`` is ONE string of names separated by ", " and ``tois[].toi`` reads ``TOI 1725.01``.
  For an unknown id the body contains ``No TIC object found`` and may not be JSON, with status 200 [CODE].
"""

import json
import re
from typing import Any, NamedTuple

from ..errors import InvalidInputError, InvalidResponseError, TargetNotFoundError
from ..targets import normalize_toi_cell, sorted_tois
from .tables import parse_table, tic_cell


def parse_gototicid(content: bytes, *, query: str) -> list[int]:
    """TIC ids from a ``gototicid`` JSON answer; ``TargetNotFoundError`` on status ERROR."""
    try:
        data = json.loads(content.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise InvalidResponseError(
            f"gototicid.php did not answer JSON for {query!r}", endpoint="gototicid.php"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidResponseError(
            "gototicid.php answered JSON that is not an object", endpoint="gototicid.php"
        )
    status = str(data.get("status", "")).upper()
    if status != "OK":
        raise TargetNotFoundError(query, detail=str(data.get("message") or "no object found").strip())
    tics: list[int] = []
    for tic in tic_ids(data.get("TIC", data.get("tic"))):
        if tic > 0 and tic not in tics:
            tics.append(tic)
    if not tics:
        raise InvalidResponseError(
            f"gototicid.php said OK for {query!r} but gave no TIC", endpoint="gototicid.php"
        )
    return tics


_TIC_KEYS = ("TIC", "tic", "tic_id", "TIC ID", "ticid")


def tic_ids(value: Any) -> list[int]:
    """TIC ids in a gototicid ``TIC`` value, whatever shape several matches take (unknown, reference §1).

    Accepted: "138969239", 138969239, a list of those, "1, 2" or "TIC 1 TIC 2", and objects carrying a TIC
    key (other fields of such an object, ra/dec say, are never read as ids).
    """
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, float):
        return [int(value)] if value.is_integer() else []
    if isinstance(value, list):
        return [tic for item in value for tic in tic_ids(item)]
    if isinstance(value, dict):
        key = next((k for k in _TIC_KEYS if k in value), None)
        if key is not None:
            return tic_ids(value[key])
        # PHP's json_encode writes an array with gaps in its keys as an object: {"0": "1", "2": "3"}.
        return [t for k, v in value.items() if str(k).isdigit() for t in tic_ids(v)]
    if isinstance(value, str):
        tokens = re.split(r"[\s,;|]+", re.sub(r"(?i)\btic[\s_-]*", " ", value))
        return [int(t.split(".")[0]) for t in tokens if re.fullmatch(r"\d+(?:\.0+)?", t)]
    return []


def parse_toi_table(content: bytes, *, toi: str) -> tuple[int, tuple[str, ...]]:
    """(TIC, TOIs) from ``download_toi.php`` rows for one TOI; ``TargetNotFoundError`` when none match, or
    when ExoFOP answers "Sorry, entered TOI is invalid" (plain or inside HTML)."""
    from .sniff import looks_like_invalid_toi

    if looks_like_invalid_toi(content):
        raise TargetNotFoundError(f"TOI-{toi}", detail="ExoFOP: 'Sorry, entered TOI is invalid'")
    table = parse_table(content, what="the TOI table", endpoint="download_toi.php")
    tic_col = table.column("TIC ID", "TIC")
    toi_col = table.column("TOI")
    if table.rows and (tic_col is None or toi_col is None):
        raise InvalidResponseError("the TOI table lacks 'TIC ID'/'TOI' columns", endpoint="download_toi.php")
    system = toi.split(".", maxsplit=1)[0]
    matches: list[tuple[int, str]] = []
    for row in table.rows:
        row_toi = normalize_toi_cell(row.get(toi_col or ""))
        tic = tic_cell(row.get(tic_col or ""))  # "365938305", or "TIC 365938305" as other tables write it
        if row_toi is None or tic is None or row_toi.split(".")[0] != system:
            continue
        matches.append((tic, row_toi))
    if "." in toi:
        wanted = [m for m in matches if m[1] == toi]
        if not wanted:
            raise TargetNotFoundError(f"TOI-{toi}")
        tic = wanted[0][0]
    else:
        if not matches:
            raise TargetNotFoundError(f"TOI-{toi}")
        tic = matches[0][0]
    return tic, sorted_tois(t for t_tic, t in matches if t_tic == tic)


class Overview(NamedTuple):
    """What ``target.php?json`` adds to a TIC: its TOIs and star names."""

    tois: tuple[str, ...]
    aliases: tuple[str, ...]


def parse_overview(content: bytes, *, tic_id: int) -> Overview:
    """Read ``target.php?id=TIC&json``; ``TargetNotFoundError`` for ``No TIC object found``."""
    text = content.decode("utf-8-sig", errors="replace")
    if "no tic object found" in text.lower():
        raise TargetNotFoundError(f"TIC {tic_id}", detail="No TIC object found")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise InvalidResponseError("target.php did not answer JSON", endpoint="target.php") from exc
    if not isinstance(data, dict):
        raise InvalidResponseError("target.php answered JSON that is not an object", endpoint="target.php")
    if not isinstance(data.get("basic_info"), dict):
        # Every known answer has a basic_info object (reference §7; `exofop doctor` checks it). Without it this
        # is not the overview, and an empty star read from it would be cached as the truth.
        raise InvalidResponseError(
            "target.php answered JSON without its basic_info object", endpoint="target.php"
        )
    tois: list[str | None] = []
    raw_tois = data.get("tois") or []
    # Rows are objects in known answers; plain values ("1262.01", 1262.01) are accepted too (undocumented).
    for row in raw_tois if isinstance(raw_tois, list) else [raw_tois]:
        value = (row.get("toi") or row.get("TOI")) if isinstance(row, dict) else row
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            tois.append(normalize_toi_cell(str(value)))
    aliases: list[str] = []
    basic = data.get("basic_info")
    if isinstance(basic, dict):
        names = basic.get("star_names") or basic.get("names") or ""
        candidates = [str(n) for n in names] if isinstance(names, list) else str(names).split(",")
        for candidate in candidates:
            name = " ".join(candidate.split())
            if name and name not in aliases:
                aliases.append(name)
    return Overview(tois=sorted_tois(tois), aliases=tuple(aliases))


def ambiguous(query: str, tics: list[int]) -> InvalidInputError:
    """The error for a name that matches several stars."""
    listed = ", ".join(str(t) for t in tics[:10])
    return InvalidInputError(
        f"{query!r} matches {len(tics)} TIC ids: {listed}", hint="run the command again with one TIC id"
    )
