"""One model of a claim's life (issue 9): evidence bound to its capture, the transition table,
one "snapshot a reviewer sees", several assessments per claim and source, the vocabulary in the
schema. Each test reproduces a fault seen in 0.1 and failed before the change."""

from __future__ import annotations

import json
import re

import pytest
from browser_helpers import sign_in
from conftest import Response
from review_helpers import counts, make_claim, make_snapshot, make_source

from verify import model, store
from verify.errors import ConflictError
from verify.review import evidence
from verify.review import workflow as review
from verify.web import create_app

PAGE = "<html><head><title>Siege</title></head><body><article><h1>Siege report</h1><p>{}</p><p>Seven people were wounded. The gunmen were not identified by the police on the first day, and the investigation is continuing with the help of foreign teams.</p></article></body></html>"


def _page(sentence: str) -> Response:
    return Response(200, PAGE.format(sentence), content_type="text/html; charset=utf-8")


def _decided_with_quote(run_cli, site):
    """Claim 'At least 22 people died', its source says 21, a refuting quote, verdict false."""
    site.routes["/siege"] = _page("21 people died in the attack.")
    add = run_cli(
        "claim", "add", "At least 22 people died.", "--source", site.url("/siege"), "--json"
    )
    cid = json.loads(add.stdout)["id"]
    assert run_cli("fetch", "--allow-host", site.netloc).exit_code == 0
    got = run_cli(
        "assess", str(cid), site.url("/siege"), "--stance", "refutes", "--reviewer", "ana",
        "--quote", "21 people died in the attack", "--json",
    )  # fmt: skip
    assert got.exit_code == 0, got.stderr
    assert run_cli("verdict", str(cid), "false", "--reviewer", "ana").exit_code == 0
    return cid, json.loads(got.stdout)


def test_a_quote_never_moves_onto_changed_text(run_cli, site, db_path):
    cid, quoted = _decided_with_quote(run_cli, site)
    site.routes["/siege"] = _page("22 people died in the attack.")
    assert run_cli("fetch", "--refetch", "--allow-host", site.netloc).exit_code == 0
    claim = json.loads(run_cli("claim", "show", str(cid), "--json").stdout)
    # the decided claim is back in the queue, its verdict kept as the previous one
    assert claim["status"] == "queued" and claim["verdict"] is None
    assert claim["previous_verdict"] == "false" and claim["evidence_changed_at"]
    (a,) = claim["assessments"]
    assert a["snapshot_id"] == quoted["snapshot_id"] and a["evidence_changed_at"]
    events = json.loads(run_cli("history", str(cid), "--json").stdout)
    (changed,) = [e for e in events if e["kind"] == "evidence_changed"]
    new_snapshot = changed["snapshot_id"]
    assert changed["source_id"] == quoted["source_id"]
    assert changed["detail"]["old_snapshot_id"] == quoted["snapshot_id"]
    assert changed["detail"]["new_snapshot_id"] == new_snapshot != quoted["snapshot_id"]
    assert changed["detail"]["quote"] == "21 people died in the attack"
    assert "evidence changed" in run_cli("queue").stdout
    # the web pages: the quote is highlighted on the snapshot it was made on, never on the new one
    db = store.open_db(db_path)
    client = create_app(db_path).test_client()
    sign_in(client, "bob")
    assert "evidence changed" in client.get("/").get_data(as_text=True)
    page = client.get(f"/claims/{cid}").get_data(as_text=True)
    assert "Evidence changed" in page and f"snapshot {new_snapshot}, with its diff" in page
    marks = re.findall(r'<mark class="quote stance-[^"]*"[^>]*>([^<]*)</mark>', page)
    assert "22 people died in the attack" not in marks
    new_page = client.get(f"/snapshots/{new_snapshot}").get_data(as_text=True)
    assert not re.findall(r'<mark class="quote stance-[^"]*"[^>]*>', new_page)
    old_page = client.get(f"/snapshots/{quoted['snapshot_id']}").get_data(as_text=True)
    assert re.findall(
        r'<mark class="quote stance-[^"]*"[^>]*>21 people died in the attack</mark>', old_page
    )
    db.close()


def test_an_unchanged_quote_is_carried_over_silently(run_cli, site):
    cid, _ = _decided_with_quote(run_cli, site)
    # the page changes elsewhere, the quoted words stay
    site.routes["/siege"] = _page("21 people died in the attack. A curfew was declared.")
    assert run_cli("fetch", "--refetch", "--allow-host", site.netloc).exit_code == 0
    claim = json.loads(run_cli("claim", "show", str(cid), "--json").stdout)
    assert claim["status"] == "decided" and claim["verdict"] == "false"
    events = json.loads(run_cli("history", str(cid), "--json").stdout)
    assert "evidence_changed" not in [e["kind"] for e in events]


def test_a_quoted_source_that_is_gone_flags_the_claim(run_cli, site):
    cid, _ = _decided_with_quote(run_cli, site)
    site.routes["/siege"] = Response(404, "gone", content_type="text/plain")
    assert run_cli("fetch", "--refetch", "--allow-host", site.netloc).exit_code == 1
    claim = json.loads(run_cli("claim", "show", str(cid), "--json").stdout)
    assert claim["status"] == "queued" and claim["previous_verdict"] == "false"
    # a second failed capture does not flag it again
    run_cli("fetch", "--refetch", "--allow-host", site.netloc)
    events = json.loads(run_cli("history", str(cid), "--json").stdout)
    assert [e["kind"] for e in events].count("evidence_changed") == 1


def test_a_decided_claim_cannot_be_dismissed_or_requeued(db, run_cli):
    cid = make_claim(db, "The bridge opened in 1932.")
    review.give_verdict(db, cid, "true", "ana")
    before = counts(db)
    with pytest.raises(ConflictError, match="decided claim cannot be dismissed"):
        review.dismiss(db, cid, "bob")
    with pytest.raises(ConflictError, match="not a candidate or dismissed"):
        review.requeue(db, cid, "bob")
    assert counts(db) == before
    out = run_cli("dismiss", str(cid), "--reviewer", "bob")
    assert out.exit_code == 1 and out.stderr.count("\n") == 1
    assert out.stderr.startswith(f"Error: claim {cid} is decided (true)")
    assert counts(db) == before


def test_a_dismissed_claim_cannot_get_a_verdict(db):
    cid = make_claim(db, "Opinion of the week.")
    review.dismiss(db, cid, "ana")
    with pytest.raises(ConflictError, match="queue it first"):
        review.give_verdict(db, cid, "false", "ana")


def test_allowed_actions_answer_from_the_transition_table(db):
    cid = make_claim(db, "x")
    at = "2026-11-23T12:00:00.000000Z"
    assert review.actions(db, cid, "ana", now=at) == {
        "lease": True, "release": False, "assess": True, "unassess": True, "verdict": True,
        "dismiss": True, "requeue": False, "approve": False, "assign": True, "prioritise": True,
        "tag": True, "comment": True, "claimant": True, "skip": False, "promote": False,
        "import": False,
    }  # fmt: skip
    review.lease_next(db, "ana", now=at)
    later = "2026-11-23T12:10:00.000000Z"
    bob = review.actions(db, cid, "bob", now=later)
    assert not bob["verdict"] and not bob["assess"] and not bob["release"]
    # an expired lease is no lease: bob may act without --force
    expired = "2026-11-23T13:00:00.000000Z"
    assert review.actions(db, cid, "bob", now=expired)["verdict"]


def test_evidence_and_assess_use_the_same_snapshot(db):
    cid = make_claim(db, "At least 22 people died.")
    sid = make_source(db, cid, "https://wire.example/siege")
    good = make_snapshot(db, sid, "Officials said 21 people died in the attack.")
    make_snapshot(db, sid, None, status=503, error="http_error")  # a later failed fetch
    make_snapshot(db, sid, "Not found page", status=404, error=None)  # an error page
    shown = [s["id"] for s in evidence.claim_snapshots(db, cid)]
    assert shown == [good] == [store.reviewed_snapshot(db, sid, "id")["id"]]
    a = review.assess(db, cid, sid, "refutes", "ana", quote="21 people died in the attack")
    assert a["snapshot_id"] == good
    passages = evidence.evidence(db, cid)
    assert {p.snapshot_id for p in passages} == {good}


def test_several_assessments_per_claim_and_source(run_cli, db):
    cid = make_claim(db, "At least 22 people died.")
    sid = make_source(db, cid, "https://wire.example/siege")
    make_snapshot(db, sid, "Police said 22 people died. The hospital counted 19 dead.")
    for stance, quote in (
        ("supports", "Police said 22 people died"),
        ("refutes", "The hospital counted 19 dead"),
    ):
        r = run_cli(
            "assess", str(cid), str(sid), "--stance", stance, "--reviewer", "ana", "--quote", quote
        )
        assert r.exit_code == 0, r.stderr
    shown = json.loads(run_cli("claim", "show", str(cid), "--json").stdout)
    got = [(a["stance"], a["quote"], a["reviewer"]) for a in shown["assessments"]]
    assert got == [
        ("supports", "Police said 22 people died", "ana"),
        ("refutes", "The hospital counted 19 dead", "ana"),
    ]
    assert all(
        {"id", "source_id", "snapshot_id", "created_at"} <= set(a) for a in shown["assessments"]
    )
    first = shown["assessments"][0]["id"]
    assert run_cli("unassess", str(first), "--reviewer", "ana").exit_code == 0
    shown = json.loads(run_cli("claim", "show", str(cid), "--json").stdout)
    assert [a["stance"] for a in shown["assessments"]] == ["refutes"]
    kinds = [e["kind"] for e in review.history(db, cid)]
    assert kinds.count("assessed") == 2 and kinds.count("assessment_removed") == 1


def test_the_web_queue_expires_stale_leases(db, db_path):
    cid = make_claim(db, "x")
    review.lease_next(db, "ana", now="2020-01-01T00:00:00.000000Z")
    client = create_app(db_path).test_client()
    sign_in(client, "bob")
    page = client.get("/").get_data(as_text=True)
    assert "in review" not in page
    assert store.claim_row(db, cid)["status"] == "queued"
    assert [e["kind"] for e in review.history(db, cid)][-1] == "expired"


def test_schema_checks_take_the_vocabulary_from_the_model(db):
    tables = dict(db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))

    def check(table: str, column: str) -> tuple[str, ...]:
        found = re.search(
            column + r"\s+TEXT[^,]*?CHECK\s*\(\s*\"?" + column + r"\"?\s+IN\s*\(([^)]*)\)",
            tables[table],
            re.S,
        )
        assert found, f"{table}.{column} has no CHECK"
        return tuple(v.strip().strip("'") for v in found.group(1).split(","))

    assert check("claims", "status") == model.STATUSES
    assert check("claims", "verdict") == model.VERDICTS
    assert check("claims", "origin") == model.ORIGINS
    assert check("claim_sources", "origin") == model.ORIGINS
    assert check("assessments", "stance") == model.STANCES
    assert check("verdicts", "verdict") == model.VERDICTS
    assert check("snapshots", "error") == model.ERROR_KINDS
    assert check("snapshots", "robots") == model.ROBOTS
    assert set(model.SOURCE_STATES) >= {
        model.source_state(s, e, c, h)
        for s, e, c, h in [(200, None, 0, True), (200, None, 1, True), (404, "http_error", None, True),
                           (403, "http_error", None, True), (None, "timeout", None, True), (None, None, None, False)]
    }  # fmt: skip
