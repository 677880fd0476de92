"""The team workflow: second-person approval, assignment and "mine", skip, priorities, tags
and filters, comments, the claimant, and a ClaimReview export that validates."""

from __future__ import annotations

import io
import json

import pytest
from browser_helpers import build_review_data
from conftest import table_rows

from verify import settings, store
from verify.errors import ConflictError, ForbiddenError, InputError
from verify.export import tables as export
from verify.review import accounts as users
from verify.review import team
from verify.review import workflow as review

T = "2026-11-23T10:00:00.000000Z"


@pytest.fixture
def desk(db):
    data = build_review_data(db)
    db.conn.execute("UPDATE articles SET published = '2026-11-20' WHERE id = ?", [data.article_id])
    users.add_user(db, "boss", "admin", "admin-password")
    users.add_user(db, "ed", "editor", "editor-password", actor="boss")
    users.add_user(db, "eve", "editor", "editor-password", actor="boss")
    users.add_user(db, "rita", "reviewer", "reviewer-password", actor="boss")
    settings.set_value(db, "org", "Fact Desk", actor="boss")
    settings.set_value(db, "review_url", "https://desk.example/checks/{id}", actor="boss")
    return data


def state(db) -> list:
    return table_rows(db, ("claims", "events", "approvals", "claim_tags", "skips", "verdicts"))


def reviews(db) -> list[dict]:
    buf = io.StringIO()
    export.export(db, "claimreview", buf)
    return json.loads(buf.getvalue())


def test_second_person_approval(db, desk):
    cid = desk.claims["died"]
    settings.set_value(db, "require_approval", "on", actor="boss")
    review.give_verdict(db, cid, "false", "rita", now=T)
    assert reviews(db) == []  # a draft until approved
    before = state(db)
    with pytest.raises(ForbiddenError, match="rita is a reviewer: approve needs an editor"):
        team.approve(db, cid, "rita")
    review.give_verdict(db, desk.claims["soldiers"], "true", "ed", now=T)
    with pytest.raises(ForbiddenError, match="ed gave the verdict .* another editor must"):
        team.approve(db, desk.claims["soldiers"], "ed")
    with pytest.raises(ConflictError, match="queued"):
        team.approve(db, desk.claims["stormed"], "ed")  # no verdict yet
    assert state(db)[2] == before[2] == []  # no approval was recorded
    got = team.approve(db, cid, "ed", now="2026-11-24T09:00:00.000000Z")
    assert got["approval"]["approved_by"] == "ed" and got["approval"]["decided_by"] == "rita"
    with pytest.raises(ConflictError, match="already approved by ed"):
        team.approve(db, cid, "eve")
    published = reviews(db)
    assert [r["url"] for r in published] == [f"https://desk.example/checks/{cid}"]
    assert published[0]["datePublished"] == "2026-11-24"  # the approval date
    history = review.history(db, cid)
    assert [(e["kind"], e["actor"]) for e in history if e["kind"] in ("verdict", "approved")] == [
        ("verdict", "rita"),
        ("approved", "ed"),
    ]
    # a changed verdict is a draft again
    review.give_verdict(db, cid, "mostly-false", "rita", now="2026-11-25T09:00:00.000000Z")
    assert team.approval(db, cid)["approved_by"] is None
    assert reviews(db) == []
    team.approve(db, cid, "eve")
    assert [r["reviewRating"]["alternateName"] for r in reviews(db)] == ["Mostly false"]


def test_assignment_mine_and_next(db, desk):
    died, soldiers = desk.claims["died"], desk.claims["soldiers"]
    before = state(db)
    with pytest.raises(ForbiddenError, match="rita is a reviewer: assign needs an editor"):
        team.assign(db, soldiers, "rita", "rita")
    with pytest.raises(Exception, match="no account 'ghost'"):
        team.assign(db, soldiers, "ghost", "ed")
    assert state(db) == before
    team.assign(db, soldiers, "rita", "ed")
    assert [c["id"] for c in team.mine(db, "rita")] == [soldiers]
    # eve is not handed rita's claim even though it comes later in the queue for her
    assert review.lease_next(db, "eve", now=T)["id"] == died
    # rita gets the claim assigned to her first, though `died` has the higher priority
    review.release(db, died, "eve", now=T)
    assert review.lease_next(db, "rita", now=T)["id"] == soldiers
    kinds = [(e["kind"], e["actor"]) for e in review.history(db, soldiers)]
    assert ("assigned", "ed") in kinds and ("leased", "rita") in kinds


def test_skip_keeps_the_claim_away_for_a_while(db, desk):
    died, soldiers = desk.claims["died"], desk.claims["soldiers"]
    assert review.lease_next(db, "rita", now=T)["id"] == died
    with pytest.raises(ConflictError, match="ed holds no claim"):
        team.skip(db, "ed", now=T)
    skipped = team.skip(db, "rita", now=T, minutes=60)
    assert skipped["status"] == "queued" and skipped["lease_reviewer"] is None
    assert review.lease_next(db, "rita", now=T)["id"] == soldiers  # not died again
    review.release(db, soldiers, "rita", now=T)
    assert review.lease_next(db, "ed", now=T)["id"] == died  # the others still get it
    review.release(db, died, "ed", now=T)
    later = "2026-11-23T11:01:00.000000Z"
    assert review.lease_next(db, "rita", now=later)["id"] == died  # after the hour


def test_priority_tags_filters_comments_and_claimant(db, desk):
    stormed = desk.claims["stormed"]
    before = state(db)
    with pytest.raises(ForbiddenError, match="change priority needs an editor"):
        team.set_priority(db, stormed, 9, "rita")
    with pytest.raises(ForbiddenError, match="tag needs an editor"):
        team.tag(db, stormed, ["mali"], "rita")
    with pytest.raises(InputError, match="bad tag"):
        team.tag(db, stormed, ["no/slash"], "ed")
    assert state(db) == before
    assert team.set_priority(db, stormed, 9, "ed")["priority"] == 9
    assert review.queue(db)[0]["id"] == stormed
    assert team.tag(db, stormed, ["Mali", "hotel siege"], "ed")["tags"] == ["hotel-siege", "mali"]
    team.tag(db, desk.claims["died"], ["mali"], "ed")
    assert team.tag(db, stormed, [], "ed", remove=["mali"])["tags"] == ["hotel-siege"]
    assert [c["id"] for c in team.find_claims(db, tag="mali")] == [desk.claims["died"]]
    assert {c["id"] for c in team.find_claims(db, article="bamako")} == set(desk.claims.values())
    assert team.find_claims(db, article="nairobi") == []
    assert [c["id"] for c in team.find_claims(db, status="candidate")] == [desk.claims["question"]]
    team.assign(db, stormed, "rita", "ed")
    assert [c["id"] for c in team.find_claims(db, assignee="rita")] == [stormed]
    assert stormed not in [c["id"] for c in team.find_claims(db, assignee="-")]
    high = {c["id"] for c in team.find_claims(db, min_score=0.89)}
    assert desk.claims["question"] in high and desk.claims["died"] not in high
    with pytest.raises(InputError, match="between 0 and 1"):
        team.find_claims(db, min_score=2)
    team.comment(db, stormed, "Check the wire report first.", "rita")
    assert [(c["author"], c["text"]) for c in team.comments(db, stormed)] == [
        ("rita", "Check the wire report first.")
    ]
    assert review.history(db, stormed)[-1]["kind"] == "commented"
    with pytest.raises(InputError, match="must not be empty"):
        team.comment(db, stormed, "  ", "rita")
    assert team.set_claimant(db, stormed, "  Interior  Ministry ", "rita")["claimant"] == (
        "Interior Ministry"
    )


def test_review_url_needs_an_id(db, desk):
    before = store.get_setting(db, "review_url")
    with pytest.raises(InputError, match=r"review_url must contain \{id\}"):
        settings.set_value(db, "review_url", "https://desk.example/checks/", actor="boss")
    with pytest.raises(InputError, match="http"):
        settings.set_value(db, "review_url", "ftp://desk.example/{id}", actor="boss")
    assert store.get_setting(db, "review_url") == before


def test_export_refuses_a_review_missing_a_required_field(db, desk):
    cid = desk.claims["died"]
    review.give_verdict(db, cid, "false", "rita")
    settings.unset_value(db, "review_url", actor="boss")
    events = db.conn.execute("SELECT count(*) FROM events").fetchone()
    buf = io.StringIO()
    with pytest.raises(InputError) as err:
        export.export(db, "claimreview", buf)
    assert str(err.value).startswith(f"claim {cid}: its ClaimReview lacks url")
    assert (
        buf.getvalue() == "" and db.conn.execute("SELECT count(*) FROM events").fetchone() == events
    )


# Google's ClaimReview guidelines (developers.google.com/search/docs/appearance/structured-data/
# factcheck) and schema.org: required and recommended properties.
REQUIRED = ("claimReviewed", "reviewRating", "url", "author")
RECOMMENDED = ("datePublished", "itemReviewed")
RATING_REQUIRED = ("alternateName",)
RATING_RECOMMENDED = ("bestRating", "worstRating", "ratingValue")
CLAIM_RECOMMENDED = ("author", "datePublished", "appearance", "firstAppearance")


def test_claimreview_json_ld_has_the_required_and_recommended_fields(db, desk):
    cid = desk.claims["died"]
    settings.set_value(db, "org_url", "https://desk.example/", actor="boss")
    settings.set_value(db, "archive_url", "https://desk.example/verify/", actor="boss")
    team.set_claimant(db, cid, "Mali's government", "rita")
    review.give_verdict(db, cid, "mostly-true", "rita", note="22 is the official toll.")
    (item,) = reviews(db)
    assert item["@context"] == "https://schema.org" and item["@type"] == "ClaimReview"
    for key in REQUIRED + RECOMMENDED:
        assert item.get(key), key
    for key in RATING_REQUIRED + RATING_RECOMMENDED:
        assert item["reviewRating"].get(key) is not None, key
    assert item["reviewRating"]["worstRating"] <= item["reviewRating"]["ratingValue"] <= 5
    assert item["author"] == {
        "@type": "Organization",
        "name": "Fact Desk",
        "url": "https://desk.example/",
    }
    claim = item["itemReviewed"]
    assert claim["@type"] == "Claim"
    for key in CLAIM_RECOMMENDED:
        assert claim.get(key), key
    assert claim["author"] == {"@type": "Person", "name": "Mali's government"}
    assert claim["appearance"][0]["url"] == "https://news.example/bamako"
    assert claim["appearance"][0]["datePublished"] == "2026-11-20"
    assert claim["firstAppearance"]["url"] == "https://news.example/bamako"
    assert item["url"] == f"https://desk.example/checks/{cid}"
    archived = [c["archivedAt"] for c in item["citation"] if "archivedAt" in c]
    assert archived and all(
        isinstance(a, str) and a.startswith("https://desk.example/verify/archive/")
        for a in archived
    )
    assert export.missing_fields(item) == []
    assert export.missing_fields({**item, "author": {"@type": "Organization"}}) == ["author.name"]


def test_cli_team_commands(run_cli, db_path):
    ok = run_cli("user", "add", "boss", "--role", "admin", "--password-stdin",
                 input="admin-password\n")  # fmt: skip
    assert ok.exit_code == 0
    for name, role in (("ed", "editor"), ("rita", "reviewer")):
        added = run_cli("user", "add", name, "--role", role, "--password-stdin", "--reviewer",
                        "boss", input=f"{role}-password\n")  # fmt: skip
        assert added.exit_code == 0, added.stderr
    cid = json.loads(
        run_cli("claim", "add", "The bridge opened in 1932.", "--json", "--reviewer", "ed").stdout
    )["id"]
    bad = run_cli("config", "review_url", "https://desk.example/checks/", "--reviewer", "boss")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: review_url must contain {id}")
    assert run_cli("config", "require_approval", "on", "--reviewer", "boss").stdout == "on\n"
    assert run_cli("assign", str(cid), "--reviewer", "ed").exit_code == 2  # NAME or --unassign
    refused = run_cli("assign", str(cid), "rita", "--reviewer", "rita")
    assert refused.exit_code == 1 and refused.stderr == (
        "Error: rita is a reviewer: assign needs an editor or admin account\n"
    )
    assert run_cli("assign", str(cid), "rita", "--reviewer", "ed").stdout == (
        f"Claim {cid} assigned to rita.\n"
    )
    mine = json.loads(run_cli("mine", "--reviewer", "rita", "--json").stdout)
    assert [(c["id"], c["assignee"]) for c in mine] == [(cid, "rita")]
    assert run_cli("tag", str(cid), "history", "--reviewer", "ed").exit_code == 0
    found = json.loads(run_cli("find", "--tag", "history", "--json").stdout)
    assert [c["id"] for c in found] == [cid] and found[0]["tags"] == ["history"]
    assert run_cli("comment", str(cid), "Old maps say 1931.", "--reviewer", "rita").exit_code == 0
    assert run_cli("claimant", str(cid), "The mayor", "--reviewer", "rita").exit_code == 0
    assert run_cli("next", "--reviewer", "rita").exit_code == 0
    assert run_cli("verdict", str(cid), "false", "--reviewer", "rita").exit_code == 0
    own = run_cli("approve", str(cid), "--reviewer", "rita")
    assert own.exit_code == 1 and own.stderr.count("\n") == 1
    approved = run_cli("approve", str(cid), "--reviewer", "ed", "--json")
    assert approved.exit_code == 0
    assert json.loads(approved.stdout)["approval"]["approved_by"] == "ed"
    history = run_cli("history", str(cid)).stdout
    assert "commented" in history and "Old maps say 1931." in history and "approved" in history
