"""Cached files and their summary rows, as the TRICERATOPS converters (``contrast``, ``lightcurves``) read them.

A manifest lists files relative to its folder; only files present on disk are returned, and a path that
would leave the folder is ignored. Summary rows join files by Tag; when one Tag has several rows (Gemini
records 562 and 832 nm together) only the values they all agree on are kept.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ExoFopError, InvalidInputError
from ..remote.sniff import looks_like_html
from ..remote.tables import normalize_name, parse_table, to_int
from ..store.atomic import dumps_json, write_export
from ..store.manifest import read_manifest

SNIFF_BYTES = 4096

_BINARY_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SIMPLE  =", "a FITS file"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\xd0\xcf\x11\xe0", "an Excel/OLE document"),
)


def binary_kind(head: bytes) -> str | None:
    """What a non-text file is ("a PDF document", ...), or None when the first bytes look like text."""
    for magic, kind in _BINARY_MAGIC:
        if head.startswith(magic):
            return kind
    if b"\x00" in head[:SNIFF_BYTES]:
        return "a binary file"
    if looks_like_html(head):
        return "an HTML page"
    return None


def read_text_file(path: Path, *, what: str) -> str:
    """Read a small text data file; ``InvalidInputError`` if unreadable or binary (PDF, PNG, FITS...)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    kind = binary_kind(data[:SNIFF_BYTES])
    if kind is not None:
        raise InvalidInputError(f"{path.name} is {kind}, not {what}")
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def row_value(row: Mapping[str, str | None] | None, *names: str) -> str | None:
    """A summary-row value by loosely matched column name; None when absent or empty."""
    if not row:
        return None
    index = {normalize_name(k): v for k, v in row.items()}
    for name in names:
        value = index.get(normalize_name(name))
        if value is not None and value.strip():
            return value.strip()
    return None


@dataclass(frozen=True)
class ManifestFile:
    """One ``files[]`` entry of a manifest whose file is present on disk."""

    file_id: int | None
    path: Path
    filename: str
    type: str | None
    tag: int | None
    sha256: str | None = None  # as recorded in the manifest (provenance of an export)

    def provenance(self) -> dict[str, Any]:
        """Where an export came from, as its sidecar JSON records it (``source``)."""
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "type": self.type,
            "tag": self.tag,
            "sha256": self.sha256,
            "cached_path": str(self.path),
        }


def load_manifest_files(
    manifest_path: str | os.PathLike[str],
) -> tuple[Path, dict[str, Any], list[ManifestFile]]:
    """``(folder, manifest, present files sorted by file_id)``; ``InvalidInputError`` if no manifest."""
    path = Path(os.path.abspath(manifest_path))
    if not path.is_file():
        raise InvalidInputError(f"no manifest at {path}")
    try:
        manifest = read_manifest(path)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    root = path.parent
    files = []
    for entry in manifest.get("files") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        rel = PurePosixPath(entry["path"])
        # Manifest paths are relative to its folder; never follow one out of it.
        if rel.is_absolute() or ".." in rel.parts:
            continue
        full = root.joinpath(*rel.parts)
        if not full.is_file():
            continue
        file_id = entry.get("file_id")
        files.append(
            ManifestFile(
                file_id=file_id if isinstance(file_id, int) else to_int(_str_or_none(file_id)),
                path=full,
                filename=str(entry.get("filename") or full.name),
                type=_str_or_none(entry.get("type")),
                tag=to_int(_str_or_none(entry.get("tag"))),
                sha256=entry["sha256"] if isinstance(entry.get("sha256"), str) else None,
            )
        )
    files.sort(key=lambda f: (f.file_id is None, f.file_id or 0, str(f.path)))
    return root, manifest, files


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def summary_rows_by_tag(
    root: Path, manifest: Mapping[str, Any], kind: str
) -> tuple[dict[int, list[dict[str, str | None]]], str | None]:
    """Rows of the manifest's ``summaries[kind]`` table grouped by Tag, and a warning if it is unusable."""
    summaries = manifest.get("summaries")
    rel = summaries.get(kind) if isinstance(summaries, dict) else None
    if not isinstance(rel, str):
        return {}, None
    try:
        table = parse_table((root / rel).read_bytes(), what=f"{kind} summary")
    except (OSError, ExoFopError) as exc:
        return {}, f"{kind} summary {rel} unusable ({exc}); metadata from the files only"
    tag_column = table.column("Tag", "TAG ID")
    grouped: dict[int, list[dict[str, str | None]]] = {}
    if tag_column is None:
        return grouped, None
    for row in table.rows:
        tag = to_int(row.get(tag_column))
        if tag is not None:
            grouped.setdefault(tag, []).append(row)
    return grouped, None


def row_for_tag(
    rows_by_tag: Mapping[int, Sequence[Mapping[str, str | None]]], tag: int | None
) -> dict[str, str | None] | None:
    """The summary row for a Tag; with several rows, only the values they all agree on (others None).

    A Tag often covers several observations (Gemini records 562 and 832 nm together): picking one row
    would give a file the other's filter, so disagreeing cells are left empty instead.
    """
    rows = rows_by_tag.get(tag) if tag is not None else None
    if not rows:
        return None
    merged = dict(rows[0])
    for row in rows[1:]:
        for key, value in merged.items():
            if row.get(key) != value:
                merged[key] = None
    return merged


def read_head(path: Path) -> tuple[bytes, bool]:
    """The first ``SNIFF_BYTES`` of a file and whether the file is longer."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES + 1)
    return head[:SNIFF_BYTES], len(head) > SNIFF_BYTES


def write_sidecar(export: Path, data: Mapping[str, Any]) -> Path:
    """Write an export's provenance next to it as ``<name>.json`` (deterministic JSON, atomically)."""
    from .._version import __version__

    sidecar = export.with_suffix(".json")
    write_export(sidecar, dumps_json({"exofop_version": __version__, **data}))
    return sidecar
