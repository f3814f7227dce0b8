"""Read-only Netscape cookie jars (curl ``-c``, wget ``--save-cookies``) and per-host Cookie headers.

ExoFOP's documented login recipe saves a jar with curl or wget (reference §3). curl writes HttpOnly cookies
as ``#HttpOnly_<domain>`` lines that look like comments; they are read here as cookies. exofop never writes a
user's jar; cookie values are never put in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import CookieJarError

HTTPONLY_PREFIX = "#HttpOnly_"
SESSION_COOKIE = "PHPSESSID"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_TRUE = "TRUE"
# A real jar holds a handful of lines; anything this big is the wrong file (and is not read into memory).
MAX_JAR_BYTES = 1024 * 1024
# What a Cookie header can carry: printable ASCII, without the ';' that would split the pair (names also
# without spaces and '='). Anything else would make httpx fail with an encoding error mid-run.
_VALUE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {";"}
_NAME_CHARS = _VALUE_CHARS - {" ", "="}
# Expiry times a jar may hold: 0 (a browser-session cookie) up to this (year 3000). Hand-edited values past
# either end (inf, 1e400, -1e300) are an error or clamped, never an overflow later.
MAX_EXPIRY = 32503680000


def sendable(name: str, value: str) -> bool:
    """True when ``name=value`` can be sent back in a ``Cookie`` header (printable ASCII, no ';')."""
    return bool(name) and set(name) <= _NAME_CHARS and set(value) <= _VALUE_CHARS


def is_ip_address(host: str) -> bool:
    """True for an IPv4 or IPv6 address (``[::1]`` too): RFC 6265 lets such a host match only exactly."""
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Cookie:
    """One cookie; ``value`` is excluded from ``repr`` so it cannot leak into logs."""

    domain: str
    include_subdomains: bool
    path: str
    secure: bool
    expires: int | None
    name: str
    value: str = field(repr=False)
    http_only: bool = False

    def expired(self, now: float) -> bool:
        """True when the cookie has an expiry in the past (0/None = session cookie, never expired here)."""
        return bool(self.expires) and self.expires is not None and self.expires < now

    def matches(self, scheme: str, host: str, path: str, now: float) -> bool:
        """Cookie-sending rules: domain (host-only unless the subdomain flag), path prefix, Secure, expiry."""
        host = host.lower()
        domain = self.domain.lower().lstrip(".")
        # RFC 6265 5.1.3: a domain matches its subdomains only when the host is a name; an IP address
        # matches only itself (a cookie for ".1" or "0.0.1" must never go to 127.0.0.1).
        if (self.include_subdomains or self.domain.startswith(".")) and not is_ip_address(host):
            if host != domain and not host.endswith("." + domain):
                return False
        elif host != domain:
            return False
        cookie_path = self.path or "/"
        if not (path == cookie_path or path.startswith(cookie_path.rstrip("/") + "/") or cookie_path == "/"):
            return False
        # Browsers treat loopback as a secure context; that keeps Secure cookies usable with the fake server.
        if self.secure and scheme != "https" and host not in _LOOPBACK:
            return False
        return not self.expired(now)

    def to_netscape_line(self) -> str:
        """The jar line curl would write for this cookie."""
        domain = (HTTPONLY_PREFIX if self.http_only else "") + self.domain
        flag = _TRUE if self.include_subdomains else "FALSE"
        secure = _TRUE if self.secure else "FALSE"
        return "\t".join([domain, flag, self.path, secure, str(self.expires or 0), self.name, self.value])


@dataclass(frozen=True)
class CookieJar:
    """An immutable set of cookies loaded from a jar file."""

    cookies: tuple[Cookie, ...] = ()
    source: Path | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CookieJar:
        """Load a Netscape-format jar; ``CookieJarError`` when missing, unreadable or malformed."""
        jar_path = Path(path).expanduser()
        try:
            # Checked before reading: opening a FIFO would block forever, a device never ends.
            mode = jar_path.stat().st_mode
            if stat.S_ISDIR(mode):
                raise CookieJarError(f"cookie jar {jar_path} is a folder, not a file")
            if not stat.S_ISREG(mode):
                raise CookieJarError(f"cookie jar {jar_path} is not a regular file")
            with open(jar_path, "rb") as fh:
                data = fh.read(MAX_JAR_BYTES + 1)
        except FileNotFoundError as exc:
            raise CookieJarError(
                f"cookie jar not found: {jar_path}",
                hint="create one with `exofop auth login` or curl's documented login (-c mycookie.txt)",
            ) from exc
        except OSError as exc:
            raise CookieJarError(f"cannot read cookie jar {jar_path}: {exc.strerror or exc}") from exc
        if len(data) > MAX_JAR_BYTES:
            raise CookieJarError(f"cookie jar {jar_path} is larger than {MAX_JAR_BYTES} bytes: not a jar")
        cookies = parse_netscape(data.decode("utf-8", errors="replace"), source=str(jar_path))
        warnings = []
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(
                f"cookie jar {jar_path} is readable by other users; protect your session: "
                f"chmod 600 {jar_path}"
            )
        if not cookies:
            warnings.append(f"cookie jar {jar_path} holds no cookies; requests go out anonymously")
        return cls(cookies=tuple(cookies), source=jar_path, warnings=tuple(warnings))

    def header_for(self, url: str, *, now: float | None = None) -> str | None:
        """The ``Cookie`` header value for ``url``, or None: cookies only go to the host they belong to."""
        if not self.cookies:
            return None
        parts = urlsplit(url)
        host = parts.hostname or ""
        when = time.time() if now is None else now
        pairs = [
            f"{c.name}={c.value}"
            for c in self.cookies
            if c.matches(parts.scheme, host, parts.path or "/", when)
        ]
        return "; ".join(pairs) or None

    def session_expires(self) -> int | None:
        """Expiry (epoch seconds) of the ExoFOP session cookie; None if unknown or a browser-session one."""
        for c in self.cookies:
            if c.name == SESSION_COOKIE and c.expires:
                return c.expires
        return None

    def has_session(self, *, now: float | None = None) -> bool:
        """True when the jar holds a ``PHPSESSID`` cookie that has not expired."""
        when = time.time() if now is None else now
        return any(c.name == SESSION_COOKIE and not c.expired(when) for c in self.cookies)


def parse_netscape(text: str, *, source: str = "cookie jar") -> list[Cookie]:
    """Parse the Netscape cookie-file format (curl and wget flavours); ``CookieJarError`` if malformed."""
    cookies: list[Cookie] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        http_only = False
        if line.startswith(HTTPONLY_PREFIX):
            line = line[len(HTTPONLY_PREFIX) :]
            http_only = True
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 6:  # some writers drop an empty value column
            fields.append("")
        if len(fields) != 7:
            raise CookieJarError(
                f"{source}: line {lineno} is not a Netscape cookie line ({len(fields)} tab-separated fields, "
                "expected 7)",
                hint="use a jar written by curl -c, wget --save-cookies or `exofop auth login`",
            )
        domain, flag, path, secure, expires, name, value = fields
        try:
            expires_at = int(float(expires)) if expires.strip() else 0
        except (ValueError, OverflowError):  # "abc", "nan", "inf", "1e400"
            raise CookieJarError(f"{source}: line {lineno} has an invalid expiry field") from None
        if expires_at < 0:
            expires_at = 1  # long expired (0 would mean a browser-session cookie)
        expires_at = min(expires_at, MAX_EXPIRY)
        if not domain or not name:
            raise CookieJarError(f"{source}: line {lineno} lacks a domain or a cookie name")
        # The error names the line, never the value: a cookie value is a secret.
        if not sendable(name, value):
            raise CookieJarError(
                f"{source}: line {lineno} has a cookie name or value that cannot be sent in an HTTP header "
                "(non-ASCII, ';' or control characters)"
            )
        cookies.append(
            Cookie(
                domain=domain,
                include_subdomains=flag.upper() == _TRUE,
                path=path or "/",
                secure=secure.upper() == _TRUE,
                expires=expires_at or None,
                name=name,
                value=value,
                http_only=http_only,
            )
        )
    return cookies


def dump_netscape(cookies: list[Cookie]) -> str:
    """Serialise cookies as a curl-compatible Netscape jar."""
    header = "# Netscape HTTP Cookie File\n# Written by exofop auth login. Keep private (mode 0600).\n\n"
    return header + "".join(c.to_netscape_line() + "\n" for c in cookies)
