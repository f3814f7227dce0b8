"""The state of one fetch: what it was asked (``FetchOptions``) and what its steps found (``Run``).

Shared by the fetcher's steps (``fetcher``) and its downloads (``fetch_files``), and by ``fetch --dry-run``
(``preview``), which decides with the same options and the same remembered refusals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import ExoFopFileRow, ExoFopSelectors, ExoFopTarget, FetchIssue
from ..remote import endpoints
from ..store import activity, refusals, warm
from .plan import OBSERVATION_KINDS

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..remote.answers import Overview
    from ..store.cache import TargetStore
    from ..store.layout import TargetLayout
    from ..targets import TargetQuery


@dataclass(frozen=True)
class FetchOptions:
    """What one fetch is asked to do (see ``ExoFopClient.fetch``)."""

    selectors: ExoFopSelectors | None = None
    include_summaries: bool = True
    refresh: bool = False
    force: bool = False
    verify: bool = False
    archive: str | None = "auto"  # "auto", "zip", "tar", or "off"/None: one file at a time

    @property
    def may_replay(self) -> bool:
        """True unless the user asked for fresh data or a fresh check (then the full path always runs)."""
        return not (self.refresh or self.force or self.verify)

    def summary_kinds(self) -> list[str]:
        """Summary tables this fetch needs: all when asked for, plus those an instrument selection joins."""
        kinds: list[str] = list(endpoints.SUMMARY_KINDS) if self.include_summaries else []
        if self.selectors is not None and self.selectors.needs_summaries:
            kinds += [k for k in OBSERVATION_KINDS if k not in kinds]
        return kinds


@dataclass
class Run:
    """The state of one run as its steps fill it in."""

    query: TargetQuery
    options: FetchOptions
    store: TargetStore
    cached_target: ExoFopTarget | None
    id_tois: tuple[str, ...]
    notes: list[str]
    n_notices: int
    errors: list[FetchIssue] = field(default_factory=list)
    manifest_before: Any = None
    warm_inputs: warm.Snapshot | None = None
    read_at: int | None = None
    overview: Future[Overview] | None = None
    filelist: Future[tuple[list[ExoFopFileRow], list[str]]] | None = None
    summaries: dict[str, Future[bytes]] = field(default_factory=dict)
    archive: Future[Path] | None = None  # the star's zip, asked for alongside its file list
    archive_used: bool = False
    requested: int = 0  # files asked of the server (one by one or from the archive)
    skipped: list[str] = field(default_factory=list)  # ExoFOP names of selected files already cached
    downloaded: list[Path] = field(default_factory=list)
    nbytes: int = 0
    marker: activity.Marker | None = None  # tells `cache prune` this star is in use

    @property
    def layout(self) -> TargetLayout:
        """The star's folder."""
        return self.store.layout

    @property
    def label(self) -> str:
        """``TIC <id>``: how progress and messages name the star."""
        return f"TIC {self.store.tic_id}"

    @property
    def went_online(self) -> bool:
        """True when anything was asked of the server (then the run is not a replayable no-op)."""
        return (
            self.requested > 0
            or self.overview is not None
            or self.filelist is not None
            or bool(self.summaries)
            or self.archive is not None
        )


def known_refusals(
    layout: TargetLayout, manifest: Any, options: FetchOptions, session: str | None
) -> dict[int, FetchIssue]:
    """Files refused for lack of a login before, which this run does not ask for again.

    So a warm run stays offline and the manifest unchanged, unless the user now has a new session (``session``:
    the fingerprint of the cookies sent, None when anonymous) or asks with --refresh or --force. Remembered in
    .state/refused/ (older caches: in the manifest's errors), so that a fetch of other files in between does
    not make us forget them.
    """
    if options.refresh or options.force:
        return {}
    return refusals.remembered_refusals(layout, manifest, session=session)
