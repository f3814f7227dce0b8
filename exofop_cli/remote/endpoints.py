"""ExoFOP endpoints and the exact parameters exofop sends (reference §2).

Parameters are ordered dicts so URLs are deterministic (cassettes match on the query string). Every table
request names its ``output=`` explicitly: the default ``text`` output cannot be parsed.
"""

from typing import Literal, NamedTuple
from urllib.parse import urlencode

Params = dict[str, str | int | None]

GOTOTICID = "gototicid.php"
TARGET = "target.php"
DOWNLOAD_TOI = "download_toi.php"
FILELIST = "download_filelist.php"
GET_FILE = "get_file.php"
FILES_ZIP = "download_files_zip.php"
FILES_TAR = "download_files.php"
CTOI = "download_ctoi.php"
LOGIN = "password_check.php"
LOGIN_PAGE = "login.php"


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``(url without user:password@, (user, password) or None)``: credentials never go where URLs go."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=hostport)), (unquote(user), unquote(password))


def check_base_url(url: str) -> None:
    """``InvalidInputError`` unless ``url`` is an http(s) URL with a host (``http://[::1`` is not)."""
    from urllib.parse import urlsplit

    from ..errors import InvalidInputError

    hint = "e.g. --base-url https://exofop.ipac.caltech.edu/tess/ (or EXOFOP_BASE_URL)"
    shown = without_credentials(url)
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidInputError(f"unusable base URL {shown!r}: {exc}", hint=hint) from exc
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInputError(f"unusable base URL {shown!r}: not an http(s) URL with a host", hint=hint)


def without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` shown as ``***@``, even when the rest of it cannot be parsed."""
    import re

    return re.sub(r"//[^/?#]*@", "//***@", url)


def relative_url(endpoint: str, params: Params | None = None) -> str:
    """``endpoint?k=v&flag``: parameters in the given order, ``None`` values as bare flags (``&json``)."""
    if not params:
        return endpoint
    query = "&".join(key if value is None else urlencode({key: str(value)}) for key, value in params.items())
    return f"{endpoint}?{query}"


def gototicid_params(target: str) -> Params:
    """``gototicid.php?target=<name>&json`` (``json`` is a bare flag, as documented)."""
    return {"target": target, "json": None}


def target_params(tic_id: int) -> Params:
    """``target.php?id=<tic>&json``: the overview page as JSON (undocumented, used by several clients)."""
    return {"id": str(tic_id), "json": None}


def toi_params(toi_number: int) -> Params:
    """``download_toi.php?toi=<n>&output=pipe``: every planet of TOI system ``n``."""
    return {"toi": str(toi_number), "output": "pipe"}


def filelist_params(tic_id: int) -> Params:
    """``download_filelist.php?id=<tic>&output=csv``."""
    return {"id": str(tic_id), "output": "csv"}


def get_file_params(file_id: int) -> Params:
    """``get_file.php?id=<file id>``."""
    return {"id": str(file_id)}


def archive_params(tic_id: int) -> Params:
    """``download_files_zip.php?id=<tic>`` / ``download_files.php?id=<tic>``."""
    return {"id": str(tic_id)}


class SummarySpec(NamedTuple):
    """How one summary table is requested and stored."""

    kind: str
    endpoint: str
    id_param: str
    output: Literal["csv", "pipe"]
    description: str
    # A body without these columns is not this table (plain text, a message): refused, never cached.
    # The four observation tables share "TIC ID" (reference §2, real headers); the others' headers are
    # unknown, so any table of two or more columns passes.
    required: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        """Stored name under ``summaries/`` (``spect.csv``, ``stellar.pipe``...)."""
        return f"{self.kind}.{self.output}"

    def params(self, tic_id: int) -> Params:
        """Query parameters for this table and star."""
        return {self.id_param: str(tic_id), "output": self.output}


_OBS = ("TIC ID",)
# The id parameter differs per script (reference §2): target= for spect/imaging/tseries/uploads, tid= for
# obsnotes, id= for stellar/planet. stellar and planet are documented as pipe-only.
SUMMARIES: dict[str, SummarySpec] = {
    spec.kind: spec
    for spec in (
        SummarySpec("spect", "download_spect.php", "target", "csv", "spectroscopy observations", _OBS),
        SummarySpec(
            "imaging", "download_imaging.php", "target", "csv", "high-resolution imaging observations", _OBS
        ),
        SummarySpec(
            "tseries", "download_tseries.php", "target", "csv", "time-series (SG1) observations", _OBS
        ),
        # CSV (the script's default) rather than pipe: pipe output has no quoting, so a note typed with a line
        # break would lose its second line, or turn it into a bogus row when that line holds a "|".
        SummarySpec("obsnotes", "download_obsnotes.php", "tid", "csv", "observing notes", _OBS),
        SummarySpec("stellar", "download_stellar.php", "id", "pipe", "stellar parameters"),
        SummarySpec("planet", "download_planet.php", "id", "pipe", "planet parameters"),
        SummarySpec("uploads", "download_uploads.php", "target", "csv", "counts of uploads per category"),
        # Nearby stars, the target itself first (reference §2, REAL rendered): CSV as ramjet requests it (a
        # real CSV once lacked its "Distance Err" header: the parser warns, never shifts values).
        SummarySpec(
            "nearby", "download_nearbytarget.php", "id", "csv", "nearby stars (the target first)", _OBS
        ),
        # Stellar companions: dgegen's and etta's clients request pipe; the header is not public (etta's test
        # expects a "TIC ID" column and 15 or more columns), so only "TIC ID" is required.
        SummarySpec(
            "companions", "download_stellarcomp.php", "target", "pipe", "stellar companions (imaging)", _OBS
        ),
    )
}
SUMMARY_KINDS: tuple[str, ...] = tuple(SUMMARIES)


# Dispositions that exist even when today's table happens to have no row with them (TFOPWG: planet
# candidate, ambiguous PC, confirmed/known planet, false positive/alarm; TESS adds eclipsing binary,
# instrument noise, variability, other), so that asking for one is "no rows", not "unknown". Here, in a
# module that imports next to nothing, so that the CLI's help can list them on every TAB.
KNOWN_DISPOSITIONS = ("PC", "APC", "CP", "KP", "FP", "FA", "EB", "IS", "V", "O")


class CatalogSpec(NamedTuple):
    """A whole-catalogue table (every TOI, every CTOI): large, slow, cached under ``catalogs/``."""

    kind: str
    endpoint: str
    sort: str
    description: str
    required: tuple[str, ...]
    id_column: str

    def params(self, output: str) -> Params:
        """``?sort=<key>&output=<csv|pipe>``: the full table, explicitly formatted."""
        return {"sort": self.sort, "output": output}


# Real column names: the 2021 and 2025 TOI headers (shared/samples/tables) and the CTOI header clients use
# (research: benskamps/windowsill-lab, orionlee). CSV first; pipe when CSV fails (reference §7).
CATALOGS: dict[str, CatalogSpec] = {
    spec.kind: spec
    for spec in (
        CatalogSpec("toi", DOWNLOAD_TOI, "toi", "the TOI table", ("TIC ID", "TOI"), "TOI"),
        CatalogSpec("ctoi", CTOI, "ctoi", "the community TOI table", ("TIC ID", "CTOI"), "CTOI"),
    )
}
CATALOG_OUTPUTS = ("csv", "pipe")
