"""PLACEHOLDER being replaced by the scoring work: sentence splitting and check-worthiness.
The dataclass and the function signatures are the contract."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int   # offsets in the text that was split
    end: int


def split_sentences(text: str) -> list[Sentence]:
    out = []
    for m in re.finditer(r"[^.!?]+[.!?]*", text):
        s = m.group().strip()
        if s:
            start = text.index(s, m.start())
            out.append(Sentence(s, start, start + len(s)))
    return out


def score_sentence(text: str, *, has_link: bool = False) -> float:
    return 0.7 if re.search(r"\d", text) or has_link else 0.3


def score_sentences(texts: list[str], *, has_link: list[bool] | None = None) -> list[float]:
    flags = has_link or [False] * len(texts)
    return [score_sentence(t, has_link=f) for t, f in zip(texts, flags, strict=True)]
