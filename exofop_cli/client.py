"""``ExoFopClient``: the library entry point. Resolution, file index, summary tables, archives, fetch.

Constructing a client does no I/O beyond reading a cookie jar; httpx is imported and the connection pool
opened only when a request is really needed, so a fully cached ``fetch`` never touches the network stack.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config, endpoints
from .errors import (
    CacheError,
    ExoFopError,
    InvalidResponseError,
    OfflineError,
    RequestError,
    TargetNotFoundError,
)
from .layout import TargetLayout
from .models import (
    ExoFopFetchResult,
    ExoFopFileRow,
    ExoFopSelectors,
    ExoFopTarget,
)
from .progress import NullProgress, ProgressListener
from .resolutions import ResolutionCache
from .storage import atomic_write_bytes, ensure_dir  # loaded anyway, by resolutions
from .targets import TargetQuery, parse_target

# Parsers and tables are imported inside the methods that use them: a warm ``fetch`` replayed by
# ``warm`` needs none of them, and every module kept off that path is start-up time saved.
if TYPE_CHECKING:
    import httpx

    from .cookies import CookieJar
    from .net import HttpSession
    from .resolver import Overview
    from .results import FileListing, SummariesResult
    from .tables import Table

SAVED_JAR_NAME = "cookies.txt"


def _version() -> str:
    from ._version import __version__

    return __version__


def default_cookie_jar_path() -> Path:
    """Where ``exofop auth login`` saves the session (platform config folder)."""
    return config.config_dir() / SAVED_JAR_NAME


class ExoFopClient:
    """Fetch ExoFOP-TESS artifacts into a deterministic local cache (see the README for the layout)."""

    def __init__(
        self,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        base_url: str | None = None,
        cookie_jar_path: str | os.PathLike[str] | None = None,
        user_agent: str | None = None,
        timeout_seconds: float = config.DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        jobs: int = config.DEFAULT_JOBS,
        retries: int = config.DEFAULT_RETRIES,
        backoff_seconds: float = config.DEFAULT_BACKOFF_SECONDS,
        offline: bool | None = None,
        use_saved_login: bool = True,
        progress: ProgressListener | None = None,
    ) -> None:
        if timeout_seconds <= 0:
            from .errors import InvalidInputError

            raise InvalidInputError(f"timeout must be positive, got {timeout_seconds}")
        if not 1 <= jobs <= config.MAX_JOBS:
            from .errors import InvalidInputError

            raise InvalidInputError(f"jobs must be between 1 and {config.MAX_JOBS}, got {jobs}")
        self.cache_root = config.cache_root(cache_dir)
        self.base_url = config.base_url(base_url)
        self.user_agent = user_agent or config.DEFAULT_USER_AGENT.format(version=_version())
        self.timeout_seconds = timeout_seconds
        self.jobs = jobs
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.transport = transport
        self.offline = config.env_flag(config.ENV_OFFLINE) if offline is None else offline
        self.progress: ProgressListener = progress or NullProgress()
        self.cookie_jar = self._load_cookie_jar(cookie_jar_path, use_saved_login)
        self.notices: list[str] = list(self.cookie_jar.warnings) if self.cookie_jar else []
        self.resolutions = ResolutionCache(self.cache_root)
        self._http: HttpSession | None = None

    @staticmethod
    def _load_cookie_jar(path: str | os.PathLike[str] | None, use_saved: bool) -> CookieJar | None:
        if path is None or str(path) == "":
            path = os.environ.get(config.ENV_COOKIE_JAR, "").strip() or None
        if path is None and use_saved:
            saved = default_cookie_jar_path()
            path = saved if saved.is_file() else None
        if path is None:
            return None
        from .cookies import CookieJar  # only when there is a jar to read

        return CookieJar.load(path)

    # -- plumbing -------------------------------------------------------------------------------------------
    @property
    def http(self) -> HttpSession:
        """The HTTP session (created on first use)."""
        if self._http is None:
            from .net import HttpSession

            self._http = HttpSession(
                base_url=self.base_url,
                user_agent=self.user_agent,
                timeout_seconds=self.timeout_seconds,
                retries=self.retries,
                backoff_seconds=self.backoff_seconds,
                max_connections=self.jobs,
                cookie_jar=self.cookie_jar,
                transport=self.transport,
                offline=self.offline,
            )
        return self._http

    @property
    def cookie_jar_used(self) -> bool:
        """True when requests carry cookies (a login): files refused before are then asked for again.

        Only cookies this server would get count: a jar made for another host sends nothing.
        """
        return self.cookie_jar is not None and self.cookie_jar.header_for(self.base_url) is not None

    @property
    def requests_made(self) -> int:
        """How many HTTP requests this client sent (0 when everything came from the cache)."""
        return self._http.requests_made if self._http is not None else 0

    def close(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> ExoFopClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def layout(self, tic_id: int) -> TargetLayout:
        """Cache layout of one star."""
        return TargetLayout.for_tic(self.cache_root, tic_id)

    # -- resolution -----------------------------------------------------------------------------------------
    def identify(self, query: TargetQuery) -> tuple[int, tuple[str, ...]]:
        """TIC id (and TOIs learnt on the way) for a parsed target; online only for TOIs and names."""
        if query.kind == "tic":
            assert query.tic_id is not None
            return query.tic_id, ()
        cached = self.resolutions.get(query.key)
        if cached is not None:
            return cached.tic_id, cached.toi
        if self.offline:
            raise OfflineError(f"offline mode: {query.text!r} has never been resolved in this cache")
        from .resolver import ambiguous, parse_gototicid, parse_toi_table

        if query.kind == "toi":
            assert query.toi is not None and query.toi_number is not None
            body = self.http.get(
                endpoints.DOWNLOAD_TOI,
                endpoints.toi_params(query.toi_number),
                what=f"TOI-{query.toi_number} in the TOI table",
            )
            try:
                return parse_toi_table(body.content, toi=query.toi)
            except TargetNotFoundError:
                pass  # not (yet) in the TOI table: fall back to ExoFOP's resolver below
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
        """TOIs and star names of a TIC from ``target.php?json`` (one request)."""
        from .resolver import parse_overview

        body = self.http.get(
            endpoints.TARGET,
            endpoints.target_params(tic_id),
            what=f"the overview of TIC {tic_id}",
            allow_html=True,
        )
        return parse_overview(body.content, tic_id=tic_id)

    def resolve_target(self, target: str) -> ExoFopTarget:
        """Resolve a TIC, TOI or name to an ``ExoFopTarget`` (cached on disk; online only on a miss)."""
        from .resolver import Overview, target_from_parts

        query = parse_target(target)
        cached = self.resolutions.get(query.key)
        if cached is not None:
            return cached
        tic, tois = self.identify(query)
        try:
            overview = self.overview(tic)
        except InvalidResponseError as exc:
            # The overview is undocumented JSON; when it is unreadable keep what identification gave.
            self.notices.append(f"could not read the ExoFOP overview of TIC {tic}: {exc.message}")
            overview = Overview(tois=(), aliases=())
        resolved = target_from_parts(tic, (*tois, *overview.tois), overview.aliases, query)
        self.resolutions.put({query.key, f"tic:{tic}"}, resolved)
        return resolved

    # -- file index and tables ------------------------------------------------------------------------------
    def fetch_filelist_bytes(self, tic_id: int) -> bytes:
        """Download and validate the raw file index of a star, then store it as ``filelist.csv``."""
        from .filelist import parse_filelist

        layout = self.layout(tic_id)
        body = self.http.get(
            endpoints.FILELIST, endpoints.filelist_params(tic_id), what=f"the file list of TIC {tic_id}"
        )
        parse_filelist(body.content, tic_id=tic_id)  # validate before it may replace a good cached copy
        ensure_dir(layout.root)
        atomic_write_bytes(layout.filelist, body.content)
        return body.content

    def file_list(self, *, tic_id: int, refresh: bool = False) -> list[ExoFopFileRow]:
        """The star's file index, from the cache unless missing or ``refresh``."""
        return self.file_list_with_warnings(tic_id=tic_id, refresh=refresh)[0]

    def file_list_with_warnings(
        self, *, tic_id: int, refresh: bool = False
    ) -> tuple[list[ExoFopFileRow], list[str]]:
        """Like ``file_list``, with the parser's warnings about skipped or odd rows."""
        from .filelist import parse_filelist

        layout = self.layout(tic_id)
        cached: tuple[list[ExoFopFileRow], list[str]] | None = None
        # Not cached, or damaged since it was (it carries no hash): then it is fetched again.
        with contextlib.suppress(FileNotFoundError, InvalidResponseError):
            cached = parse_filelist(layout.filelist.read_bytes(), tic_id=tic_id, trusted=True)
        if cached is not None and not refresh:
            return cached
        try:
            return parse_filelist(self.fetch_filelist_bytes(tic_id), tic_id=tic_id)
        except (RequestError, OfflineError) as exc:
            if cached is None:
                raise
            # As fetch does: a refresh that fails falls back to the copy we have, and says so.
            rows, warnings = cached
            return rows, [f"could not refresh the file list ({exc}); using the cached copy", *warnings]

    def fetch_summary_bytes(self, tic_id: int, kind: str) -> bytes:
        """Download one summary table, validate it and store it raw under ``summaries/``."""
        spec = endpoints.SUMMARIES[kind]
        layout = self.layout(tic_id)
        body = self.http.get(spec.endpoint, spec.params(tic_id), what=f"the {kind} table of TIC {tic_id}")
        check_summary_table(body.content, spec)
        ensure_dir(layout.summaries_dir)
        atomic_write_bytes(layout.summaries_dir / spec.filename, body.content)
        # Older exofop versions stored obsnotes as pipe: the new copy replaces it, not sits beside it.
        for output in ("csv", "pipe"):
            if output != spec.output:
                with contextlib.suppress(OSError):
                    (layout.summaries_dir / f"{kind}.{output}").unlink(missing_ok=True)
        return body.content

    def summary_tables(
        self, *, tic_id: int, kinds: str | list[str] | tuple[str, ...] | None = None, refresh: bool = False
    ) -> dict[str, Table]:
        """Summary tables of a star by kind (``spect``, ``imaging``...); from the cache unless missing/``refresh``."""
        from .tables import parse_table

        wanted = _kinds(kinds)
        unknown = [k for k in wanted if k not in endpoints.SUMMARIES]
        if unknown:
            from .errors import InvalidInputError

            raise InvalidInputError(
                f"unknown summary kind(s): {', '.join(unknown)}",
                hint="choose from " + ", ".join(endpoints.SUMMARY_KINDS),
            )
        out: dict[str, Table] = {}
        for kind in wanted:
            spec = endpoints.SUMMARIES[kind]
            table = None if refresh else self.cached_summary_table(tic_id, kind)
            if table is None:
                data = self.fetch_summary_bytes(tic_id, kind)
                table = parse_table(data, what=f"the {kind} table", endpoint=spec.endpoint)
            out[kind] = table
        return out

    def cached_summary_table(self, tic_id: int, kind: str) -> Table | None:
        """A cached summary table, parsed; None when missing or damaged since (tables carry no hash)."""
        spec = endpoints.SUMMARIES[kind]
        try:
            return check_summary_table((self.layout(tic_id).summaries_dir / spec.filename).read_bytes(), spec)
        except (OSError, ExoFopError):
            return None

    # -- archives -------------------------------------------------------------------------------------------
    def download_all_files_zip(self, *, tic_id: int, force: bool = False, fmt: str = "zip") -> Path:
        """The whole-star archive (``download_files_zip.php``, or ``fmt="tar"``) under ``archives/``."""
        if fmt not in ("zip", "tar"):
            from .errors import InvalidInputError

            raise InvalidInputError(f"archive format must be zip or tar, not {fmt!r}")
        layout = self.layout(tic_id)
        dest = layout.archives_dir / f"tic_{tic_id}_files.{fmt}"
        if dest.is_file() and not force:
            return dest
        endpoint = endpoints.FILES_ZIP if fmt == "zip" else endpoints.FILES_TAR
        self.http.download(
            endpoint,
            endpoints.archive_params(tic_id),
            dest,
            what=f"the {fmt} archive of TIC {tic_id}",
            expected_filename=dest.name,
            on_bytes=self.progress.advance,
        )
        return dest

    # -- one call per CLI command ---------------------------------------------------------------------------
    def tic_for(self, target: str) -> tuple[int, ExoFopTarget | None]:
        """TIC id of a target without the overview request a TIC does not need (the full target if cached)."""
        query = parse_target(target)
        cached = self.resolutions.get(query.key)
        if cached is not None:
            return cached.tic_id, cached
        if query.kind == "tic":
            assert query.tic_id is not None
            return query.tic_id, None
        resolved = self.resolve_target(target)
        return resolved.tic_id, resolved

    def manifest_path_for(self, target: str) -> Path:
        """The manifest of a target fetched before; ``InvalidInputError`` when it was never fetched."""
        from .errors import InvalidInputError

        tic, _ = self.tic_for(target)
        path = self.layout(tic).manifest
        if not path.is_file():
            raise InvalidInputError(
                f"{target} (TIC {tic}) has not been fetched into {self.cache_root}",
                hint=f"run `exofop fetch {target}` first",
            )
        return path

    def list_files(
        self, target: str, *, selectors: ExoFopSelectors | None = None, refresh: bool = False
    ) -> FileListing:
        """The selected rows of a target's file index, each with its cached path if downloaded."""
        from .manifest import valid_records
        from .plan import OBSERVATION_KINDS, observation_index, select_rows
        from .results import FileListing

        tic, _ = self.tic_for(target)
        rows, warnings = self.file_list_with_warnings(tic_id=tic, refresh=refresh)
        if not rows:
            self._check_known(tic)
        observations = None
        if selectors is not None and selectors.needs_summaries:
            tables = self.summary_tables(tic_id=tic, kinds=OBSERVATION_KINDS, refresh=refresh)
            observations = observation_index(tables)
        layout = self.layout(tic)
        cached = {int(r["file_id"]): layout.root / r["path"] for r in valid_records(layout)}
        chosen = select_rows(rows, selectors, observations=observations)
        return FileListing(tic_id=tic, rows=tuple(chosen), cached=cached, warnings=tuple(warnings))

    def collect_summaries(
        self, target: str, *, kinds: list[str] | tuple[str, ...] | None = None, refresh: bool = False
    ) -> SummariesResult:
        """Every requested summary table; one that fails is reported and the others still come."""
        from .fetcher import issue_from
        from .results import SummariesResult

        tic, _ = self.tic_for(target)
        wanted = _kinds(kinds)
        tables: dict[str, Table] = {}
        errors = []
        for kind in wanted:
            try:
                tables.update(self.summary_tables(tic_id=tic, kinds=(kind,), refresh=refresh))
            except (RequestError, OfflineError) as exc:
                errors.append(issue_from(exc, endpoint=endpoints.SUMMARIES[kind].endpoint))
        if not errors and not any(t.rows for t in tables.values()):
            self._check_known(tic)
        return SummariesResult(tic_id=tic, tables=tables, errors=tuple(errors))

    def forget_unknown(self, tic: int) -> None:
        """Remove what a lookup cached for a star ExoFOP does not know, so that `cache ls` does not list it.

        Only an empty file list and the summary tables, then the folders if empty; nothing at all once the
        star has a manifest, files, records or listed uploads (a fetch may be running: it writes those first).
        """
        layout = self.layout(tic)
        if layout.manifest.exists() or self._has_cached_rows(tic):
            return
        for folder in (layout.files_dir, layout.records_dir):
            with contextlib.suppress(OSError):
                if any(folder.iterdir()):
                    return
        summaries = (layout.summaries_dir / s.filename for s in endpoints.SUMMARIES.values())
        for path in (layout.filelist, *summaries):
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in (layout.summaries_dir, layout.records_dir, layout.root / ".state", layout.root):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty

    def _has_cached_rows(self, tic: int) -> bool:
        from .filelist import parse_filelist

        try:
            rows, _ = parse_filelist(self.layout(tic).filelist.read_bytes(), tic_id=tic, trusted=True)
        except (OSError, ExoFopError):
            return False
        return bool(rows)

    def _check_known(self, tic: int) -> None:
        """Raise ``TargetNotFoundError`` for a TIC that ExoFOP does not know (asked only when all came empty).

        A TIC given as a number is never looked up, and an unknown one gets empty tables rather than an error:
        without this, `exofop ls 123` would report "0 files" and exit 0. A fetched or resolved star is known;
        when the overview cannot be had (offline, network), emptiness stands.
        """
        layout = self.layout(tic)
        known = layout.manifest.exists() or self.resolutions.get(f"tic:{tic}") is not None
        if known or self._has_cached_rows(tic):  # a star with uploads is known, whatever its overview says
            return
        try:
            overview = self.overview(tic)
        except TargetNotFoundError:
            self.forget_unknown(tic)
            raise
        except (RequestError, OfflineError):
            return
        # Known: remember it, so that the next `ls` of this star with no uploads stays offline.
        from .resolver import target_from_parts

        self.resolutions.put([f"tic:{tic}"], target_from_parts(tic, overview.tois, overview.aliases))

    def fetch_many(self, targets: list[str], **options: Any) -> list[ExoFopFetchResult | ExoFopError]:
        """``fetch`` each target in turn; a target that fails is returned as its error, the rest go on."""
        outcomes: list[ExoFopFetchResult | ExoFopError] = []
        for target in targets:
            try:
                outcomes.append(self.fetch(target=target, **options))
            except CacheError:
                raise  # the disk is the problem, not the target: stop here
            except ExoFopError as exc:
                outcomes.append(exc)
        return outcomes

    # -- fetch ----------------------------------------------------------------------------------------------
    def fetch(
        self,
        *,
        target: str,
        selectors: ExoFopSelectors | None = None,
        include_summaries: bool = True,
        force_refresh: bool = False,
        force_download: bool = False,
        verify: bool = False,
        archive: str | None = None,
    ) -> ExoFopFetchResult:
        """Download the selected files (and summaries) of one target into the cache; write ``manifest.json``.

        ``force_refresh`` re-reads the file list and summaries; ``force_download`` re-downloads files;
        ``verify`` re-hashes cached files; ``archive`` ("zip"/"tar") gets files from the whole-star archive.
        Per-item failures end up in ``result.errors`` (and the manifest); failures that leave nothing to
        do (no file list, unknown target) raise.
        """
        from . import warm

        key = warm.request_key(
            base_url=self.base_url,
            selectors=selectors,
            include_summaries=include_summaries,
            archive=archive,
            cookie_jar_used=self.cookie_jar_used,
        )
        if not (force_refresh or force_download or verify):
            replayed = warm.replay(self, target, key)
            if replayed is not None:
                return replayed

        from .fetcher import Fetcher

        with Fetcher(self) as fetcher:
            return fetcher.run(
                parse_target(target),
                selectors=selectors,
                include_summaries=include_summaries,
                refresh=force_refresh,
                force=force_download,
                verify=verify,
                archive=archive,
                warm_key=key,
            )


def check_summary_table(content: bytes, spec: endpoints.SummarySpec) -> Table:
    """``content`` parsed as the summary table ``spec`` describes; ``InvalidResponseError`` when it is not."""
    from .tables import parse_table

    table = parse_table(
        content, what=f"the {spec.kind} table", endpoint=spec.endpoint, required=spec.required
    )
    if len(table.columns) == 1:
        # Every ExoFOP table has several columns: one means text (a message, output=text), not a table.
        raise InvalidResponseError(
            f"ExoFOP sent text instead of the {spec.kind} table: {table.columns[0][:80]!r}",
            endpoint=spec.endpoint,
        )
    return table


def _kinds(kinds: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Summary kinds asked for: one as a string, several, or (None or empty) all of them."""
    if not kinds:
        return endpoints.SUMMARY_KINDS
    return (kinds,) if isinstance(kinds, str) else tuple(kinds)
