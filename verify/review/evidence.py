"""Passages of snapshot text that bear on a claim.

`evidence` ranks sentences and two-sentence windows of the snapshot a reviewer sees of each of
the claim's sources. Candidates are found by term overlap (BM25, IDF over the sentences of those
snapshots; key terms of the claim, its numbers, percentages, dates and names, count several
times more than ordinary words), then the best are rescored by a ranker with learned weights
(evidence_model.json beside this module, trained by bench/evidence.py), to a score in [0, 1].
Numbers are normalised ("3,000" = "3000" = "three thousand", "12 percent" = "12%"), words are
lemmatised (simplemma, verify.text.lemmas) and aliases folded (verify.text.aliases). A passage
whose quantity clashes with the claim's is ranked first, with the reason.

`related_evidence` looks for the claim's key terms in OTHER sources' snapshots through the FTS5
index, then ranks passages inside the snapshots it finds the same way."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from verify import store
from verify.review.search import snapshot_matches, terms_query
from verify.text import quantities
from verify.text.aliases import fold_aliases
from verify.text.checkworthy import score_whole, split_sentences
from verify.text.lemmas import lemma

K1 = 1.2
B = 0.75
NUMBER_WEIGHT = 5.0  # numbers, percentages and years count this many times an ordinary word
KEY_WEIGHT = 1.75  # capitalised names and months
MAX_TEXT = 2_000_000  # characters of one snapshot's text considered


@dataclass(frozen=True)
class Passage:
    snapshot_id: int
    source_id: int
    url: str
    passage: str
    score: float
    start: int  # offsets into the snapshot's text: text[start:end] == passage
    end: int
    related: bool = False
    clash: dict[str, Any] | None = None  # {"claim": "22", "passage": "21", "about": [...]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "source_id": self.source_id,
            "url": self.url,
            "passage": self.passage,
            "score": self.score,
            "start": self.start,
            "end": self.end,
            "related": self.related,
            "clash": self.clash,
        }


# --------------------------------------------------------------------------- terms

STOPWORDS = quantities.COMMON_WORDS
_UNITS = {**quantities._ONES, **quantities._TENS}  # number words below a hundred
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
# Letters followed by digits ("CO2", "H2O", "G7") are one word: a formula or a name, not a number.
_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)*(?:\s?%)?|[^\W\d_]+(?:\d[^\W_]*)?(?:['\u2019][^\W\d_]+)*", re.UNICODE
)


def _stem(word: str) -> str:
    """The word's dictionary form (verify.text.lemmas: the same lemmas in ranking, clashes and keys)."""
    return lemma(word)


def _number(text: str) -> str:
    """'3,000' -> '3000'; '3.5' -> '3.5'; '12 %' -> '12%'."""
    pct = text.endswith("%")
    core = text.rstrip("% ")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", core):
        core = core.replace(",", "")
    elif "," in core and "." not in core and re.fullmatch(r"\d+,\d{1,2}", core):
        core = core.replace(",", ".")  # decimal comma
    if "." in core:
        core = core.rstrip("0").rstrip(".") if re.fullmatch(r"\d+\.\d+", core) else core
    return core + ("%" if pct else "")


@dataclass(frozen=True)
class _Term:
    term: str
    key: bool


def terms(text: str) -> list[_Term]:
    """Normalised terms of a text: stemmed words (stopwords dropped) and numbers, with 'key'
    set for numbers, percentages, years, months and capitalised names."""
    return [_Term(term, key) for term, key in _scan(text, True)]


def term_counts(text: str) -> Counter:
    """How often each normalised term occurs in text (the fast path for passages)."""
    return Counter(term for term, _ in _scan(text, False))


def _scan(text: str, keys: bool) -> list[tuple[str, bool]]:
    text = fold_aliases(text)
    if keys:
        raw = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
    else:
        raw = [(tok, 0) for tok in _TOKEN.findall(text)]
    lows = [tok.lower() for tok, _ in raw]
    out: list[tuple[str, bool]] = []
    n = len(raw)
    i = 0
    while i < n:
        tok = raw[i][0]
        low = lows[i]
        if low in STOPWORDS:
            i += 1
            continue
        if tok[0].isdigit():
            value = _number(tok)
            j = i + 1
            if j < n and lows[j] in _SCALES and "%" not in value and "." not in value:
                try:
                    value = str(int(value) * _SCALES[lows[j]])
                    j += 1
                except ValueError:
                    pass
            if j < n and lows[j] in ("percent", "pct") and not value.endswith("%"):
                value += "%"
                j += 1
            elif j + 1 < n and lows[j] == "per" and lows[j + 1] == "cent":
                value += "%"
                j += 2
            out.append((value, True))
            i = j
            continue
        if low in _UNITS:
            number, j = _words_number(raw, i)
            if low == "one" and j == i + 1:
                i += 1  # "one of the", "no one": a pronoun or an ordinal, not a count
                continue
            if j > i:
                if j < n and lows[j] == "percent":
                    out.append((f"{number}%", True))
                    j += 1
                else:
                    out.append((str(number), True))
                i = j
                continue
        if len(low) > 1:
            key = False
            if keys and (tok[0].isupper() or low in _MONTHS):
                pos = raw[i][1]
                sentence_start = pos == 0 or text[max(0, pos - 2) : pos].strip() in (
                    ".",
                    "!",
                    "?",
                    "",
                )
                key = low in _MONTHS or not sentence_start or tok.isupper()
            out.append((_stem(low), key))
        i += 1
    return out


def _words_number(raw: list[tuple[str, int]], i: int) -> tuple[int, int]:
    """Parse 'twenty two thousand' style numbers starting at raw[i]. Returns (value, next index)."""
    total, current, j, seen = 0, 0, i, False
    while j < len(raw):
        word = raw[j][0].lower()
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _SCALES and seen:
            scale = _SCALES[word]
            if scale == 100:
                current *= 100
            else:
                total += current * scale
                current = 0
        elif word == "and" and seen and j + 1 < len(raw) and raw[j + 1][0].lower() in _UNITS:
            pass
        else:
            break
        j += 1
    return total + current, j


# --------------------------------------------------------------------------- passages


def _split(text: str) -> list[tuple[int, int]]:
    """Sentence spans of text (verify.text.checkworthy's splitter; the whole text if it finds none)."""
    spans = [(s.start, s.end) for s in split_sentences(text)]
    return spans or ([(0, len(text))] if text.strip() else [])


@dataclass
class _Candidate:
    snapshot: dict[str, Any]
    start: int
    end: int
    parts: tuple[Counter, ...]  # term counts of the sentences it spans
    length: int


def _candidates(snapshot: dict[str, Any]) -> tuple[list[_Candidate], list[Counter]]:
    """Sentences and two-sentence windows (inside one paragraph) of a snapshot's text."""
    text = (snapshot["text"] or "")[:MAX_TEXT]
    spans = _split(text)
    sentences = []
    for start, end in spans:
        counts = term_counts(text[start:end])
        sentences.append(_Candidate(snapshot, start, end, (counts,), sum(counts.values())))
    out = list(sentences)
    for a, b in zip(sentences, sentences[1:], strict=False):
        if "\n\n" in text[a.end : b.start] or b.end - a.start > 600:
            continue
        out.append(_Candidate(snapshot, a.start, b.end, a.parts + b.parts, a.length + b.length))
    return out, [s.parts[0] for s in sentences]


# --------------------------------------------------------------------------- learned ranking

# What the learned ranker looks at. Each is computed for one candidate passage of a claim;
# bench/evidence.py fits their weights on Climate-FEVER with a pairwise objective (a passage that
# bears on the claim against one that does not, of the same claim). Tried and left out, because
# they did not help on held-out claims: the raw overlap score, adjacent-pair overlap, length,
# headline shape, negation and hedges.
FEATURES: tuple[str, ...] = (
    "coverage",  # share of the claim's term weight the passage holds (names, numbers count more)
    "plain_coverage",  # share of the claim's distinct terms it holds, all counted alike
    "key_coverage",  # share of the claim's key terms (numbers, names, months) it holds
    "numbers_shared",  # share of the claim's numbers it holds
    "factual",  # the passage's own check-worthiness: a statement of fact, not a headline
)
WEIGHTS_PATH = Path(__file__).with_name("evidence_model.json")
RESCORE = 60  # candidates (best by overlap) the learned ranker re-scores


@functools.lru_cache(maxsize=1)
def _shipped_weights() -> dict[str, Any] | None:
    if not WEIGHTS_PATH.exists():
        return None
    doc = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    if list(doc["features"]) != list(FEATURES):
        raise RuntimeError(
            f"{WEIGHTS_PATH.name} does not match this version's features: rebuild it"
        )
    return doc


def _features(
    query: list[_Term], weights: dict[str, float], counts: Counter, text: str
) -> list[float]:
    total = sum(weights.values()) or 1.0
    keys = {t.term for t in query if t.key}
    numbers = {t.term for t in query if t.key and t.term[:1].isdigit()}
    return [
        sum(w for term, w in weights.items() if counts.get(term)) / total,
        sum(1 for term in weights if counts.get(term)) / (len(weights) or 1),
        (sum(1 for k in keys if counts.get(k)) / len(keys)) if keys else 0.0,
        (sum(1 for k in numbers if counts.get(k)) / len(numbers)) if numbers else 0.0,
        score_whole(text.strip()[:600]),
    ]


def _learned(features: list[float], model: dict[str, Any]) -> float:
    z = model["intercept"] + sum(
        w * x for w, x in zip(model["features"].values(), features, strict=True)
    )
    return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0


def _score(
    query: list[_Term],
    candidates: list[_Candidate],
    units: list[Counter],
    *,
    learned: bool = True,
    model: dict[str, Any] | None = None,
    features_only: bool = False,
) -> list[tuple[float, _Candidate, list[float] | None]]:
    """(score, candidate, features) for every candidate sharing a term with the claim, best
    first: the overlap score, then (learned) the learned ranker's probability that the passage
    bears on the claim, over the RESCORE best by overlap."""
    if not query or not candidates:
        return []
    weights: dict[str, float] = {}
    for t in query:
        w = (NUMBER_WEIGHT if t.term[:1].isdigit() else KEY_WEIGHT) if t.key else 1.0
        weights[t.term] = max(weights.get(t.term, 0.0), w)
    n = max(len(units), 1)
    df = {term: sum(1 for u in units if term in u) for term in weights}
    idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}
    avg = sum(c.length for c in candidates) / len(candidates) or 1.0
    scored: list[tuple[float, _Candidate, list[float] | None]] = []
    for c in candidates:
        s = 0.0
        matched = 0
        for term, w in weights.items():
            tf = sum(part.get(term, 0) for part in c.parts)
            if not tf:
                continue
            matched += 1
            s += w * idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * c.length / avg))
        if s <= 0 and not features_only:
            continue
        s *= 0.5 + 0.5 * matched / len(weights)  # reward covering more of the claim
        scored.append((s, c, None))
    if not features_only:
        scored.sort(key=lambda x: (-x[0], x[1].end - x[1].start))
    model = model if model is not None else (_shipped_weights() if learned else None)
    if not (learned or features_only) or (model is None and not features_only):
        return scored
    head = scored if features_only else scored[:RESCORE]
    rescored: list[tuple[float, _Candidate, list[float] | None]] = []
    for s, c, _ in head:
        counts = sum(c.parts, Counter()) if len(c.parts) > 1 else c.parts[0]
        f = _features(query, weights, counts, (c.snapshot["text"] or "")[c.start : c.end])
        rescored.append((_learned(f, model) if model else s, c, f))
    if features_only:
        return rescored
    rescored.sort(key=lambda x: (-x[0], x[1].end - x[1].start))
    return rescored + [(s * 1e-6, c, None) for s, c, _ in scored[RESCORE:]]


def _rank(
    query: list[_Term],
    candidates: list[_Candidate],
    units: list[Counter],
    limit: int,
    related: bool,
) -> list[Passage]:
    scored = _score(query, candidates, units)
    chosen: list[tuple[float, _Candidate]] = []
    for s, c, _ in scored:
        if any(
            o.snapshot["id"] == c.snapshot["id"] and c.start < o.end and o.start < c.end
            for _, o in chosen
        ):
            continue
        chosen.append((s, c))
        if len(chosen) >= limit:
            break
    return [
        Passage(
            snapshot_id=c.snapshot["id"],
            source_id=c.snapshot["source_id"],
            url=c.snapshot["url"],
            passage=c.snapshot["text"][c.start : c.end],
            score=round(s, 4),
            start=c.start,
            end=c.end,
            related=related,
        )
        for s, c in chosen
    ]


def _text_candidates(passages: list[str]) -> tuple[list[_Candidate], list[Counter]]:
    """Each text its own candidate (one sentence each), as if from one snapshot."""
    cands, units = [], []
    for i, text in enumerate(passages):
        counts = term_counts(text)
        snap = {"id": i, "source_id": i, "url": "", "text": text}
        cands.append(_Candidate(snap, 0, len(text), (counts,), sum(counts.values())))
        units.append(counts)
    return cands, units


def passage_features(claim: str, passages: list[str]) -> list[list[float]]:
    """The learned ranker's features (FEATURES) of each passage, as candidates for the claim."""
    cands, units = _text_candidates(passages)
    by_index = {
        c.snapshot["id"]: f
        for _, c, f in _score(terms(claim), cands, units, features_only=True)
        if f is not None
    }
    return [by_index[i] for i in range(len(passages))]


def rank_texts(
    claim: str,
    passages: list[str],
    *,
    learned: bool = True,
    weights: dict[str, Any] | None = None,
) -> list[float]:
    """A score for each passage as evidence for the claim (0 for one sharing no term with it),
    in the passages' order: the learned ranker's (shipped weights, or `weights`), or with
    learned=False the overlap score alone."""
    cands, units = _text_candidates(passages)
    out = [0.0] * len(passages)
    for s, c, _ in _score(terms(claim), cands, units, learned=learned, model=weights):
        out[c.snapshot["id"]] = s
    return out


def rank_passages(
    claim: str, passages: list[str]
) -> list[tuple[int, float, quantities.Clash | None]]:
    """The passages ranked as `evidence` ranks them, clashes marked and put first (with_clashes):
    (index in passages, score, clash or None), best first."""
    scores = rank_texts(claim, passages)
    found = [
        Passage(i, i, "", passages[i], scores[i], 0, len(passages[i]))
        for i in sorted(range(len(passages)), key=lambda i: -scores[i])
        if scores[i] > 0
    ]
    ranked = with_clashes(claim, found, len(found))
    return [
        (p.snapshot_id, p.score, quantities.clash(claim, p.passage) if p.clash else None)
        for p in ranked
    ]


def claim_snapshots(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The snapshot a reviewer sees (store.reviewed_snapshot) of each of the claim's sources,
    where it has text: the same snapshot `assess` binds a quote to."""
    out = []
    for source_id in store.sources.claim_source_ids(db, claim_id):
        snap = store.snapshots.reviewed_snapshot_text(db, source_id)
        if snap and snap["text"]:
            out.append(snap)
    return out


def evidence(db: Database, claim_id: int, *, limit: int = 10) -> list[Passage]:
    """The passages of the claim's snapshots that best bear on it, best first."""
    claim = store.claim_row(db, claim_id)
    query = terms(claim["text"])
    candidates: list[_Candidate] = []
    units: list[Counter] = []
    for snap in claim_snapshots(db, claim["id"]):
        cands, sents = _candidates(snap)
        candidates.extend(cands)
        units.extend(sents)
    ranked = _rank(query, candidates, units, limit * 3, related=False)
    return with_clashes(claim["text"], ranked, limit)


def with_clashes(claim_text: str, passages: list[Passage], limit: int) -> list[Passage]:
    """Mark the passages that give a different number, year, date or name for the same thing as
    the claim (quantities.clash), and rank them first (by score), then the others in their
    order: a contradiction is what a checker must see before anything else."""
    marked = []
    for p in passages:
        found = quantities.clash(claim_text, p.passage)
        marked.append(dataclasses.replace(p, clash=found.as_dict()) if found else p)
    clashes = sorted((p for p in marked if p.clash), key=lambda p: -p.score)
    plain = [p for p in marked if not p.clash]
    return (clashes + plain)[:limit]


def key_terms(text: str, *, limit: int = 10) -> list[str]:
    """Search words for a claim: numbers (in their spellings "3000" and "3,000") and capitalised
    names first, then the longest ordinary words; stopwords and number words dropped."""
    ranked: dict[str, tuple[int, int]] = {}  # word -> (group, -length); group 0 = key
    for t in terms(text):
        value = t.term.rstrip("%")
        if value[:1].isdigit():
            ranked.setdefault(value, (0, -len(value)))
            if re.fullmatch(r"\d{4,}", value) and not re.fullmatch(r"(19|20)\d\d", value):
                ranked.setdefault(f"{int(value):,}", (0, -len(value)))
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        low = tok.lower()
        if tok[0].isdigit() or low in STOPWORDS or low in _UNITS or low in _SCALES:
            continue
        if len(low) < 3 and not (tok.isupper() and len(tok) >= 2):
            continue
        group = 0 if tok[0].isupper() and m.start() > 0 else 1
        ranked.setdefault(low, (group, -len(low)))
    return sorted(ranked, key=lambda w: ranked[w])[:limit]


def related_evidence(
    db: Database, claim_id: int, *, limit: int = 5, snapshots: int = 20
) -> list[Passage]:
    """Passages from snapshots of OTHER sources (not the claim's) that match the claim's key
    terms, found through the FTS5 index and ranked like `evidence`. Passage.related is True."""
    claim = store.claim_row(db, claim_id)
    words = key_terms(claim["text"])
    if not words:
        return []
    own = set(store.sources.claim_source_ids(db, claim["id"]))
    # candidates: snapshots holding all of the first (most specific) key terms, then any of them
    want = snapshots * 3 + len(own)
    rowids: dict[int, None] = {}
    strict = " ".join(terms_query([w]) for w in words[:3])
    for match in dict.fromkeys((strict, terms_query(words))):
        for rowid, _ in snapshot_matches(db, match, want):
            rowids.setdefault(rowid)
        if len(rowids) >= want:
            break
    found = [
        snap
        for rid in rowids
        if (snap := store.snapshots.reviewable_snapshot_text(db, rid))
        and snap["source_id"] not in own
    ]
    chosen: dict[int, dict[str, Any]] = {}
    for snap in found:  # one snapshot per source: the latest of those that matched
        if snap["text"] and (
            snap["source_id"] not in chosen or snap["id"] > chosen[snap["source_id"]]["id"]
        ):
            chosen[snap["source_id"]] = snap
        if len(chosen) >= snapshots:
            break
    query = terms(claim["text"])
    candidates: list[_Candidate] = []
    units: list[Counter] = []
    for snap in chosen.values():
        cands, sents = _candidates(snap)
        candidates.extend(cands)
        units.extend(sents)
    # one passage per snapshot, so related evidence shows several places
    best: dict[int, Passage] = {}
    for p in _rank(query, candidates, units, limit * 4, related=True):
        best.setdefault(p.snapshot_id, p)
    ranked = sorted(best.values(), key=lambda p: -p.score)[:limit]
    return with_clashes(claim["text"], ranked, limit)
