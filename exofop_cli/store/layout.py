"""Where everything lives in the cache (pure path arithmetic, no I/O).

<cache_dir>/exofop/
    resolutions.json                 target text -> TIC/TOIs/aliases, so warm runs never resolve online
    tic_<tic>/
        manifest.json                the machine-readable view of this folder (schema_version 1)
        filelist.csv                 raw download_filelist.php answer
        summaries/<kind>.<csv|pipe>  raw summary tables
        files/<file_id>_<name>       downloaded files
        archives/                    whole-star zip/tar downloads
        .state/records/<id>.json     one record per downloaded file (sha256, size, mtime): the truth the
                                     manifest is rebuilt from, so concurrent runs never lose entries
        .state/last_used             touched by every fetch (for ``cache prune --older-than``)
        .state/refused/<id>.json     a file refused for lack of a login (not asked for again anonymously)
        .state/warm.json             what the last fetch that found everything cached depended on, so the
                                     next one can be replayed from stat() calls alone (see ``warm``)
"""

import os
import re
from pathlib import Path
from typing import NamedTuple

MANIFEST_NAME = "manifest.json"
FILELIST_NAME = "filelist.csv"
RESOLUTIONS_NAME = "resolutions.json"
# Patterns are strings, compiled by ``re``'s cache on first use: a warm fetch or a TAB that never needs them
# does not pay for compiling them at import.
# Exactly the names for_tic makes: no leading zero, so "tic_0111" beside "tic_111" is not a second TIC 111
# (a folder exofop never made, which it neither lists nor prunes).
TARGET_DIR_PATTERN = r"^tic_([1-9]\d{0,15})$"
_MAX_NAME_BYTES = 160
# Unicode letters and digits stay (a person must recognise the name); separators, control and shell
# characters do not.
_UNSAFE = r"[^\w.+\-=,@()\[\]]+"


def safe_filename(name: str) -> str:
    """A file-system-safe, recognisable version of a server-given name (no folders, no leading dots)."""
    # Keep only the last path component whatever the separator: "../../x", "/etc/passwd", "C:\\a\\b".
    base = re.split(r"[\\/]", name)[-1]
    import unicodedata  # only when a name is made, not on every start

    base = unicodedata.normalize("NFKC", base)
    base = re.sub(_UNSAFE, "_", base).strip("._ ")
    if not base:
        return "file"
    if len(base.encode()) > _MAX_NAME_BYTES:
        stem, dot, ext = base.rpartition(".")
        if not dot or len(ext) > 16:
            stem, ext = base, ""
        keep = _MAX_NAME_BYTES - len(ext) - 1
        base = stem.encode()[:keep].decode(errors="ignore") + ("." + ext if ext else "")
    return base


def file_relpath(file_id: int, filename: str) -> str:
    """``files/<file_id>_<safe name>``: a pure function of id and name, unique per id, stable forever."""
    return f"files/{int(file_id)}_{safe_filename(filename)}"


def target_dirs(cache_root: Path) -> "list[TargetLayout]":
    """Layouts of every ``tic_<id>`` folder in the cache (no symlinks), sorted by TIC id."""
    try:
        names = os.listdir(cache_root)
    except OSError:
        return []
    layouts = []
    for name in names:
        m = re.match(TARGET_DIR_PATTERN, name)
        if m and (cache_root / name).is_dir() and not (cache_root / name).is_symlink():
            layouts.append(TargetLayout.for_tic(cache_root, int(m.group(1))))
    return sorted(layouts, key=lambda lay: lay.tic_id)


class TargetLayout(NamedTuple):
    """Paths of one star's cache folder."""

    root: Path
    tic_id: int

    @classmethod
    def for_tic(cls, cache_root: Path, tic_id: int) -> "TargetLayout":
        """Layout of ``<cache_root>/tic_<tic_id>``."""
        return cls(root=cache_root / f"tic_{int(tic_id)}", tic_id=int(tic_id))

    @property
    def manifest(self) -> Path:
        """``manifest.json``."""
        return self.root / MANIFEST_NAME

    @property
    def filelist(self) -> Path:
        """Raw file index."""
        return self.root / FILELIST_NAME

    @property
    def summaries_dir(self) -> Path:
        """Folder of raw summary tables."""
        return self.root / "summaries"

    @property
    def files_dir(self) -> Path:
        """Folder of downloaded files."""
        return self.root / "files"

    @property
    def archives_dir(self) -> Path:
        """Folder of whole-star archives."""
        return self.root / "archives"

    @property
    def records_dir(self) -> Path:
        """Per-file download records."""
        return self.root / ".state" / "records"

    @property
    def last_used(self) -> Path:
        """Marker touched by each fetch."""
        return self.root / ".state" / "last_used"

    @property
    def warm_stamp(self) -> Path:
        """The record of the last no-op fetch (see ``warm``)."""
        return self.root / ".state" / "warm.json"

    @property
    def refused_dir(self) -> Path:
        """``.state/refused/<file_id>.json``: files ExoFOP refused without a login, one file each."""
        return self.root / ".state" / "refused"

    def refused_path(self, file_id: int) -> Path:
        """The refusal note of one file."""
        return self.refused_dir / f"{int(file_id)}.json"

    @property
    def own_folders(self) -> tuple[Path, ...]:
        """The folders exofop makes in a star's folder (where its temp files may be left behind)."""
        state = self.root / ".state"
        return (
            self.root,
            self.files_dir,
            self.summaries_dir,
            self.archives_dir,
            state,
            self.records_dir,
            self.refused_dir,
            state / "active",
        )

    def file_path(self, file_id: int, filename: str) -> Path:
        """Absolute path of a downloaded file."""
        return self.root / file_relpath(file_id, filename)

    def record_path(self, file_id: int) -> Path:
        """Absolute path of a file's download record."""
        return self.records_dir / f"{int(file_id)}.json"
