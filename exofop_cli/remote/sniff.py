"""Recognise HTML pages (login pages above all) where ExoFOP should have sent data.

ExoFOP answers a request for proprietary data with status 200 and its HTML login page (reference §3, a
GUESS we must tolerate), and an unknown id with a 200 HTML page too. So the status code cannot be trusted:
every body is sniffed before it is parsed or saved.
"""

from __future__ import annotations

import re

SNIFF_BYTES = 4096
# How far into an HTML page the login form is looked for (real pages put a long header before it).
LOGIN_SNIFF_BYTES = SNIFF_BYTES * 4

# A page may be a bare fragment (PHP writes "<h2>Members only</h2><form ...>" or "<h1>Access denied</h1>"
# without <html>); these tags never open a data file (XML, VOTable and SVG start with <?xml, <VOTABLE, <svg).
_HTML_START = re.compile(
    rb"^\s*(?:<!doctype\s+html|<!--|<(?:html|head|body|meta|title|form|script|style|link|div|span|p|br|hr"
    rb"|h[1-6]|table|center|pre|b|i|a|img|ul|ol|li|strong|em|font|noscript|iframe|section|main|header"
    rb"|footer|nav)[\s>/])",
    re.I,
)
_HTML_ANYWHERE = re.compile(rb"<html[\s>]|<body[\s>]|</html>", re.I)
_LOGIN_MARKERS = re.compile(
    rb"password_check\.php|name=[\"']?password|type=[\"']?password|login_user|please\s+log\s*in"
    rb"|you\s+must\s+be\s+logged\s+in|invalid\s+username\s+or\s+password",
    re.I,
)
# ExoFOP's answer to an unknown file id is undocumented; an HTML "not found" page with status 200 must be
# told apart from other pages so it is reported as not_found.
_NOT_FOUND_MARKERS = re.compile(
    rb"\b(?:file|page|object|document|target|record)\s+(?:was\s+)?not\s+found\b|\bno\s+such\s+file\b"
    rb"|\b404\s+not\s+found\b|\b(?:file|object)\s+does\s+not\s+exist\b",
    re.I,
)
_BOM = b"\xef\xbb\xbf"


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a body are an HTML page rather than data."""
    head = head[:SNIFF_BYTES]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    if _HTML_START.match(head):
        return True
    # An XML/VOTable file starts with "<?xml" and is data unless it carries an HTML document.
    stripped = head.lstrip()
    return stripped.startswith(b"<") and bool(_HTML_ANYWHERE.search(head))


def looks_like_login_page(head: bytes) -> bool:
    """True when an HTML body is ExoFOP's login form (or its failed-login page)."""
    return bool(_LOGIN_MARKERS.search(head[:LOGIN_SNIFF_BYTES]))


def looks_like_not_found(head: bytes) -> bool:
    """True when an HTML body is a "file not found" / "404 Not Found" page (and not the login form)."""
    return not looks_like_login_page(head) and bool(_NOT_FOUND_MARKERS.search(head[:LOGIN_SNIFF_BYTES]))


def looks_like_page(head: bytes, content_type: str) -> bool:
    """True when a downloaded body is a page: ``looks_like_html``, or ``text/html`` starting with a tag.

    A ``text/html`` body that does not start with a tag is data: whether get_file.php sets a type per file
    is unknown, and PHP's default type is ``text/html``. An XML declaration is never a page.
    """
    if looks_like_html(head):
        return True
    if content_type.split(";", 1)[0].strip().lower() != "text/html":
        return False
    stripped = head.removeprefix(_BOM).lstrip()
    return stripped.startswith(b"<") and stripped[:5].lower() != b"<?xml"


def is_markup_filename(filename: str) -> bool:
    """Uploads that are themselves markup (HTML, XML, VOTable, SVG) may start with a tag."""
    return is_html_filename(filename) or filename.lower().endswith((".xml", ".vot", ".votable", ".svg"))


def is_html_filename(filename: str) -> bool:
    """An uploaded file that is itself HTML may legitimately start with ``<html``."""
    return filename.lower().endswith((".html", ".htm", ".xhtml"))
