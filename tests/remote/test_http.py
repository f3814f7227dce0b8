"""Unit tests of ``exofop_cli.remote.http`` error paths with ``httpx.MockTransport`` (no sockets at all).

Retries, backoff and ``Retry-After``; which statuses are retried and which never are; classification of
every failure into the error hierarchy; HTML sniffing; redirects and the cookies they carry; offline mode.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from exofop_cli import config
from exofop_cli.errors import (
    AuthRequiredError,
    ExoFopError,
    InvalidInputError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    OfflineError,
    RateLimitedError,
    ServerError,
    SessionExpiredError,
)
from exofop_cli.remote.cookies import CookieJar, parse_netscape
from exofop_cli.remote.http import HttpSession, backoff_delay
from exofop_cli.remote.verdicts import parse_retry_after
from exofop_cli.store.atomic import AtomicWriter
from exofop_cli.testing import FakeExoFop, demo_targets
from exofop_cli.testing.server import LOGIN_PAGE

BASE = "http://127.0.0.1:9/tess/"
SECRET = "s3cr3t-session-value"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A mock transport that answers from a list of handlers (the last one repeats) and logs requests."""

    def __init__(self, *handlers: Handler) -> None:
        self.handlers = list(handlers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.handlers[min(len(self.requests), len(self.handlers)) - 1]
        return handler(request)

    @property
    def count(self) -> int:
        return len(self.requests)


def to(path: Path) -> Callable[[], AtomicWriter]:
    """A sink factory writing ``path`` atomically (what the fetcher passes to a download)."""
    return lambda: AtomicWriter(path)


def session(recorder: Recorder | None = None, **kwargs: Any) -> tuple[HttpSession, list[float]]:
    """An HttpSession over a mock transport whose sleeps are recorded instead of slept."""
    sleeps: list[float] = []
    options: dict[str, Any] = {
        "base_url": BASE,
        "user_agent": "exofop-test",
        "retries": 3,
        "backoff_seconds": 0.01,
        "sleep": sleeps.append,
    }
    if recorder is not None:
        options["transport"] = httpx.MockTransport(recorder)
    options.update(kwargs)
    return HttpSession(**options), sleeps


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    return lambda request: httpx.Response(code, headers=headers, content=body)


def ok(body: bytes = b"a|b\n1|2\n") -> Handler:
    return status(200, body=body)


class BrokenStream(httpx.SyncByteStream):
    """A body that sends some bytes and then breaks (connection reset mid-transfer)."""

    def __init__(self, first: bytes, error: Exception) -> None:
        self.first = first
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise self.error


def jar_for(host: str, value: str = SECRET, expires: int = 0) -> CookieJar:
    return CookieJar(
        cookies=tuple(parse_netscape(f"#HttpOnly_{host}\tFALSE\t/\tFALSE\t{expires}\tPHPSESSID\t{value}\n"))
    )


# -- Retry-After and backoff ------------------------------------------------------------------------------
def test_retry_after_seconds_and_dates() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after(" 0 ", now=now) == 0.0
    assert parse_retry_after(email.utils.formatdate(now + 42, usegmt=True), now=now) == pytest.approx(42)
    # A date in the past means "now", never a negative sleep.
    assert parse_retry_after(email.utils.formatdate(now - 600, usegmt=True), now=now) == 0.0
    assert parse_retry_after("-5", now=now) == 0.0
    # A zone-less date is GMT (HTTP dates always are), not local time.
    naive = time.strftime("%a, %d %b %Y %H:%M:%S", time.gmtime(now + 30))
    assert parse_retry_after(naive, now=now) == pytest.approx(30)


def test_retry_after_is_capped() -> None:
    cap = config.MAX_RETRY_AFTER_SECONDS
    now = 1_700_000_000.0
    assert parse_retry_after("86400", now=now) == cap
    assert parse_retry_after("1e999", now=now) == cap
    assert parse_retry_after(email.utils.formatdate(now + 10 * 86400, usegmt=True), now=now) == cap


@pytest.mark.parametrize("value", [None, "", "  ", "soon", "0x10", "Mon, 99 Foo 2020 99:99:99 GMT", "nan"])
def test_retry_after_garbage_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value) in (None, 0.0)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    assert backoff_delay(0, 0.5, rng=lambda: 1.0) == 0.5
    assert backoff_delay(3, 0.5, rng=lambda: 1.0) == 4.0
    assert backoff_delay(30, 0.5, rng=lambda: 1.0) == config.MAX_BACKOFF_SECONDS
    assert backoff_delay(5000, 0.5, rng=lambda: 1.0) == config.MAX_BACKOFF_SECONDS  # no OverflowError
    assert backoff_delay(3, 0.5, rng=lambda: 0.0) == 0.0  # full jitter: anywhere down to zero
    delays = {backoff_delay(4, 1.0) for _ in range(50)}
    assert len(delays) > 1 and all(0.0 <= d <= 16.0 for d in delays)


def test_backoff_sleeps_between_attempts_grow() -> None:
    rec = Recorder(status(503))
    http, sleeps = session(rec, retries=4, backoff_seconds=1.0)
    with pytest.raises(ServerError, match=r"HTTP 503.*after 5 attempts"):
        http.get("download_filelist.php", what="the file list")
    assert rec.count == 5 and len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):
        assert 0.0 <= delay <= 2.0**attempt


# -- what is retried ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_is_retried_then_succeeds(code: int) -> None:
    rec = Recorder(status(code), status(code), ok())
    http, sleeps = session(rec)
    assert http.get("download_filelist.php", what="the file list").content == b"a|b\n1|2\n"
    assert rec.count == 3 and len(sleeps) == 2


def test_retry_after_seconds_is_honoured() -> None:
    rec = Recorder(status(503, {"Retry-After": "3"}), ok())
    http, sleeps = session(rec)
    http.get("download_filelist.php", what="the file list")
    assert sleeps == [3.0]


def test_retry_after_date_is_honoured_and_capped() -> None:
    soon = email.utils.formatdate(time.time() + 20, usegmt=True)
    rec = Recorder(status(429, {"Retry-After": soon}), status(503, {"Retry-After": "99999"}), ok())
    http, sleeps = session(rec)
    http.get("download_filelist.php", what="the file list")
    assert 15 <= sleeps[0] <= 20
    assert sleeps[1] == config.MAX_RETRY_AFTER_SECONDS


def test_a_long_wait_is_a_warning_a_short_one_info(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="exofop")
    rec = Recorder(status(429, {"Retry-After": "120"}), status(503), ok())
    http, sleeps = session(rec)
    http.get("download_filelist.php", what="the file list")
    assert sleeps[0] == 120.0 and sleeps[1] < 1
    (long_wait, short_wait) = [r for r in caplog.records if r.getMessage().startswith("waiting")]
    assert long_wait.levelno == logging.WARNING  # shown without -v: minutes of silence look like a hang
    assert long_wait.getMessage().startswith(
        "waiting 120 s before asking again for the file list (attempt 2 of 4)"
    )
    assert short_wait.levelno == logging.INFO


def test_429_is_rate_limited_after_retries() -> None:
    rec = Recorder(status(429, {"Retry-After": "0"}))
    http, _ = session(rec, retries=2)
    with pytest.raises(RateLimitedError) as info:
        http.get("download_filelist.php", what="the file list")
    assert rec.count == 3
    assert info.value.kind == "server" and info.value.status_code == 429
    assert info.value.hint and "rate limit" in info.value.hint


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (404, NotFoundError),
        (410, NotFoundError),
        (400, InvalidResponseError),
        (405, InvalidResponseError),
        (408, InvalidResponseError),
        (401, AuthRequiredError),
        (403, AuthRequiredError),
        (501, ServerError),
    ],
)
def test_other_4xx_are_never_retried(code: int, error: type[Exception]) -> None:
    rec = Recorder(status(code), ok())
    http, sleeps = session(rec)
    with pytest.raises(error):
        http.get("get_file.php", {"id": 1}, what="file 1")
    assert rec.count == 1 and sleeps == []


def test_403_with_a_cookie_jar_is_session_expired() -> None:
    rec = Recorder(status(403))
    http, _ = session(rec, cookie_jar=jar_for("127.0.0.1"))
    with pytest.raises(SessionExpiredError) as info:
        http.get("get_file.php", {"id": 1}, what="file 1")
    assert info.value.kind == "auth_required"
    assert SECRET not in info.value.message


def test_connection_errors_are_retried_then_network_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    rec = Recorder(refuse)
    http, sleeps = session(rec, retries=2)
    with pytest.raises(NetworkError, match="after 3 attempts") as info:
        http.get("download_filelist.php", what="the file list")
    assert rec.count == 3 and len(sleeps) == 2
    assert info.value.kind == "network"


def test_timeouts_are_retried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    rec = Recorder(slow, slow, ok())
    http, _ = session(rec)
    assert http.get("download_filelist.php", what="the file list").content
    assert rec.count == 3
    rec = Recorder(slow)
    http, _ = session(rec, retries=1)
    with pytest.raises(NetworkError, match="timed out"):
        http.get("download_filelist.php", what="the file list")


def test_body_shorter_than_content_length_is_retried(tmp_path: Path) -> None:
    short = lambda request: httpx.Response(  # noqa: E731
        200,
        headers={"Content-Length": "100"},
        stream=httpx.ByteStream(b"only forty bytes of a hundred......."),
    )
    rec = Recorder(short, ok(b"x" * 100))
    http, _ = session(rec)
    saved = http.download("get_file.php", {"id": 1}, to(tmp_path / "f.bin"), what="file 1")
    assert saved.size == 100 and (tmp_path / "f.bin").read_bytes() == b"x" * 100
    assert rec.count == 2
    rec = Recorder(short)
    http, _ = session(rec, retries=1)
    with pytest.raises(NetworkError, match="cut short"):
        http.get("download_filelist.php", what="the file list")
    assert rec.count == 2


def test_chunked_body_that_breaks_is_retried(tmp_path: Path) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        error = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return httpx.Response(200, stream=BrokenStream(b"partial", error))

    rec = Recorder(broken, status(200, body=b"complete body"))
    http, _ = session(rec)
    progress: list[int] = []
    saved = http.download(
        "get_file.php", {"id": 1}, to(tmp_path / "f"), what="file 1", on_bytes=progress.append
    )
    assert (tmp_path / "f").read_bytes() == b"complete body" and saved.size == 13
    assert sum(progress) == 13  # bytes of the failed attempt were taken back
    assert [p.name for p in tmp_path.iterdir()] == ["f"]  # no temp file left over


def test_chunked_body_without_content_length_is_fine(tmp_path: Path) -> None:
    def chunked(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(b"y" * 10_000))

    rec = Recorder(chunked)
    http, _ = session(rec)
    resp = chunked(httpx.Request("GET", BASE))
    assert "content-length" not in resp.headers
    saved = http.download("get_file.php", {"id": 1}, to(tmp_path / "f"), what="file 1")
    assert saved.size == 10_000 and rec.count == 1


def test_undecodable_body_is_invalid_response_not_a_crash(tmp_path: Path) -> None:
    def bad_gzip(request: httpx.Request) -> httpx.Response:
        body = b"this is not gzip at all" * 10
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(body))

    rec = Recorder(bad_gzip)
    http, _ = session(rec)
    with pytest.raises(InvalidResponseError, match="undecodable"):
        http.download("get_file.php", {"id": 1}, to(tmp_path / "f"), what="file 1")
    assert rec.count == 1 and list(tmp_path.iterdir()) == []


def test_unusable_base_url_is_a_usage_error_without_retries() -> None:
    http, sleeps = session(base_url="ftp://127.0.0.1/tess/")
    with pytest.raises(InvalidInputError, match="unusable URL"):
        http.get("download_filelist.php", what="the file list")
    assert sleeps == []


# -- HTML sniffing --------------------------------------------------------------------------------------------
def test_login_page_with_status_200_is_auth_required(tmp_path: Path) -> None:
    rec = Recorder(status(200, {"Content-Type": "text/html"}, LOGIN_PAGE))
    http, _ = session(rec)
    with pytest.raises(AuthRequiredError) as info:
        http.get("download_filelist.php", what="the file list")
    assert not isinstance(info.value, SessionExpiredError)
    with pytest.raises(AuthRequiredError):
        http.download(
            "get_file.php", {"id": 1}, to(tmp_path / "f.fits"), what="file 1", expected_filename="f.fits"
        )
    assert list(tmp_path.iterdir()) == []  # never saved
    assert rec.count == 2  # and never retried


def test_login_form_below_a_long_page_header_is_still_a_login_page(tmp_path: Path) -> None:
    header = b"<!DOCTYPE html><html><head><title>ExoFOP</title></head><body>" + b"<div>nav</div>\n" * 600
    page = header + LOGIN_PAGE.split(b"<body>", 1)[1]
    assert len(header) > 8192
    rec = Recorder(status(200, {"Content-Type": "text/html"}, page))
    http, _ = session(rec)
    with pytest.raises(AuthRequiredError):
        http.download(
            "get_file.php", {"id": 1}, to(tmp_path / "f.fits"), what="file 1", expected_filename="f.fits"
        )
    with pytest.raises(AuthRequiredError):
        http.get("download_filelist.php", what="the file list")


FRAGMENT_LOGIN = (
    b'<h2>Members only</h2>\n<form method="post" action="password_check.php"><input type="password"></form>'
)


@pytest.mark.parametrize("content_type", ["text/html; charset=UTF-8", "application/octet-stream", ""])
def test_login_form_without_html_or_body_tags_is_auth_required(tmp_path: Path, content_type: str) -> None:
    rec = Recorder(status(200, {"Content-Type": content_type}, FRAGMENT_LOGIN))
    http, _ = session(rec)
    with pytest.raises(AuthRequiredError):
        http.download(
            "get_file.php", {"id": 1}, to(tmp_path / "f.dat"), what="file 1", expected_filename="f.dat"
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content_type", "body", "filename", "saved"),
    [
        ("text/html", b"<h1>Access denied</h1>", "f.dat", False),  # a bare fragment
        ("text/html", b"<custom-error>no</custom-error>", "f.dat", False),  # the server says page
        ("application/octet-stream", b"<custom-error>no</custom-error>", "f.dat", True),  # and here data
        ("text/html; charset=UTF-8", b"# sep,dmag\n0.1,2.0\n", "cc.dat", True),  # PHP's default type
        ("text/html", b"<5 arcsec: no companion>\n", "note.txt", False),
        ("text/plain", b"<5 arcsec: no companion>\n", "note.txt", True),  # not a tag
        ("text/html", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "plot.svg", True),
        ("text/html", b'<?xml version="1.0"?><VOTABLE/>', "t.xml", True),
        ("text/html", b"<html><body>report</body></html>", "report.html", True),
    ],
)
def test_page_or_file_by_body_type_and_name(
    tmp_path: Path, content_type: str, body: bytes, filename: str, saved: bool
) -> None:
    http, _ = session(Recorder(status(200, {"Content-Type": content_type}, body)))
    dest = tmp_path / filename
    if saved:
        http.download("get_file.php", {"id": 1}, to(dest), what="file 1", expected_filename=filename)
        assert dest.read_bytes() == body
    else:
        with pytest.raises(InvalidResponseError, match="HTML page"):
            http.download("get_file.php", {"id": 1}, to(dest), what="file 1", expected_filename=filename)
        assert list(tmp_path.iterdir()) == []


def test_expired_session_is_session_expired(tmp_path: Path) -> None:
    rec = Recorder(status(200, {"Content-Type": "text/html"}, LOGIN_PAGE))
    http, _ = session(rec, cookie_jar=jar_for("127.0.0.1"))
    with pytest.raises(SessionExpiredError) as info:
        http.download("get_file.php", {"id": 1}, to(tmp_path / "f"), what="file 1")
    assert "expired" in (info.value.hint or "")
    assert rec.requests[0].headers["cookie"] == f"PHPSESSID={SECRET}"
    assert SECRET not in info.value.message


def test_other_html_is_invalid_response_and_not_found_page_is_not_found(tmp_path: Path) -> None:
    rec = Recorder(
        status(200, {"Content-Type": "text/html"}, b"<html><body><h1>Maintenance</h1></body></html>"),
        status(200, {"Content-Type": "text/html"}, b"<html><body>File not found</body></html>"),
        status(200, {"Content-Type": "text/html"}, b"\xef\xbb\xbf  <!doctype html><p>oops</p>"),
    )
    http, _ = session(rec)
    with pytest.raises(InvalidResponseError, match="HTML page"):
        http.download(
            "get_file.php", {"id": 1}, to(tmp_path / "a.fits"), what="file 1", expected_filename="a.fits"
        )
    with pytest.raises(NotFoundError):
        http.download(
            "get_file.php", {"id": 2}, to(tmp_path / "b.fits"), what="file 2", expected_filename="b.fits"
        )
    with pytest.raises(InvalidResponseError):
        http.get("download_filelist.php", what="the file list")
    assert list(tmp_path.iterdir()) == []


def test_html_file_uploaded_as_html_is_data(tmp_path: Path) -> None:
    page = b"<html><body><h1>Observing log</h1></body></html>"
    rec = Recorder(status(200, {"Content-Type": "text/html"}, page))
    http, _ = session(rec)
    http.download(
        "get_file.php", {"id": 1}, to(tmp_path / "log.html"), what="file 1", expected_filename="log.html"
    )
    assert (tmp_path / "log.html").read_bytes() == page
    assert http.get("target.php", what="the overview", allow_html=True).content == page


def test_data_that_mentions_html_later_is_data(tmp_path: Path) -> None:
    body = b"<?xml version='1.0'?><VOTABLE>" + b"x" * 5000 + b"<html>"
    rec = Recorder(status(200, body=body))
    http, _ = session(rec)
    http.download("get_file.php", {"id": 1}, to(tmp_path / "t.xml"), what="file 1", expected_filename="t.xml")
    assert (tmp_path / "t.xml").read_bytes() == body


# -- redirects and cookies ------------------------------------------------------------------------------------
def test_redirect_to_another_host_carries_no_cookie() -> None:
    rec = Recorder(
        status(302, {"Location": "http://127.0.0.2:9/tess/get_file.php?id=1"}),
        ok(b"file body"),
    )
    http, _ = session(rec, cookie_jar=jar_for("127.0.0.1"))
    assert http.get("get_file.php", {"id": 1}, what="file 1").content == b"file body"
    first, second = rec.requests
    assert first.url.host == "127.0.0.1" and first.headers.get("cookie") == f"PHPSESSID={SECRET}"
    assert second.url.host == "127.0.0.2" and "cookie" not in second.headers


@pytest.mark.parametrize(
    "other", ["http://localhost:9/x", "http://evil.example/x", "https://127.0.0.1.nip.io/x"]
)
def test_cookies_never_follow_to_other_hosts(other: str) -> None:
    rec = Recorder(status(301, {"Location": other}), ok())
    http, _ = session(rec, cookie_jar=jar_for("127.0.0.1"))
    http.get("get_file.php", {"id": 1}, what="file 1")
    assert "cookie" not in rec.requests[1].headers


def test_same_host_redirect_keeps_cookie_and_relative_location_works() -> None:
    rec = Recorder(status(307, {"Location": "/tess/get_file.php?id=2"}), ok())
    http, _ = session(rec, cookie_jar=jar_for("127.0.0.1"))
    http.get("get_file.php", {"id": 1}, what="file 1")
    assert str(rec.requests[1].url) == "http://127.0.0.1:9/tess/get_file.php?id=2"
    assert rec.requests[1].headers["cookie"] == f"PHPSESSID={SECRET}"


def test_redirect_to_login_is_auth_required() -> None:
    rec = Recorder(status(302, {"Location": "/tess/login.php?ref=get_file"}))
    http, _ = session(rec)
    with pytest.raises(AuthRequiredError):
        http.get("get_file.php", {"id": 1}, what="file 1")
    assert rec.count == 1


def test_redirect_loops_and_bad_locations_are_invalid_response() -> None:
    rec = Recorder(status(302, {"Location": "/tess/get_file.php?id=1"}))
    http, _ = session(rec)
    with pytest.raises(InvalidResponseError, match="too many redirects"):
        http.get("get_file.php", {"id": 1}, what="file 1")
    rec = Recorder(status(302, {"Location": "http://[::1"}))
    http, sleeps = session(rec)
    with pytest.raises(InvalidResponseError, match="unusable URL"):
        http.get("get_file.php", {"id": 1}, what="file 1")
    assert sleeps == [] and rec.count == 1


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1/x", "ftp://127.0.0.1/x"])
def test_redirect_to_another_scheme_is_refused_without_retries(location: str) -> None:
    # A real transport this time: a mock one would happily "serve" any scheme.
    with FakeExoFop(demo_targets()) as server:
        server.faults.redirect("download_filelist.php", location, times=10)
        http, sleeps = session(base_url=server.base_url)
        with pytest.raises(InvalidResponseError, match="unusable URL"):
            http.get("download_filelist.php", {"id": 1}, what="the file list")
        http.close()
        # Counted by the client: the server logs a request only after answering it, maybe after this line.
        assert sleeps == [] and http.requests_made == 1


def test_server_set_cookie_is_never_replayed() -> None:
    rec = Recorder(status(200, {"Set-Cookie": "PHPSESSID=planted; path=/"}, b"a\n"), ok())
    http, _ = session(rec)
    http.get("download_filelist.php", what="the file list")
    http.get("download_filelist.php", what="the file list")
    assert "cookie" not in rec.requests[1].headers


def test_error_messages_never_contain_cookie_values(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused ({request.url})", request=request)

    failures: list[Exception] = []
    for handler in (refuse, status(503), status(404), status(200, body=LOGIN_PAGE), status(400)):
        http, _ = session(Recorder(handler), retries=1, cookie_jar=jar_for("127.0.0.1"))
        with pytest.raises(ExoFopError) as info:
            http.download("get_file.php", {"id": 1}, to(tmp_path / "f"), what="file 1")
        failures.append(info.value)
    for exc in failures:
        assert SECRET not in str(exc) and SECRET not in repr(exc.args)
        assert SECRET not in (getattr(exc, "hint", None) or "")


# -- offline ------------------------------------------------------------------------------------------------
def test_offline_never_touches_the_transport(tmp_path: Path) -> None:
    rec = Recorder(ok())
    http, _ = session(rec, offline=True)
    with pytest.raises(OfflineError) as info:
        http.get("download_filelist.php", what="the file list")
    # Also what --offline --refresh gets, with the list cached: so no claim that it is not in the cache.
    assert str(info.value).startswith("offline mode: the file list would have to be fetched")
    assert "--refresh" in (info.value.hint or "")
    with pytest.raises(OfflineError):
        http.download("get_file.php", {"id": 1}, to(tmp_path / "f"), what="file 1")
    with pytest.raises(OfflineError):
        http.post_form("password_check.php", {"username": "u"}, what="log in")
    assert rec.count == 0 and http.requests_made == 0
