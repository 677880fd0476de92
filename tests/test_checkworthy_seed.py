"""The seed test: on a news-analysis article about the Bamako hotel siege, every fact is queued
and ranks above every opinion and rhetorical question.

The article (tests/fixtures/bamako_siege.md) was written for this test; the scorer never saw it.
Its weights come from public debate data only (bench/train_checkworthy.py), so passing here
means the general features carry over to news prose.
"""

from __future__ import annotations

from pathlib import Path

from verify import store
from verify.checkworthy import DEFAULT_MIN_SCORE
from verify.ingest import ingest_article

ARTICLE = Path(__file__).parent / "fixtures" / "bamako_siege.md"

# A distinctive piece of each sentence, by kind.
FACTS = (
    "held 170 hostages",
    "At least 22 people died",
    "Germany plans to deploy 650 soldiers",
    "carried out three attacks this year",
    "more casualties than any other UN peacekeeping mission",
    "ISIS was founded in 2014",
    "founded at the end of the 1980s",
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
