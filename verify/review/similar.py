"""Has this been checked before? Decided claims of this archive, others' published fact-checks
(known reviews, imported from ClaimReview), and earlier claims not decided yet, that say the same
thing as a claim.

Texts are compared by their match keys (verify.text.matchkeys). Known reviews and decided claims keep
their keys in an FTS5 index plus a table of how many rows hold each key (decided claims: kept by
triggers, migration 0010). A lookup reads the posting lists of the claim's RAREST keys only
(within a budget of index entries: a common key would make it read most of the index and narrow
nothing down), in rowid order, summing the keys' weights per row (FTS5's own bm25 ranking is not
used: it looks up the size of every matching row). The best candidates are then scored on all
their stored keys, weighted by rarity (cosine over IDF weights), and the reason is given: shared
numbers, names, words, and numbers that differ.

Earlier claims not decided yet have no keys stored (they are most of an archive, and change
status often); they are found through the claims' own full-text index (one sub-query per idea of
the claim: a number in its spellings, a name, a word with its synonyms; ideas held by
CLAIM_COMMON earlier claims or more are left out) and their keys derived when scored."""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from verify import store
from verify.text import matchkeys, quantities
from verify.text.matchkeys import Keys, text_keys

MIN_SCORE = 0.3  # below this a candidate is not listed
CANDIDATES = 50  # candidates scored per source (known reviews, archive claims)
MAX_QUERY_KEYS = 8  # rarest keys asked of the index
COMMON = 0.02  # keys held by more than this share of reviews stay out of the query ...
COMMON_FLOOR = 2000  # ... unless they are held by fewer reviews than this
MAX_CLAIM_TERMS = 10  # ideas of a claim counted in the claims' index
CLAIM_COMMON = 1000  # an idea held by this many earlier claims or more is too common to ask for
POSTINGS = 4_000  # at most this many index entries read per lookup (at least two keys asked)
DECIDED_FLOOR = 1000  # decided claims' keys are weighed as if there were at least this many
DECIDED_POSTINGS = 1_000  # the budget for decided claims: every claim page view asks for them


@dataclass(frozen=True)
class Match:
    kind: str  # "review" (a known review) or "claim" (an earlier claim in this archive)
    id: int
    text: str
    score: float
    reason: dict[str, Any]
    verdict: str | None  # the claim's verdict, or the review's rating
    by: str | None  # who decided (reviewer) or published the review
    date: str | None  # when (YYYY-MM-DD when known)
    url: str | None = None
    status: str | None = None  # claims: their queue status
    claimant: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def checked(self) -> bool:
        """Was it checked: a decided claim, or a published review?"""
        return self.kind == "review" or self.status == "decided"

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "id": self.id,
            "text": self.text,
            "score": self.score,
            "reason": self.reason,
            "verdict": self.verdict,
            "by": self.by,
            "date": self.date,
            "url": self.url,
            "status": self.status,
            "claimant": self.claimant,
            "checked": self.checked,
        }

    def summary(self) -> str:
        """'false, by PolitiFact on 2015-11-25' (what the claim page and the CLI show)."""
        out = self.verdict or ("not decided" if self.kind == "claim" else "no rating")
        if self.by:
            out += f", by {self.by}"
        if self.date:
            out += f" on {self.date}"
        return out


def _idf(total: int, docs: int) -> float:
    return math.log(1 + (total - docs + 0.5) / (docs + 0.5))


_is_number_key = matchkeys.NUMBER_KEY.fullmatch


def _score(
    mine: Keys, theirs: set[str], weight: dict[str, float], default: float
) -> tuple[float, dict[str, Any]]:
    """Cosine of the two key sets weighted by rarity; and the reason (what is shared), given
    only for a score of MIN_SCORE or more. `weight` holds the weights of the claim's own keys;
    any other key weighs `default`."""
    shared = theirs.intersection(mine.keys)
    if not shared:
        return 0.0, {}
    get = weight.get
    common = sum(get(k, default) ** 2 for k in shared)
    theirs_norm = common + (len(theirs) - len(shared)) * default**2  # their other keys: default
    score = common / math.sqrt(sum(get(k, default) ** 2 for k in mine.keys) * theirs_norm)
    their_numbers: set[str] = set()
    if mine.numbers:
        their_numbers = {k for k in theirs if k[1:2].isdigit() and _is_number_key(k)}
        if their_numbers and not their_numbers.intersection(mine.numbers):
            score *= 0.8  # the same thing with other figures: still worth seeing, ranked lower
    score = round(score, 4)
    if score < MIN_SCORE:
        return score, {}
    reason: dict[str, Any] = {
        "numbers": [mine.numbers[k] for k in mine.numbers if k in shared],
        "names": [mine.names[k] for k in mine.names if k in shared],
        "words": [mine.words[k] for k in mine.words if k in shared],
    }
    if not mine.numbers:
        return score, reason
    differ = sorted(set(mine.numbers) - their_numbers), sorted(their_numbers - set(mine.numbers))
    if differ[0] and differ[1]:
        reason["numbers_differ"] = {
            "claim": [mine.numbers[k] for k in differ[0]],
            "match": [matchkeys.key_label(k) for k in differ[1]],
        }
    return score, reason


def reason_text(reason: dict[str, Any]) -> str:
    """'shares numbers 22; names Bamako; words died, hotel' for people."""
    parts = []
    for label, name in (("numbers", "numbers"), ("names", "names"), ("words", "words")):
        if reason.get(label):
            parts.append(f"{name} {', '.join(reason[label])}")
    out = "shares " + "; ".join(parts) if parts else ""
    differ = reason.get("numbers_differ")
    if differ:
        out += f"{'; ' if out else ''}numbers differ: {', '.join(differ['claim'])} here, {', '.join(differ['match'])} there"
    return out


# --------------------------------------------------------------------------- known reviews


def _weights(db: Database, keys: tuple[str, ...]) -> tuple[dict[str, int], int]:
    """Document frequency of each key among known reviews, and their number."""
    total = store.known.known_review_count(db)
    if not keys or not total:
        return {}, total
    return store.known.known_review_docs(db, keys), total


def _candidates(
    db: Database,
    mine: Keys,
    df: dict[str, int],
    total: int,
    index: str,
    wanted: int,
    budget: int = POSTINGS,
) -> tuple[dict[int, float], dict[str, float], float]:
    """Rows of a keys index (known reviews, decided claims) sharing the claim's rarest keys,
    with the sum of the shared keys' weights (the `wanted` best); the keys' weights; the weight
    of a key the claim does not have."""
    present = [k for k in mine.keys if df.get(k)]
    weight = {k: _idf(total, df.get(k, 0)) for k in mine.keys}
    default = _idf(total, 1) * 0.5  # a key of a candidate the claim does not have
    if not present:
        return {}, weight, default
    cap = max(COMMON_FLOOR, int(total * COMMON))
    chosen: list[str] = []
    postings = 0
    for k in sorted(present, key=lambda k: df[k]):  # rarest first, within a budget of entries
        if len(chosen) >= 2 and (
            df[k] > cap or postings + df[k] > budget or len(chosen) >= MAX_QUERY_KEYS
        ):
            break
        chosen.append(k)
        postings += df[k]
    # each chosen key's posting list (no ranking inside FTS5: bm25 would look up every matching
    # row's size), the keys' weights summed per row inside SQLite
    found = store.known.key_postings(db, index, [(k, weight[k]) for k in chosen], wanted)
    return found, weight, default


def _review_candidates(db: Database, mine: Keys) -> tuple[list[int], dict[str, float], float]:
    df, total = _weights(db, mine.keys)
    found, weight, default = _candidates(db, mine, df, total, "known_reviews_fts", CANDIDATES)
    return list(found), weight, default


def similar_reviews(db: Database, text: str, *, limit: int = 10) -> list[Match]:
    """Known reviews that say the same thing as text, best first."""
    mine = text_keys(text)
    rowids, weight, default = _review_candidates(db, mine)
    if not rowids:
        return []
    out = []
    for r in store.known.known_reviews(db, rowids):
        score, reason = _score(mine, set(r["keys"].split()), weight, default)
        if score < MIN_SCORE:
            continue
        out.append(
            Match(
                "review",
                r["id"],
                r["claim_text"],
                score,
                reason,
                r["rating"],
                r["publisher"],
                _day(r["reviewed_at"]),
                url=r["url"],
                claimant=r["claimant"],
            )
        )
    out.sort(key=lambda m: (-m.score, m.id))
    return out[:limit]


def _day(stamp: str | None) -> str | None:
    if not stamp:
        return None
    m = re.match(r"\d{4}-\d{2}-\d{2}", stamp)
    return m.group(0) if m else stamp


# --------------------------------------------------------------------------- archive claims


def _claim_match(r: dict[str, Any], score: float, reason: dict[str, Any]) -> Match:
    """A claims row (id, text, status, verdict, decided_by, decided_at) as a match."""
    return Match(
        "claim",
        r["id"],
        r["text"],
        score,
        reason,
        r["verdict"],
        r["decided_by"],
        _day(r["decided_at"]),
        status=r["status"],
    )


_NUMBER_WORDS = {v: k for k, v in {**quantities._ONES, **quantities._TENS}.items()}


def _spellings(q: quantities.Quantity) -> list[str]:
    """How a number may be written in another claim (FTS phrases): '22', 'twenty two', '3 000'."""
    out = [q.text]
    value = q.value
    if float(value).is_integer():
        v = int(value)
        out.append(str(v))
        if v >= 1000:
            out.append(f"{v:,}".replace(",", " "))  # the tokenizer splits 3,000 into 3 000
        if v < 100 and v not in (0, 1):
            if v in _NUMBER_WORDS:
                out.append(_NUMBER_WORDS[v])
            elif v % 10:
                out.append(f"{_NUMBER_WORDS[v - v % 10]} {_NUMBER_WORDS[v % 10]}")
        for name, scale in (("million", 10**6), ("billion", 10**9), ("thousand", 10**3)):
            if v >= scale and v % (scale // 10) == 0:
                short = v / scale
                out.append(f"{short:g} {name}".replace(".", " "))
                break
    return list(dict.fromkeys(out))


def _fts_phrase(words: str) -> str:
    cleaned = " ".join(re.findall(r"\w+", words))
    return f'"{cleaned}"' if cleaned else ""


def _claim_terms(text: str, mine: Keys) -> list[str]:
    """FTS5 sub-queries over the claims' own index, one per idea of the claim: a number in its
    spellings, a name, a word with its synonyms (each an OR group)."""
    terms: list[str] = []
    for q in quantities.quantities(text):
        spellings = [p for p in (_fts_phrase(s) for s in _spellings(q)) if p]
        if spellings:
            terms.append("(" + " OR ".join(dict.fromkeys(spellings)) + ")")
    groups = {g: words.split() for g, words in quantities._GROUPS.items()}
    for key, word in [*mine.names.items(), *mine.words.items()]:
        phrases = [_fts_phrase(word), *(_fts_phrase(o) for o in groups.get(key, ())[:10])]
        phrases = [p for p in dict.fromkeys(phrases) if p]
        if phrases:
            terms.append("(" + " OR ".join(phrases) + ")")
    return list(dict.fromkeys(terms))


def similar_claims(
    db: Database, claim: dict[str, Any], *, limit: int = 10, candidates: int = CANDIDATES
) -> list[Match]:
    """Earlier claims in this archive not decided yet (lower ids, other articles, not
    candidates) that say the same thing as `claim` (a dict with id, text, article_id), by score.
    Decided ones are found through their keys: `checked_claims`."""
    mine = text_keys(claim["text"])
    terms = _claim_terms(claim["text"], mine)[:MAX_CLAIM_TERMS]  # numbers and names come first
    if not terms:
        return []
    # each idea's earlier claims, read in rowid order up to CLAIM_COMMON (an idea held by more
    # is too common to narrow anything down), summing the ideas' weights per claim
    scores: dict[int, float] = {}
    common: list[str] = []
    for term in terms:
        rowids = store.known.earlier_claims_matching(db, term, claim["id"], CLAIM_COMMON)
        if len(rowids) >= CLAIM_COMMON:
            common.append(term)
            continue
        w = math.log(1 + claim["id"] / (len(rowids) + 1))
        for rowid in rowids:
            scores[rowid] = scores.get(rowid, 0.0) + w
    if scores:
        best = [r for r, _ in heapq.nlargest(candidates * 2, scores.items(), key=itemgetter(1))]
        found = store.known.claims_brief(db, best, open_only=True)
        found.sort(key=lambda r: -scores[r["id"]])
    elif len(common) >= 2:  # every idea is common: the newest claims holding three together
        found = store.known.newest_open_claims_matching(
            db, " AND ".join(common[:3]), claim["id"], candidates * 2
        )
    else:
        return []
    found = [
        r
        for r in found
        if (claim.get("article_id") is None or r["article_id"] != claim.get("article_id"))
    ][:candidates]
    if not found:
        return []
    # rarity among the candidates and the claim itself (no statistics are kept for claims)
    pool = [text_keys(r["text"]) for r in found]
    n = len(pool) + 1
    counts: dict[str, int] = {}
    for keys in pool:
        for k in set(keys.keys):
            counts[k] = counts.get(k, 0) + 1
    weight = {k: _idf(n * 10, counts.get(k, 0)) for k in mine.keys}
    default = _idf(n * 10, 1) * 0.5
    out = []
    for r, theirs in zip(found, pool, strict=True):
        score, reason = _score(mine, set(theirs.keys), weight, default)
        if score < MIN_SCORE:
            continue
        out.append(_claim_match(r, score, reason))
    out.sort(key=lambda m: (-m.score, m.id))
    return out[:limit]


def checked_claims(
    db: Database, claim: dict[str, Any], *, limit: int = 10, candidates: int = CANDIDATES
) -> list[Match]:
    """Decided claims of this archive (any but `claim` and those of its article) that say the same
    thing as `claim` (a dict with id, text, article_id), best first: read from the decided
    claims' keys (migration 0010), the way known reviews are."""
    mine = text_keys(claim["text"])
    if not mine.keys:
        return []
    df = store.known.decided_key_docs(db, mine.keys)
    decided = df.pop("", 0)
    if not decided:
        return []
    # on a few decided claims rarity says little: weigh keys as if there were DECIDED_FLOOR
    found, weight, default = _candidates(
        db,
        mine,
        df,
        max(decided, DECIDED_FLOOR),
        "decided_claim_keys_fts",
        candidates + 1,
        DECIDED_POSTINGS,
    )
    found.pop(claim["id"], None)
    if not found:
        return []
    # scored on their stored keys alone; the claims' rows read for the best few only
    scored = []
    for cid, keys in store.known.decided_keys(db, list(found)):
        score, reason = _score(mine, set(keys.split()), weight, default)
        if score >= MIN_SCORE:
            scored.append((-score, cid, reason))
    scored.sort(key=itemgetter(0, 1))
    best: list[tuple[float, int, dict[str, Any]]] = []
    rows: dict[int, dict[str, Any]] = {}
    while scored and len(best) < limit:  # those of the claim's own article are left out
        batch, scored = scored[: 2 * limit], scored[2 * limit :]
        for r in store.known.claims_brief(db, [cid for _, cid, _ in batch]):
            if claim.get("article_id") is None or r["article_id"] != claim["article_id"]:
                rows[r["id"]] = r
        best += [(-neg, cid, reason) for neg, cid, reason in batch if cid in rows]
    best = best[:limit]
    out = []
    for score, cid, reason in best:
        r = rows[cid]
        out.append(_claim_match(r, score, reason))
    return out


# --------------------------------------------------------------------------- both


def similar(
    db: Database, claim_id: int, *, limit: int = 10, checked_only: bool = False
) -> list[Match]:
    """What says the same thing as the claim: decided claims and known reviews first (by score),
    then earlier claims not decided yet (none with checked_only).
    NotFoundError for an unknown claim."""
    claim = store.claim_row(db, claim_id)
    found = checked_claims(db, claim, limit=limit)
    found += similar_reviews(db, claim["text"], limit=limit)
    if not checked_only:
        found += similar_claims(db, claim, limit=limit)
    found.sort(key=lambda m: (not m.checked, -m.score, m.kind, m.id))
    return found[:limit]


def checked_before(db: Database, claim_id: int, *, limit: int = 3) -> list[Match]:
    """The matches that were checked (decided claims, published reviews), best first."""
    return [m for m in similar(db, claim_id, limit=limit, checked_only=True) if m.checked]
