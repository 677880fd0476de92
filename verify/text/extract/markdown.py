"""Markdown to readable text, with [anchor](url) links at their offsets in that text."""

from __future__ import annotations

import re

from verify.text.extract.result import Link, usable_link

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
        inner: list[tuple[int, int, str]]
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


def read_markdown(text: str, url: str | None) -> tuple[str | None, str, tuple[Link, ...]]:
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
            target = usable_link(href, url)
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


_MD_SYNTAX = re.compile(
    r"^\s{0,3}#{1,6}\s+\S|\[[^\]\n]+\]\(\s*<?[^)\s>]+>?[^)]*\)|\[[^\]\n]+\]\[[^\]\n]*\]"
    r"|^\s{0,3}\[[^\]]+\]:\s*\S|<https?://[^>\s]+>|\*\*\S[^*\n]*\*\*|^\s{0,3}(?:```|~~~)",
    re.MULTILINE,
)


def looks_like_markdown(text: str) -> bool:
    """Markdown syntax (headings, [links](url), **strong**, fences): plain text has none."""
    return bool(_MD_SYNTAX.search(text[:200_000]))


_BARE_URL = re.compile(r"(?<![\w/(\[])https?://[^\s<>()\[\]\"']+")


def bare_links(text: str, url: str | None) -> tuple[Link, ...]:
    """The http(s) URLs written out in plain text, as links at their offsets."""
    links = []
    for m in _BARE_URL.finditer(text):
        found = m.group(0).rstrip(".,;:!?")
        target = usable_link(found, url)
        if target:
            links.append(Link(target, found, m.start(), m.start() + len(found)))
    return tuple(links)
