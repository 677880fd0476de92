"""Has this been checked before? Earlier claims in this archive and others' published fact-checks
(known reviews, imported from ClaimReview) that say the same thing as a claim.

A text is reduced to match keys (`match_keys`): the concepts of its ordinary words (a light stem,
with synonyms folded: "killed", "died" and "dead" are one key), and its numbers in one spelling
whatever way they were written ("twenty-two", "22" and "22.0" are all `n22`; "12 percent" is
`p12`; "in 2014" is `y2014`). Known reviews keep their keys in an FTS5 index plus a table of how
many reviews hold each key. A lookup reads the posting lists of the claim's RAREST keys only
(within a budget of index entries: a common key would make it read most of the index and narrow
nothing down), in rowid order, summing the keys' weights per review (FTS5's own bm25 ranking is
not used: it looks up the size of every matching row). The best 50 candidates are then scored on
all their keys, weighted by rarity (cosine over IDF weights), and the reason is given: shared
numbers, names, words, and numbers that differ.

Earlier claims in this archive are found the same way through the claims' own full-text index
(one sub-query per idea of the claim: a number in its spellings, a name, a word with its
synonyms; ideas held by CLAIM_COMMON earlier claims or more are left out). Nothing is stored for
a lookup."""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from . import archive, quantities, store

MIN_SCORE = 0.3  # below this a candidate is not listed
CANDIDATES = 50  # candidates scored per source (known reviews, archive claims)
MAX_QUERY_KEYS = 8  # rarest keys asked of the index
COMMON = 0.02  # keys held by more than this share of reviews stay out of the query ...
COMMON_FLOOR = 2000  # ... unless they are held by fewer reviews than this
MAX_CLAIM_TERMS = 10  # ideas of a claim counted in the claims' index
CLAIM_COMMON = 1000  # an idea held by this many earlier claims or more is too common to ask for
POSTINGS = 4_000  # at most this many index entries read per lookup (at least two keys asked)

_ASCII_WORD = re.compile(r"[a-z]+")
_NUMBER_KEY = re.compile(r"[npymd]\d[\dd]*")
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


def key_label(key: str) -> str:
    """A number key for people: 'n21' -> '21', 'p12d5' -> '12.5%', 'y2014' -> '2014'."""
    if not _NUMBER_KEY.fullmatch(key):
        return key
    value = key[1:].replace("d", ".")
    return value + "%" if key[0] == "p" else value


def _score(
    mine: Keys, theirs: set[str], weight: dict[str, float], default: float
) -> tuple[float, dict[str, Any]]:
    """Cosine of the two key sets weighted by rarity; and the reason (what is shared)."""
    a = set(mine.keys)
    shared = a & theirs
    if not shared:
        return 0.0, {}

    def w(k: str) -> float:
        return weight.get(k, default)

    score = sum(w(k) ** 2 for k in shared) / math.sqrt(
        sum(w(k) ** 2 for k in a) * sum(w(k) ** 2 for k in theirs)
    )
    mine_numbers = set(mine.numbers)
    their_numbers = {k for k in theirs if _NUMBER_KEY.fullmatch(k)}
    if mine_numbers and their_numbers and not (mine_numbers & their_numbers):
        score *= 0.8  # the same thing with other figures: still worth seeing, ranked lower
    reason: dict[str, Any] = {
        "numbers": [mine.numbers[k] for k in mine.numbers if k in shared],
        "names": [mine.names[k] for k in mine.names if k in shared],
        "words": [mine.words[k] for k in mine.words if k in shared],
    }
    differ = sorted(mine_numbers - their_numbers), sorted(their_numbers - mine_numbers)
    if differ[0] and differ[1]:
        reason["numbers_differ"] = {
            "claim": [mine.numbers[k] for k in differ[0]],
            "match": [key_label(k) for k in differ[1]],
        }
    return round(score, 4), reason


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
    total = db.conn.execute("SELECT max(id) FROM known_reviews").fetchone()[0] or 0
    if not keys or not total:
        return {}, total
    marks = ",".join("?" * len(keys))
    found = dict(
        db.conn.execute(f"SELECT key, docs FROM known_review_keys WHERE key IN ({marks})", keys)
    )
    return found, total


def _review_candidates(db: Database, mine: Keys) -> tuple[list[int], dict[str, float], float]:
    df, total = _weights(db, mine.keys)
    present = [k for k in mine.keys if df.get(k)]
    if not present:
        return [], {}, 1.0
    weight = {k: _idf(total, df.get(k, 0)) for k in mine.keys}
    cap = max(COMMON_FLOOR, int(total * COMMON))
    rare = sorted(present, key=lambda k: df[k])
    chosen: list[str] = []
    postings = 0
    for k in rare:  # rarest first, within a budget of index entries to read
        if len(chosen) >= 2 and (
            df[k] > cap or postings + df[k] > POSTINGS or len(chosen) >= MAX_QUERY_KEYS
        ):
            break
        chosen.append(k)
        postings += df[k]
    # each chosen key's posting list, read in rowid order (no ranking inside FTS5: bm25 would
    # look up every matching row's size), summing the keys' weights per review
    found: dict[int, float] = {}
    for k in chosen:
        w = weight[k]
        for (rowid,) in db.conn.execute(
            "SELECT rowid FROM known_reviews_fts WHERE known_reviews_fts MATCH ?", [f'"{k}"']
        ):
            found[rowid] = found.get(rowid, 0.0) + w
    rowids = [r for r, _ in heapq.nlargest(CANDIDATES, found.items(), key=itemgetter(1))]
    default = _idf(total, 1) * 0.5  # a key of a candidate the claim does not have
    return rowids, weight, default


def similar_reviews(db: Database, text: str, *, limit: int = 10) -> list[Match]:
    """Known reviews that say the same thing as text, best first."""
    mine = text_keys(text)
    rowids, weight, default = _review_candidates(db, mine)
    if not rowids:
        return []
    marks = ",".join("?" * len(rowids))
    out = []
    for r in store.rows(
        db,
        f"SELECT id, claim_text, rating, publisher, claimant, reviewed_at, url, keys"
        f" FROM known_reviews WHERE id IN ({marks})",
        rowids,
    ):
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
    db: Database,
    claim: dict[str, Any],
    *,
    limit: int = 10,
    candidates: int = CANDIDATES,
    decided_only: bool = False,
) -> list[Match]:
    """Earlier claims in this archive (lower ids, other articles, not candidates) that say the
    same thing as `claim` (a dict with id, text, article_id): decided ones first, then by score.
    decided_only: only decided claims are scored (what "checked before" needs)."""
    mine = text_keys(claim["text"])
    terms = _claim_terms(claim["text"], mine)[:MAX_CLAIM_TERMS]  # numbers and names come first
    if not terms:
        return []
    # each idea's earlier claims, read in rowid order up to CLAIM_COMMON (an idea held by more
    # is too common to narrow anything down), summing the ideas' weights per claim
    columns = "c.id, c.text, c.status, c.verdict, c.decided_by, c.decided_at, c.article_id"
    only = " AND c.status = 'decided'" if decided_only else ""
    scores: dict[int, float] = {}
    common: list[str] = []
    for term in terms:
        rowids = [
            r
            for (r,) in db.conn.execute(
                "SELECT rowid FROM claims_fts WHERE claims_fts MATCH ? AND rowid < ? LIMIT ?",
                [term, claim["id"], CLAIM_COMMON],
            ).fetchall()
        ]
        if len(rowids) >= CLAIM_COMMON:
            common.append(term)
            continue
        w = math.log(1 + claim["id"] / (len(rowids) + 1))
        for rowid in rowids:
            scores[rowid] = scores.get(rowid, 0.0) + w
    if scores:
        # decided_only: most earlier claims are not decided, so look further down the list
        wanted = candidates * (6 if decided_only else 2)
        best = [r for r, _ in heapq.nlargest(wanted, scores.items(), key=itemgetter(1))]
        marks = ",".join("?" * len(best))
        found = store.rows(
            db, f"SELECT {columns} FROM claims c WHERE c.id IN ({marks}){only}", best
        )
        found.sort(key=lambda r: -scores[r["id"]])
    elif len(common) >= 2:  # every idea is common: the newest claims holding three together
        found = store.rows(
            db,
            f"SELECT {columns} FROM claims_fts f JOIN claims c ON c.id = f.rowid"
            f" WHERE claims_fts MATCH ? AND f.rowid < ?{only} ORDER BY f.rowid DESC LIMIT ?",
            [" AND ".join(common[:3]), claim["id"], candidates * 2],
        )
    else:
        return []
    found = [
        r
        for r in found
        if r["status"] != "candidate"
        and (not decided_only or r["status"] == "decided")
        and (claim.get("article_id") is None or r["article_id"] != claim.get("article_id"))
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
        out.append(
            Match(
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
        )
    out.sort(key=lambda m: (m.status != "decided", -m.score, m.id))
    return out[:limit]


# --------------------------------------------------------------------------- both


def similar(
    db: Database, claim_id: int, *, limit: int = 10, checked_only: bool = False
) -> list[Match]:
    """What says the same thing as the claim: decided earlier claims and known reviews first
    (by score), then earlier claims not decided yet (none with checked_only).
    NotFoundError for an unknown claim."""
    claim = archive.claim_row(db, claim_id)
    if checked_only:  # only a few are shown: score fewer candidates
        found = similar_claims(
            db, claim, limit=limit, decided_only=True, candidates=max(5 * limit, 10)
        )
    else:
        found = similar_claims(db, claim, limit=limit)
    found += similar_reviews(db, claim["text"], limit=limit)
    found.sort(key=lambda m: (not m.checked, -m.score, m.kind, m.id))
    return found[:limit]


def checked_before(db: Database, claim_id: int, *, limit: int = 3) -> list[Match]:
    """The matches that were checked (decided claims, published reviews), best first."""
    return [m for m in similar(db, claim_id, limit=limit, checked_only=True) if m.checked]
