"""Named defaults and the environment variables exofop reads (one place, so docs and code agree)."""

import os
import sys
from pathlib import Path

DEFAULT_BASE_URL = "https://exofop.ipac.caltech.edu/tess/"
# The read timeout: how long ExoFOP may stay silent (not how long a transfer may take: a slow download that
# keeps sending never times out). Full tables take 20-32 s on the real site and a peer client went from
# 30 s to 180 s (reference §7). Connecting has its own, short limit.
DEFAULT_TIMEOUT_SECONDS = 180.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0
# Longer is no timeout at all (and past ~1e9 s the socket layer overflows).
MAX_TIMEOUT_SECONDS = 24 * 3600.0
# What "progressing" means (issue 11: a slow download that progresses never times out; issue 16: a trickle
# is an error). Once a server starts answering, every window of `--timeout` seconds must bring at least this
# many bytes per second on average, until the answer is complete. Silence before the first byte is the read
# timeout's business alone (ExoFOP computes full tables for 20-32 s before answering, reference §7).
MIN_TRANSFER_RATE = 1024
# Each request also has a deadline: connect + read timeout, plus its size at MIN_TRANSFER_RATE when the size
# is known (Content-Length). Trickled header bytes therefore end after connect + read timeout.
# Bounds on what one answer may be: files (`--max-file-size`), tables held in memory, and the expansion of
# a compressed body (a 1 MB gzip bomb inflates to 1 GB). Below the floor the ratio is not checked.
DEFAULT_MAX_FILE_SIZE = 8 * 1024**3
MAX_TABLE_BYTES = 512 * 1024**2
MAX_DECOMPRESSION_RATIO = 200
DECOMPRESSION_RATIO_FLOOR_BYTES = 16 * 1024**2
# How often a waiting thread looks whether the run was interrupted (Ctrl-C ends a run within about this).
CANCEL_POLL_SECONDS = 0.2
# ExoFOP publishes no rate limit; known clients use 1-2 concurrent requests. 4 keeps bulk fetches fast over
# high-latency links while staying polite (one keep-alive pool, at most this many connections to the host).
DEFAULT_JOBS = 4
MAX_JOBS = 16
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 120.0
# How `fetch` gets files: "auto" takes a whole star from its zip when that saves round trips, "zip"/"tar"
# always use the star's archive, "off" asks for each file by id.
ARCHIVE_MODES = ("auto", "zip", "tar", "off")
DEFAULT_ARCHIVE = "auto"
DEFAULT_USER_AGENT = "exofop-cli/{version} (+https://pypi.org/project/exofop-cli/)"

ENV_CACHE_DIR = "EXOFOP_CACHE_DIR"
ENV_BASE_URL = "EXOFOP_BASE_URL"
ENV_COOKIE_JAR = "EXOFOP_COOKIE_JAR"
ENV_OFFLINE = "EXOFOP_OFFLINE"
ENV_DEBUG = "EXOFOP_DEBUG"
ENV_USERNAME = "EXOFOP_USERNAME"
ENV_PASSWORD = "EXOFOP_PASSWORD"

CACHE_NAMESPACE = "exofop"
SAVED_JAR_NAME = "cookies.txt"


def debug_enabled() -> bool:
    """True when ``EXOFOP_DEBUG`` asks for tracebacks (any value but empty, 0, false, no)."""
    return os.environ.get(ENV_DEBUG, "").strip().lower() not in ("", "0", "false", "no")


def env_flag(name: str) -> bool:
    """True when an environment switch is set to a truthy value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def cache_base(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<cache_dir>``: the argument, else ``EXOFOP_CACHE_DIR``, else the platform's user cache folder."""
    if cache_dir is not None and str(cache_dir) != "":
        return Path(cache_dir).expanduser()
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(_platform_dir("cache"))


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<cache_dir>/exofop``: the folder exofop owns (one ``tic_<tic>`` folder per star inside)."""
    return cache_base(cache_dir) / CACHE_NAMESPACE


def base_url(value: str | None = None) -> str:
    """The ExoFOP base URL: the argument, else ``EXOFOP_BASE_URL``, else the real site; always ends in '/'."""
    url = (value or os.environ.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL).strip()
    return url if url.endswith("/") else url + "/"


def config_dir() -> Path:
    """Folder for the saved login (``cookies.txt``): the platform's user config folder for exofop."""
    return Path(_platform_dir("config", "exofop"))


def default_cookie_jar_path() -> Path:
    """Where ``exofop auth login`` saves the session (platform config folder)."""
    return config_dir() / SAVED_JAR_NAME


def _platform_dir(kind: str, appname: str | None = None) -> str:
    """platformdirs' user cache/config folder; on Linux computed directly (XDG), which is what platformdirs
    does there, because importing platformdirs costs more than the whole warm ``fetch`` may (TAB, scripts)."""
    if sys.platform.startswith("linux"):
        var, default = ("XDG_CACHE_HOME", "~/.cache") if kind == "cache" else ("XDG_CONFIG_HOME", "~/.config")
        value = os.environ.get(var, "")
        # Like platformdirs and the XDG spec: a relative value is ignored.
        base = value if os.path.isabs(value) else os.path.expanduser(default)
        return os.path.join(base, appname) if appname else base
    import platformdirs

    if kind == "cache":
        return platformdirs.user_cache_dir(appname)
    return platformdirs.user_config_dir(appname)
