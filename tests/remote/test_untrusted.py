"""Answers of the real ExoFOP that must never become cache content (issue 11), at the HTTP layer.

``httpx.MockTransport`` only: empty 200s (throttling), refusal messages that are not HTML, login forms versus
other pages, the connect/read timeout split, ``Content-Disposition`` names. Each error kind is checked, and
that nothing reached the sink.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from exofop_cli import config
from exofop_cli.errors import (
    AuthRequiredError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    ServerError,
    SessionExpiredError,
)
from exofop_cli.remote.sniff import looks_like_login_page
from exofop_cli.remote.tables import parse_table
from exofop_cli.testing.server import LOGIN_PAGE, page

from .test_http import Recorder, jar_for, ok, session, status, to

EXOFOP_HEADER = (
    b'<div class="header"><a href="/tess/">ExoFOP-TESS</a> | '
    b'<a href="https://exofop.ipac.caltech.edu/tess/login.php?ref=/tess/target.php?id=1">Login</a></div>'
)


# -- 1. throttling is an empty 200 ------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [b"", b"\n", b"  \r\n\r\n"])
def test_an_empty_200_is_retried_then_a_server_error(body: bytes) -> None:
    rec = Recorder(status(200, body=body))
    http, sleeps = session(rec, retries=3, backoff_seconds=1.0)
    with pytest.raises(ServerError) as info:
        http.get("download_filelist.php", {"id": 1}, what="the file list of TIC 1")
    assert rec.count == 4 and len(sleeps) == 3  # retried like a 503: backoff, bounded
    assert all(0 <= d <= 2.0**i for i, d in enumerate(sleeps))
    assert info.value.kind == "server"
    assert info.value.message == "ExoFOP sent an empty answer for the file list of TIC 1 (after 4 attempts)"
    assert "throttling" in (info.value.hint or "") and "nothing was cached" in (info.value.hint or "")


def test_480_0_480_bytes_is_the_second_answer() -> None:
    """The real pattern (ExoNotes): one star answered 480, 0 and 480 bytes on three tries."""
    notes = b"ID|TIC ID|Username|Groupname|TAG ID|Lastmod|notes\n" + b"1|2|u|tfopwg|3|2021-07-22 12:01:34|x\n"
    rec = Recorder(status(200, body=b""), ok(notes))
    http, sleeps = session(rec)
    assert http.get("download_obsnotes.php", what="notes").content == notes
    assert rec.count == 2 and len(sleeps) == 1


def test_an_empty_overview_or_resolver_answer_is_retried_too() -> None:
    rec = Recorder(status(200, body=b""), ok(b'{"status": "OK", "TIC": "1"}'))
    http, _ = session(rec)
    assert http.get("target.php", what="the overview", allow_html=True).content.startswith(b"{")
    assert rec.count == 2


def test_an_empty_file_is_retried_and_never_saved(tmp_path: Path) -> None:
    rec = Recorder(status(200, {"Content-Length": "0"}, b""))
    http, _ = session(rec, retries=2)
    with pytest.raises(ServerError, match=r"empty answer for file 7 \(after 3 attempts\)"):
        http.download(
            "get_file.php", {"id": 7}, to(tmp_path / "x.fits"), what="file 7", expected_filename="x.fits"
        )
    assert rec.count == 3 and list(tmp_path.iterdir()) == []
    rec = Recorder(status(200, body=b""), ok(b"SIMPLE  = T" + b" " * 3000))
    http, _ = session(rec)
    saved = http.download("get_file.php", {"id": 7}, to(tmp_path / "x.fits"), what="file 7")
    assert saved.size == 3011 and rec.count == 2


def test_a_connection_that_sends_nothing_is_a_retried_read_timeout() -> None:
    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def hang_up(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    rec = Recorder(silent, hang_up, ok())
    http, _ = session(rec, timeout_seconds=150)
    assert http.get("download_toi.php", what="the TOI table").content
    assert rec.count == 3
    http, _ = session(Recorder(silent), retries=1, timeout_seconds=150)
    with pytest.raises(NetworkError) as info:
        http.get("download_toi.php", what="the TOI table")
    assert "ExoFOP sent nothing for 150 s" in info.value.message and info.value.kind == "network"
    assert "throttles" in (info.value.hint or "")


# -- 2. refusals that are not HTML ----------------------------------------------------------------------------
REFUSALS = [
    (b"Sorry, you do not have permission to access this file.", AuthRequiredError),
    (b"You must be logged in to download proprietary data.\n", AuthRequiredError),
    (b"Access denied", AuthRequiredError),
    (b"File not found", NotFoundError),
    (b"Sorry, the file does not exist.", NotFoundError),
    (b"Error: database connection failed", InvalidResponseError),
    (b"Sorry, something went wrong: unable to read the file", InvalidResponseError),
]


@pytest.mark.parametrize(("body", "error"), REFUSALS)
@pytest.mark.parametrize("content_type", ["text/plain; charset=UTF-8", "text/html; charset=UTF-8", ""])
def test_short_refusals_are_classified_and_never_saved(
    tmp_path: Path, body: bytes, error: type[Exception], content_type: str
) -> None:
    for name in ("x.fits", "notes.txt"):
        rec = Recorder(status(200, {"Content-Type": content_type}, body))
        http, _ = session(rec)
        with pytest.raises(error) as info:
            http.download(
                "get_file.php", {"id": 1}, to(tmp_path / name), what="file 1", expected_filename=name
            )
        assert rec.count == 1  # a refusal is an answer: never retried
        assert body.decode().split()[0] in info.value.message  # the server's words are quoted
        assert not isinstance(info.value, AuthRequiredError) or error is AuthRequiredError
    assert list(tmp_path.iterdir()) == []


def test_a_refusal_with_a_cookie_jar_sent_is_session_expired(tmp_path: Path) -> None:
    rec = Recorder(status(200, {"Content-Type": "text/plain"}, b"You must be logged in to see this file."))
    http, _ = session(rec, cookie_jar=jar_for("127.0.0.1"))
    with pytest.raises(SessionExpiredError, match="You must be logged in"):
        http.download("get_file.php", {"id": 1}, to(tmp_path / "f.fits"), what="file 1")


def test_a_refusal_with_terminal_escapes_is_still_a_refusal() -> None:
    from exofop_cli.remote.sniff import refused_file

    refusal = refused_file(b"Sorry, you do not have permission \x1b]0;x\x07\x1b[2J", "x.txt")
    assert refusal is not None and refusal.kind == "auth_required" and "\x1b" not in refusal.text


@pytest.mark.parametrize(
    ("body", "name", "content_type", "refused"),
    [
        (b"permission problem, see the help desk", "x.fits", "text/plain", True),  # no FITS is 40 bytes
        # Whatever the server calls it: a sentence is never a FITS file (seen sent as octet-stream too).
        (b"permission problem, see the help desk", "x.fits", "application/octet-stream", True),
        (b"%PDF-1.4 tiny", "plot.pdf", "text/plain", False),  # starts like the listed format
        (b"No nearby eclipsing binaries within 2.5'.\n", "notes.txt", "text/plain", False),
        (b"Target not found in the aperture; see the plot.\n", "notes.txt", "text/plain", False),
        (b"Error bars are 1 sigma.\n", "readme.txt", "text/plain", False),
        (b"0.1,2.0\n0.5,4.1\n", "cc.dat", "text/plain", False),
    ],
)
def test_short_files_that_are_files_are_kept(
    tmp_path: Path, body: bytes, name: str, content_type: str, refused: bool
) -> None:
    from exofop_cli.remote.sniff import refused_file

    assert (refused_file(body, name) is not None) is refused
    http, _ = session(Recorder(status(200, {"Content-Type": content_type}, body)))
    if refused:
        with pytest.raises(InvalidResponseError, match="sent a message instead of file 1"):
            http.download(
                "get_file.php", {"id": 1}, to(tmp_path / name), what="file 1", expected_filename=name
            )
    else:
        http.download("get_file.php", {"id": 1}, to(tmp_path / name), what="file 1", expected_filename=name)
        assert (tmp_path / name).read_bytes() == body


def test_a_refusal_where_a_table_was_expected() -> None:
    http, _ = session(Recorder(status(200, {"Content-Type": "text/plain"}, b"Access denied.")))
    with pytest.raises(AuthRequiredError, match="Access denied"):
        http.get("download_filelist.php", {"id": 1}, what="the file list")


@pytest.mark.parametrize(
    ("served", "listed", "same"),
    [
        ("TOI1262_TRES.fits", "TOI1262_TRES.fits", True),
        ("toi1262 tres.FITS", "TOI1262_TRES.fits", True),  # case, space for underscore
        ("TOI1262%20TRES.fits", "TOI1262 TRES.fits", True),  # percent-encoded
        ("Zorro_Alopeke.dat", "Zorro_'Alopeke.dat", True),  # punctuation dropped
        ("Ĉurve.dat", "Curve.dat", True),  # accents dropped
        ("uploads/123/TOI1262_TRES.fits", "TOI1262_TRES.fits", True),  # a path prefix
        ("TOI1262_CHIRON.fits", "TOI1262_TRES.fits", False),
        ("TOI1262_TRES.fits.gz", "TOI1262_TRES.fits", False),
    ],
)
def test_content_disposition_names_after_plausible_normalisations(
    served: str, listed: str, same: bool
) -> None:
    from exofop_cli.remote.sniff import same_file_name

    assert same_file_name(served, listed) is same


def test_a_mismatched_content_disposition_is_a_warning_of_the_download(tmp_path: Path) -> None:
    headers = {"Content-Disposition": 'attachment; filename="TOI1262_CHIRON.fits"'}
    http, _ = session(Recorder(status(200, headers, b"SIMPLE" + b" " * 5000)))
    saved = http.download(
        "get_file.php", {"id": 1}, to(tmp_path / "a.fits"), what="file 1 (a.fits)", expected_filename="a.fits"
    )
    assert saved.filename_header == "TOI1262_CHIRON.fits"
    (warning,) = saved.warnings
    assert "'TOI1262_CHIRON.fits'" in warning and warning.startswith("file 1 (a.fits): ")
    headers = {"Content-Disposition": 'attachment; filename="A.FITS"'}
    http, _ = session(Recorder(status(200, headers, b"SIMPLE" + b" " * 5000)))
    assert (
        http.download(
            "get_file.php", {"id": 1}, to(tmp_path / "b"), what="f", expected_filename="a.fits"
        ).warnings
        == ()
    )


# -- 3. login pages versus other pages ------------------------------------------------------------------------
def test_every_exofop_page_has_a_login_link_and_is_not_a_login_page(tmp_path: Path) -> None:
    body = (
        b"<!DOCTYPE html><html><head><title>ExoFOP-TESS: TIC 365938305</title></head><body>"
        + EXOFOP_HEADER
        + b"<p>Please log in to see proprietary data.</p><h1>Maintenance</h1></body></html>"
    )
    assert not looks_like_login_page(body)
    http, _ = session(Recorder(status(200, {"Content-Type": "text/html"}, body)))
    with pytest.raises(InvalidResponseError) as info:
        http.download(
            "get_file.php", {"id": 1}, to(tmp_path / "f.fits"), what="file 1", expected_filename="f.fits"
        )
    assert not isinstance(info.value, AuthRequiredError)
    assert info.value.message == (
        "ExoFOP sent an HTML page titled 'ExoFOP-TESS: TIC 365938305', first heading 'Maintenance' "
        "instead of file 1"
    )
    with pytest.raises(InvalidResponseError, match="titled 'ExoFOP-TESS: TIC 365938305'"):
        http.get("download_filelist.php", what="the file list")
    with pytest.raises(InvalidResponseError, match="titled 'ExoFOP-TESS: TIC 365938305'"):
        parse_table(body, what="the spect table")


@pytest.mark.parametrize(
    "form",
    [
        b'<form method="post" action="password_check.php"><input name="u"></form>',
        b"<form action='https://exofop.ipac.caltech.edu/tess/password_check.php'>",
        b'<input type="password" name="pw">',
        b"<INPUT TYPE=password NAME=password>",
    ],
)
def test_a_login_form_is_a_login_page(form: bytes) -> None:
    assert looks_like_login_page(b"<html><body>" + EXOFOP_HEADER + form + b"</body></html>")
    assert looks_like_login_page(LOGIN_PAGE)


@pytest.mark.parametrize(
    ("html", "described"),
    [
        (b"<html><head><title>Oops &amp; more</title></head></html>", "titled 'Oops & more'"),
        (b"<h2>Access <b>denied</b></h2>", "headed 'Access denied'"),
        (b"<html><body><p>nothing</p></body></html>", "without a title or heading"),
        (page("ExoFOP-TESS", b"<h1>ExoFOP-TESS</h1>"), "titled 'ExoFOP-TESS'"),
    ],
)
def test_pages_are_described_by_title_or_first_heading(html: bytes, described: str) -> None:
    from exofop_cli.remote.sniff import describe_page

    assert describe_page(html) == described


# -- 4. invalid TOI ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"Sorry, entered TOI is invalid",
        b"<html><body><h2>Sorry, entered TOI is invalid</h2></body></html>",
        page("ExoFOP-TESS TOIs", b"<p>Sorry,  entered TOI is invalid.</p>"),
    ],
)
def test_the_invalid_toi_answer_is_recognised(body: bytes) -> None:
    from exofop_cli.remote.sniff import looks_like_invalid_toi

    assert looks_like_invalid_toi(body)


# -- 5. slow answers --------------------------------------------------------------------------------------------
def test_connect_and_read_timeouts_are_separate() -> None:
    assert config.DEFAULT_TIMEOUT_SECONDS >= 120
    http, _ = session(Recorder(ok()))
    timeout = http._get_client().timeout
    assert timeout.read == config.DEFAULT_TIMEOUT_SECONDS
    assert timeout.connect == config.DEFAULT_CONNECT_TIMEOUT_SECONDS == 10
    http, _ = session(Recorder(ok()), timeout_seconds=300)
    assert (http._get_client().timeout.read, http._get_client().timeout.connect) == (300, 10)
    http, _ = session(Recorder(ok()), timeout_seconds=2)
    assert (http._get_client().timeout.read, http._get_client().timeout.connect) == (2, 2)


def test_a_connect_timeout_says_so() -> None:
    def slow_connect(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    http, _ = session(Recorder(slow_connect), retries=0)
    with pytest.raises(NetworkError, match=r"timed out connecting to ExoFOP \(10 s\)"):
        http.get("download_toi.php", what="the TOI table")


# -- 8. header/row disagreement -------------------------------------------------------------------------------
# The shape of the real 2020 nearby-target CSV (golmschenk/ramjet @ 2a9f17de): "Distance(pc)" and no
# "Distance Err (pc)" in the header, while every row has the value. Cells of TIC 231663902 as ramjet's test
# reads them (PM RA 25.0485, separation 18.1, distance error 54); the other cells are made up.
NEARBY_SHORT = (
    b"TIC ID,TOI,RA,Dec,TESS Mag,GAIA DR2,GAIA Mag,Distance(pc),PM RA (mas/yr),PM RA Err (mas/yr),"
    b"PM Dec (mas/yr),PM Dec Err (mas/yr),Separation (arcsec),Position Angle (deg E. of N.)\n"
    b"231663901,101,21:14:56.88,-55:52:18.4,11.9,6479124653912345678,12.5,378,2,-3.3,0.03,-8.1,0.03,0,0\n"
    b"231663902,,21:14:58.60,-55:52:21.1,15.1,6479124653912345679,15.9,980,54,25.0485,0.05,-2.2,0.04,18.1,96\n"
)


def test_the_known_short_nearby_header_is_read_right_with_a_warning() -> None:
    table = parse_table(NEARBY_SHORT, what="the nearby-target table")
    row = next(r for r in table.rows if r["TIC ID"] == "231663902")
    assert row["Distance Err (pc)"] == "54"
    assert row["PM RA (mas/yr)"] == "25.0485"  # not shifted onto the distance error
    assert row["Separation (arcsec)"] == "18.1" and row["Position Angle (deg E. of N.)"] == "96"
    assert row["GAIA DR2"] == "6479124653912345679"  # a 19-digit id stays a string
    (warning,) = table.warnings
    assert warning.startswith("the nearby-target table: the header lacks a name that all 2 row(s) have")
    assert "'Distance Err (pc)' after 'Distance(pc)'" in warning


def test_an_unknown_short_header_keeps_every_value_and_names_the_table() -> None:
    body = b"TIC ID|Telescope|Obs Date|Tag\n1|LCO|Sinistro|2020-03-01|30005\n2|FLWO|TRES|2020-08-15|30001\n"
    table = parse_table(body, what="the tseries table")
    assert table.columns == ("TIC ID", "Telescope", "Obs Date", "Tag", "column_5")
    assert [r["column_5"] for r in table.rows] == ["30005", "30001"]  # no value dropped
    (warning,) = table.warnings
    assert warning.startswith("the tseries table: 2 of 2 row(s) have more fields than the header's 4 names")
    assert "column_5" in warning and "one column to the right" in warning


def test_a_nameless_header_cell_is_reported() -> None:
    table = parse_table(b"TIC ID,,TOI\n1,7,1262.01\n2,,1262.02\n3,9,\n", what="the file list")
    assert table.columns == ("TIC ID", "column_2", "TOI")
    assert table.warnings == (
        "the file list: header column 2 has no name (read as 'column_2'); 2 of 3 row(s) have a value there",
    )


def test_extra_fields_still_join_a_free_text_last_column() -> None:
    table = parse_table(b"TIC ID|Tag|Notes\n1|5|a|b|c\n2|6|d\n", what="the spect table")
    assert table.rows[0]["Notes"] == "a|b|c" and table.warnings == ()  # a "|" typed into a note (real)


def test_every_row_wider_than_a_free_text_header_is_a_warning() -> None:
    body = b"TIC ID|Telescope|Tag|Notes\n1|FLWO|TRES|30001|ok\n2|WIYN|NEID|30002|fine\n"
    table = parse_table(body, what="the spect table")
    assert [r["Notes"] for r in table.rows] == ["30001|ok", "30002|fine"]  # joined, but not silently
    (warning,) = table.warnings
    assert warning.startswith(
        "the spect table: all 2 rows have 1 more field(s) than the header's 4 names (the header is probably "
        "missing a name)"
    )


# -- 9. real cell shapes ----------------------------------------------------------------------------------------
def test_prefixed_file_list_cells_read_as_the_bare_forms() -> None:
    from exofop_cli.remote.filelist import parse_filelist
    from exofop_cli.remote.tables import tic_cell

    header = "Type,File Name,File ID,TIC,TOI,Date,User,Group,Tag,Description\n"
    bare = header + (
        "Light_Curve,a.fits,898418,86396382,1725.01,2022-12-31 12:01:18,lewin,tfopwg,423692,x\n"
        "Image,b.png,898417,231663902,1725.01,2022-12-31 12:01:17,lewin,tfopwg,423692,y\n"
    )
    real = header + (
        "Light_Curve,a.fits,898418,TIC 86396382.01,TOI 1725.01,2022-12-31 12:01:18,lewin,tfopwg,423692,x\n"
        "Image,b.png,898417,TIC 231663902.01,TOI 1725.01,2022-12-31 12:01:17,lewin,tfopwg,423692,y\n"
    )
    assert parse_filelist(real.encode(), tic_id=86396382) == parse_filelist(bare.encode(), tic_id=86396382)
    rows, warnings = parse_filelist(real.encode(), tic_id=86396382)
    assert [r.tic_id for r in rows] == [231663902, 86396382]
    assert warnings == ["file list row 2: file 898417 is listed for TIC 231663902, not 86396382"]
    assert rows[1].date_utc == "2022-12-31 12:01:18" and rows[1].toi == "1725.01"
    for cell, tic in [("TIC 86396382", 86396382), ("TIC0086396382", 86396382), ("86396382.0", 86396382)]:
        assert tic_cell(cell) == tic


def test_the_real_overview_shape() -> None:
    """Values of rzellem/EXOTIC exotic/api/tic-all.json @ 146598d7 (TIC 86396382), a few keys of each part."""
    import json

    from exofop_cli.remote.answers import parse_overview

    names = (
        "TIC 86396382, 1SWASP J063032.79+294020.4, 2MASS J06303279+2940202, APASS 47765762, "
        "Gaia DR2 3435282862461427072, TOI-1725, TYC 1891-01178-1, TYC 1891-1178-1, UCAC4 599-033160, "
        "WASP-12, WASP-12 A, WISE J063032.78+294020.2"
    )
    body = {
        "basic_info": {"tic_id": "86396382", "star_names": names, "confirmed_planets": "WASP-12 b"},
        "coordinates": {"ra": "97.636644999811907", "dec": "+29.672266247041001"},
        "tois": [{"toi": "TOI 1725.01", "ctoi": "TIC 86396382.01", "disp_tfop": "KP", "notes": "WASP-12 b"}],
        "ctois": [],
        "files": [{"ftype": "Spectrum", "fname": "TIC0086396382S-ab20200921.fits", "fid": "83292"}],
    }
    overview = parse_overview(json.dumps(body).encode(), tic_id=86396382)
    assert overview.tois == ("1725.01",)
    assert len(overview.aliases) == 12 and overview.aliases[5] == "TOI-1725"
    assert "Gaia DR2 3435282862461427072" in overview.aliases
