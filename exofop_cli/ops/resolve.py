"""Resolve what users type (TIC, TOI, name) to a star: from the resolution cache, online only on a miss."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidResponseError, OfflineError, RequestError, TargetNotFoundError
from ..models import ExoFopTarget, target_from_parts
from ..targets import TargetQuery, parse_target

if TYPE_CHECKING:
    from ..remote.service import ExoFopRemote
    from ..store.cache import TargetStore
    from ..store.resolutions import ResolutionCache


class Resolver:
    """TIC ids, TOIs and aliases of targets; every answer is remembered in ``resolutions.json``."""

    def __init__(
        self,
        *,
        resolutions: ResolutionCache,
        remote: ExoFopRemote,
        offline: bool = False,
        notices: list[str] | None = None,
    ) -> None:
        self.resolutions = resolutions
        self.remote = remote
        self.offline = offline
        # Things worth telling the user that are not errors (an unreadable overview): shown, never cached.
        self.notices = notices if notices is not None else []

    def cached(self, query: TargetQuery) -> ExoFopTarget | None:
        """The remembered resolution of a query, or None."""
        return self.resolutions.get(query.key)

    def identify(self, query: TargetQuery) -> tuple[int, tuple[str, ...]]:
        """TIC id (and TOIs learnt on the way) for a parsed target; online only for TOIs and names."""
        if query.kind == "tic":
            assert query.tic_id is not None
            return query.tic_id, ()
        cached = self.cached(query)
        if cached is not None:
            return cached.tic_id, cached.tois
        if self.offline:
            raise OfflineError(f"offline mode: {query.text!r} has never been resolved in this cache")
        return self.remote.identify(query)

    def remember(self, query: TargetQuery, target: ExoFopTarget) -> None:
        """Keep a resolution under the query and under its TIC."""
        self.resolutions.put({query.key, f"tic:{target.tic_id}"}, target)

    def resolve(self, target: str | int) -> ExoFopTarget:
        """Resolve a TIC, TOI or name to an ``ExoFopTarget`` (cached on disk; online only on a miss).

        An overview ExoFOP sent but that cannot be read (a page, not JSON) is ``InvalidResponseError``: the
        star's TOIs and names are what was asked for, and an answer we cannot trust is never remembered.
        """
        query = parse_target(target)
        cached = self.cached(query)
        if cached is not None:
            return cached
        return self._resolve_online(query, strict=True)

    def tic_for(self, target: str | int) -> tuple[int, ExoFopTarget | None]:
        """TIC id of a target without the overview request a TIC does not need (the full target if cached)."""
        query = parse_target(target)
        cached = self.cached(query)
        if cached is not None:
            return cached.tic_id, cached
        if query.kind == "tic":
            assert query.tic_id is not None
            return query.tic_id, None
        resolved = self._resolve_online(query, strict=False)
        return resolved.tic_id, resolved

    def _resolve_online(self, query: TargetQuery, *, strict: bool) -> ExoFopTarget:
        """Identify, then read the overview; remembered only when both answers could be read.

        ``strict``: an unreadable overview raises; else the star is what identification gave (its TIC and
        the TOIs on the way), said in a notice and not remembered, so the next run asks again.
        """
        tic, tois = self.identify(query)
        try:
            overview = self.remote.overview(tic)
        except InvalidResponseError as exc:
            if strict:
                raise
            self.notices.append(f"could not read the ExoFOP overview of TIC {tic}: {exc.message}")
            return target_from_parts(tic, tois, (), query)
        resolved = target_from_parts(tic, (*tois, *overview.tois), overview.aliases, query)
        self.remember(query, resolved)
        return resolved

    def check_known(self, store: TargetStore) -> None:
        """Raise ``TargetNotFoundError`` for a TIC that ExoFOP does not know (asked only when all came empty).

        A TIC given as a number is never looked up, and an unknown one gets empty tables rather than an error:
        without this, `exofop ls 123` would report "0 files" and exit 0. A fetched or resolved star is known;
        when the overview cannot be had (offline, network), emptiness stands.
        """
        tic = store.tic_id
        known = store.layout.manifest.exists() or self.resolutions.get(f"tic:{tic}") is not None
        if known or store.has_cached_rows():  # a star with uploads is known, whatever its overview says
            return
        try:
            overview = self.remote.overview(tic)
        except TargetNotFoundError:
            store.forget_if_unknown()
            raise
        except (RequestError, OfflineError):
            return
        # Known: remember it, so that the next `ls` of this star with no uploads stays offline.
        self.resolutions.put([f"tic:{tic}"], target_from_parts(tic, overview.tois, overview.aliases))
