"""Sizes as people read them: one convention (binary units, like ``ls -lh`` and ``du -h``) everywhere."""


def human_bytes(n: int | float) -> str:
    """1536 → ``1.5 KiB``: binary units everywhere (like ``ls -lh`` and ``du -h``), one convention."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover
