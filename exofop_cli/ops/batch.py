"""A fetch of one star or of many: warm replays first, then the rest overlapped over one connection pool.

For each target, in order: a warm replay (``store.warm``: a recorded no-op that still holds, ``stat`` calls
only); else its TIC from the resolution cache, else from ExoFOP (looked up in parallel); targets naming one
star (``TOI-1262`` and ``HD 104654``) are fetched once; the stars left are fetched side by side, each by a
``Fetcher``, several at once. ``jobs`` bounds the requests in flight across all of them (the HTTP session
hands out that many slots), so many stars keep the pool busy without asking ExoFOP for more at once.

Nothing here imports threads or the fetch machinery until a target needs the full path: a warm batch is as
cheap as a warm single fetch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from ..errors import CacheError, ExoFopError, InvalidInputError
from ..store import warm
from ..targets import TargetQuery, parse_target

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from ..models import ExoFopFetchResult, ExoFopSelectors
    from ..progress import ProgressListener
    from ..remote.service import ExoFopRemote
    from ..store.cache import CacheStore
    from .fetch_state import FetchOptions
    from .preview import FetchPlan
    from .resolve import Resolver

# Stars fetched at once, besides `jobs`: each waits on its file list before its files, so a few more stars
# than request slots keep every slot busy.
STARS_PER_SLOT = 2
MIN_STARS_IN_FLIGHT = 4


class FetchRequest:
    """What to fetch of each star (the options of ``ExoFopClient.fetch``).

    A plain class, not a dataclass: this module is on the warm path, where a frozen dataclass costs about
    0.7 ms of exec at every start (tests/test_import_cost.py).
    """

    __slots__ = (
        "archive",
        "force_download",
        "force_refresh",
        "include_summaries",
        "selectors",
        "to",
        "verify",
    )

    def __init__(
        self,
        *,
        selectors: ExoFopSelectors | None = None,
        include_summaries: bool = True,
        force_refresh: bool = False,
        force_download: bool = False,
        verify: bool = False,
        archive: str | None = config.DEFAULT_ARCHIVE,
        to: Path | None = None,  # also place the selected files there (``ops.place``)
    ) -> None:
        if isinstance(archive, str):
            archive = archive.lower()  # any case, as the shell completes it ("ZIP" is "zip")
        if archive is not None and archive not in config.ARCHIVE_MODES:
            # Named as the CLI option (the message `exofop fetch` prints); the keyword is the same word.
            raise InvalidInputError(
                f"--archive must be one of {', '.join(config.ARCHIVE_MODES)}, not {archive!r}",
                hint="auto (the default) takes a whole star from its zip; off asks for each file by id",
            )
        self.selectors = selectors
        self.include_summaries = include_summaries
        self.force_refresh = force_refresh
        self.force_download = force_download
        self.verify = verify
        self.archive: str | None = archive
        self.to = to

    @property
    def may_replay(self) -> bool:
        """A warm replay answers only when nothing fresh was asked for."""
        return not (self.force_refresh or self.force_download or self.verify)


class FetchJob:
    """Fetch targets with the parts the client built: remote, cache, resolver, a progress listener."""

    def __init__(
        self,
        *,
        remote: ExoFopRemote,
        cache: CacheStore,
        resolver: Resolver,
        jobs: int,
        progress: ProgressListener,
        notices: list[str],
        request: FetchRequest,
    ) -> None:
        self.remote = remote
        self.cache = cache
        self.resolver = resolver
        self.jobs = jobs
        self.progress = progress
        self.notices = notices
        self.request = request
        self.key = warm.request_key(
            base_url=remote.base_url,
            selectors=request.selectors,
            include_summaries=request.include_summaries,
            archive=request.archive,
            cookie_jar_used=remote.cookie_jar_used,
        )

    # -- one --------------------------------------------------------------------------------------------------
    def one(self, target: str | int) -> ExoFopFetchResult:
        """Fetch one target (a warm replay when one holds); its failure raises."""
        query = parse_target(target)
        self._check_destination()
        result = self._replay(query)
        if result is None:
            self.progress.stars(1)
            result = self._fetch(query, None)
        return self._place(result, self.request.to)

    # -- many -------------------------------------------------------------------------------------------------
    def many(self, targets: Sequence[str | int]) -> list[ExoFopFetchResult | ExoFopError]:
        """Fetch every target; each failure is that target's outcome (a full disk stops everything)."""
        self._check_destination()
        outcomes: dict[int, ExoFopFetchResult | ExoFopError] = {}
        queries: dict[int, TargetQuery] = {}
        for i, target in enumerate(targets):
            try:
                query = parse_target(target)
            except ExoFopError as exc:
                outcomes[i] = exc  # one bad line of a list does not stop the others
                continue
            replayed = self._replay(query)
            if replayed is not None:
                outcomes[i] = replayed
            else:
                queries[i] = query
        if queries:
            self._fetch_stars(queries, outcomes)
        ordered = _shared_by_star([outcomes[i] for i in range(len(targets))])
        return self._place_all(ordered) if self.request.to is not None else ordered

    # -- plans ------------------------------------------------------------------------------------------------
    def plan(self, targets: Sequence[str | int]) -> list[FetchPlan | ExoFopError]:
        """What fetching each target would do (``fetch --dry-run``): nothing is downloaded or written."""
        from .preview import plan_fetch

        options = self._options()

        def one(target: str | int) -> FetchPlan | ExoFopError:
            try:
                return plan_fetch(
                    target,
                    options,
                    remote=self.remote,
                    cache=self.cache,
                    resolver=self.resolver,
                    jobs=self.jobs,
                )
            except ExoFopError as exc:
                return exc  # one target's failure is its outcome, as in a fetch

        if len(targets) < 2 or self.jobs == 1:
            return [one(t) for t in targets]
        from concurrent.futures import ThreadPoolExecutor

        # Stars planned side by side: each may wait on its file list; the session bounds requests to `jobs`.
        with ThreadPoolExecutor(
            max_workers=min(len(targets), self.jobs), thread_name_prefix="exofop-plan"
        ) as pool:
            return list(pool.map(one, targets))

    # -- places -----------------------------------------------------------------------------------------------
    def _check_destination(self) -> None:
        if self.request.to is not None:
            from .place import check_folder

            check_folder(self.request.to)  # before anything is fetched

    def _place_all(
        self, outcomes: list[ExoFopFetchResult | ExoFopError]
    ) -> list[ExoFopFetchResult | ExoFopError]:
        """Place each star's files: in DIR for one star, in DIR/tic_<id>/ for each of several."""
        from ..store.layout import TargetLayout

        assert self.request.to is not None
        to = self.request.to
        stars = {o.tic_id for o in outcomes if not isinstance(o, ExoFopError)}
        placed: dict[int, ExoFopFetchResult | ExoFopError] = {}
        out: list[ExoFopFetchResult | ExoFopError] = []
        for outcome in outcomes:
            if isinstance(outcome, ExoFopError):
                out.append(outcome)
                continue
            if id(outcome) not in placed:  # targets naming one star share its outcome
                folder = to if len(stars) == 1 else TargetLayout.for_tic(to, outcome.tic_id).root
                try:
                    placed[id(outcome)] = self._place(outcome, folder)
                except CacheError:
                    raise
                except ExoFopError as exc:
                    placed[id(outcome)] = exc
            out.append(placed[id(outcome)])
        return out

    @staticmethod
    def _place(result: ExoFopFetchResult, to: Path | None) -> ExoFopFetchResult:
        if to is None:
            return result
        from .place import place_result

        return place_result(result, to)

    def _fetch_stars(
        self, queries: Mapping[int, TargetQuery], outcomes: dict[int, ExoFopFetchResult | ExoFopError]
    ) -> None:
        """Identify, merge targets naming one star, then fetch the stars side by side."""
        identified = self._identify(queries, outcomes)
        # A star another of the targets already replayed from the cache is not fetched again.
        replayed = {o.tic_id: o for o in outcomes.values() if not isinstance(o, ExoFopError)}
        stars: dict[int, list[int]] = {}  # TIC -> indexes of the targets naming it, in order
        for i, (tic, _tois) in identified.items():
            if tic in replayed:
                outcomes[i] = replayed[tic]
            else:
                stars.setdefault(tic, []).append(i)
        if not stars:
            return
        if len(stars) == 1 or self.jobs == 1:
            self.progress.stars(len(stars))
            for indexes in stars.values():
                self._fetch_into(indexes, queries, identified, outcomes)
            return
        from concurrent.futures import ThreadPoolExecutor

        self.progress.stars(len(stars))
        width = min(len(stars), max(MIN_STARS_IN_FLIGHT, STARS_PER_SLOT * self.jobs))
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="exofop-star") as pool:
            futures = [
                pool.submit(self._fetch_into, indexes, queries, identified, outcomes)
                for indexes in stars.values()
            ]
            with self._stop_all_on_failure(pool):
                for fut in futures:
                    fut.result()  # re-raises a full disk (CacheError), the only failure that stops all

    def _fetch_into(
        self,
        indexes: list[int],
        queries: Mapping[int, TargetQuery],
        identified: Mapping[int, tuple[int, tuple[str, ...]]],
        outcomes: dict[int, ExoFopFetchResult | ExoFopError],
    ) -> None:
        first = indexes[0]
        try:
            outcome: ExoFopFetchResult | ExoFopError = self._fetch(queries[first], identified[first])
        except CacheError:
            raise
        except ExoFopError as exc:
            outcome = exc
        for i in indexes:
            outcomes[i] = outcome

    def _identify(
        self, queries: Mapping[int, TargetQuery], outcomes: dict[int, ExoFopFetchResult | ExoFopError]
    ) -> dict[int, tuple[int, tuple[str, ...]]]:
        """TIC (and TOIs) of each query: cached or a TIC without a request; the others asked in parallel."""
        found: dict[int, tuple[int, tuple[str, ...]]] = {}
        online: dict[int, TargetQuery] = {}
        for i, query in queries.items():
            cached = self.resolver.cached(query)
            if cached is not None:
                found[i] = (cached.tic_id, cached.tois)
            elif query.kind == "tic" and query.tic_id is not None:
                found[i] = (query.tic_id, ())
            else:
                online[i] = query
        if len(online) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="exofop-id") as pool:
                futures = {i: pool.submit(self.resolver.identify, q) for i, q in online.items()}
                results: dict[int, Any] = {}
                with self._stop_all_on_failure(pool):
                    for i, fut in futures.items():
                        try:
                            results[i] = fut.result()
                        except ExoFopError as exc:
                            results[i] = exc
        else:
            results = {}
            for i, q in online.items():
                try:
                    results[i] = self.resolver.identify(q)
                except ExoFopError as exc:
                    results[i] = exc
        for i, value in results.items():
            if isinstance(value, ExoFopError):
                outcomes[i] = value
            else:
                found[i] = value
        return found

    @contextlib.contextmanager
    def _stop_all_on_failure(self, pool: ThreadPoolExecutor) -> Iterator[None]:
        """Ctrl-C or a full disk while waiting on ``pool``: stop every request of every thread at once (they
        raise ``Cancelled`` within a fraction of a second), wait for the threads, then accept requests again."""
        try:
            yield
        except BaseException:
            self.remote.cancel()
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            finally:
                self.remote.resume()
            raise

    # -- the parts --------------------------------------------------------------------------------------------
    def _options(self) -> FetchOptions:
        from .fetch_state import FetchOptions

        request = self.request
        return FetchOptions(
            selectors=request.selectors,
            include_summaries=request.include_summaries,
            refresh=request.force_refresh,
            force=request.force_download,
            verify=request.verify,
            archive=request.archive,
        )

    def _replay(self, query: TargetQuery) -> ExoFopFetchResult | None:
        if not self.request.may_replay:
            return None
        return warm.replay(self.cache.resolutions, self.cache.root, query.key, self.key, self.notices)

    def _fetch(self, query: TargetQuery, identified: tuple[int, tuple[str, ...]] | None) -> ExoFopFetchResult:
        from .fetcher import Fetcher

        options = self._options()
        with Fetcher(
            remote=self.remote,
            cache=self.cache,
            resolver=self.resolver,
            jobs=self.jobs,
            progress=self.progress,
            notices=self.notices,
        ) as fetcher:
            return fetcher.run(query, options, warm_key=self.key, identified=identified)


def _shared_by_star(outcomes: list[ExoFopFetchResult | ExoFopError]) -> list[ExoFopFetchResult | ExoFopError]:
    """Targets naming one star share one outcome (two warm replays of it give two equal results: keep one)."""
    first: dict[int, ExoFopFetchResult] = {}
    out: list[ExoFopFetchResult | ExoFopError] = []
    for outcome in outcomes:
        if isinstance(outcome, ExoFopError):
            out.append(outcome)
        else:
            out.append(first.setdefault(outcome.tic_id, outcome))
    return out
