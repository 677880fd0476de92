"""Readable text from fetched bytes. Pure: no network, no database.

extract(body, content_type, url) -> Extracted   the one entry point, for ingest and capture alike
decode_bytes(body, content_type) -> (text, charset)
looks_like_html(text) -> bool

Modules: sniff (encoding, payload kind), html (our boilerplate removal), referee (trafilatura's
second opinion), pdf, markdown (Markdown and plain text), result (Extracted, Link).

HTML: our extractor finds the article's blocks; trafilatura, reading the tree we cleaned,
referees their edges and fills in paragraphs we missed (see referee). The text is assembled
from our blocks, so every link offset is exact; paragraphs only trafilatura found carry no
links. A page with text never yields nothing: all blocks, then a regex tag-stripper, are
fallbacks.
"""

from __future__ import annotations

import codecs

from verify.text.extract import html, markdown, pdf, referee
from verify.text.extract.result import Extracted, Link, usable_link
from verify.text.extract.sniff import decode_bytes, kind_of, looks_like_html, plain_text

__all__ = ["Extracted", "Link", "decode_bytes", "extract", "looks_like_html"]


def extract(
    body: bytes | str, content_type: str | None = None, url: str | None = None
) -> Extracted:
    """Readable main text of any payload (HTML, PDF, Markdown, plain text, JSON, binary), with
    the links inside that text at their offsets. Never raises on bad bytes.

    A str is taken as already decoded text; its kind is told by content_type, then by content.
    The same bytes give the same text whoever calls (ingest, capture)."""
    if isinstance(body, str):
        data, given = body.encode("utf-8", errors="surrogatepass"), body
    else:
        data, given = bytes(body), None
    kind = kind_of(data, content_type)
    if kind == "pdf":
        return pdf.read_pdf(data)
    if kind == "binary":
        return Extracted(title=None, text="", kind="binary")
    if given is not None:
        text, charset = given, None
    else:
        text, charset = decode_bytes(data, content_type)
    if kind == "html":
        utf8 = None
        if given is None and charset == "utf-8" and _nothing_replaced(text, data):
            utf8 = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
        return _html(text, charset, url, utf8)
    text = plain_text(text)
    if kind == "json":
        return Extracted(title=None, text=text, charset=charset, kind="json")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "text/markdown" or markdown.looks_like_markdown(text):
        title, out, links = markdown.read_markdown(text, url)
        return Extracted(title=title, text=out, links=links, charset=charset, kind="text")
    return Extracted(
        title=None,
        text=text,
        links=markdown.bare_links(text, url),
        charset=charset,
        kind="text",
    )


def _nothing_replaced(text: str, data: bytes) -> bool:
    """Did `data` decode as UTF-8 into `text` with no byte replaced? Then `data` is the text's
    UTF-8. Every U+FFFD the page holds as such (EF BF BD: EF is never a continuation byte, so
    no bad sequence swallows it) is one in the text; a replacement adds one more."""
    return "\ufffd" not in text or text.count("\ufffd") == data.count(b"\xef\xbf\xbd")


def _html(text: str, charset: str | None, url: str | None, utf8: bytes | None) -> Extracted:
    root = html.parse_html(text, utf8)
    if root is None:
        return _last_resort(text, None, charset)
    meta = html.metadata(root, url)
    html.clean_safe(root, amp=b"<amp-" in utf8 if utf8 is not None else "<amp-" in text)
    html.clean(root)
    theirs = referee.second_opinion(root, text, url)
    body = root.find("body")
    if body is None:
        body = root
    blocks, stats = html.linearise(body)
    if not blocks:
        return _last_resort(text, meta, charset)
    main = referee.referee(html.select_main(blocks, stats, meta.title), theirs)
    theirs = [p for p in theirs if not html.is_boilerplate_text(p)]
    main = referee.follow_trafilatura(main, blocks, theirs) or main
    pieces: list[html.Block | str] = referee.merge(main, theirs, meta.title)
    if not pieces:
        pieces = list(blocks)  # never nothing when the page has text: every block left
    out, links = _assemble(pieces, meta.base_url)
    return Extracted(
        title=meta.title,
        text=out,
        links=links,
        published=meta.published,
        canonical_url=meta.canonical_url,
        charset=charset,
        kind="html",
    )


def _assemble(pieces: list[html.Block | str], base: str | None) -> tuple[str, tuple[Link, ...]]:
    """Paragraphs joined by one blank line; link spans moved to their offsets in the whole."""
    parts: list[str] = []
    links: list[Link] = []
    pos = 0
    for piece in pieces:
        if parts:
            parts.append("\n\n")
            pos += 2
        if isinstance(piece, str):
            parts.append(piece)
            pos += len(piece)
            continue
        parts.append(piece.text)
        for s, e, href in piece.links:
            target = usable_link(href, base)
            if target:
                links.append(Link(target, piece.text[s:e], pos + s, pos + e))
        pos += len(piece.text)
    return "".join(parts), tuple(links)


def _last_resort(text: str, meta: html.Meta | None, charset: str | None) -> Extracted:
    """No block of text survived the DOM (too deep to parse, or all inside <noscript>)."""
    paragraphs = html.strip_tags(text)
    if not paragraphs and "noscript" in text.lower():
        paragraphs = html.strip_tags(html.RX_NOSCRIPT.sub(" ", text))
    meta = meta or html.Meta()
    return Extracted(
        title=meta.title,
        text="\n\n".join(paragraphs),
        published=meta.published,
        canonical_url=meta.canonical_url,
        charset=charset,
        kind="html",
    )
