"""One lemmatiser for ranking, clashes and matching keys: simplemma's English dictionary
("causes", "caused" -> "cause"; "soldiers" -> "soldier"; "died" -> "die"), with a possessive
"'s" dropped first. Pure and cached; nothing is downloaded (the dictionary ships in the wheel)."""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def _simplemma() -> ModuleType:
    """simplemma, imported on the first word to lemmatise: importing it loads the rules of
    every language it knows (about 0.1 s), which a command that never compares texts should
    not pay at start-up."""
    import simplemma

    return simplemma


@functools.lru_cache(maxsize=131072)
def lemma(word: str) -> str:
    """The dictionary form of one lower-cased English word; the word itself when unknown."""
    w = word.lower()
    if w.endswith(("'s", "\u2019s")):
        w = w[:-2]
    if not w.isalpha():
        return w
    return _simplemma().lemmatize(w, lang="en").lower()
