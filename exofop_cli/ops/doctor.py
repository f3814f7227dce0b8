"""``exofop doctor``: check, live, every assumption exofop makes about ExoFOP; the checks are pure data.

For the first users who do have the network: a mismatch between the real site and what exofop assumes (the
reference's GUESSes above all) is found in one command, not by a wrong cache. Each check is one ``Check``:
PASS / WARN / FAIL, what exofop expects, what the server sent, and how long it took. In order:

1. name resolution, then TLS, of the base URL's host;
2. ``gototicid.php?target=...&json``: a JSON object with ``status`` OK and a ``TIC``;
3. ``target.php?id=TIC&json``: the keys exofop reads (``basic_info``, ``tois``, ``files``);
4. ``download_toi.php?toi=N&output=pipe``: the ``TIC ID`` and ``TOI`` columns, and a row for the TOI;
5. ``download_filelist.php``: the columns (``File ID`` and ``File Name`` at least) and the first row's shapes;
6. every summary table's header (the real ones of the reference compared name by name);
7. ``get_file.php`` sends bytes for a small public file of the target (and whether ``Content-Length`` and
   ``Content-Disposition`` come with them);
8. the login, when a cookie jar or a saved login exists: valid, expired or anonymous;
9. the clock, against the server's ``Date`` header.

Every request is one GET without retry (``HttpSession.probe``): what the server sends is what is reported.
Name resolution and the TLS handshake are ``remote.probes``'s: this module decides verdicts, never opens a
socket itself.
The doctor never reads or writes the cache; ``save_dir`` receives every raw answer, with cookie and session
values scrubbed, for a bug report.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import CacheError, ExoFopError, OfflineError, TargetNotFoundError
from ..remote import endpoints
from ..targets import parse_target

if TYPE_CHECKING:
    from ..remote.http import HttpSession
    from ..remote.probes import AddressResolver
    from ..remote.service import ExoFopRemote
    from ..remote.streams import Probe
    from ..remote.tables import Table

Status = Literal["PASS", "WARN", "FAIL"]
DEFAULT_TARGET = "TOI-1262"  # TIC 365938305
CLOCK_WARN_SECONDS = 60.0  # HTTP dates have 1 s resolution, and the answer took a while to arrive
CLOCK_FAIL_SECONDS = 3600.0  # an hour off misjudges session expiry and Retry-After dates
CERT_WARN_DAYS = 14
# Documented file-list columns (reference §2) and the real headers of four summary tables (reference §2, §7).
FILELIST_COLUMNS = (
    "Type",
    "File Name",
    "File ID",
    "TIC",
    "TOI",
    "Date",
    "User",
    "Group",
    "Tag",
    "Description",
)
REAL_HEADERS: dict[str, tuple[str, ...]] = {
    "spect": ("TIC ID", "TIC", "TOI", "Telescope", "Instrument", "Spectral resolution", "Wavelength coverage",
              "SNR/resolution", "SNR wavelength", "Appropriate to PRV", "Obs Date", "User", "Group", "Tag",
              "Notes"),
    "imaging": ("TIC ID", "TIC", "TOI", "Telescope", "Instrument", "Filter", "Image Type", "Pixel Scale", "PSF",
                "Contrast", "Obs Date", "User", "Group", "Tag", "Notes"),
    "tseries": ("TIC ID", "TIC", "TOI", "Telescope", "Camera", "Filter", "Pixel Scale", "PSF",
                "Phot Aperture Rad", "Obs Date", "Obs Duration", "Num Obs", "Obs Type", "Transit Coverage",
                "Delta Mag", "User", "Group", "Tag", "Notes"),
    "obsnotes": ("ID", "TIC ID", "Username", "Groupname", "TAG ID", "Lastmod", "notes"),
}  # fmt: skip
_SMALL_FILE = (".txt", ".dat", ".tbl", ".csv")
_SESSION_ID = re.compile(rb"(PHPSESSID=)[^;&\s\"'<>]+", re.I)


@dataclass(frozen=True)
class Check:
    """One check: its verdict, what exofop expects, what the server sent, how long it took."""

    name: str
    status: Status
    expected: str
    seen: str
    seconds: float
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``exofop doctor --json``."""
        return {
            "check": self.name,
            "status": self.status,
            "expected": self.expected,
            "seen": self.seen,
            "seconds": round(self.seconds, 3),
            "url": self.url,
        }


@dataclass(frozen=True)
class DoctorReport:
    """Every check of one run, in order; ``ok`` unless a check FAILed."""

    base_url: str
    target: str
    tic_id: int | None
    checks: tuple[Check, ...]
    saved_to: Path | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(c.status != "FAIL" for c in self.checks)

    def counts(self) -> dict[Status, int]:
        """How many checks passed, warned, failed."""
        return {s: sum(1 for c in self.checks if c.status == s) for s in ("PASS", "WARN", "FAIL")}

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``exofop doctor --json`` (also ``report.json`` under ``--save``)."""
        return {
            "base_url": self.base_url,
            "target": self.target,
            "tic_id": self.tic_id,
            "ok": self.ok,
            "counts": self.counts(),
            "checks": [c.to_dict() for c in self.checks],
            "saved_to": str(self.saved_to) if self.saved_to else None,
        }


@dataclass
class _Doctor:
    """The state of one run: the session, what was learnt so far, the raw answers to save."""

    http: HttpSession
    target: str
    resolve_host: AddressResolver | None
    checks: list[Check] = field(default_factory=list)
    answers: list[tuple[str, Probe]] = field(default_factory=list)
    tic: int | None = None
    tois: list[str] = field(default_factory=list)
    files: list[tuple[int, str]] = field(default_factory=list)
    date_header: tuple[str, float] | None = None  # (Date, local time when it arrived)

    def add(
        self, name: str, status: Status, expected: str, seen: str, started: float, url: str | None = None
    ) -> None:
        self.checks.append(Check(name, status, expected, seen, time.perf_counter() - started, url))

    def probe(self, name: str, endpoint: str, params: endpoints.Params | None, **kw: Any) -> Probe:
        """One GET, kept for ``--save``; the first ``Date`` header is kept for the clock check."""
        probe = self.http.probe(endpoint, params, what=name, **kw)
        self.answers.append((name, probe))
        date = probe.header("date")
        if date and self.date_header is None:
            self.date_header = (date, time.time())
        return probe


def run_doctor(
    remote: ExoFopRemote,
    *,
    target: str = DEFAULT_TARGET,
    save_dir: Path | None = None,
    resolve_host: AddressResolver | None = None,
) -> DoctorReport:
    """Run every check against the remote's base URL; ``OfflineError`` in offline mode (it needs the network).

    ``resolve_host`` replaces ``socket.getaddrinfo`` for the name-resolution check (tests).
    """
    if remote.offline:
        # Before the HTTP session is even built: the doctor exists to talk to ExoFOP.
        raise OfflineError(
            "offline mode: `exofop doctor` checks ExoFOP over the network and cannot run offline",
            hint="run it without --offline (or unset EXOFOP_OFFLINE)",
        )
    query = parse_target(target)  # a bad target is a usage error before any request
    http = remote.http
    doc = _Doctor(http=http, target=target, resolve_host=resolve_host)
    if query.kind == "tic":
        doc.tic = query.tic_id
    if query.kind == "toi" and query.toi:
        doc.tois.append(query.toi)
    if _check_host(doc):
        steps: list[Callable[[_Doctor], None]] = [
            lambda d: _check_gototicid(d, query.exofop_target_param),
            _check_overview,
            _check_toi_table,
            _check_filelist,
            *(lambda d, kind=kind: _check_summary(d, kind) for kind in endpoints.SUMMARY_KINDS),
            _check_get_file,
            _check_login,
        ]
        for step in steps:
            step(doc)
        _check_clock(doc)
    saved = _save(doc, save_dir) if save_dir is not None else None
    report = DoctorReport(http.base_url, target, doc.tic, tuple(doc.checks), saved)
    if saved is not None:
        _write(saved / "report.json", (json.dumps(report.to_dict(), indent=2) + "\n").encode())
    return report


# -- the checks -------------------------------------------------------------------------------------------------
def _check_host(doc: _Doctor) -> bool:
    """Name resolution, then TLS; False when the host cannot be reached at all (the rest is not run)."""
    from ..remote.probes import host_of, resolve_addresses, tls_handshake

    host, port, https = host_of(doc.http.base_url)
    started = time.perf_counter()
    try:
        addresses = resolve_addresses(host, port, resolve=doc.resolve_host)
    except (OSError, UnicodeError) as exc:
        doc.add("name resolution", "FAIL", f"{host} resolves to an address", f"it does not: {exc}", started)
        doc.add("remaining checks", "FAIL", "a reachable host", "not run: the host does not resolve", started)
        return False
    doc.add("name resolution", "PASS", f"{host} resolves", ", ".join(addresses[:3]), started)
    started = time.perf_counter()
    if not https:
        local = host in ("localhost", "127.0.0.1", "::1")
        status: Status = "PASS" if local else "WARN"
        seen = (
            "plain HTTP to a local server" if local else "plain HTTP: nothing is encrypted, not even a login"
        )
        doc.add("TLS", status, "HTTPS with a valid certificate", seen, started)
        return True
    try:
        seen, days_left = tls_handshake(host, port, doc.http.connect_timeout)
    except (OSError, ValueError) as exc:
        doc.add("TLS", "FAIL", "a TLS handshake with a valid certificate", f"failed: {exc}", started)
        doc.add(
            "remaining checks", "FAIL", "a TLS connection", "not run: no TLS connection to the host", started
        )
        return False
    status = "WARN" if days_left < CERT_WARN_DAYS else "PASS"
    doc.add("TLS", status, "a TLS handshake with a valid certificate", seen, started)
    return True


def _check_gototicid(doc: _Doctor, param: str) -> None:
    name, expected = "gototicid.php JSON keys", 'a JSON object with "status": "OK" and "TIC"'
    started = time.perf_counter()
    probe = _get(doc, name, expected, endpoints.GOTOTICID, endpoints.gototicid_params(param), started)
    if probe is None:
        return
    data = _json_object(doc, name, expected, probe, started)
    if data is None:
        return
    keys = ", ".join(data)
    tic = _first_tic(data.get("TIC"))
    message = data.get("message")
    if doc.target != DEFAULT_TARGET and data.get("status") and tic is None and isinstance(message, str):
        # A well-formed "not found" for a star the user chose: the choice is wrong, not the site (for the
        # default star it stays a FAIL: ExoFOP not knowing TOI-1262 would be news).
        raise TargetNotFoundError(
            doc.target, detail=message, hint=f"--target a star ExoFOP knows (the default is {DEFAULT_TARGET})"
        )
    if str(data.get("status", "")).upper() != "OK" or tic is None:
        doc.add(
            name,
            "FAIL",
            expected,
            f"keys {keys}: status {data.get('status')!r}, TIC {data.get('TIC')!r}",
            started,
            probe.url,
        )
        return
    if doc.tic is not None and tic != doc.tic:
        doc.add(name, "FAIL", f"{expected} = {doc.tic}", f"TIC {tic} (keys {keys})", started, probe.url)
        return
    doc.tic = tic
    doc.add(name, "PASS", expected, f"keys {keys}; TIC {tic}", started, probe.url)


def _check_overview(doc: _Doctor) -> None:
    name, expected = "target.php?json keys", "a JSON object with basic_info, tois, files"
    started = time.perf_counter()
    if not _have_tic(doc, name, expected, started):
        return
    assert doc.tic is not None
    probe = _get(doc, name, expected, endpoints.TARGET, endpoints.target_params(doc.tic), started)
    if probe is None:
        return
    if b"no tic object found" in probe.content[:65536].lower():
        doc.add(name, "FAIL", expected, f"'No TIC object found' for TIC {doc.tic}", started, probe.url)
        return
    data = _json_object(doc, name, expected, probe, started)
    if data is None:
        return
    missing = [k for k in ("basic_info", "tois", "files") if k not in data]
    if missing:
        doc.add(
            name,
            "FAIL",
            expected,
            f"missing {', '.join(missing)} (keys: {', '.join(data)})",
            started,
            probe.url,
        )
        return
    problems = _overview_problems(data)
    tois = (
        [str(t.get("toi")) for t in data["tois"] if isinstance(t, dict)]
        if isinstance(data["tois"], list)
        else []
    )
    files = data["files"] if isinstance(data["files"], list) else []
    doc.tois += [t for t in (_bare_toi(v) for v in tois) if t and t not in doc.tois]
    seen = f"{len(data)} keys; tois {', '.join(tois) or 'none'}; {len(files)} files"
    doc.add(name, "WARN" if problems else "PASS", expected, "; ".join([seen, *problems]), started, probe.url)


def _overview_problems(data: dict[str, Any]) -> list[str]:
    """Shapes in the overview that differ from the real capture (reference §7)."""
    problems = []
    basic = data.get("basic_info")
    if not isinstance(basic, dict) or not isinstance(basic.get("star_names", ""), str):
        problems.append("basic_info.star_names is not one string")
    files = data.get("files")
    rows = files if isinstance(files, list) else []
    keyless = [r for r in rows if not isinstance(r, dict) or not {"fid", "fname", "ftype"} <= set(r)]
    if keyless:
        problems.append(f"{len(keyless)} files[] row(s) lack fid/fname/ftype")
    if not isinstance(data.get("tois"), list):
        problems.append("tois is not a list")
    return problems


def _check_toi_table(doc: _Doctor) -> None:
    name, expected = "download_toi.php columns", "columns TIC ID and TOI, and a row for the TOI"
    started = time.perf_counter()
    if not doc.tois:
        doc.add(name, "WARN", expected, f"not run: {doc.target} has no TOI to ask for", started)
        return
    toi = doc.tois[0]
    number = int(toi.split(".")[0])
    probe = _get(doc, name, expected, endpoints.DOWNLOAD_TOI, endpoints.toi_params(number), started)
    table = _table(doc, name, expected, probe, started, what="the TOI table") if probe else None
    if table is None or probe is None:
        return
    tic_col, toi_col = table.column("TIC ID"), table.column("TOI")
    if tic_col is None or toi_col is None:
        doc.add(name, "FAIL", expected, f"header: {_names(table.columns)}", started, probe.url)
        return
    from ..remote.tables import to_int
    from ..targets import normalize_toi_cell

    # "1262" (no planet) matches every planet of the system, as download_toi.php?toi=1262 answers them.
    rows = [r for r in table.rows if (normalize_toi_cell(r.get(toi_col)) or "").split(".")[0] == str(number)]
    if "." in toi:
        rows = [r for r in rows if normalize_toi_cell(r.get(toi_col)) == toi]
    tics = {to_int(r.get(tic_col)) for r in rows}
    seen = f"{len(table.columns)} columns; TOI {toi} → TIC {', '.join(str(t) for t in tics) or 'no row'}"
    status: Status = "PASS" if rows and (doc.tic is None or tics == {doc.tic}) else "FAIL"
    doc.add(name, status, expected, seen, started, probe.url)


def _check_filelist(doc: _Doctor) -> None:
    name, expected = "file-list columns", ", ".join(FILELIST_COLUMNS)
    started = time.perf_counter()
    if not _have_tic(doc, name, expected, started):
        return
    assert doc.tic is not None
    probe = _get(doc, name, expected, endpoints.FILELIST, endpoints.filelist_params(doc.tic), started)
    table = _table(doc, name, expected, probe, started, what="the file list") if probe else None
    if table is None or probe is None:
        return
    from ..remote.filelist import rows_from_table

    try:
        rows, _warnings = rows_from_table(table, tic_id=doc.tic)
    except ExoFopError as exc:
        doc.add(name, "FAIL", expected, exc.message, started, probe.url)
        return
    doc.files = [(r.file_id, r.filename) for r in rows]
    missing = [c for c in FILELIST_COLUMNS if table.column(c) is None]
    extra = [c for c in table.columns if c not in FILELIST_COLUMNS]
    first = table.rows[0] if table.rows else {}
    shapes = ", ".join(f"{c} {first.get(c)!r}" for c in ("Date", "TOI", "TIC") if table.column(c) and first)
    seen = f"{len(rows)} rows" + (f"; first row {shapes}" if shapes else "")
    seen += "".join(
        f"; {label}: {', '.join(v)}" for label, v in (("missing", missing), ("extra", extra)) if v
    )
    status: Status = "WARN" if missing or extra or table.warnings else "PASS"
    doc.add(name, status, expected, "; ".join([seen, *table.warnings]), started, probe.url)


def _check_summary(doc: _Doctor, kind: str) -> None:
    spec = endpoints.SUMMARIES[kind]
    real = REAL_HEADERS.get(kind)
    name = f"{spec.endpoint} header"
    expected = (
        ", ".join(real)
        if real
        else "a table of two or more columns" + (f" with {', '.join(spec.required)}" if spec.required else "")
    )
    started = time.perf_counter()
    if not _have_tic(doc, name, expected, started):
        return
    assert doc.tic is not None
    probe = _get(doc, name, expected, spec.endpoint, spec.params(doc.tic), started)
    table = _table(doc, name, expected, probe, started, what=f"the {kind} table") if probe else None
    if table is None or probe is None:
        return
    missing = [c for c in spec.required if table.column(c) is None]
    if missing or len(table.columns) < 2:
        doc.add(name, "FAIL", expected, f"header: {_names(table.columns)}", started, probe.url)
        return
    seen = f"{len(table.rows)} rows; header: {_names(table.columns)}"
    status: Status = "PASS"
    if real is not None and tuple(table.columns) != real:
        lost = [c for c in real if c not in table.columns]
        new = [c for c in table.columns if c not in real]
        seen = f"{len(table.rows)} rows; missing: {', '.join(lost) or '-'}; new: {', '.join(new) or '-'}"
        status = "WARN"
    if table.warnings:
        status, seen = "WARN", "; ".join([seen, *table.warnings])
    doc.add(name, status, expected, seen, started, probe.url)


def _check_get_file(doc: _Doctor) -> None:
    name, expected = (
        "get_file.php bytes",
        "the bytes of a small public file (Content-Length, Content-Disposition?)",
    )
    started = time.perf_counter()
    if not doc.files:
        doc.add(name, "WARN", expected, f"not run: {doc.target} lists no files", started)
        return
    from ..remote.sniff import looks_like_login_page, looks_like_page, refused_file, same_file_name

    candidates = sorted(doc.files, key=lambda f: (not f[1].lower().endswith(_SMALL_FILE), f[0]))[:3]
    refused = []
    for file_id, filename in candidates:
        probe = _get(
            doc,
            name,
            expected,
            endpoints.GET_FILE,
            endpoints.get_file_params(file_id),
            started,
            max_bytes=65536,
        )
        if probe is None:
            return
        body, ctype = probe.content, probe.header("content-type") or ""
        if looks_like_page(body, ctype) and looks_like_login_page(body):
            refused.append(f"{file_id} needs a login")
            continue
        if not body or (looks_like_page(body, ctype) and not filename.lower().endswith((".html", ".htm"))):
            doc.add(name, "FAIL", expected, _describe(probe) + f" for file {file_id}", started, probe.url)
            return
        refusal = refused_file(body, filename) if probe.complete else None
        if refusal is not None:
            doc.add(
                name, "FAIL", expected, f"a message for file {file_id}: {refusal.text!r}", started, probe.url
            )
            return
        from ..remote.streams import filename_from_disposition

        served = filename_from_disposition(probe.header("content-disposition"))
        length = probe.header("content-length")
        seen = (
            f"{len(body)}{'' if probe.complete else '+'} bytes of {filename!r}; "
            f"Content-Length {'absent' if length is None else length}; "
            f"Content-Disposition {'absent' if served is None else repr(served)}"
        )
        mismatch = served is not None and not same_file_name(served, filename)
        doc.add(name, "WARN" if mismatch else "PASS", expected, seen, started, probe.url)
        return
    doc.add(name, "WARN", expected, "every file tried needs a login: " + "; ".join(refused), started)


def _check_login(doc: _Doctor) -> None:
    from .auth import check_session

    name, expected = "login", "a session ExoFOP accepts (when a cookie jar or a saved login exists)"
    started = time.perf_counter()
    jar = doc.http.cookie_jar
    if jar is None:
        doc.add(name, "PASS", expected, "no cookie jar or saved login: anonymous", started)
        return
    where = f" ({jar.source})" if jar.source else ""
    expires = jar.session_expires()
    if expires is not None and not jar.has_session():
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires))
        doc.add(name, "FAIL", expected, f"expired on {when}{where}: log in again", started)
        return
    try:
        state, seen = check_session(doc.http)
    except ExoFopError as exc:
        doc.add(name, "FAIL", expected, f"no answer: {exc}", started)
        return
    verdict: dict[str, Status] = {"valid": "PASS", "expired": "FAIL", "anonymous": "WARN", "unknown": "WARN"}
    doc.add(name, verdict[state], expected, f"{state}{where}: {seen}", started, doc.http.url("index.php"))


def _check_clock(doc: _Doctor) -> None:
    import email.utils

    name, expected = "clock", f"within {CLOCK_WARN_SECONDS:g} s of the server's Date header"
    started = time.perf_counter()
    if doc.date_header is None:
        doc.add(name, "WARN", expected, "no answer carried a Date header", started)
        return
    value, arrived = doc.date_header
    try:
        server = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        doc.add(name, "WARN", expected, f"unreadable Date header {value!r}", started)
        return
    skew = arrived - server
    status: Status = "PASS"
    if abs(skew) > CLOCK_FAIL_SECONDS:
        status = "FAIL"
    elif abs(skew) > CLOCK_WARN_SECONDS:
        status = "WARN"
    doc.add(
        name,
        status,
        expected,
        f"this computer is {abs(skew):.0f} s {'ahead' if skew >= 0 else 'behind'} ({value})",
        started,
    )


# -- helpers -----------------------------------------------------------------------------------------------------
def _get(
    doc: _Doctor, name: str, expected: str, endpoint: str, params: endpoints.Params, started: float, **kw: Any
) -> Probe | None:
    """The probe's answer, or None after adding a FAIL (no answer, an HTTP error, an empty body)."""
    try:
        probe = doc.probe(name, endpoint, params, **kw)
    except ExoFopError as exc:
        doc.add(name, "FAIL", expected, f"no answer: {exc}", started, doc.http.url(endpoint, params))
        return None
    if probe.status_code >= 400 or not probe.content.strip():
        doc.add(name, "FAIL", expected, _describe(probe), started, probe.url)
        return None
    return probe


def _describe(probe: Probe) -> str:
    """What an unusable answer was: an HTTP error, an empty body (throttling?), a page, or its first bytes."""
    from ..remote.sniff import describe_page, looks_like_html, looks_like_login_page

    if probe.status_code >= 400:
        return f"HTTP {probe.status_code}"
    if not probe.content.strip():
        return f"an empty answer (HTTP {probe.status_code}; ExoFOP throttling?)"
    if looks_like_html(probe.content):
        kind = "its login page" if looks_like_login_page(probe.content) else "an HTML page"
        return f"{kind} {describe_page(probe.content)}"
    return f"{probe.content[:80]!r}"


def _json_object(
    doc: _Doctor, name: str, expected: str, probe: Probe, started: float
) -> dict[str, Any] | None:
    try:
        data = json.loads(probe.content.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        doc.add(name, "FAIL", expected, "not JSON: " + _describe(probe), started, probe.url)
        return None
    if not isinstance(data, dict):
        doc.add(name, "FAIL", expected, f"JSON {type(data).__name__}, not an object", started, probe.url)
        return None
    return data


def _table(
    doc: _Doctor, name: str, expected: str, probe: Probe, started: float, *, what: str
) -> Table | None:
    from ..remote.tables import parse_table

    try:
        return parse_table(probe.content, what=what)
    except ExoFopError:
        doc.add(name, "FAIL", expected, _describe(probe), started, probe.url)
        return None


def _have_tic(doc: _Doctor, name: str, expected: str, started: float) -> bool:
    if doc.tic is None:
        doc.add(
            name, "FAIL", expected, f"not run: the TIC of {doc.target} is unknown (gototicid failed)", started
        )
    return doc.tic is not None


def _first_tic(value: Any) -> int | None:
    from ..remote.answers import tic_ids

    tics = tic_ids(value)
    return tics[0] if tics else None


def _bare_toi(value: str) -> str | None:
    from ..targets import normalize_toi_cell

    return normalize_toi_cell(value)


def _names(columns: tuple[str, ...], limit: int = 8) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … ({len(columns)} in all)" if len(columns) > limit else "") if columns else "(none)"


# -- --save ----------------------------------------------------------------------------------------------------
def _save(doc: _Doctor, folder: Path) -> Path:
    """Write every raw answer (scrubbed) into ``folder``; the folder."""
    secrets = _secret_values(doc)
    for number, (name, probe) in enumerate(doc.answers, start=1):
        slug = re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-")
        lines = [f"GET {probe.url}", f"HTTP {probe.status_code}"]
        lines += [f"{key}: {_scrub_header(key, value)}" for key, value in probe.header_items]
        tail = "" if probe.complete else f"\n[... cut after {len(probe.content)} bytes]"
        data = "\n".join(lines).encode() + b"\n\n" + probe.content + tail.encode()
        _write(folder / f"{number:02d}-{slug}.txt", _scrub(data, secrets))
    return folder


def _secret_values(doc: _Doctor) -> list[bytes]:
    """Every cookie value that was sent or set: never written, wherever it shows up."""
    values = [c.value for c in doc.http.cookie_jar.cookies] if doc.http.cookie_jar else []
    for _name, probe in doc.answers:
        for key, value in probe.header_items:
            if key.lower() == "set-cookie":
                values.append(value.split(";", 1)[0].partition("=")[2])
    return sorted({v.encode() for v in values if len(v) >= 4}, key=len, reverse=True)


def _scrub_header(key: str, value: str) -> str:
    """A cookie header with its value replaced (name and attributes kept)."""
    if key.lower() not in ("set-cookie", "cookie"):
        return value
    first, sep, rest = value.partition(";")
    return f"{first.partition('=')[0].strip()}=REDACTED{sep}{rest}"


def _scrub(data: bytes, secrets: list[bytes]) -> bytes:
    for secret in secrets:
        data = data.replace(secret, b"REDACTED")
    return _SESSION_ID.sub(rb"\1REDACTED", data)


def _write(path: Path, data: bytes) -> None:
    from ..store.atomic import atomic_write_bytes

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except (OSError, CacheError) as exc:
        cause = exc.__cause__ if isinstance(exc, CacheError) else exc
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause or exc)
        raise CacheError(f"cannot write {path}: {reason}", hint="choose another --save folder") from exc
