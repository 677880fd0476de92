"""The seed test: on a news-analysis article about the Bamako hotel siege, every fact is queued
and ranks above every opinion and rhetorical question.

The article (tests/fixtures/bamako_siege.md) keeps the published article's own wording for the
sentences issue 19 quotes from it, hedges included: "The UN's peacekeeping mission to Mali has
accounted for the most UN casualties in all missions", "ISIS, on the other hand, seems to be
more brutal since its foundation in 2014", "founded at the end of the 80s", "650 German
soldiers" beside "about 200" in the EU training mission. The scorer never saw it: its weights
come from public debate data only (bench/train_checkworthy.py).
"""

from __future__ import annotations

from pathlib import Path

from verify import store
from verify.ingest.article import ingest_article
from verify.text import checkworthy
from verify.text.checkworthy import DEFAULT_MIN_SCORE

ARTICLE = Path(__file__).parent / "fixtures" / "bamako_siege.md"

# A distinctive piece of each sentence, by kind.
FACTS = (
    "held 170 hostages",
    "At least 22 people died",
    "send 650 German soldiers to Mali",
    "carried out three attacks this year",
    "has accounted for the most UN casualties in all missions",
    "seems to be more brutal since its foundation in 2014",
    "founded at the end of the 80s",
)
OPINIONS = (
    "It is hard to think of a more brazen message",
    "I think Europe has been far too slow",
    "Frankly, the peacekeepers deserve better",
    "This is a wake-up call",
    "In my view, the answer cannot simply be more troops",
)
QUESTIONS = (
    "Who, after this, will feel safe",
    "What exactly is the plan",
    "How many more hotels have to be stormed",
)


def _claim(every: list[dict], piece: str) -> dict:
    found = [c for c in every if piece in c["text"]]
    assert len(found) == 1, (piece, [c["text"] for c in every])
    return found[0]


def test_every_fact_is_queued_and_ranks_above_every_opinion_and_question(db):
    result = ingest_article(db, str(ARTICLE))
    every = store.list_claims(db, article_id=result.article_id, include_candidates=True)
    facts = [_claim(every, p) for p in FACTS]
    others = [_claim(every, p) for p in OPINIONS + QUESTIONS]

    for fact in facts:
        assert fact["status"] == "queued", (fact["text"], fact["score"])
        assert fact["score"] >= DEFAULT_MIN_SCORE, (fact["text"], fact["score"])
    for other in others:
        assert other["status"] == "candidate", (other["text"], other["score"])

    lowest_fact = min(facts, key=lambda c: c["score"])
    highest_other = max(others, key=lambda c: c["score"])
    assert lowest_fact["score"] > highest_other["score"], (
        lowest_fact["text"],
        lowest_fact["score"],
        highest_other["text"],
        highest_other["score"],
    )
    # the queue can order them: no two distinct facts share a score
    assert len({f["score"] for f in facts}) == len(facts)


def test_a_fact_inside_a_hedged_sentence_is_queued_by_its_clause(db):
    result = ingest_article(db, str(ARTICLE))
    every = store.list_claims(db, article_id=result.article_id, include_candidates=True)
    hedged = _claim(every, "seems to be more brutal since its foundation in 2014")
    assert checkworthy.score_whole(hedged["text"]) < DEFAULT_MIN_SCORE  # alone it is lost
    assert hedged["status"] == "queued"
    part = store.claims.get_claim_part(db, hedged["id"])
    assert part is not None
    assert part["text"] == "ISIS is more brutal since its foundation in 2014"
    assert part["score"] == hedged["score"]
    plain = _claim(every, "held 170 hostages")
    assert store.claims.get_claim_part(db, plain["id"]) is None  # the whole sentence scored highest
