"""Layer 1, *remote*: everything that talks to ExoFOP and reads its answers.

The HTTP session (``http``), the endpoints and their parameters (``endpoints``), response sniffing
(``sniff``), cookie jars and the login exchange (``cookies``, ``login``), the parsers of the server's
answers (``tables``, ``filelist``, ``answers``, ``summaries``) and ``service.ExoFopRemote``, the one object the
layers above use to ask ExoFOP for something. Nothing here knows about the cache: downloads are streamed
into a sink the caller provides.

Imports only the foundation modules (``errors``, ``config``, ``models``, ``targets``). Importing this package
imports nothing: httpx and the parsers load when first used.
"""
