"""Match keys: a text reduced to what it is about, so that two texts saying the same thing in
other words share keys. The concepts of its ordinary words (their lemma, verify.text.lemmas, with
synonyms folded: "killed", "died" and "dead" are one key; aliases folded by verify.text.aliases:
"Islamic State" and "ISIS", "troops" and "soldiers", "German" and "Germany"), its names, and its numbers in one spelling whatever way
they were written ("twenty-two", "22" and "22.0" are all `n22`; "12 percent" is `p12`; "in 2014"
is `y2014`). Keys are plain ASCII words, so an FTS5 index with the unicode61 tokenizer stores them
as they are.

This module owns the rule. The archive's schema calls it too: `store.connect` registers
`match_keys` as the SQL function `verify_match_keys`, which the triggers keeping the decided
claims' keys (migration 0010) use. Changing the rule means re-keying what archives store: a
migration that recomputes the keys (0012 did it for lemmas and aliases)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from verify.text import quantities
from verify.text.aliases import fold_aliases

_ASCII_WORD = re.compile(r"[a-z]+")
NUMBER_KEY = re.compile(r"[npymd]\d[\dd]*")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)
_STOP = quantities.STOPWORDS | frozenset(
    """claim claims claimed says said state states stated show shows showed report reports
    reported new like get got make made go going people""".split()
) - {"people"}


@dataclass(frozen=True)
class Keys:
    """The match keys of a text, and where they came from (for the reasons)."""

    keys: tuple[str, ...]
    numbers: dict[str, str]  # key -> the number as written ("n22" -> "twenty-two")
    names: dict[str, str]  # key -> the capitalised word ("bamako" -> "Bamako")
    words: dict[str, str]  # key -> a word as written ("death" -> "died")


@lru_cache(maxsize=16384)
def text_keys(text: str) -> Keys:
    """Match keys of a text: number keys first, then concepts of names and ordinary words.
    Cached: the same earlier claims are candidates for many claims (read-only result)."""
    text = fold_aliases(text)  # "Islamic State" and "ISIS", "troops" and "soldiers" are one key
    numbers: dict[str, str] = {}
    for q in quantities.quantities(text):
        numbers.setdefault(quantities.key(q), q.text)
    names: dict[str, str] = {}
    words: dict[str, str] = {}
    for m in _WORD.finditer(text):
        tok = m.group(0)
        low = tok.lower()
        if low in _STOP or len(low) < 2 or low in quantities._ONES or low in quantities._TENS:
            continue
        if low in quantities._SCALES or low == "dozen":
            continue
        key = quantities.concept(low)
        if not _ASCII_WORD.fullmatch(key):  # keys are plain ASCII words (the FTS tokenizer)
            key = re.sub(r"[^0-9a-z]", "", key.encode("ascii", "ignore").decode().lower())
            if len(key) < 2:
                continue
        before = text[max(0, m.start() - 4) : m.start()].rstrip()
        sentence_start = m.start() == 0 or not before or before[-1] in '.!?"\u201c('

        if tok[0].isupper() and (not sentence_start or tok.isupper()):
            names.setdefault(key, tok)
        elif key not in names:
            words.setdefault(key, tok)
    for key in names:
        words.pop(key, None)
    keys = tuple(dict.fromkeys([*numbers, *names, *words]))
    return Keys(keys, numbers, names, words)


def match_keys(text: str) -> str:
    """The keys of a text as one space-separated string (what the index stores)."""
    return " ".join(text_keys(text).keys)


def key_label(key: str) -> str:
    """A number key for people: 'n21' -> '21', 'p12d5' -> '12.5%', 'y2014' -> '2014'."""
    if not NUMBER_KEY.fullmatch(key):
        return key
    value = key[1:].replace("d", ".")
    return value + "%" if key[0] == "p" else value
