"""Turn plain text plus character spans into escaped HTML with <mark> (or <a>) around the spans.
Pure: no database, no Flask. Overlapping spans are split at their edges, so a stretch covered by
an evidence passage and a quote carries both classes."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    cls: str
    href: str | None = None
    title: str | None = None
    anchor: str | None = None  # id= of the first piece, for #links


def highlight(text: str, spans: list[Span]) -> Markup:
    """Escaped `text` with every span wrapped; spans outside the text are clipped or dropped."""
    size = len(text)
    valid = [s for s in spans if 0 <= s.start < s.end and s.start < size]
    if not valid:
        return escape(text)
    edges = sorted({0, size, *(s.start for s in valid), *(min(s.end, size) for s in valid)})
    out: list[str] = []
    seen_anchor: set[str] = set()
    for lo, hi in zip(edges, edges[1:], strict=False):
        if lo >= hi:
            continue
        piece = str(escape(text[lo:hi]))
        covering = [s for s in valid if s.start <= lo and min(s.end, size) >= hi]
        if not covering:
            out.append(piece)
            continue
        classes = " ".join(dict.fromkeys(s.cls for s in covering))
        link = next((s for s in covering if s.href), None)
        title = next((s.title for s in covering if s.title), None)
        attrs = f' class="{escape(classes)}"'
        if title:
            attrs += f' title="{escape(title)}"'
        for s in covering:
            if s.anchor and s.anchor not in seen_anchor and s.start == lo:
                seen_anchor.add(s.anchor)
                attrs += f' id="{escape(s.anchor)}"'
                break
        if link:
            out.append(f'<a href="{escape(link.href)}"{attrs}>{piece}</a>')
        else:
            out.append(f"<mark{attrs}>{piece}</mark>")
    return Markup("".join(out))
