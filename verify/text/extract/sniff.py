"""Bytes to text, and what kind of payload the bytes are (HTML, PDF, text, JSON, binary).

decode_bytes follows the browsers: BOM, Content-Type charset, <meta charset>, then detection.
kind_of trusts a specific Content-Type and sniffs the bytes when the type says nothing useful.
"""

from __future__ import annotations

import codecs
import json
import re

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# What browsers do (WHATWG Encoding): these labels mean windows-1252, a superset.
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "x-user-defined": "cp1252",
}
# Detection guesses that are nearly always misfires on web text (DOS and Mac code pages):
# they fall back to windows-1252.
_DETECT_DOUBTFUL = frozenset(
    (
        "cp1006",
        "mac_roman",
        "mac_latin2",
        "cp1125",
        "cp850",
        "cp437",
        "cp775",
        "hp_roman8",
        "hp-roman8",
    )
)
_MIN_EVIDENCE = 50  # non-ASCII bytes needed before a detector's guess beats windows-1252


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?\s*([^\s;\"',]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def _codec(label: str | None) -> str | None:
    """A Python codec name for an encoding label, or None when unknown."""
    if not label:
        return None
    label = label.strip().lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("utf-16", "utf-32"):  # a declared utf-16 without BOM: little endian, as browsers
        name += "-le"
    return name


def decode_bytes(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode bytes to text: BOM, Content-Type charset, <meta charset>, then detection.

    A byte-order mark is unambiguous, so it wins over a header (as browsers do). Never
    raises: undecodable bytes become U+FFFD."""
    if isinstance(body, str):
        return body, "utf-8"
    body = bytes(body)
    for bom, name in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace"), name
    charset = _codec(_charset_from_content_type(content_type))
    if (
        charset
        and charset.startswith(("utf-16", "utf-32"))
        and wide_unicode(body) is None
        and _is_utf8(body)
    ):
        # a header that says utf-16/32 over valid UTF-8 without a BOM and without the zero
        # bytes of wide ASCII letters: a mislabelled page, read as if the header were absent
        charset = None
    if charset is None:
        m = _META_CHARSET.search(body[:4096]) or _META_CHARSET.search(body[:65536])
        if m:
            charset = _codec(m.group(1).decode("ascii", "replace"))
            # A page that says utf-16 in a meta tag is readable as ASCII, so it is not utf-16.
            if charset and charset.startswith(("utf-16", "utf-32")):
                charset = "utf-8"
    if charset is None:
        charset = wide_unicode(body)
    if charset is None:
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            charset = _detect(body)
    try:
        return body.decode(charset, errors="replace"), charset
    except LookupError:  # pragma: no cover - codec vanished
        return body.decode("utf-8", errors="replace"), "utf-8"


def _is_utf8(body: bytes) -> bool:
    try:
        body[:200_000].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > 199_990  # cut inside a character at the end of the sample
    return True


def wide_unicode(body: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the zero bytes of ASCII characters fall."""
    sample = body[:4096]
    n = len(sample) // 4 * 4
    if n < 8 or b"\x00" not in sample:
        return None
    zeros = [0, 0, 0, 0]
    for i in range(n):
        if sample[i] == 0:
            zeros[i % 4] += 1
    quarter = n // 4

    def mostly(k: int) -> bool:
        return zeros[k] >= 0.7 * quarter

    def rarely(k: int) -> bool:
        return zeros[k] <= 0.1 * quarter

    if mostly(1) and mostly(2) and mostly(3) and rarely(0):
        return "utf-32-le"
    if mostly(0) and mostly(1) and mostly(2) and rarely(3):
        return "utf-32-be"
    if mostly(1) and mostly(3) and rarely(0) and rarely(2):
        return "utf-16-le"
    if mostly(0) and mostly(2) and rarely(1) and rarely(3):
        return "utf-16-be"
    return None


def _detect(body: bytes) -> str:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
    except Exception:  # noqa: BLE001 - detection is a best effort
        best = None
    if best is None:
        return "cp1252"
    high = len(body[:200_000].translate(None, bytes(range(128))))
    if high < _MIN_EVIDENCE:
        # A mostly-ASCII page with a few accented letters: detectors guess wildly on so
        # little evidence; windows-1252 (a superset of latin-1) is by far the likeliest.
        return "cp1252"
    name = _codec(best.encoding) or "cp1252"
    if name in _DETECT_DOUBTFUL or name == "latin_1":
        return "cp1252"
    return name


# --------------------------------------------------------------------------------------------
# Telling HTML from text

_DOC_MARKERS = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_STRUCT_TAG = re.compile(
    r"<(p|div|h[1-6]|ul|ol|li|table|tr|td|th|article|section|main|span|a|blockquote|pre|em|"
    r"strong|b|i|title|meta|link|script|style|figure|figcaption|header|footer|nav|aside|dl|dt|"
    r"dd|img)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_CLOSE_TAG = re.compile(r"</[a-zA-Z][a-zA-Z0-9]*\s*>")


def looks_like_html(text: str) -> bool:
    """True when the text is an HTML document or fragment, judged by its content."""
    head = text[:100_000].lstrip("\ufeff \t\r\n")
    if not head:
        return False
    if _DOC_MARKERS.search(head[:4096]):
        return True
    opens = len(_STRUCT_TAG.findall(head))
    closes = len(_CLOSE_TAG.findall(head))
    if opens < 2 or closes < 1:
        return False
    # Markdown or prose with a stray tag or two is not HTML: tags must be frequent.
    words = max(1, len(head.split()))
    tags = opens + closes
    if head.startswith("<") and _STRUCT_TAG.match(head):
        return tags >= 3
    return tags >= 4 and tags * 25 >= words


_MAGIC_BINARY = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"BM",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"\x7fELF",
    b"wOFF",
    b"wOF2",
)


def kind_of(body: bytes, content_type: str | None) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    head = body[:1024].lstrip()
    if head.startswith(b"%PDF-") or ctype == "application/pdf":
        return "pdf"
    if any(body.startswith(m) for m in _MAGIC_BINARY) and not body.startswith(codecs.BOM_UTF8):
        return "binary"
    if ctype.startswith(("image/", "audio/", "video/", "font/")) or ctype in (
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/octet-stream",
        "application/x-tar",
        "application/msword",
        "application/vnd.ms-excel",
    ):
        if ctype != "application/octet-stream":
            return "binary"
    if ctype in ("text/html", "application/xhtml+xml"):
        return "html"
    if ctype in ("application/json", "text/json") or ctype.endswith("+json"):
        return "json"
    if ctype == "text/plain" or ctype == "text/markdown":
        return "text"
    # No (or an unhelpful) type: sniff.
    sample = body[:4096]
    if b"\x00" in sample and not any(sample.startswith(bom) for bom, _ in BOMS):
        if wide_unicode(sample) is None:
            return "binary"
    text, _ = decode_bytes(body[:65536], content_type)
    stripped = text.lstrip("\ufeff \t\r\n")
    if looks_like_html(stripped):
        return "html"
    if stripped[:1] in ("{", "["):
        try:
            json.loads(decode_bytes(body, content_type)[0])
            return "json"
        except ValueError:
            pass
    if ctype.startswith("text/") or ctype in ("", "application/octet-stream"):
        bad = sum(
            1 for ch in stripped[:4096] if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n\f")
        )
        if bad * 20 > max(1, len(stripped[:4096])):
            return "binary"
        return "text"
    if ctype.endswith("xml"):
        return "html"
    return "binary"


def plain_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\ufeff\n ")
