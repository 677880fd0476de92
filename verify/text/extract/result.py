"""The result of an extraction, and the one rule for which hrefs are links worth keeping."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit


@dataclass(frozen=True)
class Link:
    url: str  # absolute (resolved against the page URL), not normalised
    text: str  # anchor text
    start: int  # offsets of the anchor text in Extracted.text
    end: int


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str  # readable main text ('' for binaries)
    links: tuple[Link, ...] = ()  # links inside the main text only (not nav/aside/footer)
    published: str | None = None  # ISO date when the page states one
    canonical_url: str | None = None
    charset: str | None = None  # the encoding used to decode the bytes
    kind: str = "html"  # html, pdf, text, json, binary


def usable_link(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        scheme = urlsplit(href).scheme.lower()
        if scheme and scheme not in ("http", "https"):
            return None
        absolute = urljoin(base or "", href)
        parts = urlsplit(absolute)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return None
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:  # 'http://[broken', 'http://x:99999': not a link we can follow
        return None
    return absolute
