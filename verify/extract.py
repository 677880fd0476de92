"""PLACEHOLDER being replaced by the extraction work: (bytes, content type, url) -> Extracted.
The dataclasses and the signature of extract_page are the contract."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    url: str          # absolute (resolved against the page URL), not normalised
    text: str         # anchor text
    start: int        # offsets of the anchor text in Extracted.text
    end: int


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str                     # readable main text ('' for binaries)
    links: tuple[Link, ...] = ()  # links inside the main text only (not nav/aside/footer)
    published: str | None = None  # ISO date when the page states one
    canonical_url: str | None = None
    charset: str | None = None    # the encoding used to decode the bytes
    kind: str = "html"            # html, pdf, text, json, binary


def extract_page(body: bytes, content_type: str | None = None, url: str | None = None) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "lxml")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "nav", "aside", "footer", "header"]):
        tag.decompose()
    return Extracted(title=title, text=" ".join(soup.get_text(" ").split()))
