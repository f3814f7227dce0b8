"""Layer 2, *store*: the cache on disk.

Where everything lives (``layout``), atomic crash-safe writes (``atomic``), per-file download records
(``records``), the manifest built from them (``manifest``), the resolution cache (``resolutions``), warm-run
stamps (``warm``), refusal notes (``refusals``) and ``cache.TargetStore``, one star's cached file list and
summary tables. Nothing here opens a socket.

Imports the foundation and, for parsing what it reads back, the parsers of layer 1 (``remote``).
"""
