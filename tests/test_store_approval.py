"""Approval covers what is published (issue 20): with `require_approval on`, a change to an
approved claim's sources, assessments, claimant or verdict sends it back to awaiting approval
with an event, and the ClaimReview export leaves it out until an editor approves again."""

from __future__ import annotations

import io
import json

import pytest
from review_helpers import make_article, make_claim, make_snapshot, make_source

from verify import clock, settings, store
from verify.export import tables as export
from verify.ingest import claims
from verify.review import accounts as users
from verify.review import team
from verify.review import workflow as review

TEXT = "Officials said the army will deploy 650 soldiers to the north."


@pytest.fixture
def approved(db):
    """A claim with a source and a quote, decided by rita, approved by ed."""
    users.add_user(db, "boss", "admin", "admin-password")
    users.add_user(db, "ed", "editor", "editor-password", actor="boss")
    users.add_user(db, "rita", "reviewer", "reviewer-password", actor="boss")
    for key, value in (("require_approval", "on"), ("org", "Desk"),
                       ("review_url", "https://desk.example/checks/{id}")):  # fmt: skip
        settings.set_value(db, key, value, actor="boss")
    art = make_article(db, "The army will deploy 650 soldiers.", url="https://news.example/a")
    cid = make_claim(db, "The army will deploy 650 soldiers.", article_id=art)
    sid = make_source(db, cid, "https://wire.example/army")
    make_snapshot(db, sid, TEXT, title="Wire story")
    review.assess(db, cid, sid, "supports", "rita", quote="deploy 650 soldiers")
    review.give_verdict(db, cid, "true", "rita")
    team.approve(db, cid, "ed")
    return cid, sid


def published(db) -> list[dict]:
    buffer = io.StringIO()
    export.export(db, "claimreview", buffer)
    data = json.loads(buffer.getvalue() or "[]")
    return data if isinstance(data, list) else [data]


def withdrawals(db, cid) -> list[dict]:
    return [
        json.loads(r["detail"])
        for r in store.rows(
            db,
            "SELECT detail FROM events WHERE claim_id = ? AND kind = 'approval_withdrawn'"
            " ORDER BY id",
            [cid],
        )
    ]


def test_an_unchanged_approved_claim_is_published(db, approved):
    cid, _ = approved
    assert team.approval(db, cid)["approved_by"] == "ed"
    reviews = published(db)
    assert [r["claimReviewed"] for r in reviews] == ["The army will deploy 650 soldiers."]
    assert withdrawals(db, cid) == []


@pytest.mark.parametrize(
    "change, what",
    [
        (lambda db, cid, sid: claims.attach_source(db, cid, "https://evil.example/", actor="rita"),
         "source added"),
        (lambda db, cid, sid: team.set_claimant(db, cid, "Someone Else", "rita"),
         "claimant changed"),
        (lambda db, cid, sid: review.assess(db, cid, sid, "refutes", "rita"),
         "assessment added"),
        (lambda db, cid, sid: review.unassess(db, review.assessments(db, cid)[0]["id"], "rita"),
         "assessment removed"),
        (lambda db, cid, sid: review.give_verdict(db, cid, "false", "rita"), "verdict"),
    ],
)  # fmt: skip
def test_a_change_after_approval_withdraws_it_until_approved_again(db, approved, change, what):
    cid, sid = approved
    change(db, cid, sid)
    assert team.approval(db, cid)["approved_by"] is None  # awaiting approval again
    assert published(db) == []  # nothing published until an editor approves the new content
    [event] = withdrawals(db, cid)
    assert event["change"] == what and event["approved_by"] == "ed"
    team.approve(db, cid, "ed")
    [review_] = published(db)
    assert review_["claimReviewed"] == "The army will deploy 650 soldiers."


def test_a_change_no_hook_saw_still_stops_publication(db, approved):
    cid, _ = approved
    with store.immediate(db):  # e.g. an edit made with the sqlite3 shell
        db.conn.execute("UPDATE claims SET claimant = 'Edited Outside' WHERE id = ?", [cid])
    assert team.approval(db, cid)["approved_by"] is None
    assert published(db) == []
    team.approve(db, cid, "ed")  # the stale approval gives way
    [review_] = published(db)
    assert review_["itemReviewed"]["author"]["name"] == "Edited Outside"


def test_a_change_that_restores_the_content_needs_no_new_approval(db, approved):
    cid, _ = approved
    assert store.approvals.withdraw_if_changed(db, cid, "rita", clock.now(), "nothing") is False
    assert team.approval(db, cid)["approved_by"] == "ed"
