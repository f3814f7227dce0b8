"""Tab-completion values: read only the local cache, never the network, and stay fast."""

from pathlib import Path
from typing import Any

import typer

# Library modules are imported inside the callbacks: this module is loaded with every command, and only
# a TAB press needs them.
_MAX_TARGETS_SCANNED = 300
# ops.plan.OBSERVATION_KINDS, not imported from there: that would load the models on every TAB.
_OBSERVATION_KINDS = ("imaging", "spect", "tseries")


def _root(ctx: typer.Context | None) -> Path:
    from ..config import cache_root

    cache_dir: Any = None
    if ctx is not None:
        cache_dir = ctx.find_root().params.get("cache_dir")
    return cache_root(cache_dir)


def _target_folders(root: Path) -> list[tuple[int, Path]]:
    from ..store.layout import target_dirs

    return [(layout.tic_id, layout.root) for layout in target_dirs(root)[:_MAX_TARGETS_SCANNED]]


def complete_target(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Cached targets: TIC ids (with their TOIs as help) and the TOIs resolved before."""
    from ..store.atomic import read_json

    root = _root(ctx)
    items: dict[str, str] = {}
    for tic, folder in _target_folders(root):
        manifest = read_json(folder / "manifest.json")
        # Every level checked: TAB must never fail on a hand-edited manifest.
        target = manifest.get("target") if isinstance(manifest, dict) else None
        # Read raw (no model import on TAB): "tois" now, "toi" as a list in caches written by exofop 1.0.
        tois = (target.get("tois") or target.get("toi")) if isinstance(target, dict) else None
        tois = [str(t) for t in tois] if isinstance(tois, list) else []
        items[str(tic)] = "TIC " + str(tic) + (" · " + ", ".join(f"TOI-{t}" for t in tois) if tois else "")
    resolutions = read_json(root / "resolutions.json")
    if isinstance(resolutions, dict):
        for key, value in resolutions.items():
            if key.startswith("toi:") and isinstance(value, dict):
                items.setdefault(f"TOI-{key[4:]}", f"TIC {value.get('tic_id')}")
    low = incomplete.lower()
    return [(value, help_) for value, help_ in sorted(items.items()) if value.lower().startswith(low)]


def _cached_types(root: Path) -> set[str]:
    import csv

    from ..store.layout import FILELIST_NAME

    types: set[str] = set()
    for _tic, folder in _target_folders(root):
        try:
            with open(folder / FILELIST_NAME, encoding="utf-8", errors="replace", newline="") as fh:
                reader = csv.DictReader(line for line in fh if line.strip())
                for row in reader:
                    value = (row.get("Type") or "").strip()
                    if value:
                        types.add(value)
        except (OSError, csv.Error):
            continue
    return types


def complete_types(ctx: typer.Context, incomplete: str) -> list[str]:
    """Known ExoFOP file types plus those seen in the cache; completes the last of ``A,B,...``."""
    from ..targets import KNOWN_FILE_TYPES

    head, sep, last = incomplete.rpartition(",")
    prefix = head + sep  # "Image," when completing "Image,Spe"
    values = sorted(set(KNOWN_FILE_TYPES) | _cached_types(_root(ctx)))
    already = {v.strip().lower() for v in prefix.split(",") if v.strip()}
    return [prefix + v for v in values if v.lower().startswith(last.lower()) and v.lower() not in already]


def complete_kind(incomplete: str) -> list[str]:
    """Summary table kinds; completes the last of ``spect,imag`` (case-insensitive)."""
    from ..remote.endpoints import SUMMARY_KINDS

    head, sep, last = incomplete.rpartition(",")
    prefix = head + sep
    already = {v.strip().lower() for v in head.split(",") if v.strip()}
    low = last.lower()
    return [prefix + k for k in SUMMARY_KINDS if k.startswith(low) and k not in already]


def complete_archive(incomplete: str) -> list[str]:
    """``--archive`` modes (auto, zip, tar, off)."""
    from ..config import ARCHIVE_MODES

    return [m for m in ARCHIVE_MODES if m.startswith(incomplete.lower())]


def _observed(root: Path, columns: tuple[str, ...]) -> list[str]:
    """Values of ``columns`` in the cached observation tables (imaging, spect, tseries) of every star."""
    from ..remote.endpoints import SUMMARIES
    from ..remote.tables import stream_table

    seen: set[str] = set()
    for _tic, folder in _target_folders(root):
        for kind in _OBSERVATION_KINDS:
            path = folder / "summaries" / SUMMARIES[kind].filename
            if not path.is_file():
                continue
            try:
                stream = stream_table(path, trusted=True)
                wanted = [stream.columns.index(c) for c in map(stream.column, columns) if c]
                for cells in stream.cells() if wanted else ():
                    seen.update(v for i in wanted if (v := cells[i]))
            except Exception:
                continue
    return sorted(seen, key=str.casefold)


def complete_instrument(ctx: typer.Context, incomplete: str) -> list[str]:
    """Instruments in the cached observation tables (TRES, Alopeke...); matched ignoring case."""
    low = incomplete.casefold()
    return [v for v in _observed(_root(ctx), ("Instrument", "Camera")) if v.casefold().startswith(low)]


def complete_telescope(ctx: typer.Context, incomplete: str) -> list[str]:
    """Telescopes in the cached observation tables; matched ignoring case."""
    low = incomplete.casefold()
    return [v for v in _observed(_root(ctx), ("Telescope",)) if v.casefold().startswith(low)]


def complete_contrast_filter(incomplete: str) -> list[str]:
    """``contrast --filter``: TRICERATOPS filts, then band names with a filt; after ``FILE_ID=`` too."""
    from ..ops.contrast.bands import BAND_NAMES, TRICERATOPS_FILTERS

    head, sep, last = incomplete.rpartition("=")
    names = dict.fromkeys([*TRICERATOPS_FILTERS, *(s[0] for s, filt, _nm, _r in BAND_NAMES if filt)])
    low = last.casefold()
    return [head + sep + n for n in names if n.casefold().startswith(low)]


def complete_lightcurve_filter(incomplete: str) -> list[str]:
    """``lightcurves --filter``: the TRICERATOPS+ filters g, r, i, z, J, H, K."""
    from ..ops.lightcurves.filters import TRICERATOPS_PLUS_FILTERS

    low = incomplete.casefold()
    return [f for f in TRICERATOPS_PLUS_FILTERS if f.casefold().startswith(low)]
