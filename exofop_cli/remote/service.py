"""``ExoFopRemote``: ExoFOP as the layers above see it, one method per question, answers checked.

Constructing one costs nothing: the HTTP session (and httpx) start with the first request, so an operation
can hold a remote on a path that turns out to need no network at all. Every body is validated before it is
returned (a table is parsed, a file is sniffed while streaming), so what reaches the store is never an HTML
page, a message or garbage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import config
from ..errors import InvalidInputError, TargetNotFoundError
from . import endpoints

if TYPE_CHECKING:
    import threading

    import httpx

    from ..targets import TargetQuery
    from .answers import Overview
    from .cookies import CookieJar
    from .http import HttpSession
    from .streams import Saved, Sink


class ExoFopRemote:
    """The requests exofop makes, over one lazily started keep-alive pool."""

    def __init__(
        self,
        *,
        base_url: str,
        user_agent: str,
        timeout_seconds: float = config.DEFAULT_TIMEOUT_SECONDS,
        retries: int = config.DEFAULT_RETRIES,
        backoff_seconds: float = config.DEFAULT_BACKOFF_SECONDS,
        max_connections: int = config.DEFAULT_JOBS,
        cookie_jar: CookieJar | None = None,
        transport: httpx.BaseTransport | None = None,
        offline: bool = False,
        max_file_size: int = config.DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        check_settings(
            timeout_seconds=timeout_seconds,
            retries=retries,
            backoff_seconds=backoff_seconds,
            max_file_size=max_file_size,
        )
        endpoints.check_base_url(base_url)
        # Credentials in the URL are kept apart: base_url is written into manifests and shown in messages.
        self.base_url, self._auth = endpoints.split_userinfo(base_url)
        self.user_agent = user_agent
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_connections = max_connections
        self.cookie_jar = cookie_jar
        self.transport = transport
        self.offline = offline
        self.max_file_size = max_file_size
        # Called once, when the first request is about to be made (the CLI shows retry notices from then on).
        self.on_online: Callable[[], None] | None = None
        self._http: HttpSession | None = None

    # -- plumbing -------------------------------------------------------------------------------------------
    @property
    def http(self) -> HttpSession:
        """The HTTP session (created on first use)."""
        if self._http is not None:
            return self._http
        from .http import SESSION_LOCK, HttpSession

        # Worker threads ask for it at once on a run's first requests: one session, or Ctrl-C would cancel
        # one of several and the others would go on.
        with SESSION_LOCK:
            if self._http is not None:
                return self._http
            self._http = HttpSession(
                base_url=self.base_url,
                user_agent=self.user_agent,
                timeout_seconds=self.timeout_seconds,
                retries=self.retries,
                backoff_seconds=self.backoff_seconds,
                max_connections=self.max_connections,
                cookie_jar=self.cookie_jar,
                transport=self.transport,
                offline=self.offline,
                auth=self._auth,
                max_file_size=self.max_file_size,
            )
        if self.on_online is not None:
            self.on_online()
        return self._http

    def cancel(self) -> None:
        """Stop every request in flight and every wait, in every thread (Ctrl-C); see ``HttpSession.cancel``."""
        if self._http is not None:
            self._http.cancel()

    def resume(self) -> None:
        """Accept requests again after ``cancel``."""
        if self._http is not None:
            self._http.resume()

    @property
    def cookie_jar_used(self) -> bool:
        """True when requests carry cookies (a login). A jar made for another host sends nothing."""
        return self.cookie_jar is not None and self.cookie_jar.header_for(self.base_url) is not None

    @property
    def session_key(self) -> str | None:
        """A short fingerprint of the cookies requests carry (None: anonymous), to tell one login from another
        (a new ``auth login`` gets a new session cookie); not reversible to the cookie itself."""
        header = self.cookie_jar.header_for(self.base_url) if self.cookie_jar is not None else None
        if header is None:
            return None
        import hashlib

        return hashlib.sha256(header.encode()).hexdigest()[:16]

    @property
    def requests_made(self) -> int:
        """How many HTTP requests were sent (0 when nothing needed the network)."""
        return self._http.requests_made if self._http is not None else 0

    def url(self, endpoint: str, params: endpoints.Params | None = None) -> str:
        """Absolute URL of an endpoint with its parameters."""
        return self.http.url(endpoint, params)

    def close(self) -> None:
        """Close the connection pool (idempotent)."""
        if self._http is not None:
            self._http.close()

    # -- identification -------------------------------------------------------------------------------------
    def identify(self, query: TargetQuery) -> tuple[int, tuple[str, ...]]:
        """TIC id of a TOI or a name (and the TOIs learnt on the way), asked online.

        A TOI is looked up in the TOI table first; one the table does not know (yet), or rejects with "Sorry,
        entered TOI is invalid" (plain or inside a page, reference §7), falls back to ExoFOP's resolver, as
        names do; the resolver's "No object found" is then ``TargetNotFoundError``.
        """
        from .answers import ambiguous, parse_gototicid, parse_toi_table
        from .sniff import looks_like_invalid_toi

        if query.kind == "tic":
            assert query.tic_id is not None
            return query.tic_id, ()
        if query.kind == "toi":
            assert query.toi is not None and query.toi_number is not None
            what = f"TOI-{query.toi_number} in the TOI table"
            # allow_html: the invalid-TOI answer may be a page; every other page still raises below.
            body = self.http.get(
                endpoints.DOWNLOAD_TOI, endpoints.toi_params(query.toi_number), what=what, allow_html=True
            )
            if not looks_like_invalid_toi(body.content):
                self.http.verdicts.check_data(body.content, what=what, endpoint=endpoints.DOWNLOAD_TOI)
            try:
                return parse_toi_table(body.content, toi=query.toi)
            except TargetNotFoundError:
                pass  # not (yet) in the TOI table, or rejected: fall back to ExoFOP's resolver below
        body = self.http.get(
            endpoints.GOTOTICID,
            endpoints.gototicid_params(query.exofop_target_param),
            what=f"the TIC id of {query.text!r}",
        )
        tics = parse_gototicid(body.content, query=query.text)
        if len(tics) > 1:
            raise ambiguous(query.text, tics)
        return tics[0], ()

    def overview(self, tic_id: int) -> Overview:
        """TOIs and star names of a TIC from ``target.php?json``; ``TargetNotFoundError`` for an unknown TIC."""
        from .answers import parse_overview

        what = f"the overview of TIC {tic_id}"
        body = self.http.get(endpoints.TARGET, endpoints.target_params(tic_id), what=what, allow_html=True)
        if b"no tic object found" not in body.content[:65536].lower():
            # The one page that is an answer is "not found"; a login page or any other page is not.
            self.http.verdicts.check_data(body.content, what=what, endpoint=endpoints.TARGET)
        return parse_overview(body.content, tic_id=tic_id)

    # -- tables ---------------------------------------------------------------------------------------------
    def filelist(self, tic_id: int) -> bytes:
        """The raw file index of a star, checked to parse as one."""
        from .filelist import parse_filelist

        body = self.http.get(
            endpoints.FILELIST, endpoints.filelist_params(tic_id), what=f"the file list of TIC {tic_id}"
        )
        parse_filelist(body.content, tic_id=tic_id)
        return body.content

    def filelist_into(self, tic_id: int, open_sink: Callable[[], Sink]) -> Saved:
        """Stream a star's file index into a sink, sniffed as a table; the sink's commit parses it (a list
        of a million rows is never held in memory whole, see ``filelist``)."""
        return self.http.download(
            endpoints.FILELIST,
            endpoints.filelist_params(tic_id),
            open_sink,
            what=f"the file list of TIC {tic_id}",
            max_bytes=config.MAX_TABLE_BYTES,
            table=True,
        )

    def summary(self, tic_id: int, kind: str) -> bytes:
        """One raw summary table of a star, checked to parse as that table."""
        from .summaries import check_summary_table

        spec = endpoints.SUMMARIES[kind]
        body = self.http.get(spec.endpoint, spec.params(tic_id), what=f"the {kind} table of TIC {tic_id}")
        check_summary_table(body.content, spec)
        return body.content

    def catalog(
        self,
        kind: str,
        *,
        on_start: Callable[[int | None], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> tuple[bytes, str]:
        """A whole catalogue (``toi``, ``ctoi``), checked; CSV, else pipe. Returns (body, relative URL)."""
        from ..errors import InvalidResponseError
        from .catalogs import check_catalog

        spec = endpoints.CATALOGS[kind]
        last: InvalidResponseError | None = None
        for output in endpoints.CATALOG_OUTPUTS:
            params = spec.params(output)
            body = self.http.get(
                spec.endpoint, params, what=spec.description, on_start=on_start, on_bytes=on_bytes
            )
            try:
                check_catalog(body.content, spec)
            except InvalidResponseError as exc:
                last = exc  # e.g. a script that ignores output=csv: try the other format once
                continue
            return body.content, endpoints.relative_url(spec.endpoint, params)
        assert last is not None
        raise last

    # -- payloads -------------------------------------------------------------------------------------------
    def download_file(
        self,
        file_id: int,
        filename: str,
        open_sink: Callable[[], Sink],
        *,
        on_start: Callable[[int | None], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Saved:
        """Stream one file (``get_file.php``) into a sink; refused pages and cut bodies never commit."""
        return self.http.download(
            endpoints.GET_FILE,
            endpoints.get_file_params(file_id),
            open_sink,
            what=f"file {file_id} ({filename})",
            expected_filename=filename,
            on_start=on_start,
            on_bytes=on_bytes,
            cancel=cancel,
        )

    def download_archive(
        self,
        tic_id: int,
        fmt: str,
        open_sink: Callable[[], Sink],
        *,
        expected_filename: str,
        on_start: Callable[[int | None], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Saved:
        """Stream the whole-star archive (``download_files_zip.php``, or tar) into a sink."""
        endpoint = endpoints.FILES_ZIP if fmt == "zip" else endpoints.FILES_TAR
        return self.http.download(
            endpoint,
            endpoints.archive_params(tic_id),
            open_sink,
            what=f"the {fmt} archive of TIC {tic_id}",
            expected_filename=expected_filename,
            on_start=on_start,
            on_bytes=on_bytes,
            cancel=cancel,
        )

    def archive_url(self, tic_id: int, fmt: str) -> str:
        """The URL of a star's archive (recorded as the source of files taken from it)."""
        endpoint = endpoints.FILES_ZIP if fmt == "zip" else endpoints.FILES_TAR
        return self.url(endpoint, endpoints.archive_params(tic_id))


def check_settings(
    *, timeout_seconds: float, retries: int, backoff_seconds: float, max_file_size: int
) -> None:
    """``InvalidInputError`` for settings no request could use (NaN, infinite, negative, absurd)."""
    check_timeout(timeout_seconds)
    if (
        not (isinstance(backoff_seconds, int | float) and math.isfinite(backoff_seconds))
        or backoff_seconds < 0
    ):
        raise InvalidInputError(f"backoff_seconds must be a finite number >= 0, got {backoff_seconds!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 100:
        raise InvalidInputError(f"retries must be a whole number from 0 to 100, got {retries!r}")
    if isinstance(max_file_size, bool) or not isinstance(max_file_size, int) or max_file_size <= 0:
        raise InvalidInputError(
            f"max_file_size must be a positive number of bytes, got {max_file_size!r}",
            hint="e.g. --max-file-size 8GiB",
        )


def check_timeout(timeout_seconds: float) -> None:
    """``InvalidInputError`` unless the timeout is a finite number of seconds in (0, MAX_TIMEOUT_SECONDS]."""
    if not (isinstance(timeout_seconds, int | float) and math.isfinite(timeout_seconds)) or not (
        0 < timeout_seconds <= config.MAX_TIMEOUT_SECONDS
    ):
        raise InvalidInputError(
            f"timeout must be a number of seconds above 0 and at most {config.MAX_TIMEOUT_SECONDS:g}, "
            f"got {timeout_seconds!r}",
            hint="e.g. --timeout 60",
        )
