"""exofop: fetch ExoFOP-TESS follow-up files and tables into a deterministic local cache with a manifest.

This module and ``client`` are the facade (layer 4): the public names below. The layers under it are
``remote`` (talks to ExoFOP), ``store`` (the cache on disk) and ``ops`` (what exofop does); ``cli`` sits on
top. See the README's Architecture section.

Importing the package is cheap: names are loaded on first use, so the CLI (and tab completion) does not pay
for httpx or the fetch machinery unless a command needs them.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .client import ExoFopClient, default_cookie_jar_path
    from .errors import (
        AuthRequiredError,
        CacheError,
        CookieJarError,
        ExoFopError,
        InvalidInputError,
        InvalidResponseError,
        NetworkError,
        NotFoundError,
        OfflineError,
        RateLimitedError,
        RequestError,
        ServerError,
        SessionExpiredError,
        TargetNotFoundError,
    )
    from .models import ExoFopFetchResult, ExoFopFileRow, ExoFopSelectors, ExoFopTarget, FetchIssue
    from .ops.contrast import (
        ContrastCurve,
        best_contrast_curve,
        collect_contrast_curves,
        explain_band,
        find_contrast_curves,
        load_exofop_contrast_curve_dat,
        rank_contrast_curves,
    )
    from .ops.lightcurves import (
        ExternalLightCurve,
        collect_lightcurves,
        find_lightcurves,
        load_sg1_lightcurve,
    )
    from .rows import ExoFopObsNoteRow, ExoFopToiRow
    from .store.manifest import read_manifest
    from .targets import parse_target

_EXPORTS = {
    "ExoFopClient": "client",
    "default_cookie_jar_path": "client",
    "ExoFopTarget": "models",
    "ExoFopFileRow": "models",
    "ExoFopSelectors": "models",
    "ExoFopFetchResult": "models",
    "FetchIssue": "models",
    "ExoFopObsNoteRow": "rows",
    "ExoFopToiRow": "rows",
    "read_manifest": "store.manifest",
    "parse_target": "targets",
    "ContrastCurve": "ops.contrast",
    "best_contrast_curve": "ops.contrast",
    "collect_contrast_curves": "ops.contrast",
    "explain_band": "ops.contrast",
    "find_contrast_curves": "ops.contrast",
    "load_exofop_contrast_curve_dat": "ops.contrast",
    "rank_contrast_curves": "ops.contrast",
    "ExternalLightCurve": "ops.lightcurves",
    "collect_lightcurves": "ops.lightcurves",
    "find_lightcurves": "ops.lightcurves",
    "load_sg1_lightcurve": "ops.lightcurves",
    "ExoFopError": "errors",
    "InvalidInputError": "errors",
    "CookieJarError": "errors",
    "TargetNotFoundError": "errors",
    "CacheError": "errors",
    "OfflineError": "errors",
    "RequestError": "errors",
    "NotFoundError": "errors",
    "AuthRequiredError": "errors",
    "SessionExpiredError": "errors",
    "NetworkError": "errors",
    "ServerError": "errors",
    "RateLimitedError": "errors",
    "InvalidResponseError": "errors",
}

__all__ = [
    "AuthRequiredError",
    "CacheError",
    "ContrastCurve",
    "CookieJarError",
    "ExoFopClient",
    "ExoFopError",
    "ExoFopFetchResult",
    "ExoFopFileRow",
    "ExoFopObsNoteRow",
    "ExoFopSelectors",
    "ExoFopTarget",
    "ExoFopToiRow",
    "ExternalLightCurve",
    "FetchIssue",
    "InvalidInputError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "OfflineError",
    "RateLimitedError",
    "RequestError",
    "ServerError",
    "SessionExpiredError",
    "TargetNotFoundError",
    "__version__",
    "best_contrast_curve",
    "collect_contrast_curves",
    "collect_lightcurves",
    "default_cookie_jar_path",
    "explain_band",
    "find_contrast_curves",
    "find_lightcurves",
    "load_exofop_contrast_curve_dat",
    "load_sg1_lightcurve",
    "parse_target",
    "rank_contrast_curves",
    "read_manifest",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'exofop_cli' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
