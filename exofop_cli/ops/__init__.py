"""Layer 3, *operations*: what exofop does, built from the remote (layer 1) and the store (layer 2).

Pure decisions (``plan``), target resolution (``resolve``), read-only views of a star (``browse``), the fetch
itself (``fetcher``, ``archive``), cache maintenance (``maintenance``), logins (``auth``) and the TRICERATOPS
conversions (the packages ``contrast`` and ``lightcurves``, one module per step, over ``cached_files``).
Operations receive the remote and the store they need as arguments; none imports the client (layer 4) or the
CLI (layer 5).
"""
