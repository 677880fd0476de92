"""One lemmatiser for ranking, clashes and matching keys: simplemma's English dictionary
("causes", "caused" -> "cause"; "soldiers" -> "soldier"; "died" -> "die"), with a possessive
"'s" dropped first. Pure and cached; nothing is downloaded (the dictionary ships in the wheel)."""

from __future__ import annotations

import functools

import simplemma


@functools.lru_cache(maxsize=131072)
def lemma(word: str) -> str:
    """The dictionary form of one lower-cased English word; the word itself when unknown."""
    w = word.lower()
    if w.endswith(("'s", "\u2019s")):
        w = w[:-2]
    if not w.isalpha():
        return w
    return simplemma.lemmatize(w, lang="en").lower()
