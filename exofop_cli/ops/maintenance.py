"""Inspect and maintain the cache: list targets, verify hashes, plan and carry out pruning.

Destructive work is split in two: ``plan_prune`` decides (pure reading), ``execute_prune`` deletes exactly
what the plan lists, so the CLI can show the plan, honour ``--dry-run`` and ask before acting.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from ..errors import InvalidInputError, TargetNotFoundError
from ..store import activity
from ..store.atomic import has_entries, is_stale_temp, iter_temp_files, read_json
from ..store.layout import TargetLayout, target_dirs

if TYPE_CHECKING:
    from ..models import ExoFopTarget
    from ..targets import TargetQuery

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """``30d``, ``12h``, ``2w``, ``90m``, ``45s`` → seconds; ``InvalidInputError`` otherwise."""
    m = _DURATION_RE.match(text)
    if not m:
        raise InvalidInputError(
            f"invalid duration {text!r}", hint="use a number and a unit: 30d, 12h, 2w, 90m or 45s"
        )
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]


def cache_root_for(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache root for a ``--cache-dir`` value (None: ``EXOFOP_CACHE_DIR``, else the platform folder), as
    ``ExoFopClient`` works it out: the ``cache`` commands read it without building a client."""
    return config.cache_root(cache_dir)


def target_folder(cache_root: Path, target: str | None = None) -> Path:
    """The folder of a target (resolved offline, as ``tic_ids_for``), or the cache root for None; it may not
    exist yet (nothing was fetched for it)."""
    if target is None:
        return cache_root
    return TargetLayout.for_tic(cache_root, tic_ids_for(cache_root, [target])[0]).root


def _tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _last_used(layout: TargetLayout) -> float | None:
    for candidate in (layout.last_used, layout.manifest, layout.root):
        try:
            return candidate.stat().st_mtime
        except OSError:
            continue
    return None


@dataclass(frozen=True)
class CachedTarget:
    """One star's folder in the cache."""

    tic_id: int
    root: Path
    toi: tuple[str, ...]
    files: int
    bytes: int
    last_used: float | None
    generated_at: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON row for ``exofop cache ls --json``."""
        return {
            "tic_id": self.tic_id,
            "toi": self.toi[0] if self.toi else None,  # the primary (lowest), as everywhere else
            "tois": list(self.toi),
            "files": self.files,
            "bytes": self.bytes,
            "last_fetch": (
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.last_used)) if self.last_used else None
            ),
            "path": str(self.root),
        }


def scan_cache(cache_root: Path, *, with_sizes: bool = True) -> list[CachedTarget]:
    """Describe every cached target (from its manifest; sizes from the disk)."""
    out = []
    for layout in target_dirs(cache_root):
        manifest = _dict(read_json(layout.manifest))  # hand-edited manifests of any shape are survived
        generated_at = manifest.get("generated_at")
        out.append(
            CachedTarget(
                tic_id=layout.tic_id,
                root=layout.root,
                toi=_manifest_target(manifest, layout.tic_id).tois,
                files=len(_list(manifest.get("files"))),
                bytes=_tree_size(layout.root) if with_sizes else 0,
                last_used=_last_used(layout),
                generated_at=generated_at if isinstance(generated_at, str) else None,
            )
        )
    return out


# -- verify -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerifyProblem:
    """A file that does not match its manifest entry."""

    path: str
    file_id: int | None
    problem: str


@dataclass(frozen=True)
class VerifyReport:
    """Result of re-hashing one target's files against its manifest."""

    tic_id: int
    checked: int
    problems: tuple[VerifyProblem, ...]

    @property
    def ok(self) -> bool:
        """True when every file matched."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``exofop cache verify --json``."""
        return {
            "tic_id": self.tic_id,
            "checked": self.checked,
            "ok": self.ok,
            "problems": [{"path": p.path, "file_id": p.file_id, "problem": p.problem} for p in self.problems],
        }


def verify_target(layout: TargetLayout) -> VerifyReport:
    """Re-hash every file listed in the manifest; name each missing, resized or altered file.

    Also names a cached file list or summary table that no longer reads as one. A target folder that was only
    listed (`ls`, `summaries`: no manifest, no files) has nothing to check.
    """
    from ..store.records import sha256_of

    if (
        not layout.manifest.exists()
        and not has_entries(layout.files_dir)
        and not has_entries(layout.records_dir)
    ):
        # Only listed (`exofop ls`, `summaries`), never fetched: nothing was promised, nothing to check.
        return VerifyReport(tic_id=layout.tic_id, checked=0, problems=tuple(_unreadable_tables(layout)))
    manifest = read_json(layout.manifest)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
        problem = VerifyProblem(
            path=str(layout.manifest), file_id=None, problem="manifest missing or unreadable"
        )
        return VerifyReport(tic_id=layout.tic_id, checked=0, problems=(problem,))
    problems = []
    entries = [e for e in manifest.get("files") or [] if isinstance(e, dict)]
    for entry in entries:
        rel = str(entry.get("path", ""))
        path = layout.root / rel
        file_id = entry.get("file_id")
        if not rel or "\x00" in rel:
            problems.append(VerifyProblem(rel, file_id, "unusable path (empty, or a NUL byte)"))
            continue
        if not path.resolve().is_relative_to(layout.root.resolve()):
            problems.append(VerifyProblem(rel, file_id, "path outside the target folder"))
            continue
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(VerifyProblem(rel, file_id, "missing"))
            continue
        if size != entry.get("bytes"):
            problems.append(VerifyProblem(rel, file_id, f"size {size} != {entry.get('bytes')} in manifest"))
            continue
        if sha256_of(path) != entry.get("sha256"):
            problems.append(VerifyProblem(rel, file_id, "sha256 does not match the manifest"))
    for rel_key in ("filelist",):
        info = manifest.get(rel_key)
        if isinstance(info, dict) and not (layout.root / str(info.get("path", ""))).is_file():
            problems.append(VerifyProblem(str(info.get("path")), None, "missing"))  # is_file: False for NUL
    for rel in _dict(manifest.get("summaries")).values():
        if not (layout.root / str(rel)).is_file():
            problems.append(VerifyProblem(str(rel), None, "missing"))
    problems.extend(_unreadable_tables(layout))
    return VerifyReport(tic_id=layout.tic_id, checked=len(entries), problems=tuple(problems))


@dataclass(frozen=True)
class CacheVerify:
    """``verify_cache``'s answer: one report per cached target checked, one error per target asked for that has
    no folder in the cache."""

    reports: tuple[VerifyReport, ...]
    missing: tuple[TargetNotFoundError, ...] = ()

    @property
    def damaged(self) -> tuple[VerifyReport, ...]:
        """Reports that name a missing or altered file."""
        return tuple(r for r in self.reports if not r.ok)


def verify_cache(cache_root: Path, targets: Sequence[str] | None = None) -> CacheVerify:
    """Verify the named targets (resolved offline, as ``tic_ids_for``), or every cached target for None/empty."""
    wanted = tic_ids_for(cache_root, list(targets)) if targets else None
    layouts = [lay for lay in target_dirs(cache_root) if wanted is None or lay.tic_id in wanted]
    present = {lay.tic_id for lay in layouts}
    missing = sorted(set(wanted or ()) - present)
    return CacheVerify(
        reports=tuple(verify_target(layout) for layout in layouts),
        missing=tuple(
            TargetNotFoundError(
                f"TIC {tic}",
                where="in the cache",
                hint=f"`exofop cache ls` lists what is cached; `exofop fetch {tic}` adds it",
            )
            for tic in missing
        ),
    )


def _unreadable_tables(layout: TargetLayout) -> list[VerifyProblem]:
    """Cached file list and summary tables that no longer read as what they are (they carry no hash)."""
    from ..errors import ExoFopError
    from ..remote import endpoints
    from ..remote.filelist import parse_filelist
    from ..remote.summaries import check_summary_table

    checks: list[tuple[Path, Callable[[bytes], object]]] = [
        (layout.filelist, functools.partial(parse_filelist, tic_id=layout.tic_id))
    ]
    for spec in endpoints.SUMMARIES.values():
        checks.append(
            (layout.summaries_dir / spec.filename, functools.partial(check_summary_table, spec=spec))
        )
    problems = []
    for path, check in checks:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # absent: reported above when the manifest lists it
        try:
            check(data)
        except ExoFopError as exc:
            rel = path.relative_to(layout.root).as_posix()
            problems.append(
                VerifyProblem(rel, None, f"unreadable ({exc}); `exofop fetch --refresh` renews it")
            )
    return problems


def _manifest_target(manifest: dict[str, Any], tic_id: int) -> ExoFopTarget:
    """The target a manifest describes (this version's shape or 1.0's), or a bare one if it says nothing."""
    from ..models import ExoFopTarget

    return ExoFopTarget.from_dict(_dict(manifest.get("target"))) or ExoFopTarget(tic_id=tic_id)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# -- prune --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PruneItem:
    """One thing a prune would delete."""

    path: Path
    kind: str  # "target" or "temp"
    bytes: int
    reason: str
    tic_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON row."""
        return {
            "path": str(self.path),
            "kind": self.kind,
            "bytes": self.bytes,
            "reason": self.reason,
            "tic_id": self.tic_id,
        }


@dataclass(frozen=True)
class PrunePlan:
    """What a prune would delete, decided before anything is touched; ``skipped``: targets a live fetch is
    using (by its marker, see ``store.activity``), with the reason."""

    cache_root: Path
    items: tuple[PruneItem, ...] = ()
    skipped: tuple[PruneItem, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Bytes freed if the plan is carried out."""
        return sum(i.bytes for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the plan."""
        return {
            "cache_root": str(self.cache_root),
            "total_bytes": self.total_bytes,
            "items": [i.to_dict() for i in self.items],
            "skipped": [i.to_dict() for i in self.skipped],
        }


@dataclass
class PruneOutcome:
    """What ``execute_prune`` did."""

    deleted: list[Path] = field(default_factory=list)
    freed_bytes: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # a fetch began using it after the plan was made


def plan_prune(
    cache_root: Path,
    *,
    targets: Sequence[str] | None = None,
    older_than: str | None = None,
    tic_ids: list[int] | None = None,
    older_than_seconds: float | None = None,
    everything: bool = False,
    now: float | None = None,
) -> PrunePlan:
    """Choose target folders to delete (named targets, not used for ``older_than``, or all) and stale temp files.

    ``targets`` as users type them (resolved offline, as ``tic_ids_for``) and ``older_than`` as text (``30d``,
    see ``parse_duration``) are added to ``tic_ids`` and stand for ``older_than_seconds``.
    """
    if older_than is not None:
        if older_than_seconds is not None:
            raise InvalidInputError("give older_than or older_than_seconds, not both")
        older_than_seconds = parse_duration(older_than)
    if targets:
        tic_ids = [*(tic_ids or ()), *tic_ids_for(cache_root, list(targets))]
    if not everything and not tic_ids and older_than_seconds is None:
        raise InvalidInputError(
            "nothing to prune: name targets, or give --older-than or --all",
            hint="e.g. `exofop cache prune --older-than 30d --dry-run`",
        )
    when = time.time() if now is None else now
    wanted = set(tic_ids or ())
    items: list[PruneItem] = []
    skipped: list[PruneItem] = []
    pruned_roots: list[Path] = []
    for layout in target_dirs(cache_root):
        if wanted and layout.tic_id not in wanted:
            continue
        last = _last_used(layout)
        if older_than_seconds is not None and last is not None and when - last < older_than_seconds:
            continue
        if everything:
            reason = "--all"
        elif older_than_seconds is not None:
            days = (when - last) / 86400 if last is not None else float("nan")
            reason = f"last used {days:.1f} days ago"
        else:
            reason = "named target"
        users = activity.live(layout, now=when)
        if users:
            busy = f"in use by a fetch ({users[0].describe()})"
            skipped.append(PruneItem(layout.root, "target", _tree_size(layout.root), busy, layout.tic_id))
            continue
        items.append(PruneItem(layout.root, "target", _tree_size(layout.root), reason, layout.tic_id))
        pruned_roots.append(layout.root)
    folders = [cache_root, *(f for lay in target_dirs(cache_root) for f in lay.own_folders)]
    temps = (temp for folder in folders for temp in iter_temp_files(folder))
    for temp in temps:
        if any(temp.is_relative_to(root) for root in pruned_roots) or not is_stale_temp(temp, now=when):
            continue
        try:
            size = temp.stat().st_size
        except OSError:
            continue
        items.append(PruneItem(temp, "temp", size, "stale partial download"))
    return PrunePlan(cache_root=cache_root, items=tuple(items), skipped=tuple(skipped))


def execute_prune(plan: PrunePlan) -> PruneOutcome:
    """Delete exactly the plan's items (never following symlinks); failures are collected, not raised."""
    outcome = PruneOutcome()
    for item in plan.items:
        # Re-check: only ever delete strictly inside the cache root, whatever the plan says.
        path, root = item.path.resolve(), plan.cache_root.resolve()
        if path == root or not path.is_relative_to(root):
            outcome.failed.append(f"{item.path}: outside the cache, not deleted")
            continue
        if item.kind == "target" and item.tic_id is not None:
            users = activity.live(TargetLayout.for_tic(plan.cache_root, item.tic_id))
            if users:  # a fetch began since the plan was made: leave it alone (it also checks for itself)
                outcome.skipped.append(f"{item.path}: in use by a fetch ({users[0].describe()}), not deleted")
                continue
        try:
            if item.kind == "target":
                shutil.rmtree(item.path)
            else:
                item.path.unlink()
        except FileNotFoundError:
            continue  # gone already (another prune, another process): nothing freed by us
        except OSError as exc:
            outcome.failed.append(f"{item.path}: {exc.strerror or exc}")
            continue
        outcome.deleted.append(item.path)
        outcome.freed_bytes += item.bytes
    return outcome


def tic_ids_for(cache_root: Path, targets: list[str]) -> list[int]:
    """TIC ids of targets, offline: TICs directly, TOIs and names from the resolution cache only."""
    from ..store.resolutions import ResolutionCache
    from ..targets import parse_target

    resolutions = ResolutionCache(cache_root)
    out = []
    for text in targets:
        query = parse_target(text)
        if query.kind == "tic":
            assert query.tic_id is not None
            out.append(query.tic_id)
            continue
        cached = resolutions.get(query.key)
        tics = [cached.tic_id] if cached is not None else _known_as(cache_root, resolutions.targets(), query)
        if len(tics) != 1:
            listed = f" (it names TIC {', '.join(map(str, tics))})" if tics else ""
            raise InvalidInputError(
                f"{text!r} is not one target in the cache{listed}",
                hint="use its TIC id (see `exofop cache ls`)",
            )
        out.append(tics[0])
    return out


def _known_as(cache_root: Path, resolved: list[ExoFopTarget], query: TargetQuery) -> list[int]:
    """TICs of cached targets that carry the TOI or name asked for (as `cache ls` shows them), offline.

    Looks through every resolution and every manifest's target: `TOI-1262.01` then finds the star fetched
    as `TOI-1262`, and `HD 104654` the one fetched by TIC.
    """
    known = [(t.tic_id, t.tois, t.names) for t in resolved]
    for layout in target_dirs(cache_root):
        target = _manifest_target(_dict(read_json(layout.manifest)), layout.tic_id)
        known.append((layout.tic_id, target.tois, target.names))
    found: list[int] = []
    for tic, tois, aliases in known:
        if query.toi is not None:
            hit = query.toi in tois or (
                "." not in query.toi and any(t.split(".")[0] == query.toi for t in tois)
            )
        else:
            wanted = " ".join((query.name or "").split()).casefold()
            hit = any(" ".join(a.split()).casefold() == wanted for a in aliases)
        if hit and tic not in found:
            found.append(tic)
    return found
