"""Quote matching: where a reviewer's quoted passage sits in a snapshot's readable text.

Pure: no database. A quote matches only the same words: differences of white space, of the kind
of quote mark or apostrophe (straight or typographic), of dash (hyphen, en or em dash, minus), of
ellipsis form and of invisible characters (soft hyphen, zero-width space) are forgiven, and
nothing else: no case folding, no similarity ratio. "21 people died" never matches "22 people
died". Stored quotes are W3C Web Annotation TextQuoteSelectors (exact, prefix, suffix) with the
offsets where they were found."""

from __future__ import annotations

from typing import Any

SELECTOR_CONTEXT = 32  # characters of prefix/suffix kept in a TextQuoteSelector

# typographic punctuation -> the plain form it is compared as
_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
}


def fold(text: str) -> tuple[str, list[int]]:
    """Text with the forgiven differences removed: typographic punctuation to its plain form,
    invisible characters dropped, every run of white space to one space (none at the ends).
    Returns the folded text and, per folded character, the index of the original character."""
    out: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        mapped = _FOLD.get(ch, ch)
        if mapped == " " or ch.isspace():
            pending_space = bool(out)
            continue
        if not mapped:
            continue
        if pending_space:
            out.append(" ")
            origin.append(i - 1)
            pending_space = False
        for m in mapped:
            out.append(m)
            origin.append(i)
    return "".join(out), origin


def find_all(text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) in `text` where `quote` occurs, up to the forgiven differences.
    Offsets are into the original text and trimmed to the quoted characters."""
    if not text or not quote or not quote.strip():
        return []
    folded, origin = fold(text)
    needle = fold(quote)[0]
    if not needle:
        return []
    spans = []
    pos = folded.find(needle)
    while pos != -1:
        spans.append((origin[pos], origin[pos + len(needle) - 1] + 1))
        pos = folded.find(needle, pos + 1)
    return spans


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """The first place `quote` occurs in `text` (see find_all), or None."""
    spans = find_all(text, quote)
    return spans[0] if spans else None


def make_selector(
    text: str, start: int, end: int, *, context: int = SELECTOR_CONTEXT
) -> dict[str, Any]:
    """A TextQuoteSelector (plus TextPositionSelector offsets) for text[start:end]."""
    return {
        "type": "TextQuoteSelector",
        "exact": text[start:end],
        "prefix": text[max(0, start - context) : start],
        "suffix": text[end : end + context],
        "start": start,
        "end": end,
    }


def _context_agreement(text: str, span: tuple[int, int], selector: dict[str, Any]) -> int:
    """How many characters of the selector's prefix and suffix the text around `span` shares."""
    start, end = span
    score = 0
    prefix = fold(selector.get("prefix") or "")[0]
    if prefix:
        before = fold(text[max(0, start - len(prefix) - 8) : start])[0]
        n = 0
        while n < min(len(before), len(prefix)) and before[-1 - n] == prefix[-1 - n]:
            n += 1
        score += n
    suffix = fold(selector.get("suffix") or "")[0]
    if suffix:
        after = fold(text[end : end + len(suffix) + 8])[0]
        n = 0
        while n < min(len(after), len(suffix)) and after[n] == suffix[n]:
            n += 1
        score += n
    return score


def locate(selector: dict[str, Any], text: str) -> tuple[int, int] | None:
    """Where a stored selector's exact quote occurs in `text` (the same words only; see the
    module docstring). Several occurrences are told apart by the prefix and suffix, then by
    closeness to the stored offset. None when the words are not there."""
    exact = selector.get("exact") or ""
    spans = find_all(text, exact)
    if not spans:
        return None
    if len(spans) == 1:
        return spans[0]
    hint = selector.get("start")
    return max(
        spans,
        key=lambda sp: (
            _context_agreement(text, sp, selector),
            -abs(sp[0] - hint) if isinstance(hint, int) else 0,
        ),
    )
