"""``ExoFopClient``: the library entry point (layer 4, the facade). Each method hands one operation its parts.

The client owns the configuration and three parts built once: the remote (``remote.service.ExoFopRemote``,
whose HTTP session starts with the first request), the cache (``store.cache.CacheStore``) and the resolver
(``ops.resolve.Resolver``). Operations receive those parts; none of them calls back into the client.
Constructing a client does no I/O beyond reading a cookie jar, so a fully cached ``fetch`` never touches the
network stack.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import config
from .errors import ExoFopError, InvalidInputError
from .models import ExoFopFetchResult, ExoFopFileRow, ExoFopSelectors, ExoFopTarget
from .progress import NullProgress, ProgressListener, single_transfer
from .remote.service import ExoFopRemote
from .store.cache import CacheStore

# Parsers, tables and the fetch machinery are imported inside the methods that use them: a warm ``fetch``
# replayed by ``store.warm`` needs none of them, and every module kept off that path is start-up time saved.
if TYPE_CHECKING:
    from datetime import timedelta

    import httpx

    from .frames import RowList
    from .ops.auth import OnlineState
    from .ops.batch import FetchJob
    from .ops.catalogs import CatalogSelection, CatalogTable
    from .ops.contrast import ContrastCurvesResult
    from .ops.doctor import DoctorReport
    from .ops.lightcurves import LightCurvesResult
    from .ops.preview import FetchPlan
    from .ops.resolve import Resolver
    from .ops.results import FileListing, SummariesResult
    from .remote.cookies import CookieJar
    from .remote.http import HttpSession
    from .remote.tables import Table
    from .rows import ExoFopObsNoteRow, ExoFopToiRow
    from .store.layout import TargetLayout
    from .store.resolutions import ResolutionCache


def _version() -> str:
    from ._version import __version__

    return __version__


def default_cookie_jar_path() -> Path:
    """Where ``exofop auth login`` saves the session (platform config folder)."""
    return config.default_cookie_jar_path()


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
        max_file_size: int = config.DEFAULT_MAX_FILE_SIZE,
        on_first_request: Callable[[], None] | None = None,
    ) -> None:
        """``on_first_request`` is called once, before the first request this client sends (the CLI shows the
        library's warnings from then on, so a fully cached run never sets up logging)."""
        if timeout_seconds <= 0:
            raise InvalidInputError(f"timeout must be positive, got {timeout_seconds}")
        if not 1 <= jobs <= config.MAX_JOBS:
            raise InvalidInputError(f"jobs must be between 1 and {config.MAX_JOBS}, got {jobs}")
        self.cache_root = config.cache_root(cache_dir)
        self.base_url = config.base_url(base_url)
        self.jobs = jobs
        self.offline = config.env_flag(config.ENV_OFFLINE) if offline is None else offline
        self.progress: ProgressListener = progress or NullProgress()
        self.cookie_jar = self._load_cookie_jar(cookie_jar_path, use_saved_login)
        self.notices: list[str] = list(self.cookie_jar.warnings) if self.cookie_jar else []
        self.cache = CacheStore(self.cache_root)
        self.remote = ExoFopRemote(
            base_url=self.base_url,
            user_agent=user_agent or config.DEFAULT_USER_AGENT.format(version=_version()),
            timeout_seconds=timeout_seconds,
            retries=retries,
            backoff_seconds=backoff_seconds,
            max_connections=jobs,
            cookie_jar=self.cookie_jar,
            transport=transport,
            offline=self.offline,
            max_file_size=max_file_size,  # with the other settings, checked there (InvalidInputError)
        )
        self.remote.on_online = on_first_request
        self._resolver: Resolver | None = None

    @staticmethod
    def _load_cookie_jar(path: str | os.PathLike[str] | None, use_saved: bool) -> CookieJar | None:
        if path is None or str(path) == "":
            path = os.environ.get(config.ENV_COOKIE_JAR, "").strip() or None
        if path is None and use_saved:
            saved = config.default_cookie_jar_path()
            path = saved if saved.is_file() else None
        if path is None:
            return None
        from .remote.cookies import CookieJar  # only when there is a jar to read

        return CookieJar.load(path)

    # -- parts and plumbing ---------------------------------------------------------------------------------
    @property
    def resolver(self) -> Resolver:
        """Resolution of targets (cache first, then ExoFOP)."""
        if self._resolver is None:
            from .ops.resolve import Resolver

            self._resolver = Resolver(
                resolutions=self.cache.resolutions,
                remote=self.remote,
                offline=self.offline,
                notices=self.notices,
            )
        return self._resolver

    @property
    def http(self) -> HttpSession:
        """The HTTP session (created on first use)."""
        return self.remote.http

    @property
    def resolutions(self) -> ResolutionCache:
        """The on-disk resolution cache (``resolutions.json``)."""
        return self.cache.resolutions

    @property
    def cookie_jar_used(self) -> bool:
        """True when requests carry cookies (a login): files refused before are then asked for again."""
        return self.remote.cookie_jar_used

    @property
    def requests_made(self) -> int:
        """How many HTTP requests this client sent (0 when everything came from the cache)."""
        return self.remote.requests_made

    def close(self) -> None:
        """Close the connection pool."""
        self.remote.close()

    def __enter__(self) -> ExoFopClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def layout(self, tic_id: int) -> TargetLayout:
        """Cache layout of one star."""
        return self.cache.layout(tic_id)

    # -- resolution -----------------------------------------------------------------------------------------
    def resolve_target(self, target: str | int) -> ExoFopTarget:
        """Resolve a TIC, TOI or name to an ``ExoFopTarget`` (cached on disk; online only on a miss)."""
        return self.resolver.resolve(target)

    def tic_for(self, target: str | int) -> tuple[int, ExoFopTarget | None]:
        """TIC id of a target without the overview request a TIC does not need (the full target if cached)."""
        return self.resolver.tic_for(target)

    # -- file index and tables ------------------------------------------------------------------------------
    def file_list(
        self, *, tic_id: int, refresh: bool = False, force_refresh: bool = False
    ) -> RowList[ExoFopFileRow]:
        """The star's file index, from the cache unless missing or ``refresh`` (``force_refresh``, tess-vetter's
        name, is the same).

        A list of ``ExoFopFileRow`` that also has ``to_pandas()``/``to_astropy()`` (``frames.RowList``).
        """
        return self.file_list_with_warnings(tic_id=tic_id, refresh=refresh or force_refresh)[0]

    def file_list_with_warnings(
        self, *, tic_id: int, refresh: bool = False
    ) -> tuple[RowList[ExoFopFileRow], list[str]]:
        """Like ``file_list``, with the parser's warnings about skipped or odd rows."""
        from .frames import RowList
        from .ops import browse

        rows, warnings = browse.file_list(self.cache.target(tic_id), self.remote, refresh=refresh)
        return RowList(rows, row_type=ExoFopFileRow), warnings

    def summary_tables(
        self, *, tic_id: int, kinds: str | list[str] | tuple[str, ...] | None = None, refresh: bool = False
    ) -> dict[str, Table]:
        """Summary tables of a star by kind (``spect``, ``imaging``...); from the cache unless missing/``refresh``."""
        from .ops import browse

        return browse.summary_tables(self.cache.target(tic_id), self.remote, kinds=kinds, refresh=refresh)

    def list_files(
        self, target: str | int, *, selectors: ExoFopSelectors | None = None, refresh: bool = False
    ) -> FileListing:
        """The selected rows of a target's file index, each with its cached path if downloaded."""
        from .ops import browse

        return browse.list_files(
            resolver=self.resolver, cache=self.cache, target=target, selectors=selectors, refresh=refresh
        )

    def collect_summaries(
        self, target: str | int, *, kinds: list[str] | tuple[str, ...] | None = None, refresh: bool = False
    ) -> SummariesResult:
        """Every requested summary table; one that fails is reported and the others still come.

        When every table failed for one reason (no network, a base URL that is not ExoFOP) that error is
        raised once; a failed ``refresh`` of a cached table serves the cached copy (said in ``notes``).
        """
        from .ops import browse

        return browse.collect_summaries(
            resolver=self.resolver, cache=self.cache, target=target, kinds=kinds, refresh=refresh
        )

    def manifest_path_for(self, target: str | int) -> Path:
        """The manifest of a target fetched before; ``InvalidInputError`` when it was never fetched."""
        tic, _ = self.tic_for(target)
        path = self.layout(tic).manifest
        if not path.is_file():
            raise InvalidInputError(
                f"{target} (TIC {tic}) has not been fetched into {self.cache_root}",
                hint=f"run `exofop fetch {target}` first",
            )
        return path

    def obs_notes(
        self, *, tic_id: int, refresh: bool = False, force_refresh: bool = False
    ) -> RowList[ExoFopObsNoteRow]:
        """The star's observing notes, their HTML as plain text (the cached obsnotes table unless ``refresh``;
        ``force_refresh``, tess-vetter's name, is the same).

        A list of ``ExoFopObsNoteRow`` that also has ``to_pandas()``/``to_astropy()`` (``frames.RowList``).
        """
        from .frames import RowList
        from .remote.notes import obs_note_rows
        from .rows import ExoFopObsNoteRow

        table = self.summary_tables(tic_id=tic_id, kinds="obsnotes", refresh=refresh or force_refresh)[
            "obsnotes"
        ]
        return RowList(obs_note_rows(table, tic_id=tic_id), row_type=ExoFopObsNoteRow)

    # -- catalogues -----------------------------------------------------------------------------------------
    def toi_table(
        self, *, max_age: float | str | timedelta | None = None, refresh: bool = False
    ) -> CatalogTable:
        """The whole TOI table: the cached copy unless older than ``max_age`` (default a day) or ``refresh``."""
        return self._catalog("toi", max_age=max_age, refresh=refresh)

    def ctoi_table(
        self, *, max_age: float | str | timedelta | None = None, refresh: bool = False
    ) -> CatalogTable:
        """The whole community TOI table, cached like ``toi_table``."""
        return self._catalog("ctoi", max_age=max_age, refresh=refresh)

    def toi_row(
        self,
        *,
        tic_id: int | None = None,
        toi: str | float | None = None,
        max_age: float | str | timedelta | None = None,
        refresh: bool = False,
        force_refresh: bool = False,
    ) -> ExoFopToiRow | None:
        """A star's TOI row (its lowest TOI) or one TOI's, from the TOI table; None when it has none.

        ``toi`` as text (``"1262.01"``, ``"TOI-1262"``) or, as tess-vetter takes it, a float (``1262.01``: read
        with two decimals, so ``500.1`` is TOI 500.10). ``refresh``/``force_refresh`` download the table again.
        """
        from .ops.catalogs import find_toi_row

        table = self.toi_table(max_age=max_age, refresh=refresh or force_refresh)
        return find_toi_row(table, tic_id=tic_id, toi=toi)

    def catalog(
        self,
        kind: str,
        *,
        targets: Sequence[str] = (),
        dispositions: Sequence[str] = (),
        other_dispositions: Sequence[str] = (),
        sectors: Sequence[int] = (),
        max_age: float | str | timedelta | None = None,
        refresh: bool = False,
    ) -> CatalogSelection:
        """The rows of the ``toi``/``ctoi`` table that match every filter, and the named targets it lacks.

        ``targets``: TOIs, CTOIs, TIC ids or names (resolved to TICs); ``dispositions``: TFOPWG codes;
        ``other_dispositions``: the TESS (TOI) or user (CTOI) disposition; ``sectors``: observed in any of
        them. Codes may be comma lists; an unknown code is an ``InvalidInputError`` naming the valid ones.
        The table is cached as for ``toi_table``.
        """
        from .ops.catalogs import check_kind, select_catalog

        table = self._catalog(check_kind(kind), max_age=max_age, refresh=refresh)
        return select_catalog(
            table,
            targets=targets,
            dispositions=dispositions,
            other_dispositions=other_dispositions,
            sectors=sectors,
            resolver=self.resolver,
        )

    def _catalog(self, kind: str, *, max_age: float | str | timedelta | None, refresh: bool) -> CatalogTable:
        from .ops.catalogs import load_catalog
        from .store.catalogs import CatalogStore

        label = endpoints_description(kind)
        with single_transfer(self.progress, label, label) as (on_start, on_bytes):
            return load_catalog(
                kind,
                store=CatalogStore(self.cache_root),
                remote=self.remote,
                max_age=max_age,
                refresh=refresh,
                on_start=on_start,
                on_bytes=on_bytes,
            )

    # -- doctor ---------------------------------------------------------------------------------------------
    def doctor(
        self, *, target: str | int | None = None, save_dir: str | os.PathLike[str] | None = None
    ) -> DoctorReport:
        """Check ExoFOP live against every assumption exofop makes (``OfflineError`` when offline)."""
        from .ops.doctor import DEFAULT_TARGET, run_doctor

        return run_doctor(
            self.remote,
            target=DEFAULT_TARGET if target is None else str(target),
            save_dir=None if save_dir is None else Path(save_dir),
        )

    # -- TRICERATOPS inputs ---------------------------------------------------------------------------------
    def contrast_curves(
        self,
        target: str | int,
        *,
        filter: str | None = None,
        file_filters: Mapping[int, str] | None = None,
        envelope: str = "conservative",
        best_only: bool = False,
        export_dir: str | os.PathLike[str] | None = None,
    ) -> ContrastCurvesResult:
        """A fetched target's cached contrast curves, ranked, optionally exported for TRICERATOPS.

        ``filter`` (a TRICERATOPS filt or a band label: the library tells which) applies to every curve,
        ``file_filters`` to one file id each; ``best_only`` keeps the recommended curve and the files with a
        problem. ``InvalidInputError`` when the target was never fetched or an override maps to nothing.
        """
        from .ops.contrast import contrast_curves

        return contrast_curves(
            self.manifest_path_for(target),
            filter=filter,
            file_filters=file_filters,
            envelope=envelope,
            best_only=best_only,
            export_dir=export_dir,
        )

    def lightcurves(
        self,
        target: str | int,
        *,
        period: float,
        epoch: float,
        band: str | None = None,
        export_dir: str | os.PathLike[str] | None = None,
        duration_hours: float | None = None,
        normalize: str | None = None,
        detrend: str = "none",
    ) -> LightCurvesResult:
        """A fetched target's cached SG1 light curves, ranked, optionally exported for TRICERATOPS+.

        The arguments are ``collect_lightcurves``'s; ``InvalidInputError`` when the target was never fetched
        or an argument would fail every file.
        """
        from .ops.lightcurves import lightcurves

        return lightcurves(
            self.manifest_path_for(target),
            period=period,
            epoch=epoch,
            band=band,
            export_dir=export_dir,
            duration_hours=duration_hours,
            normalize=normalize,
            detrend=detrend,
        )

    # -- archives -------------------------------------------------------------------------------------------
    def download_all_files_zip(self, *, tic_id: int, force: bool = False, fmt: str = "zip") -> Path:
        """The whole-star archive (``download_files_zip.php``, or ``fmt="tar"``) under ``archives/``."""
        from .ops.archive import download_archive

        with single_transfer(self.progress, f"TIC {tic_id}", f"the {fmt} archive") as (on_start, on_bytes):
            return download_archive(
                self.remote, self.layout(tic_id), fmt=fmt, force=force, on_start=on_start, on_bytes=on_bytes
            )

    # -- cache and login ------------------------------------------------------------------------------------
    def session_state(self) -> tuple[OnlineState, str]:
        """Ask ExoFOP whether it accepts the session this client sends: (state, what was seen).

        An answer that is not ExoFOP's home page is an error (``NotExoFopError`` for a 404, else
        ``InvalidResponseError``), never a state: a check that could not be made must not read as one.
        """
        from .ops.auth import check_session

        return check_session(self.remote.http, strict=True)

    # -- fetch ----------------------------------------------------------------------------------------------
    # fetch, fetch_many and the plans take the same keywords (FetchRequest's fields), spelled out so that a
    # misspelt one is a TypeError naming it at the call, as with every other method.
    def fetch_many(
        self,
        targets: Sequence[str | int],
        *,
        selectors: ExoFopSelectors | None = None,
        include_summaries: bool = True,
        force_refresh: bool = False,
        force_download: bool = False,
        verify: bool = False,
        archive: str | None = "auto",
        to: str | os.PathLike[str] | None = None,
    ) -> list[ExoFopFetchResult | ExoFopError]:
        """Fetch several targets, overlapped (``jobs`` requests at most in all); one outcome per target.

        Targets naming the same star are fetched once (they share the outcome); a target that fails is
        returned as its error and the others go on; a full disk (``CacheError``) stops everything. The
        keywords are ``fetch``'s.
        """
        job = self._job(selectors, include_summaries, force_refresh, force_download, verify, archive, to)
        return job.many(targets)

    def fetch(
        self,
        *,
        target: str | int,
        selectors: ExoFopSelectors | None = None,
        include_summaries: bool = True,
        force_refresh: bool = False,
        force_download: bool = False,
        verify: bool = False,
        archive: str | None = "auto",
        to: str | os.PathLike[str] | None = None,
    ) -> ExoFopFetchResult:
        """Download the selected files (and summaries) of one target into the cache; write ``manifest.json``.

        ``force_refresh`` re-reads the file list and summaries; ``force_download`` re-downloads files;
        ``verify`` re-hashes cached files; ``archive``: ``"auto"`` takes a whole star from its zip when that
        saves round trips, ``"zip"``/``"tar"`` always use the archive, ``"off"`` (or None) one file at a time.
        ``to``: also place the selected files in that folder under their ExoFOP names, with a
        ``manifest.json`` of their own (``result.placed``; see ``ops.place``).
        Per-item failures end up in ``result.errors`` (and the manifest); failures that leave nothing to do
        (no file list, unknown target) raise.
        """
        job = self._job(selectors, include_summaries, force_refresh, force_download, verify, archive, to)
        return job.one(target)

    def plan_fetch(
        self,
        *,
        target: str | int,
        selectors: ExoFopSelectors | None = None,
        include_summaries: bool = True,
        force_refresh: bool = False,
        force_download: bool = False,
        verify: bool = False,
        archive: str | None = "auto",
        to: str | os.PathLike[str] | None = None,
    ) -> FetchPlan:
        """What ``fetch`` with the same keywords would do, without downloading or writing anything."""
        job = self._job(selectors, include_summaries, force_refresh, force_download, verify, archive, to)
        outcome = job.plan([target])[0]
        if isinstance(outcome, ExoFopError):
            raise outcome
        return outcome

    def plan_fetch_many(
        self,
        targets: Sequence[str | int],
        *,
        selectors: ExoFopSelectors | None = None,
        include_summaries: bool = True,
        force_refresh: bool = False,
        force_download: bool = False,
        verify: bool = False,
        archive: str | None = "auto",
        to: str | os.PathLike[str] | None = None,
    ) -> list[FetchPlan | ExoFopError]:
        """``plan_fetch`` for several targets (side by side); a target that fails is returned as its error."""
        job = self._job(selectors, include_summaries, force_refresh, force_download, verify, archive, to)
        return job.plan(targets)

    def _job(
        self,
        selectors: ExoFopSelectors | None,
        include_summaries: bool,
        force_refresh: bool,
        force_download: bool,
        verify: bool,
        archive: str | None,
        to: str | os.PathLike[str] | None,
    ) -> FetchJob:
        from .ops.batch import FetchJob, FetchRequest

        request = FetchRequest(
            selectors=selectors,
            include_summaries=include_summaries,
            force_refresh=force_refresh,
            force_download=force_download,
            verify=verify,
            archive=archive,
            # Results name it as they name the cache: absolute.
            to=None if to is None else Path(os.path.abspath(to)),
        )
        return FetchJob(
            remote=self.remote,
            cache=self.cache,
            resolver=self.resolver,
            jobs=self.jobs,
            progress=self.progress,
            notices=self.notices,
            request=request,
        )


def endpoints_description(kind: str) -> str:
    """What a catalogue is called in progress and messages ("the TOI table")."""
    from .remote.endpoints import CATALOGS

    return CATALOGS[kind].description
