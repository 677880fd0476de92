"""Readable text from fetched bytes. Pure: no network, no database.

extract_page(body, content_type, url) -> Extracted    any payload (HTML, PDF, text, JSON, binary)
extract_article(body, url, content_type) -> Extracted the article body with its in-text links
decode_bytes(body, content_type) -> (text, charset)
looks_like_html(text) -> bool

HTML, in order:
1. parse with lxml; drop what no reader sees (scripts, styles, templates, iframes, form
   controls, [hidden], aria-hidden, display:none, screen-reader-only classes, AMP ads);
2. trafilatura (favor_recall, tables) reads that tree: its paragraphs are a second opinion;
3. drop navigation and boilerplate containers (nav/aside/footer/header/menu/form, ARIA
   roles, class/id words such as share, related, comments, cookie, newsletter, byline),
   never the bulk of the page and never a node named as the article body;
4. walk the DOM once into text blocks (paragraphs, list items, table rows, captions...),
   recording link spans, and weigh every element by the prose vs. link/short text beneath;
5. the main node maximises prose minus 0.7 x boilerplate, narrowed to a child holding 80% of
   the prose, plus sibling captions and prose blocks;
6. trafilatura referees: our blocks outside the lowest common ancestor of the blocks it also
   found are dropped (teasers, appeals, bios), blocks inside it are kept even when it dropped
   them (tables, lists, captions, short paragraphs), and non-agreed blocks before the first /
   after the last agreed block go unless they are captions or real prose;
7. extract_page adds any trafilatura paragraph we lack (interior ones, or substantial prose),
   unless it came from a container we dropped as boilerplate. extract_article keeps our own
   blocks only, so every link offset is exact.
A page with text never yields nothing: all blocks, then a regex tag-stripper, are fallbacks.
"""

from __future__ import annotations

import codecs
import functools
import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

# --------------------------------------------------------------------------------------------
# Results


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


# --------------------------------------------------------------------------------------------
# Decoding

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = (
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
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace"), name
    charset = _codec(_charset_from_content_type(content_type))
    if charset is None:
        m = _META_CHARSET.search(body[:4096]) or _META_CHARSET.search(body[:65536])
        if m:
            charset = _codec(m.group(1).decode("ascii", "replace"))
            # A page that says utf-16 in a meta tag is readable as ASCII, so it is not utf-16.
            if charset and charset.startswith(("utf-16", "utf-32")):
                charset = "utf-8"
    if charset is None:
        charset = _wide_unicode(body)
    if charset is None:
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            charset = _detect(body)
    try:
        return body.decode(charset, errors="replace"), charset
    except LookupError:  # pragma: no cover - codec vanished
        return body.decode("utf-8", errors="replace"), "utf-8"


def _wide_unicode(body: bytes) -> str | None:
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


# --------------------------------------------------------------------------------------------
# HTML: parsing, metadata, cleaning

_BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table "
    "thead tbody tfoot tr caption figure figcaption address hr center details summary fieldset "
    "legend body html menu header footer nav aside form".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_CELL_TAGS = frozenset(("td", "th"))
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "math",
    "canvas",
    "object",
    "embed",
    "button",
    "select",
    "textarea",
    "input",
    "option",
    "head",
    "audio",
    "video",
    "picture",
    "source",
    "dialog",
    "map",
)
# AMP components that never hold article text (ads, share bars, consent, analytics)
_AMP_DROP = (
    "amp-ad",
    "amp-embed",
    "amp-analytics",
    "amp-social-share",
    "amp-sidebar",
    "amp-consent",
    "amp-user-notification",
    "amp-iframe",
    "amp-sticky-ad",
    "amp-pixel",
    "amp-list",
    "amp-geo",
    "amp-auto-ads",
)
_TRAFILATURA_MAX = 8_000_000  # characters; beyond that our own extractor works alone
_TRAFILATURA_MAX_ELEMENTS = 15_000
_HIDDEN_CLASSES = (
    "visually-hidden",
    "visuallyhidden",
    "sr-only",
    "screen-reader-text",
    "screenreader-only",
    "hidden",
    "hide",
    "d-none",
    "is-hidden",
    "u-hidden",
    "print-only",
    "offscreen",
)
_HIDDEN_CLASS = re.compile(r"(?:^|\s)(?:" + "|".join(_HIDDEN_CLASSES) + r")(?:$|\s)")
_BOILER_TAGS = ("nav", "aside", "footer", "header", "menu")
_BOILER_ROLES = frozenset(
    ("navigation", "complementary", "banner", "contentinfo", "search", "dialog", "alertdialog")
)
# class/id words that mark boilerplate containers


def _words(alternatives: str) -> re.Pattern:
    return re.compile(r"(?:^|[\s_-])(?:" + alternatives + r")(?:$|[\s_-])", re.IGNORECASE)


# class/id/data-component words that mark boilerplate containers...
_BOILER_STRONG = _words(
    r"cookies?|consent|gdpr|cmp|share|sharing|social|socials|sharebar|related|recommended|"
    r"recommendations?|more-stories|comments?|comment-list|disqus|newsletter|subscribe|"
    r"subscription|signup|sign-up|promo|promotion|advert|advertisement|ads?|adslot|ad-slot|"
    r"sponsor|sponsored|outbrain|taboola|sidebar|breadcrumbs?|most-read|mostread|"
    r"most-popular|trending|skip-link|skiplink|site-header|site-footer|modal|popup|"
    r"print-only|visually-hidden|sr-only|screen-reader-text|menu|nav|navbar|navigation|"
    r"footer|top-stories|more-on-this-story|login|signin|app-promo|live-entry-share|"
    r"entry-share|share-tools|social-links|byline|bylines|author|authors|author-bio|meta|"
    r"entry-meta|post-meta|tags|tag-list|copyright|legal|topics|topic-list|read-more|readmore|"
    r"also-read|more-from|next-article|pagination|pager|toolbar|links-block|credit|credits|"
    r"photo-credit|image-credit"
)
# ...and words that do so unless the same attribute also names the article itself
# ("story-header-and-body" is the article, "post-meta" is not)
_BOILER_WEAK = _words(
    r"popular|masthead|banner|header|teaser|teasers|rail|widget|widgets|"
    r"side|aside|secondary|right-col|left-col"
)
_MAYBE_CONTENT = _words(r"article|body|content|main|story|text|column")
# attribute string -> 1 keep (content), -2 boilerplate, -1 likely boilerplate, 0 no opinion
_VERDICTS: dict[str, int] = {}


def _verdict(attrs: str) -> int:
    verdict = _VERDICTS.get(attrs)
    if verdict is None:
        if _CONTENT_HINT.search(attrs):
            verdict = 1
        elif _BOILER_STRONG.search(attrs):
            verdict = -2
        elif _BOILER_WEAK.search(attrs) and not _MAYBE_CONTENT.search(attrs):
            verdict = -1
        else:
            verdict = 0
        if len(_VERDICTS) < 50_000:
            _VERDICTS[attrs] = verdict
    return verdict


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CONTENT_HINT = re.compile(
    r"article[-_]?body|articlebody|story[-_]?body|post[-_]?(?:content|body)|entry[-_]?content|"
    r"article[-_]?content|story[-_]?content|main[-_]?content|content[-_]?body|body[-_]?text|"
    r"article[-_]?text|story[-_]?text|rich[-_]?text|liveblog|live[-_]?blog",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")


def _parse_html(text: str):
    """A plain lxml.etree tree (no lxml.html element classes: their Python-level lookup
    costs a third of the time on big pages)."""
    from lxml import etree

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text[:200], count=1) + text[200:]
    text = text.replace("\x00", "")
    if not text.strip():
        return None
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = etree.fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def _text(el) -> str:
    return "".join(el.itertext())


def _drop(el) -> None:
    """Remove an element and its subtree, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _meta_table(root) -> dict[str, str]:
    """Every <meta property|name|itemprop=... content=...>, first one wins, names lower-cased
    (one pass over the tree: a path per name costs a walk per name on a 10 MB page)."""
    table: dict[str, str] = {}
    for el in root.iter("meta"):
        value = (el.get("content") or "").strip()
        if not value:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                table.setdefault(key.strip().lower(), value)
    return table


def _meta(table: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = table.get(name.lower())
        if value:
            return value
    return None


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?", value)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
        if 1 <= int(mo) <= 12 and 1 <= int(d) <= 31:
            return f"{y}-{mo}-{d}"
        return None
    m = re.match(r"(\d{4})(\d{2})(\d{2})", value)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return None


def _jsonld_dates(root) -> str | None:
    for el in root.iterfind(".//script[@type='application/ld+json']"):
        raw = el.text or ""
        m = re.search(r'"datePublished"\s*:\s*"([^"]+)"', raw)
        if m:
            date = _iso_date(m.group(1))
            if date:
                return date
    return None


def _jsonld_headline(root) -> str | None:
    for el in root.iterfind(".//script[@type='application/ld+json']"):
        m = re.search(r'"headline"\s*:\s*"((?:[^"\\]|\\.)+)"', el.text or "")
        if m:
            try:
                return json.loads(f'"{m.group(1)}"').strip() or None
            except ValueError:
                return m.group(1).strip() or None
    return None


@dataclass
class _Meta:
    title: str | None = None
    published: str | None = None
    canonical_url: str | None = None
    base_url: str | None = None


def _metadata(root, url: str | None) -> _Meta:
    meta = _Meta()
    table = _meta_table(root)
    title = _meta(table, "og:title", "twitter:title")
    if not title:
        t = root.find(".//title")
        if t is not None:
            title = _WS.sub(" ", _text(t)).strip() or None
    if not title:
        title = _jsonld_headline(root)
    if not title:
        h1 = root.find(".//h1")
        if h1 is not None:
            title = _WS.sub(" ", _text(h1)).strip() or None
    meta.title = title
    base = url
    b = root.find(".//base[@href]")
    if b is not None:
        base = _usable_link(b.get("href"), url) or base
    meta.base_url = base
    for el in root.iterfind(".//link[@rel]"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            meta.canonical_url = _usable_link(el.get("href"), base)
            break
    if not meta.canonical_url:
        og = _meta(table, "og:url")
        if og and og.startswith(("http://", "https://")):
            meta.canonical_url = og
    published = _iso_date(
        _meta(
            table,
            "article:published_time",
            "datePublished",
            "og:published_time",
            "pubdate",
            "publishdate",
            "publish-date",
            "date",
            "dc.date",
            "DC.date.issued",
            "sailthru.date",
            "parsely-pub-date",
            "dcterms.date",
            "dcterms.created",
            "dcterms.issued",
            "DC.date",
            "publication_date",
            "publish_date",
            "article.published",
            "datepublished",
            "date_published",
        )
    )
    if not published:
        published = _jsonld_dates(root)
    if not published:
        for el in root.iterfind(".//time[@datetime]"):
            published = _iso_date(el.get("datetime"))
            if published:
                break
    meta.published = published
    return meta


def _is_hidden(el) -> bool:
    if el.get("hidden") is not None:
        return True
    if (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


_HIDDEN_XPATH = (
    "//*[@hidden or @aria-hidden='true' or @class"
    " or (@style and (contains(@style, 'none') or contains(@style, 'hidden')))]"
)


def _clean_safe(root, amp: bool = True) -> None:
    """Drop what a reader never sees as text: scripts, styles, templates, media, form
    controls, hidden elements, AMP ads and consent boxes. (Tag filters run in C; an XPath
    with many self:: tests is far slower than that.)"""
    doomed = list(root.iter(*_DROP_TAGS))
    if amp:
        doomed += [
            el for el in root.iter() if isinstance(el.tag, str) and el.tag.startswith(_AMP_DROP)
        ]
    hidden_classes: dict[str, bool] = {}
    for el in root.xpath(_HIDDEN_XPATH):  # compiled per call: XPath objects are not shared
        if _is_hidden(el):
            doomed.append(el)
        else:
            cls = el.get("class")
            if cls:
                hidden = hidden_classes.get(cls)
                if hidden is None:
                    hidden = hidden_classes[cls] = bool(_HIDDEN_CLASS.search(cls))
                if hidden:
                    doomed.append(el)
    for el in doomed:
        if el.tag != "html" and el.getparent() is not None:
            _drop(el)


def _has_markers(el) -> bool:
    get = el.get
    return bool(get("class") or get("id") or get("role") or get("data-component"))


# inline elements are never dropped for their class: that would cut words out of sentences
_INLINE_KEEP = frozenset(("a", "span", "em", "strong", "b", "i", "u", "time", "abbr", "small"))


def _clean(root) -> list[str]:
    """Drop navigation and boilerplate containers. Content hints protect the article node."""
    body = root.find("body")
    if body is None:
        body = root
    total = len(_text(body)) or 1
    doomed = []
    for el in body.iter():
        tag = el.tag
        if not isinstance(tag, str) or el is body:
            continue
        if tag not in _BOILER_TAGS and tag != "form" and not _has_markers(el):
            continue
        role = (el.get("role") or "").lower()
        attrs = f"{el.get('class') or ''} {el.get('id') or ''} {el.get('data-component') or ''}"
        if tag in ("article", "main") or role in ("main", "article"):
            continue
        verdict = _verdict(attrs) if len(attrs) > 2 else 0
        if verdict > 0 or el.get("itemprop") == "articleBody":
            continue
        if tag in _BOILER_TAGS or role in _BOILER_ROLES or tag == "form":
            doomed.append(el)
        elif verdict < 0 and tag not in _INLINE_KEEP:
            # a paragraph or list item goes only on a strong word ("share", "byline")
            if verdict == -2 or tag not in ("p", "li"):
                doomed.append(el)
    dropped = []
    spared: set[int] | None = None
    for el in doomed:
        if el.getparent() is None:
            continue
        text = _text(el)
        # Never drop the bulk of the page (a body class like "has-sidebar" is no verdict),
        # nor a wrapper of the densest run of paragraphs ("layout-with-rail__wrapper",
        # "widget Blog"): page layouts name their columns after what sits beside them.
        if len(text) > 0.6 * total:
            continue
        if len(text) >= _MIN_CORE_CHARS:  # big enough to hold the article: is it its wrapper?
            if spared is None:
                spared = _around_paragraphs(body)
            if id(el) in spared:
                continue
        dropped.append(text)
        _drop(el)
    return dropped


_MIN_CORE_CHARS = 400


def _around_paragraphs(body) -> set[int]:
    """ids of the strict ancestors of the element whose own <p> children hold the most text
    (when that is at least a few sentences): the wrappers of the likely article."""
    best, best_chars = None, _MIN_CORE_CHARS - 1
    counts: dict[int, tuple[object, int]] = {}
    for p in body.iter("p"):
        parent = p.getparent()
        if parent is None:
            continue
        n = len("".join(p.itertext()).strip())
        el, chars = counts.get(id(parent), (parent, 0))
        counts[id(parent)] = (el, chars + n)
    for el, chars in counts.values():
        if chars > best_chars:
            best, best_chars = el, chars
    if best is None:
        return set()
    return {id(a) for a in best.iterancestors()}


# --------------------------------------------------------------------------------------------
# HTML: linearising the DOM into blocks, with link spans


@dataclass
class _Block:
    el: object  # the block-level element this text belongs to
    text: str
    links: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, href)
    link_chars: int = 0
    tag: str = "p"


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.parts: list[str] = []
        self.length = 0
        self.ends_space = True  # the start of a block counts as after a space
        self.links: list[tuple[int, int, str]] = []
        self.link_chars = 0
        self.in_link = 0
        self.generation = 0  # bumped at every block boundary
        # per open element: [good, bad, block count] of the blocks beneath it so far
        self.acc: list[list[float]] = [[0.0, 0.0, 0]]
        self.stats: dict[int, tuple] = {}  # id(el) -> (el, good, bad, count)

    def _put(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def add(self, s: str | None) -> None:
        if not s:
            return
        if s.isspace():
            if not self.ends_space:
                self.parts.append(" ")
                self.length += 1
                self.ends_space = True
            return
        lead, trail = s[0].isspace(), s[-1].isspace()
        core = " ".join(s.split())
        if lead and not self.ends_space:
            self._put(" ")
            self.ends_space = True
        if core:
            self._put(core)
            if self.in_link:
                self.link_chars += len(core)
            self.ends_space = False
            if trail:
                self._put(" ")
                self.ends_space = True

    def newline(self, block: tuple) -> None:
        if self.parts and self.parts[-1] == "\n":  # <br><br>: a paragraph break
            self.parts.pop()
            self.length -= 1
            self.flush(*block)
            return
        if self.length and self.parts[-1] != "\n":
            if self.parts[-1] == " ":
                self.parts.pop()
                self.length -= 1
            self._put("\n")
            self.ends_space = True

    def flush(self, el, tag: str) -> None:
        self.generation += 1
        if not self.parts:
            return
        stripped = "".join(self.parts).rstrip()
        if stripped:
            n = len(stripped)
            links = []
            for s, e, href in self.links:
                e = min(e, n)
                while s < e and stripped[s].isspace():
                    s += 1
                while e > s and stripped[e - 1].isspace():
                    e -= 1
                if e > s:
                    links.append((s, e, href))
            blk = _Block(el, stripped, links, min(self.link_chars, n), tag)
            self.blocks.append(blk)
            g, w = _weigh(blk)
            top = self.acc[-1]
            top[0] += g
            top[1] += w
            top[2] += 1
        self.parts = []
        self.length = 0
        self.ends_space = True
        self.links = []
        self.link_chars = 0


def _weigh(blk: _Block) -> tuple[float, float]:
    """(good, bad) weight of a block for choosing the main node."""
    n = len(blk.text)
    if _good(blk):
        return n - blk.link_chars * 0.5, 0.0
    if blk.tag in _HEADINGS:
        return 0.0, 0.0
    return 0.0, max(n, 10) * (1.0 if blk.link_chars else 0.4)


_SPLIT_TAGS = _BLOCK_TAGS | {"tr"}


def _linearise(node) -> tuple[list[_Block], dict[int, tuple]]:
    """Walk the tree (iteratively: hostile pages nest deeply) and cut it into text blocks.
    Also sums, for every element, the weights of the blocks beneath it."""
    from lxml import etree

    b = _Builder()
    acc = b.acc
    stats = b.stats
    add, flush = b.add, b.flush  # (local names: this loop runs twice per element)
    split_tags, cell_tags = _SPLIT_TAGS, _CELL_TAGS
    block_stack = [(node, (node.tag or "div").lower())]
    anchors: list[tuple[int, int, str | None]] = []  # (generation, start, href)
    cells: list[int] = []  # cells seen so far in each open table row
    for event, el in etree.iterwalk(node, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):
            tag = ""
        if event == "start":
            if tag in split_tags:
                flush(*block_stack[-1])
                block_stack.append((el, tag))
                if tag == "tr":
                    cells.append(0)
            elif tag in cell_tags:
                if cells and cells[-1]:
                    add(" | ")
                elif not cells:
                    add(" ")
                if cells:
                    cells[-1] += 1
            elif tag == "br":
                b.newline(block_stack[-1])
            text = el.text
            if tag == "a":
                # leading whitespace of the anchor text belongs outside the anchor
                if text and text[0].isspace():
                    add(" ")
                    text = text.lstrip()
                anchors.append((b.generation, b.length, el.get("href")))
                b.in_link += 1
            if text:
                add(text)
            acc.append([0.0, 0.0, 0])
        else:
            if tag == "a" and anchors:
                generation, start, href = anchors.pop()
                b.in_link -= 1
                if href and generation == b.generation and b.length > start:
                    b.links.append((start, b.length, href))
            if tag in split_tags:
                flush(el, tag)
                block_stack.pop()
                if tag == "tr" and cells:
                    cells.pop()
            elif tag in cell_tags:
                add(" ")
            mine = acc.pop()
            if mine[2]:
                stats[id(el)] = (el, mine[0], mine[1], mine[2])
                top = acc[-1]
                top[0] += mine[0]
                top[1] += mine[1]
                top[2] += mine[2]
            tail = el.tail
            if tail and el is not node:
                add(tail)
    flush(*block_stack[-1])
    return b.blocks, stats


# --------------------------------------------------------------------------------------------
# HTML: choosing the main content node


_COPYRIGHT = re.compile(r"©|\bcopyright\b|all rights reserved|tous droits|\(c\) \d{4}", re.I)
_PUNCT = re.compile(r"[.!?,;:]")


def _good(block: _Block) -> bool:
    """Does this block look like article prose?"""
    n = len(block.text)
    if block.tag in _HEADINGS or n < 25:
        return False
    if block.link_chars / n >= 0.5:
        return False
    text = block.text
    if n < 200 and ("©" in text or "ight" in text or "droits" in text or "(c)" in text):
        if _COPYRIGHT.search(text):
            return False
    return n >= 80 or bool(_PUNCT.search(text))


def _main_nodes(stats: dict[int, tuple]) -> list:
    """The element that holds the article: the one maximising good text minus boilerplate
    text (link lists, short fragments) beneath it, narrowed to a child that holds nearly
    all of it, plus captions and prose blocks beside it."""
    if not stats:
        return []
    elements = {key: v[0] for key, v in stats.items()}  # the stats hold the proxies alive
    good = {key: v[1] for key, v in stats.items()}
    bad = {key: v[2] for key, v in stats.items()}
    best, best_score = None, float("-inf")
    for key, el in elements.items():
        score = good[key] - 0.7 * bad[key]
        if score > best_score or (score == best_score and _depth(el) > _depth(best)):
            best, best_score = el, score
    # Candidates hold paragraphs; a single paragraph is never the article.
    while best is not None and _is_leaf(best) and id(best.getparent()) in good:
        best = best.getparent()
    # A child holding nearly all the good text is the tighter, cleaner choice.
    while best is not None and good[id(best)] > 0:
        child = max((c for c in best if id(c) in good), key=lambda c: good[id(c)], default=None)
        if child is None or good[id(child)] < 0.8 * good[id(best)]:
            break
        if _is_leaf(child):  # never narrow the article down to one paragraph
            break
        best = child
    nodes = [best]
    parent = best.getparent() if best is not None else None
    if parent is not None:
        # Siblings worth keeping: the lead image's caption, a prose block beside the body.
        for sib in parent:
            key = id(sib)
            if sib is best or key not in good:
                continue
            has_caption = (
                sib.tag in ("figure", "figcaption") or sib.find(".//figcaption") is not None
            )
            if (has_caption and bad[key] <= good[key] + 40) or (
                good[key] >= 100 and bad[key] < 0.25 * good[key]
            ):
                nodes.append(sib)
    return nodes


def _is_leaf(el) -> bool:
    """A paragraph-like element: no block-level element inside."""
    return not any(isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el.iterdescendants())


def _depth(el) -> int:
    d = 0
    while el is not None:
        el = el.getparent()
        d += 1
    return d


# a cheap first test: most short lines start with a letter none of the boilerplate lines uses
_BOILERPLATE_START = re.compile(r"\W*[0-9acefgilmoprst]", re.IGNORECASE).match


def _is_boilerplate_text(text: str) -> bool:
    n = len(text)
    return (
        (n <= 40 and bool(_BOILERPLATE_LINE.match(text)))
        or (n <= 60 and _is_dateline(text))
        or (n <= 90 and bool(_MEDIA_LABEL.match(text) or _CREDIT_LINE.match(text)))
        or (n <= 300 and bool(_COPYRIGHT.search(text)))  # "Copyright 2024 ... may not be ..."
    )


def _keep_in_main(blk: _Block) -> bool:
    """Inside the main node, drop only obvious boilerplate: share rows, datelines."""
    n = len(blk.text)
    if n <= 40 and _BOILERPLATE_START(blk.text) and _BOILERPLATE_LINE.match(blk.text):
        return False
    if n <= 60 and _is_dateline(blk.text):
        return False
    if n <= 90 and (_MEDIA_LABEL.match(blk.text) or _CREDIT_LINE.match(blk.text)):
        return False
    if blk.link_chars * 2 > n and _READ_MORE.match(blk.text):
        return False
    return True


# "Video: What the rise means for tenants", "WATCH: ...": the title of a player, not text
_MEDIA_LABEL = re.compile(
    r"^(video|watch|listen|audio|gallery|photos|podcast|live stream|in pictures)\s*[:|–-]\s",
    re.IGNORECASE,
)


# "Credit: Riot Games", "Photo by Jane Doe/Reuters", "Screenshot by ...": who made a picture
_CREDIT_LINE = re.compile(
    r"^(?:(?:photo|image|picture|video|graphic|illustration|screenshot|photograph|cover)\s*)?"
    r"credits?\s*:|^(?:photo(?:graph)?|image|screenshot|illustration|picture)s?\s+(?:by|courtesy of)\s",
    re.IGNORECASE,
)


def _is_link_list(blk: _Block) -> bool:
    """An item of a list of links: "related stories" more often than a list of sources."""
    if blk.tag in ("li", "div", "section", "ul", "ol", "dd", "dt"):
        n = len(blk.text)
        return blk.link_chars / n > 0.7 and not (blk.tag == "div" and n > 200)
    return False


_BYLINE = re.compile(
    r"^(?i:by|von|par|por|door|di|av|af)\s+[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}"
    r"(\s*(,|and|&|und|et|y)\s*[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3})*"
    r"(\s*[,|·•–-]\s*[\w .'’-]{0,40})?$"
)


_READ_MORE = re.compile(
    r"^\W*(read more|read also|also read|see also|related|more|watch|listen|recommended|"
    r"more on this|further reading|don't miss|must read|latest)\b",
    re.IGNORECASE,
)
_DATE_WORDS = frozenset(
    """jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june
    july august september october november december monday tuesday wednesday thursday friday
    saturday sunday mon tue wed thu fri sat sun am pm gmt bst utc cet cest est edt pst pdt
    cst cdt mst mdt et pt ct hkt jst kst ist sgt aest aedt awst nzst nzdt msk eet eest wet west
    published updated posted last modified on at of the de del la le du am um der und
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    januar februar märz juni juli oktober dezember h min ago hours hour minutes days stand uhr
    mis à jour publié le""".split()
)


_DIGIT = re.compile(r"\d").search


def _is_dateline(text: str) -> bool:
    """A line that is only a date or time ("23:58", "12 de agosto de 2024", "Updated 3 May")."""
    if not _DIGIT(text):
        return False
    words = re.findall(r"\w+", text.lower())
    return all(
        w.isdigit() or w in _DATE_WORDS or re.fullmatch(r"\d+(st|nd|rd|th)", w) for w in words
    )


_BOILERPLATE_LINE = re.compile(
    r"^(advertisement|advert|sponsored|share( this( article| story)?)?|share on \w+|"
    r"tweet|email|print|copy link|read more|continue reading|click here|subscribe( now)?|"
    r"sign up|log ?in|follow us.*|related( articles| stories)?|more on this story|"
    r"\d+ min(ute)?s? read|skip to (main )?content|skip advertisement|(story|article) continues (below|after.*)|"
    r"continue reading (below|the main story)|scroll to continue|order reprints.*|"
    r"image( source)?:?.*|photo:?.*|getty images|reuters|ap photo)$",
    re.IGNORECASE,
)


def _usable_link(href: str | None, base: str | None) -> str | None:
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


def _assemble(blocks: list[_Block], base: str | None) -> tuple[str, tuple[Link, ...]]:
    parts: list[str] = []
    links: list[Link] = []
    pos = 0
    for blk in blocks:
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(blk.text)
        for s, e, href in blk.links:
            target = _usable_link(href, base)
            if target:
                links.append(Link(target, blk.text[s:e], pos + s, pos + e))
        pos += len(blk.text)
    return "".join(parts), tuple(links)


@dataclass
class _Html:
    meta: _Meta
    blocks: list[_Block]  # all blocks of the cleaned page
    main: list[_Block]  # blocks of the main node that survive filtering
    theirs: list[str] = field(default_factory=list)  # trafilatura's paragraphs


def _veto(theirs: list[str], dropped: list[str]) -> list[str]:
    """trafilatura's paragraphs minus those that sit in containers we dropped as boilerplate
    (promos, share bars, related boxes): our evidence for those is explicit markup."""
    veto: set[tuple[str, ...]] = set()
    budget = 2_000_000
    for text in dropped:
        budget -= len(text)
        if budget < 0:
            break
        veto |= _shingles(text)
    if not veto:
        return theirs
    kept = []
    for p in theirs:
        sh = _shingles(p)
        if sh and len(sh & veto) * 2 > len(sh):
            continue
        kept.append(p)
    return kept


def _small_enough(root) -> bool:
    """trafilatura gets pages of ordinary size only: it is slow on huge DOMs (seconds per
    10,000 elements), and a page that big is a data dump more than an article."""
    count = 0
    for _ in root.iter():
        count += 1
        if count > _TRAFILATURA_MAX_ELEMENTS:
            return False
    return bool(count) and any(t.strip() for t in root.itertext())


def _read_html(text: str, url: str | None) -> _Html | None:
    """Parse, clean, cut into blocks, pick the main content; trafilatura referees the edges."""
    from lxml import etree

    root = _parse_html(text)
    if root is None:
        return None
    meta = _metadata(root, url)
    _clean_safe(root, amp="<amp-" in text)
    theirs: list[str] = []
    if len(text) < _TRAFILATURA_MAX and _small_enough(root):
        theirs_text = _trafilatura_text(
            etree.tostring(root, encoding="unicode", method="html"), url
        )
        theirs = [p.strip() for p in re.split(r"\n+", theirs_text) if p.strip()]
    dropped = _clean(root)
    if theirs and dropped:
        theirs = _veto(theirs, dropped)
    body = root.find("body")
    if body is None:
        body = root
    blocks, stats = _linearise(body)
    nodes = _main_nodes(stats)
    if not nodes:
        return _Html(meta, blocks, [], theirs)
    inside = set()
    for node in nodes:
        for el in node.iter():
            inside.add(id(el))
    main = [blk for blk in blocks if id(blk.el) in inside and _keep_in_main(blk)]
    # A line repeated three times or more is a gallery's or a carousel's label, not prose
    # (table cells and one-word items such as "Yes" repeat legitimately).
    seen: dict[str, int] = {}
    for blk in main:
        if 15 <= len(blk.text) <= 120 and blk.tag not in ("td", "th"):
            seen[blk.text] = seen.get(blk.text, 0) + 1
    if any(n >= 3 for n in seen.values()):
        main = [blk for blk in main if seen.get(blk.text, 0) < 3]
    # The title repeated at the top of the body (as a heading or a bold line) is not body text.
    title_key = _norm(meta.title or "")
    for i, blk in enumerate(main[:4]):
        key = _norm(blk.text)
        if key and title_key and (key == title_key or (blk.tag in _HEADINGS and key in title_key)):
            del main[i]
            break
    # "By Jane Smith, Health reporter" near either end of the body is a byline.
    if len(main) > 1:
        edges = set(range(min(3, len(main)))) | set(range(max(0, len(main) - 2), len(main)))
        main = [
            blk
            for i, blk in enumerate(main)
            if not (i in edges and len(blk.text) <= 80 and _BYLINE.match(blk.text))
        ]
    return _Html(meta, blocks, _referee(main, theirs), theirs)


_PARAGRAPH_TAGS = frozenset(
    "p li blockquote pre td th dd dt figcaption h1 h2 h3 h4 h5 h6 span a b strong em i".split()
)


def _referee(main: list[_Block], theirs: list[str]) -> list[_Block]:
    """Keep our blocks inside the DOM region where trafilatura agrees with us (the lowest
    common ancestor of the blocks it also found): that keeps the tables, lists, captions and
    short paragraphs it drops between agreed paragraphs, and trims the teasers, appeals and
    bios at the edges that our node took in. Captions are kept wherever they sit."""
    if not theirs or not main:
        return [blk for blk in main if not _is_link_list(blk)]
    have = set()
    for p in theirs:
        have |= _shingles(p)
    agreed = _agreeing(main, have)
    agreed_chars = sum(len(b.text) for b in agreed)
    if not agreed or agreed_chars < 0.3 * sum(len(b.text) for b in main):
        # trafilatura read another part of the page: no referee
        return [blk for blk in main if not _is_link_list(blk)]
    core = None
    for blk in agreed:
        chain = [blk.el, *blk.el.iterancestors()][::-1]
        if core is None:
            core = chain
        else:
            n = 0
            while n < len(core) and n < len(chain) and core[n] is chain[n]:
                n += 1
            core = core[:n]
    node = core[-1] if core else None
    if node is None:
        return main
    if node.tag in _PARAGRAPH_TAGS and node.getparent() is not None:
        node = node.getparent()
    inside = {id(el) for el in node.iter()}
    article = next((a for a in node.iterancestors("article")), None)
    if article is not None:  # the publisher's own <article> bounds the article
        inside |= {id(el) for el in article.iter()}
    agreed_ids = {id(b) for b in agreed}
    kept = []
    for blk in main:
        if id(blk) in agreed_ids:
            kept.append(blk)  # a list of links both of us keep is part of the article
        elif _is_link_list(blk):
            continue
        elif id(blk.el) in inside or blk.tag == "figcaption":
            kept.append(blk)
        elif blk.el.getparent() is not None and blk.el.getparent().tag == "figure":
            kept.append(blk)
    # Before the first and after the last paragraph we both found, trafilatura's edges are
    # usually right (labels, standfirsts, video titles, "this story aired on..." notes);
    # captions and substantial prose there are kept all the same.
    marks = [i for i, blk in enumerate(kept) if id(blk) in agreed_ids]
    first, last = marks[0], marks[-1]
    keep = [
        first <= i <= last or id(blk) in agreed_ids or _edge_worthy(blk)
        for i, blk in enumerate(kept)
    ]
    for i in range(len(kept) - 2, -1, -1):  # a heading stays with the text it heads
        if not keep[i] and kept[i].tag in _HEADINGS and keep[i + 1] and i + 1 > last:
            keep[i] = True
    return [blk for blk, k in zip(kept, keep, strict=True) if k]


# Under this share of trafilatura's shingles found in our main node, we took the wrong node.
_WRONG_NODE = 0.3


def _follow_trafilatura(page: _Html) -> list[_Block] | None:
    """When our main node holds under 30% of what trafilatura read (we took a warning box or
    a teaser for the article), the blocks of the whole page that trafilatura's text agrees
    with, so ingest keeps offsets and links and still gets the article. None otherwise."""
    theirs = [p for p in page.theirs if not _is_boilerplate_text(p)]
    if not theirs:
        return None
    have: set[tuple[str, ...]] = set()
    for blk in page.main:
        have |= _shingles(blk.text)
    theirs_sh = [_shingles(p) for p in theirs]
    total = sum(len(sh) for sh in theirs_sh)
    if not total or sum(len(sh & have) for sh in theirs_sh) >= _WRONG_NODE * total:
        return None
    return _agreeing(page.blocks, set().union(*theirs_sh)) or None


def _agreeing(blocks: list[_Block], shingles: set[tuple[str, ...]]) -> list[_Block]:
    """The blocks at least half of whose shingles are in `shingles`."""
    out = []
    for blk in blocks:
        sh = _shingles(blk.text)
        if sh and len(sh & shingles) * 2 >= len(sh):
            out.append(blk)
    return out


def _edge_worthy(blk: _Block) -> bool:
    if blk.tag == "figcaption":
        return True
    parent = blk.el.getparent()
    if parent is not None and parent.tag == "figure":
        return True
    return len(blk.text) >= 80 and bool(_PUNCT.search(blk.text))


# (noscript is kept here: a page whose only text sits in <noscript> still has that text)
_RX_DROP = re.compile(
    r"<(script|style|template|svg|head)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_RX_NOSCRIPT = re.compile(r"</?noscript\b[^>]*>", re.IGNORECASE)
_RX_BLOCK = re.compile(
    r"</?(?:" + "|".join(sorted(_BLOCK_TAGS)) + r"|br|tr)\b[^>]*>", re.IGNORECASE
)
_RX_TAG = re.compile(r"<[^>]*>")


def _strip_tags(html: str) -> list[str]:
    """Last resort when the DOM is unusable (nesting deeper than the parser allows): text by
    regular expressions, one paragraph per block tag."""
    import html as htmllib

    text = _RX_DROP.sub(" ", html)
    text = _RX_BLOCK.sub("\n\n", text)
    text = htmllib.unescape(_RX_TAG.sub("", text))
    out = []
    for para in re.split(r"\n\s*\n", text):
        para = _WS.sub(" ", para).strip()
        if para:
            out.append(para)
    return out


_WORD = re.compile(r"\w+")


def _norm(s: str) -> str:
    return " ".join(_WORD.findall(s.lower()))


# --------------------------------------------------------------------------------------------
# HTML: trafilatura and the merge


def _trafilatura_text(html, url: str | None) -> str:
    try:
        import trafilatura

        out = trafilatura.extract(
            html,
            url=url,
            favor_recall=True,
            include_tables=True,
            include_comments=False,
            include_formatting=False,
            include_links=False,
            include_images=False,
            deduplicate=False,
            output_format="txt",
        )
    except Exception:  # noqa: BLE001 - trafilatura is one opinion among two; never fatal
        return ""
    return out or ""


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    """Word 3-grams of a text, case-folded (the whole text when it has fewer than 3 words).
    Paragraph-sized texts are cached: the referee, the veto and the merge ask for the same
    paragraphs' shingles."""
    if len(text) <= 4000:
        return _shingles_cached(text)
    return _shingles_of(text)


def _shingles_of(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(zip(words, words[1:], words[2:], strict=False))


_shingles_cached = functools.lru_cache(maxsize=512)(_shingles_of)  # a page holds far fewer


def _merge(mine: list[str], theirs: list[str], title: str | None = None) -> list[str]:
    """Our paragraphs in document order plus any trafilatura paragraph we lack, put after
    the last paragraph of ours that it followed in its own text."""
    title_key = _norm(title or "")
    theirs = [p for p in theirs if _norm(p) != title_key]
    if not theirs:
        return mine
    if not mine:
        return theirs
    mine_sh = [_shingles(p) for p in mine]
    have: dict[tuple[str, ...], int] = {}  # shingle -> first paragraph of ours holding it
    for i in range(len(mine_sh) - 1, -1, -1):
        have.update(dict.fromkeys(mine_sh[i], i))
    theirs_sh = [_shingles(p) for p in theirs]
    total = sum(len(sh) for sh in theirs_sh) or 1
    have_keys = have.keys()
    common = [sh & have_keys for sh in theirs_sh]
    found = sum(len(c) for c in common)
    if found / total < _WRONG_NODE:
        # We picked the wrong node: trafilatura's text is the better body.
        return theirs
    inserts: dict[int, list[str]] = {}
    matched = [False] * len(theirs)
    where = [-1] * len(theirs)
    after = -1
    for i, sh in enumerate(theirs_sh):
        hits = [have[g] for g in common[i]]
        if sh and len(hits) * 2 >= len(sh):
            matched[i] = True
            after = max(hits)
        where[i] = after
    last_match = max((i for i, m in enumerate(matched) if m), default=-1)
    first_match = matched.index(True) if True in matched else len(theirs)
    for i, p in enumerate(theirs):
        if matched[i] or not theirs_sh[i]:
            continue
        interior = first_match < i < last_match
        # Outside our span only substantial prose is taken: short lines there are bylines,
        # credits and footers more often than article text.
        if interior or (len(p) >= 120 and _PUNCT.search(p)):
            inserts.setdefault(where[i], []).append(p)
    out = list(inserts.get(-1, []))
    for i, p in enumerate(mine):
        out.append(p)
        out.extend(inserts.get(i, []))
    return out


# --------------------------------------------------------------------------------------------
# Public API

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


def _kind_of(body: bytes, content_type: str | None) -> str:
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
    if b"\x00" in sample and not any(sample.startswith(bom) for bom, _ in _BOMS):
        if _wide_unicode(sample) is None:
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


def _pdf(body: bytes) -> Extracted:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body), strict=False)
        pages = []
        for page in reader.pages:
            try:
                pages.append((page.extract_text() or "").strip())
            except Exception:  # noqa: BLE001 - one broken page does not lose the others
                continue
        title = None
        try:
            info = reader.metadata
            if info and info.title:
                title = str(info.title).strip() or None
        except Exception:  # noqa: BLE001
            title = None
    except Exception:  # noqa: BLE001 - an unreadable PDF still is a snapshot, with no text
        return Extracted(title=None, text="", kind="pdf")
    text = "\n\n".join(p for p in pages if p)
    return Extracted(title=title, text=text, kind="pdf")


def _plain(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\ufeff\n ")


def extract_page(body: bytes, content_type: str | None = None, url: str | None = None) -> Extracted:
    """Readable main text of any fetched payload. Never raises on bad bytes."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    kind = _kind_of(body, content_type)
    if kind == "pdf":
        return _pdf(body)
    if kind == "binary":
        return Extracted(title=None, text="", kind="binary")
    text, charset = decode_bytes(body, content_type)
    if kind == "json":
        return Extracted(title=None, text=_plain(text), charset=charset, kind="json")
    if kind == "text":
        return Extracted(title=None, text=_plain(text), charset=charset, kind="text")
    return _html_page(text, charset, url)


def _last_resort(text: str, page: _Html | None, charset: str | None) -> Extracted:
    """No block of text survived the DOM (too deep to parse, or all inside <noscript>)."""
    paragraphs = _strip_tags(text)
    if not paragraphs and "noscript" in text.lower():
        paragraphs = _strip_tags(_RX_NOSCRIPT.sub(" ", text))
    meta = page.meta if page else _Meta()
    return Extracted(
        title=meta.title,
        text="\n\n".join(paragraphs),
        published=meta.published,
        canonical_url=meta.canonical_url,
        charset=charset,
        kind="html",
    )


def _html_page(text: str, charset: str | None, url: str | None) -> Extracted:
    page = _read_html(text, url)
    if page is None or not page.blocks:
        return _last_resort(text, page, charset)
    mine = [blk.text for blk in page.main]
    theirs = [p for p in page.theirs if not _is_boilerplate_text(p)]
    paragraphs = _merge(mine, theirs, page.meta.title)
    if not paragraphs:
        # Never nothing when the page has text: every block that is left.
        paragraphs = [blk.text for blk in page.blocks]
    meta = page.meta
    return Extracted(
        title=meta.title,
        text="\n\n".join(paragraphs),
        published=meta.published,
        canonical_url=meta.canonical_url,
        charset=charset,
        kind="html",
    )


def extract_article(
    body: bytes | str, url: str | None = None, content_type: str | None = None
) -> Extracted:
    """The article body for ingest, with the links inside it at their offsets in .text.

    HTML gets our own main-node detection (trafilatura gives no offsets); plain text and
    Markdown are returned readable, with [anchor](url) links turned into Links."""
    if isinstance(body, bytes):
        kind = _kind_of(body, content_type)
        if kind == "pdf":
            return _pdf(body)
        if kind == "binary":
            return Extracted(title=None, text="", kind="binary")
        text, charset = decode_bytes(body, content_type)
    else:
        text, charset = body, None
        ctype = (content_type or "").split(";")[0].strip().lower()
        kind = "html" if ctype in ("text/html", "application/xhtml+xml") else "text"
    if kind == "html" or (kind != "json" and looks_like_html(text)):
        page = _read_html(text, url)
        if page is None or not page.blocks:
            return _last_resort(text, page, charset)
        blocks = _follow_trafilatura(page) or page.main or page.blocks
        out, links = _assemble(blocks, page.meta.base_url)
        meta = page.meta
        return Extracted(
            title=meta.title,
            text=out,
            links=links,
            published=meta.published,
            canonical_url=meta.canonical_url,
            charset=charset,
            kind="html",
        )
    if kind == "json":
        return Extracted(title=None, text=_plain(text), charset=charset, kind="json")
    title, out, links = _markdown(_plain(text), url)
    return Extracted(title=title, text=out, links=links, charset=charset, kind="text")


# --------------------------------------------------------------------------------------------
# Plain text and Markdown

_MD_INLINE = re.compile(
    r"(?P<img>!\[(?P<alt>[^\]]*)\]\((?P<isrc>[^)\s]*)(?:\s+\"[^\"]*\")?\))"
    r"|(?P<link>\[(?P<ltext>[^\]]+)\]\(\s*<?(?P<href>[^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\))"
    r"|(?P<ref>\[(?P<rtext>[^\]]+)\]\[(?P<rkey>[^\]]*)\])"
    r"|(?P<auto><(?P<aurl>https?://[^>\s]+)>)"
    r"|(?P<bare>(?<![\w/(\[])https?://[^\s<>()\[\]\"']+)"
    r"|(?P<code>`(?P<ctext>[^`]+)`)"
    r"|(?P<strong>\*\*(?=\S)(?P<stext>.+?)(?<=\S)\*\*|__(?=\S)(?P<utext>.+?)(?<=\S)__)"
    r"|(?P<em>(?<![\w*])\*(?=\S)(?P<etext>[^*]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=\S)(?P<e2text>[^_]+?)(?<=\S)_(?![\w_]))"
    r"|(?P<html><br\s*/?>|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>)"
    r"|(?P<esc>\\(?P<echar>[\\`*_{}\[\]()#+\-.!]))"
)
_MD_REFDEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*[\"')])?\s*$")
_MD_LISTITEM = re.compile(r"^\s{0,6}(?:[-*+]|\d{1,3}[.)])\s+")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|={3,})\s*$")


def _md_inline(s: str, refs: dict[str, str]) -> tuple[str, list[tuple[int, int, str]]]:
    out: list[str] = []
    links: list[tuple[int, int, str]] = []
    pos = 0
    last = 0
    for m in _MD_INLINE.finditer(s):
        literal = s[last : m.start()]
        out.append(literal)
        pos += len(literal)
        last = m.end()
        piece, inner = "", []
        if m.group("img") is not None:
            piece = m.group("alt")
        elif m.group("link") is not None:
            piece, inner = _md_inline(m.group("ltext"), refs)
            if piece.strip():
                inner = [(0, len(piece), m.group("href"))]
        elif m.group("ref") is not None:
            key = (m.group("rkey") or m.group("rtext")).strip().lower()
            piece, inner = _md_inline(m.group("rtext"), refs)
            if key in refs and piece.strip():
                inner = [(0, len(piece), refs[key])]
            elif key not in refs:
                piece = m.group(0)
                inner = []
        elif m.group("auto") is not None:
            piece = m.group("aurl")
            inner = [(0, len(piece), piece)]
        elif m.group("bare") is not None:
            piece = m.group("bare").rstrip(".,;:!?")
            last = m.start() + len(piece)
            inner = [(0, len(piece), piece)]
        elif m.group("code") is not None:
            piece = m.group("ctext")
        elif m.group("strong") is not None:
            piece, inner = _md_inline(m.group("stext") or m.group("utext"), refs)
        elif m.group("em") is not None:
            piece, inner = _md_inline(m.group("etext") or m.group("e2text"), refs)
        elif m.group("html") is not None:
            piece = " " if m.group("html").lower().startswith("<br") else ""
        elif m.group("esc") is not None:
            piece = m.group("echar")
        out.append(piece)
        links.extend((pos + a, pos + b, h) for a, b, h in inner)
        pos += len(piece)
    out.append(s[last:])
    return "".join(out), links


def _markdown(text: str, url: str | None) -> tuple[str | None, str, tuple[Link, ...]]:
    lines = text.split("\n")
    refs: dict[str, str] = {}
    kept: list[str] = []
    for line in lines:
        m = _MD_REFDEF.match(line)
        if m:
            refs[m.group(1).strip().lower()] = m.group(2)
        else:
            kept.append(line)
    paragraphs: list[str] = []
    current: list[str] = []
    title = None
    in_fence = False

    def close() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in kept:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            close()
            in_fence = not in_fence
            continue
        if in_fence:
            if stripped:
                current.append(stripped)
            continue
        if not stripped or _MD_RULE.match(line):
            close()
            continue
        h = _MD_HEADING.match(line)
        if h:
            close()
            paragraphs.append(h.group(2))
            if title is None and len(h.group(1)) == 1:
                title = h.group(2)
            continue
        while stripped.startswith(">"):
            stripped = stripped[1:].lstrip()
        if not stripped:
            close()
            continue
        li = _MD_LISTITEM.match(stripped)
        if li:
            close()
            stripped = stripped[li.end() :]
        current.append(stripped)
    close()
    parts: list[str] = []
    links: list[Link] = []
    pos = 0
    for para in paragraphs:
        plain, spans = _md_inline(para, refs)
        plain_stripped = plain.strip()
        if not plain_stripped:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        offset = len(plain) - len(plain.lstrip())
        for a, b, href in spans:
            target = _usable_link(href, url)
            if not target:
                continue
            s, e = a - offset, b - offset
            if 0 <= s < e <= len(plain_stripped):
                links.append(Link(target, plain_stripped[s:e], pos + s, pos + e))
        parts.append(plain_stripped)
        pos += len(plain_stripped)
    if title:
        title, _ = _md_inline(title, refs)
        title = title.strip() or None
    return title, "".join(parts), tuple(links)
