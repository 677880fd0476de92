"""Clause scoring (verify.text.checkworthy.score_claim): a fact inside a hedged, opinionated or long
sentence is found by its clause, the claim keeps which clause, and the claim page shows it."""

from __future__ import annotations

import html

import pytest
from browser_helpers import sign_in

from verify import store
from verify.ingest.article import ingest_article
from verify.text.checkworthy import (
    DEFAULT_MIN_SCORE,
    score_claim,
    score_sentence,
    score_whole,
    split_clauses,
)
from verify.web import create_app

HEDGED = "ISIS, on the other hand, seems to be more brutal since its foundation in 2014."


def test_split_clauses_cuts_at_punctuation_and_clause_words() -> None:
    text = "ISIS, on the other hand, seems to be brutal, but it was founded in 2014."
    parts = [text[a:b] for a, b in split_clauses(text)]
    assert parts == [
        "ISIS",
        "on the other hand",
        "seems to be brutal",
        "but it was founded in 2014",
    ]


def test_a_hedged_fact_is_scored_by_its_clause() -> None:
    assert score_whole(HEDGED) < DEFAULT_MIN_SCORE
    scored = score_claim(HEDGED)
    assert scored.score >= DEFAULT_MIN_SCORE
    assert scored.part is not None
    assert scored.part.text == "ISIS is more brutal since its foundation in 2014"
    assert score_sentence(HEDGED) == scored.score


@pytest.mark.parametrize(
    "text",
    [
        "How many more hotels have to be stormed before 2016?",  # a question stays whole
        "I think Europe has been far too slow to grasp what is at stake.",  # nothing to check
        "Frankly, the peacekeepers deserve better equipment and clearer orders.",
        "In my view, the answer cannot simply be more troops.",
    ],
)
def test_opinion_and_questions_get_no_part(text: str) -> None:
    scored = score_claim(text)
    assert scored.part is None
    assert scored.score == score_whole(text)
    assert scored.score < DEFAULT_MIN_SCORE


def test_a_plain_fact_keeps_its_whole_sentence_score() -> None:
    text = "Gunmen held 170 hostages at the hotel on Friday."
    assert score_claim(text).part is None
    assert score_claim(text).score == score_whole(text)


def test_claim_page_shows_the_check_worthy_part(db, db_path, tmp_path) -> None:
    article = tmp_path / "a.md"
    article.write_text("The war goes on.\n\n" + HEDGED + "\n", encoding="utf-8")
    result = ingest_article(db, str(article))
    claims = store.list_claims(db, article_id=result.article_id, include_candidates=True)
    (hedged,) = [c for c in claims if "ISIS" in c["text"]]
    assert hedged["status"] == "queued"
    part = store.claims.get_claim_part(db, hedged["id"])
    assert part is not None
    text = article.read_text(encoding="utf-8")
    assert text[part["start"] : part["end"]] == HEDGED
    client = create_app(db_path).test_client()
    sign_in(client, "bob")
    page = html.unescape(client.get(f"/claims/{hedged['id']}").get_data(as_text=True))
    assert "Check-worthy part:" in page
    assert "scored as “ISIS is more brutal since its foundation in 2014”" in page
    (plain,) = [c for c in claims if "war goes on" in c["text"]]
    other = html.unescape(client.get(f"/claims/{plain['id']}").get_data(as_text=True))
    assert "Check-worthy part:" not in other
