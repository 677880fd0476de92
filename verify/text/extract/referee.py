"""trafilatura as the referee of our extractor: a second opinion on where the article is.

- trafilatura (favor_recall, tables) reads the page as we cleaned it (what no reader sees and
  the boilerplate containers gone), so it never brings back what explicit markup names as a
  promo, share bar or related box, and it has less to read;
- referee: our blocks outside the lowest common ancestor of the blocks it also found are
  dropped (teasers, appeals, bios), blocks inside it are kept even when it dropped them
  (tables, lists, captions, short paragraphs), and non-agreed blocks before the first / after
  the last agreed block go unless they are captions or real prose;
- follow_trafilatura: when our main node holds under 30% of what it read, we took the wrong
  node, and the blocks of the whole page that its text agrees with are the article;
- merge: any paragraph of its that we lack (interior ones, or substantial prose) is added.
"""

from __future__ import annotations

import functools
import re

from verify.text.extract.html import HEADINGS, PUNCT, WORD, Block, is_link_list, norm

TRAFILATURA_MAX = 8_000_000  # characters; beyond that our own extractor works alone
TRAFILATURA_MAX_ELEMENTS = 15_000


def small_enough(root) -> bool:
    """trafilatura gets pages of ordinary size only: it is slow on huge DOMs (seconds per
    10,000 elements), and a page that big is a data dump more than an article."""
    count = 0
    for _ in root.iter():
        count += 1
        if count > TRAFILATURA_MAX_ELEMENTS:
            return False
    return bool(count) and any(t.strip() for t in root.itertext())


_PARAGRAPH_TAGS = frozenset(
    "p li blockquote pre td th dd dt figcaption h1 h2 h3 h4 h5 h6 span a b strong em i".split()
)


def referee(main: list[Block], theirs: list[str]) -> list[Block]:
    """Keep our blocks inside the DOM region where trafilatura agrees with us (the lowest
    common ancestor of the blocks it also found): that keeps the tables, lists, captions and
    short paragraphs it drops between agreed paragraphs, and trims the teasers, appeals and
    bios at the edges that our node took in. Captions are kept wherever they sit."""
    if not theirs or not main:
        return [blk for blk in main if not is_link_list(blk)]
    have: set[tuple[str, ...]] = set()
    for p in theirs:
        have |= shingles(p)
    agreed = agreeing(main, have)
    agreed_chars = sum(len(b.text) for b in agreed)
    if not agreed or agreed_chars < 0.3 * sum(len(b.text) for b in main):
        # trafilatura read another part of the page: no referee
        return [blk for blk in main if not is_link_list(blk)]
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
        elif is_link_list(blk):
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
        if (
            not keep[i]
            and kept[i].tag in HEADINGS
            and keep[i + 1]
            and (i + 1 > last or i + 1 == first)
        ):
            keep[i] = True
    return [blk for blk, k in zip(kept, keep, strict=True) if k]


# Under this share of trafilatura's shingles found in our main node, we took the wrong node.
WRONG_NODE = 0.3


def follow_trafilatura(
    main: list[Block], blocks: list[Block], theirs: list[str]
) -> list[Block] | None:
    """When our main node holds under 30% of what trafilatura read (we took a warning box or
    a teaser for the article), the blocks of the whole page that its text agrees with: the
    article, still with our offsets and links. None otherwise."""
    if not theirs:
        return None
    have: set[tuple[str, ...]] = set()
    for blk in main:
        have |= shingles(blk.text)
    theirs_sh = [shingles(p) for p in theirs]
    total = sum(len(sh) for sh in theirs_sh)
    if not total or sum(len(sh & have) for sh in theirs_sh) >= WRONG_NODE * total:
        return None
    return agreeing(blocks, set().union(*theirs_sh)) or None


def agreeing(blocks: list[Block], wanted: set[tuple[str, ...]]) -> list[Block]:
    """The blocks at least half of whose shingles are in `wanted`."""
    out = []
    for blk in blocks:
        sh = shingles(blk.text)
        if sh and len(sh & wanted) * 2 >= len(sh):
            out.append(blk)
    return out


def _edge_worthy(blk: Block) -> bool:
    if blk.tag == "figcaption":
        return True
    parent = blk.el.getparent()
    if parent is not None and parent.tag == "figure":
        return True
    return len(blk.text) >= 80 and bool(PUNCT.search(blk.text))


# (noscript is kept here: a page whose only text sits in <noscript> still has that text)
def second_opinion(root, text: str, url: str | None) -> list[str]:
    """trafilatura's paragraphs for the tree cleaned of what no reader sees ([] for pages
    too big for it)."""
    if len(text) >= TRAFILATURA_MAX or not small_enough(root):
        return []
    out = trafilatura_tree(root, url)
    return [p.strip() for p in re.split(r"\n+", out) if p.strip()]


@functools.lru_cache(maxsize=1)
def _html_lookup():
    """lxml.html's classes, chosen in C: lxml.html's own lookup is a Python call per node
    touched, for the form-control classes trafilatura never uses (and our tree has no
    controls left)."""
    from lxml import etree
    from lxml import html as lxml_html

    return etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )


def trafilatura_tree(root, url: str | None) -> str:
    """trafilatura's text for a copy of our tree, with no serialising and parsing again.

    trafilatura wants lxml.html elements, ours are plain lxml.etree ones (cheaper for our own
    walks). The element class of a node is chosen, when Python first touches it, by its
    document's parser; so the copy is made, and trafilatura runs, while that parser hands out
    lxml.html classes, and it is set back afterwards. The parser is this page's own
    (parse_html makes one per call): no other thread sees the switch, and our tree is not
    touched meanwhile. (trafilatura copies the tree it is given: ours stays as it is.)"""
    import copy

    from lxml import etree

    parser = root.getroottree().parser
    if parser is None:  # not a parsed document: give trafilatura the markup
        return trafilatura_text(etree.tostring(root, encoding="unicode", method="html"), url)
    parser.set_element_class_lookup(_html_lookup())
    try:
        return trafilatura_text(copy.deepcopy(root), url)
    finally:
        parser.set_element_class_lookup(None)


@functools.lru_cache(maxsize=1)
def _config():
    """trafilatura's settings, with its "too short, try the other extractors" threshold at
    50 characters instead of 250: on the short documents between the two, its jusText rescue
    cost more than the rest of the page, and on the 50 pages of bench/extract.py it changed one
    score, for the better (our blocks are the body; its paragraphs only referee). Read-only
    once built, so threads share it."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "50")
    return config


def trafilatura_text(html, url: str | None) -> str:
    """trafilatura's text of a page (markup, or an lxml.html tree); "" when it fails."""
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
            config=_config(),
        )
    except Exception:  # noqa: BLE001 - trafilatura is one opinion among two; never fatal
        return ""
    return out or ""


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    """Word 3-grams of a text, case-folded (the whole text when it has fewer than 3 words).
    Paragraph-sized texts are cached: the referee, the veto and the merge ask for the same
    paragraphs' shingles."""
    if len(text) <= 4000:
        return _shingles_cached(text)
    return _shingles_of(text)


def _shingles_of(text: str) -> frozenset[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    if len(words) < 3:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(zip(words, words[1:], words[2:], strict=False))


_shingles_cached = functools.lru_cache(maxsize=512)(_shingles_of)  # a page holds far fewer


def merge(mine: list[Block], theirs: list[str], title: str | None = None) -> list[Block | str]:
    """Our blocks in document order plus any trafilatura paragraph we lack, put after the last
    block of ours that it followed in its own text (its paragraphs carry no links)."""
    title_key = norm(title or "")
    theirs = [p for p in theirs if norm(p) != title_key]
    if not theirs:
        return list(mine)
    if not mine:
        return list(theirs)
    mine_sh = [shingles(blk.text) for blk in mine]
    have: dict[tuple[str, ...], int] = {}  # shingle -> first block of ours holding it
    for i in range(len(mine_sh) - 1, -1, -1):
        have.update(dict.fromkeys(mine_sh[i], i))
    theirs_sh = [shingles(p) for p in theirs]
    total = sum(len(sh) for sh in theirs_sh) or 1
    have_keys = have.keys()
    common = [sh & have_keys for sh in theirs_sh]
    found = sum(len(c) for c in common)
    if found / total < WRONG_NODE:
        # We picked the wrong node and no block of the page agrees: trafilatura's text is
        # the better body.
        return list(theirs)
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
    ours_flat: str | None = None
    for i, p in enumerate(theirs):
        if matched[i] or not theirs_sh[i]:
            continue
        interior = first_match < i < last_match
        # Outside our span only substantial prose is taken: short lines there are bylines,
        # credits and footers more often than article text.
        if interior or (len(p) >= 120 and PUNCT.search(p)):
            # a piece of one of our paragraphs (trafilatura cuts short documents at inline
            # links: "officials said") is not missing
            if ours_flat is None:
                ours_flat = " " + " | ".join(norm(blk.text) for blk in mine) + " "
            if f" {norm(p)} " not in ours_flat:
                inserts.setdefault(where[i], []).append(p)
    out: list[Block | str] = list(inserts.get(-1, []))
    for i, blk in enumerate(mine):
        out.append(blk)
        out.extend(inserts.get(i, []))
    return out
