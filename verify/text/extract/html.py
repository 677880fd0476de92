"""Our main-content extractor: from HTML text to the blocks of the article, with link spans.

1. parse with lxml; drop what no reader sees (scripts, styles, templates, iframes, form
   controls, [hidden], aria-hidden, display:none, screen-reader-only classes, AMP ads);
2. drop navigation and boilerplate containers (nav/aside/footer/header/menu/form, ARIA
   roles, class/id words such as share, related, comments, cookie, newsletter, byline),
   never the bulk of the page and never a node named as the article body;
3. walk the DOM once into text blocks (paragraphs, list items, table rows, captions...),
   recording link spans, and weigh every element by the prose vs. link/short text beneath;
4. the main node maximises prose minus 0.7 x boilerplate, narrowed to a child holding 80% of
   the prose, plus sibling captions and prose blocks; inside it only obvious boilerplate goes
   (share rows, datelines, credits, bylines at the edges, repeated gallery labels).
A page the DOM cannot hold (nesting deeper than the parser allows) is read by strip_tags.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from verify.text.extract.result import usable_link

BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table "
    "thead tbody tfoot tr caption figure figcaption address hr center details summary fieldset "
    "legend body html menu header footer nav aside form".split()
)
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
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
_DROP_TAG_SET = frozenset(_DROP_TAGS)
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
_BOILER_TAGS_AND_FORM = frozenset((*_BOILER_TAGS, "form"))
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
    r"also-read|also-like|may-like|might-like|more-from|next-article|pagination|pager|toolbar|links-block|credit|credits|"
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
WS = re.compile(r"\s+")


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_html(text: str, utf8: bytes | None = None):
    """A plain lxml.etree tree (no lxml.html element classes: their Python-level lookup
    costs a third of the time on big pages). `utf8`, when the caller has it, is the same
    text as UTF-8 bytes (a page that decoded as UTF-8 without one replacement): libxml2
    reads UTF-8 bytes faster than a Python str, and this spares encoding the page again."""
    from lxml import etree

    decl = _XML_DECL.match(text, 0, 200)  # an XML declaration in the first 200 characters
    if decl:
        text, utf8 = text[decl.end() :], None
    if not text or text.isspace():
        return None
    data = text.encode("utf-8", errors="replace") if utf8 is None else utf8
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    parser = etree.HTMLParser(
        remove_comments=True, remove_pis=True, huge_tree=True, encoding="utf-8"
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def text_of(el) -> str:
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
class Meta:
    title: str | None = None
    published: str | None = None
    canonical_url: str | None = None
    base_url: str | None = None


def metadata(root, url: str | None) -> Meta:
    meta = Meta()
    table = _meta_table(root)
    title = _meta(table, "og:title", "twitter:title")
    if not title:
        t = root.find(".//title")
        if t is not None:
            title = WS.sub(" ", text_of(t)).strip() or None
    if not title:
        title = _jsonld_headline(root)
    if not title:
        h1 = root.find(".//h1")
        if h1 is not None:
            title = WS.sub(" ", text_of(h1)).strip() or None
    meta.title = title
    base = url
    b = root.find(".//base[@href]")
    if b is not None:
        base = usable_link(b.get("href"), url) or base
    meta.base_url = base
    for el in root.iterfind(".//link[@rel]"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            meta.canonical_url = usable_link(el.get("href"), base)
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


# (the substring tests are a coarse filter for _HIDDEN_CLASS and _HIDDEN_STYLE: "hid" covers
# hidden, hide, visuallyhidden...; the regular expressions then decide on whole words)
_HIDDEN_HINT = re.compile(r"hid|sr-only|screen|d-none|print-only|offscreen").search


def clean_safe(root, amp: bool = True) -> None:
    """Drop what a reader never sees as text: scripts, styles, templates, media, form
    controls, hidden elements, AMP ads and consent boxes. One walk in Python over the
    elements, testing their attributes: the XPath of attribute tests it replaces cost libxml2
    four times as much (1.8 ms on a news page of 800 elements)."""
    from lxml import etree

    drop_tags = _DROP_TAG_SET
    dropped: list = []
    amp_dropped: list = []
    hidden: list = []
    hidden_classes: dict[str, bool] = {}
    for el in root.iter(etree.Element):
        tag = el.tag
        if tag in drop_tags:
            dropped.append(el)
        elif amp and tag.startswith(_AMP_DROP):
            amp_dropped.append(el)
        attrib = el.attrib
        if not attrib:
            continue
        cls = attrib.get("class")
        style = attrib.get("style")
        if not (
            "hidden" in attrib
            or attrib.get("aria-hidden") == "true"
            or (cls and _HIDDEN_HINT(cls))
            or (style and ("none" in style or "hidden" in style))
        ):
            continue
        if _is_hidden(el):
            hidden.append(el)
        elif cls:
            verdict = hidden_classes.get(cls)
            if verdict is None:
                verdict = hidden_classes[cls] = bool(_HIDDEN_CLASS.search(cls))
            if verdict:
                hidden.append(el)
    for el in (*dropped, *amp_dropped, *hidden):
        if el.tag != "html" and el.getparent() is not None:
            _drop(el)


# inline elements are never dropped for their class: that would cut words out of sentences
_INLINE_KEEP = frozenset(("a", "span", "em", "strong", "b", "i", "u", "time", "abbr", "small"))


def clean(root) -> None:
    """Drop navigation and boilerplate containers. Content hints protect the article node."""
    from lxml import etree

    body = root.find("body")
    if body is None:
        body = root
    total = _text_len(body) or 1
    doomed = []
    # In document order, containers before their content. (A walk in Python: an XPath
    # selecting the marked elements cost libxml2 four times as much.)
    boiler_tags = _BOILER_TAGS_AND_FORM
    for el in body.iterdescendants(etree.Element):
        tag = el.tag
        if not el.attrib and tag not in boiler_tags:
            continue  # no class, id, role or data-component: no verdict to give
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
    spared: set[int] | None = None
    gone: set[int] = set()
    for el in doomed:
        if el.getparent() is None or any(id(a) in gone for a in el.iterancestors()):
            continue  # inside a container already dropped
        size = _text_len(el)
        # Never drop the bulk of the page (a body class like "has-sidebar" is no verdict),
        # nor a wrapper of the densest run of paragraphs ("layout-with-rail__wrapper",
        # "widget Blog"): page layouts name their columns after what sits beside them.
        if size > 0.6 * total:
            continue
        if size >= _MIN_CORE_CHARS:  # big enough to hold the article: is it its wrapper?
            if spared is None:
                spared = _around_paragraphs(body)
            if id(el) in spared:
                continue
        gone.add(id(el))
        _drop(el)


def _text_len(el) -> int:
    from lxml import etree

    return len(etree.tostring(el, method="text", encoding="unicode", with_tail=False))


_MIN_CORE_CHARS = 400


def _around_paragraphs(body) -> set[int]:
    """ids of the strict ancestors of the element whose own <p> children hold the most text
    (when that is at least a few sentences): the wrappers of the likely article."""
    best: Any = None
    best_chars = _MIN_CORE_CHARS - 1
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
class Block:
    el: Any  # the block-level element this text belongs to (an lxml element)
    text: str
    links: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, href)
    link_chars: int = 0
    tag: str = "p"


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
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
            blk = Block(el, stripped, links, min(self.link_chars, n), tag)
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


def _weigh(blk: Block) -> tuple[float, float]:
    """(good, bad) weight of a block for choosing the main node."""
    n = len(blk.text)
    if _good(blk):
        return n - blk.link_chars * 0.5, 0.0
    if blk.tag in HEADINGS:
        return 0.0, 0.0
    return 0.0, max(n, 10) * (1.0 if blk.link_chars else 0.4)


_SPLIT_TAGS = BLOCK_TAGS | {"tr"}


def linearise(node) -> tuple[list[Block], dict[int, tuple]]:
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
PUNCT = re.compile(r"[.!?,;:]")


def _good(block: Block) -> bool:
    """Does this block look like article prose?"""
    n = len(block.text)
    if block.tag in HEADINGS or n < 25:
        return False
    if block.link_chars / n >= 0.5:
        return False
    text = block.text
    if n < 200 and ("©" in text or "ight" in text or "droits" in text or "(c)" in text):
        if _COPYRIGHT.search(text):
            return False
    return n >= 80 or bool(PUNCT.search(text))


def main_nodes(stats: dict[int, tuple]) -> list:
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
    return not any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el.iterdescendants())


def _depth(el) -> int:
    d = 0
    while el is not None:
        el = el.getparent()
        d += 1
    return d


# a cheap first test: most short lines start with a letter none of the boilerplate lines uses
_BOILERPLATE_START = re.compile(r"\W*[0-9acefgilmoprst]", re.IGNORECASE).match


def is_boilerplate_text(text: str) -> bool:
    n = len(text)
    return (
        (n <= 40 and bool(_BOILERPLATE_LINE.match(text)))
        or (n <= 60 and _is_dateline(text))
        or (n <= 90 and bool(_MEDIA_LABEL.match(text) or _CREDIT_LINE.match(text)))
        or (n <= 300 and bool(_COPYRIGHT.search(text)))  # "Copyright 2024 ... may not be ..."
    )


def keep_in_main(blk: Block) -> bool:
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


def is_link_list(blk: Block) -> bool:
    """An item of a list of links: "related stories" more often than a list of sources."""
    if blk.tag in ("li", "div", "section", "ul", "ol", "dd", "dt"):
        n = len(blk.text)
        return blk.link_chars / n > 0.7 and not (blk.tag == "div" and n > 200)
    return False


BYLINE = re.compile(
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


def select_main(blocks: list[Block], stats: dict[int, tuple], title: str | None) -> list[Block]:
    """The blocks of the main node, less the boilerplate that sits inside it."""
    nodes = main_nodes(stats)
    if not nodes:
        return []
    inside = set()
    for node in nodes:
        for el in node.iter():
            inside.add(id(el))
    main = [blk for blk in blocks if id(blk.el) in inside and keep_in_main(blk)]
    # A line repeated three times or more is a gallery's or a carousel's label, not prose
    # (table cells and one-word items such as "Yes" repeat legitimately).
    seen: dict[str, int] = {}
    for blk in main:
        if 15 <= len(blk.text) <= 120 and blk.tag not in ("td", "th"):
            seen[blk.text] = seen.get(blk.text, 0) + 1
    if any(n >= 3 for n in seen.values()):
        main = [blk for blk in main if seen.get(blk.text, 0) < 3]
    # The title repeated at the top of the body (as a heading or a bold line) is not body text.
    title_key = norm(title or "")
    for i, blk in enumerate(main[:4]):
        key = norm(blk.text)
        if key and title_key and (key == title_key or (blk.tag in HEADINGS and key in title_key)):
            del main[i]
            break
    # "By Jane Smith, Health reporter" near either end of the body is a byline.
    if len(main) > 1:
        edges = set(range(min(3, len(main)))) | set(range(max(0, len(main) - 2), len(main)))
        main = [
            blk
            for i, blk in enumerate(main)
            if not (i in edges and len(blk.text) <= 80 and BYLINE.match(blk.text))
        ]
    return main


_RX_DROP = re.compile(
    r"<(script|style|template|svg|head)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
RX_NOSCRIPT = re.compile(r"</?noscript\b[^>]*>", re.IGNORECASE)
_RX_BLOCK = re.compile(r"</?(?:" + "|".join(sorted(BLOCK_TAGS)) + r"|br|tr)\b[^>]*>", re.IGNORECASE)
_RX_TAG = re.compile(r"<[^>]*>")


def strip_tags(html: str) -> list[str]:
    """Last resort when the DOM is unusable (nesting deeper than the parser allows): text by
    regular expressions, one paragraph per block tag."""
    import html as htmllib

    text = _RX_DROP.sub(" ", html)
    text = _RX_BLOCK.sub("\n\n", text)
    text = htmllib.unescape(_RX_TAG.sub("", text))
    out = []
    for para in re.split(r"\n\s*\n", text):
        para = WS.sub(" ", para).strip()
        if para:
            out.append(para)
    return out


WORD = re.compile(r"\w+")


def norm(s: str) -> str:
    return " ".join(WORD.findall(s.lower()))
