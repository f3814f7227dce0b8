"""Recognise what ExoFOP really sent where data was expected: a login form, another page, a refusal message.

A status 200 proves nothing on ExoFOP (reference §3, §7): an anonymous request for a proprietary file may
get the HTML login page, an unknown id a page, a refused download a short plain-text message, and a
throttled request an empty body. Every body is sniffed before it is parsed or saved:

* **A login page** is a login *form*: a password input, or a form posting to ``password_check.php``. Every
  ExoFOP page carries a "Login" link in its header, so a link, the word "Login" or "please log in" in a
  banner never makes a page a login page.
* **Other HTML** is described by its ``<title>`` and first heading, so an error says which page came back.
* **A refusal message** is a short text body that is not the file ("Sorry, you do not have permission…",
  "You must be logged in…", "File not found", "Access denied"). Its wording decides its kind; a short
  text body where a binary file (FITS, PNG, PDF, archives) was listed is a message whatever it says. What
  ExoFOP really sends is unknown (reference §7): these are the plausible variants.
* **"Sorry, entered TOI is invalid"** is ``download_toi.php``'s answer to a TOI it rejects, plain or inside
  HTML [REAL, bittr-ai/tess-vetter ``platform/catalogs/exofop_toi_table.py``].
"""

# No `from __future__ import annotations`: this module defines a NamedTuple (see models.py).
import re
from typing import Literal, NamedTuple

SNIFF_BYTES = 4096
# How far into an HTML page the login form is looked for (real pages put a long header before it).
LOGIN_SNIFF_BYTES = SNIFF_BYTES * 4
# Refusal messages are one sentence (a real one was 54 bytes); a file listed as data is rarely this small.
REFUSAL_MAX_BYTES = 1024

# A page may be a bare fragment (PHP writes "<h2>Members only</h2><form ...>" or "<h1>Access denied</h1>"
# without <html>); these tags never open a data file (XML, VOTable and SVG start with <?xml, <VOTABLE, <svg).
_HTML_START = re.compile(
    rb"^\s*(?:<!doctype\s+html|<!--|<(?:html|head|body|meta|title|form|script|style|link|div|span|p|br|hr"
    rb"|h[1-6]|table|center|pre|b|i|a|img|ul|ol|li|strong|em|font|noscript|iframe|section|main|header"
    rb"|footer|nav)[\s>/])",
    re.I,
)
_HTML_ANYWHERE = re.compile(rb"<html[\s>]|<body[\s>]|</html>", re.I)
# Only a form counts: a password field, or a form that posts to ExoFOP's login script.
_LOGIN_FORM = re.compile(
    rb"<input\b[^>]*\btype\s*=\s*[\"']?password\b"
    rb"|<form\b[^>]*\baction\s*=\s*[\"']?[^\"'\s>]*password_check\.php",
    re.I,
)
# ExoFOP's answer to an unknown file id is undocumented; an HTML "not found" page with status 200 must be
# told apart from other pages so it is reported as not_found.
_NOT_FOUND_MARKERS = re.compile(
    rb"\b(?:file|page|object|document|target|record)\s+(?:was\s+)?not\s+found\b|\bno\s+such\s+file\b"
    rb"|\b404\s+not\s+found\b|\b(?:file|object)\s+does\s+not\s+exist\b",
    re.I,
)
_INVALID_TOI = re.compile(rb"sorry,?\s+(?:the\s+)?entered\s+toi\s+is\s+invalid", re.I)
_TITLE = re.compile(rb"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_HEADING = re.compile(rb"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>?")
_BOM = b"\xef\xbb\xbf"

# Refusal wording, matched at the start of a short text body ("Sorry, " may come first). Anchored: a note
# that mentions "not found" in its second sentence is a note, not a refusal.
_SORRY = r"^\W*(?:sorry\b\W*)?"
_REFUSED_AUTH = re.compile(
    _SORRY + r"(?:you\s+(?:must|need\s+to|have\s+to)\s+(?:be\s+)?log(?:ged)?\s*-?\s*in"
    r"|please\s+log\s*-?\s*in|log\s*-?\s*in\s+(?:is\s+)?required|members\s+only"
    r"|you\s+(?:do\s+not|don't)\s+have\s+(?:the\s+)?(?:permission|access|rights?)\b"
    r"|you\s+are\s+not\s+(?:allowed|authori[sz]ed|logged\s+in)"
    r"|access\s+(?:is\s+)?denied|permission\s+denied|(?:403\s+)?forbidden\W*$|not\s+authori[sz]ed"
    r"|unauthori[sz]ed|(?:this|the)\s+file\s+is\s+(?:proprietary|private|restricted))",
    re.I,
)
_REFUSED_MISSING = re.compile(
    _SORRY + r"(?:(?:the\s+)?(?:requested\s+)?(?:file|document|object|record|page)\s+(?:was\s+)?not\s+found"
    r"|(?:404\s+)?not\s+found\W*$|no\s+such\s+file|(?:the\s+)?file\s+does\s+not\s+exist"
    r"|(?:invalid|unknown|bad)\s+file\s*(?:id|number))",
    re.I,
)
_REFUSED_OTHER = re.compile(
    r"^\W*(?:error\s*[:!-]|(?:php\s+)?(?:fatal|parse)\s+error\b|warning\s*:|notice\s*:"
    r"|invalid\s+(?:request|parameter|id)\b"
    r"|sorry\b.*\b(?:invalid|denied|permission|log\s*-?\s*in|error|unable|cannot|can't|not\s+(?:available"
    r"|allowed|found|exist)))",
    re.I,
)
# Listed files that can never be a few hundred bytes of plain text; and how each really starts.
_BINARY_EXTENSIONS = frozenset({
    "fits", "fit", "fts", "fz", "gz", "tgz", "zip", "tar", "bz2", "xz", "7z", "png", "jpg", "jpeg", "gif", "tif",
    "tiff", "pdf", "h5", "hdf5", "npy", "npz", "mp4", "mov",
})  # fmt: skip
_MAGIC = (
    b"SIMPLE",
    b"%PDF",
    b"%!PS",
    b"\x89PNG",
    b"PK",
    b"\x1f\x8b",
    b"GIF8",
    b"\xff\xd8",
    b"BZh",
    b"II*",
    b"MM",
)

RefusalKind = Literal["auth_required", "not_found", "invalid_response"]


class Refusal(NamedTuple):
    """A short text message where data was expected: its kind and its text (for the error message)."""

    kind: RefusalKind
    text: str


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
    """True when an HTML body holds ExoFOP's login form (a password input, or a form to password_check.php).

    A "Login" link, present in every ExoFOP page header, does not count.
    """
    return bool(_LOGIN_FORM.search(head[:LOGIN_SNIFF_BYTES]))


def looks_like_not_found(head: bytes) -> bool:
    """True when an HTML body is a "file not found" / "404 Not Found" page (and not the login form)."""
    return not looks_like_login_page(head) and bool(_NOT_FOUND_MARKERS.search(head[:LOGIN_SNIFF_BYTES]))


def looks_like_invalid_toi(body: bytes) -> bool:
    """True for ``download_toi.php``'s "Sorry, entered TOI is invalid" (plain text or inside a page)."""
    return bool(_INVALID_TOI.search(body[:LOGIN_SNIFF_BYTES]))


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


def _plain(fragment: bytes, limit: int = 100) -> str:
    """Markup → one line of text: tags removed, entities decoded, whitespace collapsed, cut at ``limit``."""
    import html

    text = " ".join(html.unescape(_TAG.sub(" ", fragment.decode("utf-8", errors="replace"))).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_page(head: bytes) -> str:
    """How an error names an HTML page: ``titled 'X'``, ``headed 'Y'``, both, or ``without a title``."""
    head = head[:LOGIN_SNIFF_BYTES]
    title = m.group(1) if (m := _TITLE.search(head)) else b""
    heading = m.group(2) if (m := _HEADING.search(head)) else b""
    title_text, heading_text = _plain(title), _plain(heading)
    parts = []
    if title_text:
        parts.append(f"titled {title_text!r}")
    if heading_text and heading_text != title_text:
        parts.append(f"{'first heading' if parts else 'headed'} {heading_text!r}")
    return ", ".join(parts) if parts else "without a title or heading"


def _short_text(body: bytes) -> str | None:
    """The text of a short body that reads as text (not binary); None otherwise. Padding (a message followed
    by blank lines, as a PHP page with an empty template may send) does not count towards "short"."""
    body = body.strip()
    if not body or len(body) > REFUSAL_MAX_BYTES or b"\x00" in body:
        return None
    try:
        text = body.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Terminal escapes in a message (a server's colours, or worse) leave it a message; other control
    # characters mean bytes, not text.
    text = _ESCAPES.sub("", text)
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        return None
    return " ".join(text.split())


# ANSI/VT escape sequences: CSI (ESC [ ... final byte) and OSC (ESC ] ... BEL or ESC \\).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def refusal_message(body: bytes) -> Refusal | None:
    """The refusal a short text body states ("Sorry, you do not have permission", "File not found"...)."""
    text = _short_text(body)
    if text is None:
        return None
    if _REFUSED_AUTH.match(text):
        return Refusal("auth_required", text)
    if _REFUSED_MISSING.match(text):
        return Refusal("not_found", text)
    if _REFUSED_OTHER.match(text):
        return Refusal("invalid_response", text)
    return None


def refused_file(body: bytes, filename: str) -> Refusal | None:
    """The refusal a *whole* downloaded body stands for, or None when it may be the listed file.

    Its wording decides first. A short body that reads as text where a binary file was listed (``x.fits``) is
    a message in any wording, unless it starts like such a file, whatever type the server gave it (seen as
    ``application/octet-stream`` too): every listed binary kind has magic bytes or NULs, a sentence has not.
    """
    refusal = refusal_message(body)
    if refusal is not None:
        return refusal
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    text = _short_text(body)
    if text is not None and ext in _BINARY_EXTENSIONS and not body.lstrip().startswith(_MAGIC):
        return Refusal("invalid_response", text)
    return None


def is_markup_filename(filename: str) -> bool:
    """Uploads that are themselves markup (HTML, XML, VOTable, SVG) may start with a tag."""
    return is_html_filename(filename) or filename.lower().endswith((".xml", ".vot", ".votable", ".svg"))


def is_html_filename(filename: str) -> bool:
    """An uploaded file that is itself HTML may legitimately start with ``<html``."""
    return filename.lower().endswith((".html", ".htm", ".xhtml"))


def _canonical_name(name: str) -> str:
    """A file name as a server might have rewritten it: folded to ASCII lower case, runs of other characters
    (spaces, quotes, punctuation a server replaces) as one ``_``, path and percent-encoding removed."""
    import unicodedata
    from urllib.parse import unquote

    base = re.split(r"[\\/]", unquote(name.strip().strip("\"'")))[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z.]+", "_", ascii_name.casefold()).strip("_")


def same_file_name(served: str, listed: str) -> bool:
    """True when a ``Content-Disposition`` name is the listed name after the server's plausible rewrites:
    case, spaces or punctuation replaced by ``_``, accents dropped, percent-encoding, a path prefix."""
    return _canonical_name(served) == _canonical_name(listed)
