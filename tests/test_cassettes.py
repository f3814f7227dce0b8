"""Real (and documented) ExoFOP responses, replayed from vcrpy cassettes through the public library API.

By default every cassette in ``cassettes/`` is replayed with ``record_mode="none"``: a request the cassette does
not hold fails the test, and most tests also check that the client made every recorded request, so the URLs
and query strings in ``exofop_cli/endpoints.py`` are pinned to the real base URL.

``EXOFOP_LIVE=1`` re-records the scenarios that exist on the real site into ``cassettes/live/`` instead (see
``cassettes/README.md``); constructed-only scenarios are skipped then, and assertions on constructed values
are replaced by checks that hold for any real answer.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import vcr
from vcr.cassette import Cassette as VcrCassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from exofop_cli import (
    AuthRequiredError,
    ExoFopClient,
    ExoFopSelectors,
    TargetNotFoundError,
    read_manifest,
)
from exofop_cli.ops import auth
from exofop_cli.ops.archive import SafeArchive
from exofop_cli.ops.contrast import collect_contrast_curves, load_exofop_contrast_curve_dat
from exofop_cli.remote import endpoints
from exofop_cli.remote.tables import parse_table, to_float, to_int

from . import cassettes_build as build

# Read at import time: the autouse _isolated_env fixture removes EXOFOP_* variables while tests run.
LIVE = os.environ.get("EXOFOP_LIVE", "").strip().lower() in {"1", "true", "yes", "on"}
_LIVE_USERNAME = os.environ.get("EXOFOP_USERNAME", "") if LIVE else ""
_LIVE_PASSWORD = os.environ.get("EXOFOP_PASSWORD", "") if LIVE else ""

CASSETTE_DIR = build.CASSETTE_DIR
LIVE_DIR = CASSETTE_DIR / "live"
BASE = build.BASE_URL
SPECS = {c.name: c for c in build.build_cassettes()}
CONTRAST_NAME = "TOI678I-ef20201228-832_sensitivity.dat"
CONTRAST_BYTES = (build.SOURCE_DIR / CONTRAST_NAME).read_bytes()
TOI678 = build.TIC_TOI678
MATCH_ON = ("method", "scheme", "host", "port", "path", "exact_query")


# -- vcrpy configuration (shared by replay and live recording) ------------------------------------------------
def exact_query(r1: Any, r2: Any) -> None:
    """The raw query string, in order and with bare flags (vcrpy's ``query`` drops ``&json``)."""
    q1, q2 = urlsplit(r1.uri).query, urlsplit(r2.uri).query
    if q1 != q2:
        raise AssertionError(f"query {q1!r} != {q2!r}")


_COOKIE_VALUE = re.compile(r"^(\s*[^=;\s]+\s*=)[^;]*")


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Live recordings keep cookie names and attributes, never values."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() == "set-cookie":
            headers[name] = [_COOKIE_VALUE.sub(r"\1REDACTED", v) for v in headers[name]]
    return response


def make_vcr() -> vcr.VCR:
    my_vcr = vcr.VCR(
        record_mode="all" if LIVE else "none",
        match_on=MATCH_ON,
        decode_compressed_response=True,
        filter_headers=[("cookie", "REDACTED"), ("authorization", "REDACTED")],
        filter_post_data_parameters=[("username", "USERNAME"), ("password", "PASSWORD")],
        # Only when recording: vcrpy also runs this hook on interactions it loads for replay.
        before_record_response=scrub_response if LIVE else None,
        # Never True in replay: vcrpy would then rewrite a cassette whose interactions were not all used.
        drop_unused_requests=LIVE,
    )
    my_vcr.register_matcher("exact_query", exact_query)
    return my_vcr


@contextmanager
def cassette(name: str, *, expect_all_played: bool = True) -> Iterator[VcrCassette]:
    """Replay ``cassettes/<name>.yaml`` (or, with EXOFOP_LIVE=1, record ``cassettes/live/<name>.yaml``)."""
    spec = SPECS[name]
    if LIVE:
        if not spec.live:
            pytest.skip(f"{name} is a constructed scenario: replay only, never re-recorded")
        LIVE_DIR.mkdir(exist_ok=True)
        path = LIVE_DIR / spec.filename
        path.unlink(missing_ok=True)
    else:
        path = CASSETTE_DIR / spec.filename
        assert path.is_file(), f"{path} missing: run python tests/cassettes_build.py"
    before = None if LIVE else path.read_bytes()
    with make_vcr().use_cassette(str(path)) as cass:
        yield cass
    if before is not None:
        assert path.read_bytes() == before, f"replaying {path.name} rewrote it"
    if not LIVE and expect_all_played:
        unplayed = [str(r) for i, r in enumerate(cass.requests) if not cass.play_counts[i]]
        assert not unplayed, f"the client never asked for: {unplayed}"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[ExoFopClient]:
    """A client with the default (real) base URL and an empty cache."""
    with ExoFopClient(cache_dir=tmp_path / "cache") as c:
        assert c.base_url == BASE
        yield c


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the cassettes themselves --------------------------------------------------------------------------------
def test_committed_cassettes_are_the_builder_output() -> None:
    """`python tests/cassettes_build.py --check`: no drift between the builder and cassettes/*.yaml."""
    problems = build.check()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_cassette_loads_in_vcrpy_with_exact_bodies(name: str) -> None:
    spec = SPECS[name]
    requests, responses, *_ = FilesystemPersister.load_cassette(
        str(CASSETTE_DIR / spec.filename), yamlserializer
    )
    assert len(requests) == len(spec.interactions)
    for request, response, item in zip(requests, responses, spec.interactions, strict=True):
        assert request.uri == BASE + item.url
        assert request.uri.startswith("https://exofop.ipac.caltech.edu/tess/")
        assert request.method == item.method
        assert response["body"]["string"] == item.body, f"{name}: {item.url} body changed in YAML"
        headers = {k.lower(): v for k, v in response["headers"].items()}
        if "content-length" in headers:
            assert headers["content-length"] == [str(len(item.body))]


def test_no_secret_in_any_cassette() -> None:
    """Session cookies are obvious fakes (hand-made) or REDACTED (live); no credentials are stored."""
    paths = sorted(CASSETTE_DIR.glob("*.yaml")) + sorted(LIVE_DIR.glob("*.yaml"))
    for path in paths:
        requests, responses, *_ = FilesystemPersister.load_cassette(str(path), yamlserializer)
        for request, response in zip(requests, responses, strict=True):
            for name, values in request.headers.items():
                if name.lower() in ("cookie", "authorization"):
                    assert values in ("REDACTED", ["REDACTED"]), f"{path.name}: {name} not scrubbed"
            if request.body:
                body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
                form = parse_qs(body)
                for field_ in ("username", "password"):
                    assert form.get(field_, [field_.upper()]) == [field_.upper()], f"{path.name}: {field_}"
            for name, values in response["headers"].items():
                if name.lower() == "set-cookie":
                    for value in values:
                        cookie_value = value.split(";", 1)[0].split("=", 1)[1]
                        assert "fake" in cookie_value or cookie_value == "REDACTED", f"{path.name}: {value}"


def test_summary_cassette_urls_are_what_endpoints_sends() -> None:
    """Every summary endpoint, id parameter and output= of endpoints.py is in the fetch cassette, in order."""
    urls = {BASE + i.url for i in SPECS["fetch_tic294395926"].interactions}
    for spec in endpoints.SUMMARIES.values():
        assert BASE + endpoints.relative_url(spec.endpoint, spec.params(TOI678)) in urls
    assert BASE + endpoints.relative_url(endpoints.FILELIST, endpoints.filelist_params(TOI678)) in urls
    assert BASE + endpoints.relative_url(endpoints.TARGET, endpoints.target_params(TOI678)) in urls


# -- resolution ----------------------------------------------------------------------------------------------
def test_resolve_toi_127_from_the_real_toi_table(client: ExoFopClient) -> None:
    with cassette("resolve_toi_127"):
        target = client.resolve_target("TOI-127")
    assert target.tic_id == 234523599
    assert "127.01" in target.toi
    if not LIVE:
        assert target.toi == "127.01" and target.tois == ("127.01",)
        assert target.aliases == {"hats": "HATS-71"} and target.names == ("HATS-71", "TOI-127")
    # Cached on disk: resolving again makes no request (the cassette is closed; any request would fail).
    assert client.resolve_target("TOI 127") == target


def test_real_2021_toi_table_parses_by_column_name(client: ExoFopClient) -> None:
    with cassette("resolve_toi_127", expect_all_played=False):
        body = client.http.get(endpoints.DOWNLOAD_TOI, endpoints.toi_params(127), what="TOI 127").content
    table = parse_table(body, what="the TOI table")
    (row,) = [r for r in table.rows if r["TOI"] == "127.01"]
    assert to_int(row["TIC ID"]) == 234523599
    assert row["RA"] == "01:02:12.45" and row["Dec"] == "-61:45:22.08"
    if not LIVE:
        assert len(table.columns) == 58
        assert "Stellar Metallicity err" in table.columns  # sent as " Stellar Metallicity err"
        assert row["Stellar Metallicity err"] is None
        assert to_float(row["Planet Radius (R_Earth) err"]) == pytest.approx(0.386554)  # sent as ".386554"
        assert to_float(row["Stellar Radius (R_Sun)"]) == pytest.approx(0.445372)
        assert row["ACWG ESM"] == "39.1"
        assert row["Sectors"] == "1,2,28,29"
        assert row["Comments"] == "HATS-71 b"
        assert row["Planet Name"] is None


def test_resolve_toi_with_planet_suffix_and_the_2025_header(client: ExoFopClient) -> None:
    with cassette("resolve_toi_101_2025_header"):
        target = client.resolve_target("TOI-101.01")
    assert target.tic_id == 231663901
    assert target.tois[:1] == ("101.01",)
    if not LIVE:
        assert target.aliases == {"wasp": "WASP-46"} and target.names == ("WASP-46", "TOI-101")


def test_real_2025_toi_row_parses_by_column_name(client: ExoFopClient) -> None:
    with cassette("resolve_toi_101_2025_header", expect_all_played=False):
        body = client.http.get(endpoints.DOWNLOAD_TOI, endpoints.toi_params(101), what="TOI 101").content
    (row,) = [r for r in parse_table(body).rows if r["TOI"] == "101.01"]
    assert row["RA"] == "21:14:56.88"
    if not LIVE:
        assert row["ESM"] == "86.8" and row["Sectors"] == "1,27,67"
        assert row["Date TOI Alerted (UTC)"] == "2018-09-05"
        assert row["Previous CTOI"] is None


def test_unknown_toi_falls_back_to_gototicid_and_is_not_found(client: ExoFopClient) -> None:
    with cassette("resolve_toi_unknown"), pytest.raises(TargetNotFoundError):
        client.resolve_target(f"TOI-{build.UNKNOWN_TOI}")


def test_resolve_a_name_through_gototicid(client: ExoFopClient) -> None:
    with cassette("resolve_name_hats71"):
        target = client.resolve_target("HATS-71")
    assert target.tic_id == 234523599
    assert target.aliases["hats"] == "HATS-71" and target.names[0] == "HATS-71"
    assert "127.01" in target.toi


def test_resolve_a_name_when_json_starts_with_a_bom(client: ExoFopClient) -> None:
    with cassette("resolve_name_hats71_bom"):
        target = client.resolve_target("HATS-71")
    assert target.tic_id == 234523599 and target.tois == ("127.01",)


def test_unknown_name_is_not_found(client: ExoFopClient) -> None:
    with cassette("resolve_name_unknown"), pytest.raises(TargetNotFoundError) as info:
        client.resolve_target(build.UNKNOWN_NAME)
    if not LIVE:
        assert "No object found" in str(info.value)


def test_unknown_tic_overview_is_not_found(client: ExoFopClient) -> None:
    with cassette("overview_unknown_tic"), pytest.raises(TargetNotFoundError):
        client.resolve_target(f"TIC {build.UNKNOWN_TIC}")


# -- fetch: file list, files, summaries ------------------------------------------------------------------------
def test_fetch_toi_678_writes_the_manifest_from_real_and_documented_responses(client: ExoFopClient) -> None:
    with cassette("fetch_tic294395926"):
        result = client.fetch(target=f"TIC {TOI678}", archive="off")  # the cassette holds get_file answers
    assert result.tic_id == TOI678
    assert result.target.toi == "678.01"
    assert result.target.aliases == {} and result.target.names == ("TOI-678",)
    assert (result.n_downloaded, result.n_failed) == (1, 1)

    manifest = read_manifest(result.manifest_path)
    (entry,) = manifest["files"]
    assert entry["file_id"] == build.FID_TOI678_832
    assert entry["sha256"] == sha256(CONTRAST_BYTES)
    assert entry["bytes"] == len(CONTRAST_BYTES) == 3168
    assert entry["source_url"] == f"{BASE}get_file.php?id={build.FID_TOI678_832}"
    assert (result.cache_root / entry["path"]).read_bytes() == CONTRAST_BYTES
    # The proprietary file came back as the HTML login page: an error, and nothing saved.
    (error,) = manifest["errors"]
    assert error["kind"] == "auth_required" and error["file_id"] == build.FID_TOI678_PROPRIETARY
    assert not list((result.cache_root / "files").glob(f"{build.FID_TOI678_PROPRIETARY}_*"))
    assert set(manifest["summaries"]) == set(endpoints.SUMMARY_KINDS)
    assert manifest["filelist"]["n_rows"] == 2
    # Raw bytes are stored as served: the BOM stays in filelist.csv, the bare tseries header stays bare.
    assert (result.cache_root / "filelist.csv").read_bytes().startswith(b"\xef\xbb\xbfType,File Name")
    assert (result.cache_root / "summaries" / "tseries.csv").read_bytes().startswith(b"TIC ID,TIC,TOI,")

    rows = client.file_list(tic_id=TOI678)
    assert [r.description for r in rows] == [
        "Zorro speckle, 832 nm, 5-sigma contrast curve",
        'CHIRON spectrum "proprietary", 12-month period',
    ]
    assert rows[0].type == "Image" and rows[0].tag == build.TAG_TOI678_SPECKLE and rows[0].toi == "678.01"
    assert rows[1].tag is None and rows[1].date_utc == "2025-09-30"

    tables = client.summary_tables(tic_id=TOI678)
    assert tables["spect"].columns[0] == "TIC ID" and tables["spect"].rows == ()
    assert tables["tseries"].rows == ()
    assert [r["Filter"] for r in tables["imaging"].rows] == ["562: 562 (54) nm", "832: 832 (40) nm"]
    assert tables["imaging"].rows[1]["Contrast"] == "\u03946.17 mag @ 0.5 arcsec"
    assert [r["Table"] for r in tables["stellar"].rows] == ["TIC", "user uploads"]
    assert to_float(tables["planet"].rows[0]["Period (days)"]) == pytest.approx(11.3298459)
    assert tables["uploads"].rows[0]["Imaging"] == "2"

    # The real Gemini/Zorro file loads as a TRICERATOPS curve, joined to its imaging row by Tag.
    (report,) = collect_contrast_curves(result.manifest_path)
    assert report.error is None and report.curve is not None
    assert report.curve.triceratops_filter == "TESS"
    assert report.curve.instrument == "Zorro"
    assert max(report.curve.separation_arcsec) == pytest.approx(1.17, abs=0.01)

    # Warm run: nothing to ask (the cassette is closed; any request would fail), manifest bytes unchanged.
    before = result.manifest_path.read_bytes()
    again = client.fetch(target=f"TIC {TOI678}")
    assert again.n_downloaded == 0 and result.manifest_path.read_bytes() == before


def test_fetch_with_an_expired_session_reports_it(client: ExoFopClient, tmp_path: Path) -> None:
    jar = tmp_path / "cookies.txt"
    jar.write_text(
        "# Netscape HTTP Cookie File\n"
        "#HttpOnly_exofop.ipac.caltech.edu\tFALSE\t/\tTRUE\t4102444800\tPHPSESSID\tfake-expired-session\n"
    )
    jar.chmod(0o600)
    with (
        ExoFopClient(cache_dir=tmp_path / "jar-cache", cookie_jar_path=jar) as with_jar,
        cassette("fetch_tic294395926"),
    ):
        result = with_jar.fetch(target=f"TIC {TOI678}", archive="off")
    (error,) = result.errors
    assert error.kind == "auth_required" and error.file_id == build.FID_TOI678_PROPRIETARY
    assert "cookie jar was sent" in error.message


def test_fetch_the_real_contrast_curve_only(client: ExoFopClient) -> None:
    """Live-recordable: the real file list of TOI-678 must list the sample file, and serve the same curve."""
    selectors = ExoFopSelectors(filename_regex=rf"^{re.escape(CONTRAST_NAME)}$")
    with cassette("fetch_contrast_curve_tic294395926"):
        result = client.fetch(target=f"TIC {TOI678}", selectors=selectors, include_summaries=False)
    (path,) = result.files
    assert result.errors == []
    sample = build.SOURCE_DIR / CONTRAST_NAME
    served, expected = load_exofop_contrast_curve_dat(path), load_exofop_contrast_curve_dat(sample)
    assert served.separation_arcsec == expected.separation_arcsec
    assert served.delta_mag == expected.delta_mag
    if not LIVE:
        assert path.read_bytes() == CONTRAST_BYTES


def test_fetch_from_the_whole_star_zip(client: ExoFopClient) -> None:
    with cassette("archive_zip_tic294395926"):
        result = client.fetch(target=f"TIC {TOI678}", archive="zip", include_summaries=False)
    assert result.n_downloaded == 1
    manifest = read_manifest(result.manifest_path)
    (entry,) = manifest["files"]
    assert entry["sha256"] == sha256(CONTRAST_BYTES)
    assert entry["source_url"] == (
        f"{BASE}download_files_zip.php?id={TOI678}#{build.ZIP_FOLDER}/{CONTRAST_NAME}"
    )
    # Not in the zip: asked for by id, and refused with the login page.
    (error,) = manifest["errors"]
    assert error["kind"] == "auth_required" and error["file_id"] == build.FID_TOI678_PROPRIETARY


def test_whole_star_tar_without_content_length(client: ExoFopClient) -> None:
    with cassette("archive_tar_tic294395926"):
        path = client.download_all_files_zip(tic_id=TOI678, fmt="tar")
    with SafeArchive(path) as archive:
        (member,) = list(archive.members())
        assert member.name == f"{build.ZIP_FOLDER}/{CONTRAST_NAME}"
        with archive.open(member) as fh:
            assert fh.read() == CONTRAST_BYTES
        assert archive.refused == []


def test_file_list_without_tic_column_and_selection_by_real_tseries(client: ExoFopClient) -> None:
    tic = build.TIC_TOI1130
    with cassette("filelist_tic254113311_no_tic_column"):
        rows, warnings = client.file_list_with_warnings(tic_id=tic)
        by_telescope = client.list_files(f"TIC {tic}", selectors=ExoFopSelectors(telescopes=("PEST",)))
    assert warnings == []
    assert [r.file_id for r in rows] == [900201, 900202, 900203]
    assert {r.tic_id for r in rows} == {tic}  # no TIC column: the requested star
    assert {r.toi for r in rows} == {"1130.02"}
    assert rows[0].description == "PEST Rc, full transit"  # unquoted comma in the free-text last column
    assert rows[1].description == "LCO-SSO 1m, zs, full transit"
    assert [r.tag for r in rows] == [18493, 18598, 19442]
    assert [r.file_id for r in by_telescope.rows] == [900201]
    # Summaries are cached now: a second selection needs no request (the cassette is closed).
    by_camera = client.list_files(f"TIC {tic}", selectors=ExoFopSelectors(instruments=("sinistro",)))
    assert [r.file_id for r in by_camera.rows] == [900202, 900203]


# -- summary tables --------------------------------------------------------------------------------------------
def test_real_tseries_table_by_column_name(client: ExoFopClient) -> None:
    tic = build.TIC_TOI1130
    with cassette("summary_tseries_tic254113311"):
        table = client.summary_tables(tic_id=tic, kinds=["tseries"])["tseries"]
        pipe = client.http.get(
            "download_tseries.php", {"target": str(tic), "output": "pipe"}, what="tseries as pipe"
        ).content
    assert {to_int(r["TIC ID"]) for r in table.rows} == {tic}
    if not LIVE:
        assert len(table.rows) == 5
        assert [r["Tag"] for r in table.rows] == ["18493", "18598", "19121", "19188", "19442"]
        assert table.rows[1]["Camera"] == "Sinistro, 1.0m"  # quoted in the CSV
        assert table.rows[0]["Telescope"] == "PEST (0.305 m)"
        assert table.rows[0]["TIC"] is None and table.rows[0]["Notes"] is None
        assert table.rows[4]["Delta Mag"] is None
        assert table.rows[4]["Notes"] == "nominal .02 with overlapping .01"
        assert to_float(table.rows[1]["Pixel Scale"]) == pytest.approx(0.389)
        assert parse_table(pipe).rows == table.rows  # the same table in both outputs


def test_real_spect_tables_with_trailing_blank_lines(client: ExoFopClient) -> None:
    with cassette("summary_spect"):
        raw = client.http.get(
            "download_tag_spect.php", {"tag": "1494", "output": "pipe"}, what="spect tag 1494"
        ).content
        per_star = client.summary_tables(tic_id=build.TIC_SPECT, kinds=["spect"])["spect"]
    table = parse_table(raw)
    assert table.delimiter == "|" and table.warnings == ()
    assert {r["Tag"] for r in table.rows} == {"1494"}
    (row,) = [r for r in table.rows if r["TIC ID"] == str(build.TIC_SPECT)]
    assert row["Notes"] == "Observed at high air mass"
    if not LIVE:
        assert raw.endswith(b"|1494|\n" + b"\n" * 6)
        assert len(table.rows) == 9
        assert row["Telescope"] == "Magellan (Baade) (6.5 m)" and row["Spectral resolution"] == "6000"
        assert row["TIC"] is None and row["SNR/resolution"] is None and row["Group"] is None
        assert [r["Notes"] for r in per_star.rows] == ["Observed at high air mass"]
        assert per_star.rows[0]["Wavelength coverage"] == "0.82 to 2.51 microns"


def test_rendered_imaging_table_by_column_name(client: ExoFopClient) -> None:
    with cassette("summary_imaging_tic468472950"):
        table = client.summary_tables(tic_id=build.TIC_TOI1395, kinds=["imaging"])["imaging"]
    assert {r["Telescope"] for r in table.rows} >= {"Gemini (8 m)"}
    if not LIVE:
        first, second = table.rows
        assert (first["Filter"], first["Image Type"], first["Tag"]) == ("Brgamma", "AO", "7652")
        assert first["TOI"] == "TOI 1395" and first["TIC"] is None and first["Contrast"] is None
        assert to_float(first["Pixel Scale"]) == pytest.approx(0.0219)
        assert second["Notes"] == "Quicklook: close double, 0.25arcsec SSW"
        assert second["Group"] is None and second["User"] == "crossfield"


def test_rendered_obsnotes_table_by_column_name(client: ExoFopClient) -> None:
    with cassette("summary_obsnotes_tic138968089"):
        table = client.summary_tables(tic_id=build.TIC_OBSNOTES, kinds=["obsnotes"])["obsnotes"]
    assert table.delimiter == "," or LIVE  # asked for CSV; whether the live script honours output= is unknown
    assert "notes" in table.columns and "TAG ID" in table.columns
    if not LIVE:
        (row,) = table.rows
        assert (row["ID"], row["TAG ID"], row["Username"]) == ("2747", "3059", "mlund")
        assert row["Lastmod"] == "2021-07-22 12:01:34"
        assert (row["notes"] or "").startswith("TOI1429.01:[P=0.641256] KOI-272;")


def test_csv_quoted_line_break_in_notes(client: ExoFopClient) -> None:
    with cassette("summary_imaging_multiline_note"):
        table = client.summary_tables(tic_id=TOI678, kinds=["imaging"])["imaging"]
    assert [r["Notes"] for r in table.rows] == [build.MULTILINE_NOTE]


# -- login -----------------------------------------------------------------------------------------------------
def test_login_with_a_wrong_password_is_refused(tmp_path: Path) -> None:
    jar = tmp_path / "jar.txt"
    with cassette("login_invalid_password"), pytest.raises(AuthRequiredError) as info:
        auth.login(username="exofop-cli-cassette", password="not-the-password", jar_path=jar)
    assert "Invalid username or password" in str(info.value)
    assert not jar.exists()


def test_login_saves_the_session_cookie_privately(tmp_path: Path) -> None:
    if LIVE and not (_LIVE_USERNAME and _LIVE_PASSWORD):
        pytest.skip("live login needs EXOFOP_USERNAME and EXOFOP_PASSWORD")
    jar = tmp_path / "jar.txt"
    with cassette("login_success"):
        result = auth.login(
            username=_LIVE_USERNAME or "exofop-cli-cassette",
            password=_LIVE_PASSWORD or "fake-password",
            jar_path=jar,
        )
    assert result.jar_path == jar
    assert stat.S_IMODE(jar.stat().st_mode) == 0o600
    assert auth.status(jar).has_session
    if not LIVE:
        text = jar.read_text()
        assert f"PHPSESSID\t{build.FAKE_SESSION_AFTER}" in text
        assert text.count("PHPSESSID") == 1
        assert result.expires is not None


# -- real shapes (reference §7, issue 11) -----------------------------------------------------------------------
def test_the_real_overview_shape_resolves(client: ExoFopClient) -> None:
    with cassette("overview_tic86396382_real_shape"):
        target = client.resolve_target(f"TIC {build.TIC_WASP12}")
    assert target.tic_id == build.TIC_WASP12
    assert "1725.01" in target.toi  # sent as "TOI 1725.01"
    assert "WASP-12" in target.names and "TOI-1725" in target.names  # one ", "-separated string
    assert target.aliases["wasp"] == "WASP-12" and "toi" not in target.aliases
    if not LIVE:
        assert target.toi == "1725.01" and target.tois == ("1725.01",)
        assert len(target.names) == 12 and target.names[0] == "TIC 86396382"
        # One per catalogue, ExoFOP's first spelling; TIC and TOI are no aliases (fields of their own).
        assert target.aliases == {
            "1swasp": "1SWASP J063032.79+294020.4",
            "2mass": "2MASS J06303279+2940202",
            "apass": "APASS 47765762",
            "gaia_dr2": "Gaia DR2 3435282862461427072",
            "tyc": "TYC 1891-01178-1",
            "ucac4": "UCAC4 599-033160",
            "wasp": "WASP-12",
            "wise": "WISE J063032.78+294020.2",
        }


def test_real_file_list_cells_read_as_the_bare_forms(client: ExoFopClient) -> None:
    with cassette("filelist_tic86396382_real_cells"):
        rows, warnings = client.file_list_with_warnings(tic_id=build.TIC_WASP12)
    assert warnings == []
    by_id = {r.file_id: r for r in rows}
    assert [r.file_id for r in rows] == [57058, 83292, 898417, 898418]
    wcs = by_id[898418]
    assert (wcs.tic_id, wcs.toi, wcs.date_utc, wcs.tag) == (
        86396382,
        "1725.01",
        "2022-12-31 12:01:18",
        423692,
    )
    assert by_id[83292].toi is None and by_id[83292].tic_id == 86396382  # star-level: empty TIC/TOI cells
    newest = client.list_files(f"TIC {build.TIC_WASP12}", selectors=ExoFopSelectors(max_files=1))
    assert [r.file_id for r in newest.rows] == [898418]  # 12:01:18 beats 12:01:17 on the same day


def test_an_empty_answer_is_throttling_and_the_second_try_has_the_rows(tmp_path: Path) -> None:
    with (
        ExoFopClient(cache_dir=tmp_path / "cache", backoff_seconds=0.01) as fast,
        cassette("summary_obsnotes_throttled_tic138968089") as cass,
    ):
        table = fast.summary_tables(tic_id=build.TIC_OBSNOTES, kinds=["obsnotes"])["obsnotes"]
    assert cass.play_count == 2
    (row,) = table.rows
    assert (row["ID"], row["TAG ID"]) == ("2747", "3059")


def test_the_51_byte_header_is_no_notes_not_throttling(client: ExoFopClient) -> None:
    with cassette("summary_obsnotes_no_notes_tic14956304"):
        body = client.http.get(
            "download_obsnotes.php", {"tid": str(build.TIC_NO_NOTES), "output": "pipe"}, what="obs notes"
        ).content
    table = parse_table(body, what="the obsnotes table")
    assert table.columns == ("ID", "TIC ID", "Username", "Groupname", "TAG ID", "Lastmod", "notes")
    if not LIVE:
        assert len(body) == 51 and table.rows == ()


def test_the_invalid_toi_page_falls_back_and_is_not_found(client: ExoFopClient) -> None:
    with cassette("resolve_toi_invalid"), pytest.raises(TargetNotFoundError, match="TOI-99998"):
        client.resolve_target(f"TOI-{build.INVALID_TOI}")


def test_a_plain_text_refusal_is_never_saved(client: ExoFopClient) -> None:
    selectors = ExoFopSelectors(filename_regex="CHIRON")
    with cassette("fetch_refused_plain_text_tic294395926"):
        result = client.fetch(target=f"TIC {TOI678}", selectors=selectors, include_summaries=False)
    (error,) = result.errors
    assert (error.kind, error.file_id) == ("auth_required", build.FID_TOI678_PROPRIETARY)
    assert "Sorry, you do not have permission" in error.message
    assert result.files == [] and list((result.cache_root / "files").iterdir()) == []


def test_the_nearby_table_short_by_a_header_name(client: ExoFopClient) -> None:
    with cassette("nearby_target_short_header_tic231663901"):
        body = client.http.get(
            "download_nearbytarget.php", {"id": str(build.TIC_TOI101), "output": "csv"}, what="nearby targets"
        ).content
    table = parse_table(body, what="the nearby-target table")
    row = next(r for r in table.rows if r["TIC ID"] == "231663902")
    assert to_float(row["PM RA (mas/yr)"]) == pytest.approx(25.0485)
    assert to_float(row["Separation (arcsec)"]) == pytest.approx(18.1)
    assert table.column("Distance Err (pc)") is not None
    if not LIVE:
        assert row["Distance Err (pc)"] == "54"
        (warning,) = table.warnings
        assert warning.startswith("the nearby-target table: the header lacks a name that all 4 row(s) have")
