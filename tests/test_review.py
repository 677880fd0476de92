import threading

import pytest
from review_helpers import counts, make_article, make_claim, make_snapshot, make_source

from verify import store
from verify.errors import ConflictError, InputError, NotFoundError
from verify.review import workflow as review

T0 = "2026-11-23T12:00:00.000000Z"
T1 = "2026-11-23T12:10:00.000000Z"
T_LATE = "2026-11-23T12:31:00.000000Z"


def test_queue_order_priority_then_age_then_score(db):
    a = make_claim(db, "old low priority", priority=0, created_at="2026-11-01T00:00:00.000000Z")
    b = make_claim(db, "urgent", priority=5, created_at="2026-11-10T00:00:00.000000Z")
    c = make_claim(
        db, "old high score", priority=1, score=0.9, created_at="2026-11-02T00:00:00.000000Z"
    )
    d = make_claim(
        db, "old low score", priority=1, score=0.2, created_at="2026-11-02T00:00:00.000000Z"
    )
    make_claim(db, "below threshold", status="candidate", priority=9)
    make_claim(db, "done", status="decided", priority=9)
    ids = [q["id"] for q in review.queue(db, now=T0)]
    assert ids == [b, c, d, a]
    assert [q["id"] for q in review.queue(db, limit=2, offset=1, now=T0)] == [c, d]
    assert [q["text"] for q in review.queue(db, status="candidate", now=T0)] == ["below threshold"]


def test_queue_merges_leased_claims_in_order(db):
    a = make_claim(db, "first", priority=3)
    b = make_claim(db, "second", priority=2)
    c = make_claim(db, "third", priority=1)
    assert review.lease_next(db, "ana", now=T0)["id"] == a
    rows = review.queue(db, now=T0)
    assert [r["id"] for r in rows] == [a, b, c]
    assert rows[0]["status"] == "in_review" and rows[0]["lease_reviewer"] == "ana"
    assert [r["id"] for r in review.queue(db, reviewer="ana", now=T0)] == [a]
    assert [r["id"] for r in review.queue(db, status="queued", now=T0)] == [b, c]


def test_queue_rejects_unknown_status(db):
    with pytest.raises(InputError, match="unknown status 'waiting'"):
        review.queue(db, status="waiting")


def test_lease_next_hands_most_urgent_and_keeps_existing_lease(db):
    low = make_claim(db, "low", priority=0)
    high = make_claim(db, "high", priority=2)
    got = review.lease_next(db, "ana", now=T0)
    assert got["id"] == high and got["status"] == "in_review"
    assert got["lease_reviewer"] == "ana"
    assert got["lease_expires_at"] == "2026-11-23T12:30:00.000000Z"
    # asking again returns the same claim, no second lease
    assert review.lease_next(db, "ana", now=T1)["id"] == high
    assert review.lease_next(db, "bob", now=T1)["id"] == low
    assert review.lease_next(db, "cy", now=T1) is None
    leased = db.conn.execute("SELECT count(*) FROM events WHERE kind = 'leased'").fetchone()[0]
    assert leased == 2


def test_twenty_reviewers_at_once_get_twenty_different_claims(db, db_path):
    for i in range(25):
        make_claim(db, f"claim {i}", priority=i % 3)
    barrier = threading.Barrier(20)
    results: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        conn_db = store.open_db(db_path)
        try:
            barrier.wait()
            got = review.lease_next(conn_db, name, now=T0)
            results[name] = got["id"] if got else None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn_db.close()

    threads = [threading.Thread(target=worker, args=(f"r{i}",)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = list(results.values())
    assert None not in ids
    assert len(set(ids)) == 20
    held = db.conn.execute(
        "SELECT lease_reviewer, id FROM claims WHERE status = 'in_review'"
    ).fetchall()
    assert dict(held) == results


def test_lease_expires_and_claim_returns_to_queue(db):
    cid = make_claim(db, "a claim")
    review.lease_next(db, "ana", now=T0)
    assert review.lease_next(db, "bob", now=T1) is None
    got = review.lease_next(db, "bob", now=T_LATE)
    assert got["id"] == cid and got["lease_reviewer"] == "bob"
    kinds = [(e["kind"], e["actor"]) for e in review.history(db, cid)]
    assert kinds == [("leased", "ana"), ("expired", None), ("leased", "bob")]
    expired = [e for e in review.history(db, cid) if e["kind"] == "expired"][0]
    assert expired["detail"]["reviewer"] == "ana"


def test_expire_leases_counts(db):
    make_claim(db, "one")
    make_claim(db, "two")
    review.lease_next(db, "ana", now=T0)
    review.lease_next(db, "bob", now=T0)
    assert review.expire_leases(db, now=T1) == 0
    assert review.expire_leases(db, now=T_LATE) == 2
    assert db.conn.execute("SELECT count(*) FROM claims WHERE status = 'queued'").fetchone()[0] == 2


def test_lease_minutes_setting_and_argument(db):
    make_claim(db, "one")
    make_claim(db, "two")
    store.set_setting(db, "lease_minutes", "5")
    assert review.lease_next(db, "ana", now=T0)["lease_expires_at"] == "2026-11-23T12:05:00.000000Z"
    got = review.lease_next(db, "bob", now=T0, lease_minutes=90)
    assert got["lease_expires_at"] == "2026-11-23T13:30:00.000000Z"
    with pytest.raises(InputError):
        review.lease_next(db, "cy", now=T0, lease_minutes=0)


def test_release_only_by_holder_unless_forced(db):
    cid = make_claim(db, "a claim")
    review.lease_next(db, "ana", now=T0)
    before = counts(db)
    with pytest.raises(ConflictError, match="leased to ana"):
        review.release(db, cid, "bob", now=T1)
    assert counts(db) == before
    released = review.release(db, cid, "ana", now=T1)
    assert released["status"] == "queued" and released["lease_reviewer"] is None
    with pytest.raises(ConflictError, match="not leased"):
        review.release(db, cid, "ana", now=T1)
    review.lease_next(db, "ana", now=T1)
    review.release(db, cid, "bob", force=True, now=T1)
    last = review.history(db, cid)[-1]
    assert (
        last["kind"] == "released" and last["actor"] == "bob" and last["detail"]["forced"] is True
    )


SNAP_TEXT = (
    "Gunmen stormed the hotel on Friday.\n\nOfficials said  at least 22 people\nwere killed, "
    "including two \u201cforeign\u201d nationals \u2014 a count later revised. The siege lasted nine hours."
)


def _claim_with_snapshot(db):
    cid = make_claim(db, "At least 22 people died in the hotel siege.")
    sid = make_source(db, cid, "https://wire.example/siege")
    snap = make_snapshot(db, sid, SNAP_TEXT)
    return cid, sid, snap


def test_assess_with_tolerant_quote_stores_selector(db):
    cid, sid, snap = _claim_with_snapshot(db)
    got = review.assess(
        db,
        cid,
        sid,
        "supports",
        "ana",
        quote='at least 22 people were killed, including two "foreign" nationals - a count',
    )
    start, end = got["quote_start"], got["quote_end"]
    assert SNAP_TEXT[start:end].startswith("at least 22 people\nwere killed")
    assert SNAP_TEXT[start:end].endswith("\u2014 a count")
    sel = got["selector"]
    assert sel["type"] == "TextQuoteSelector"
    assert sel["exact"] == SNAP_TEXT[start:end]
    assert sel["prefix"] == SNAP_TEXT[start - 32 : start]
    assert sel["suffix"] == SNAP_TEXT[end : end + 32]
    assert got["snapshot_id"] == snap
    row = store.row(db, "SELECT * FROM assessments WHERE id = ?", [got["id"]])
    assert (row["quote_start"], row["quote_end"], row["snapshot_id"]) == (start, end, snap)
    # by URL, without a quote: a second assessment of the same source, the first one kept
    review.assess(db, cid, "https://wire.example/siege", "refutes", "ana")
    assert [a["stance"] for a in review.assessments(db, cid)] == ["supports", "refutes"]
    ev = [e for e in review.history(db, cid) if e["kind"] == "assessed"]
    assert [e["detail"]["stance"] for e in ev] == ["supports", "refutes"]


def test_assess_bad_input_changes_nothing(db):
    cid, sid, snap = _claim_with_snapshot(db)
    other = make_source(db, None, "https://elsewhere.example/")
    before = counts(db)
    cases = [
        ((cid, sid, "agrees", "ana"), {}, InputError, "unknown stance 'agrees'"),
        ((999, sid, "supports", "ana"), {}, NotFoundError, "no claim 999"),
        ((cid, 999, "supports", "ana"), {}, NotFoundError, "no source 999"),
        ((cid, other, "supports", "ana"), {}, InputError, "is not a source of claim"),
        (
            (cid, sid, "supports", "ana"),
            {"quote": "23 people were killed"},
            InputError,
            "quote not found in snapshot",
        ),
    ]
    for args, kwargs, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            review.assess(db, *args, **kwargs)
        assert counts(db) == before


def test_quote_needs_a_successful_snapshot(db):
    cid = make_claim(db, "x")
    sid = make_source(db, cid, "https://gone.example/")
    make_snapshot(db, sid, None, status=404, error="http_error")
    with pytest.raises(InputError, match="no captured text"):
        review.assess(db, cid, sid, "supports", "ana", quote="anything")
    got = review.assess(db, cid, sid, "unavailable", "ana")
    assert got["snapshot_id"] is None and got["selector"] is None


def test_only_lease_holder_may_assess_or_decide_unless_forced(db):
    cid, sid, snap = _claim_with_snapshot(db)
    review.lease_next(db, "ana", now=T0)
    before = counts(db)
    with pytest.raises(ConflictError, match="leased to ana"):
        review.assess(db, cid, sid, "supports", "bob", now=T1)
    with pytest.raises(ConflictError, match="leased to ana"):
        review.give_verdict(db, cid, "true", "bob", now=T1)
    with pytest.raises(ConflictError, match="leased to ana"):
        review.dismiss(db, cid, "bob", now=T1)
    assert counts(db) == before
    a = review.assess(db, cid, sid, "supports", "bob", force=True, now=T1)
    assert a["forced"] is True
    assert (
        db.conn.execute("SELECT forced FROM assessments WHERE id = ?", [a["id"]]).fetchone()[0] == 1
    )
    decided = review.give_verdict(db, cid, "true", "bob", force=True, now=T1)
    assert decided["status"] == "decided" and decided["lease_reviewer"] is None
    assert review.verdicts(db, cid)[0]["forced"] is True
    ev = review.history(db, cid)[-1]
    assert (
        ev["kind"] == "verdict"
        and ev["detail"]["forced"] is True
        and ev["detail"]["lease_reviewer"] == "ana"
    )


def test_expired_lease_does_not_block_others(db):
    cid = make_claim(db, "x")
    review.lease_next(db, "ana", now=T0)
    assert review.give_verdict(db, cid, "false", "bob", now=T_LATE)["verdict"] == "false"


def test_decide_keeps_old_verdicts(db):
    cid = make_claim(db, "x")
    review.lease_next(db, "ana", now=T0)
    first = review.give_verdict(db, cid, "true", "ana", note="matches", now=T1)
    assert (
        first["verdict"] == "true"
        and first["status"] == "decided"
        and first["lease_expires_at"] is None
    )
    second = review.give_verdict(
        db, cid, "mostly-true", "ana", note="Toll later revised to 21", now=T_LATE
    )
    assert (
        second["verdict"] == "mostly-true" and second["verdict_note"] == "Toll later revised to 21"
    )
    assert [v["verdict"] for v in review.verdicts(db, cid)] == ["true", "mostly-true"]
    decided = [e["detail"] for e in review.history(db, cid) if e["kind"] == "verdict"]
    assert [(d["old"], d["new"]) for d in decided] == [(None, "true"), ("true", "mostly-true")]
    # decided claims leave the default queue
    assert review.queue(db, now=T_LATE) == []


def test_decide_bad_rating_changes_nothing(db):
    cid = make_claim(db, "x")
    before = counts(db)
    with pytest.raises(InputError, match="unknown verdict 'truish'"):
        review.give_verdict(db, cid, "truish", "ana")
    with pytest.raises(NotFoundError):
        review.give_verdict(db, 42, "true", "ana")
    assert counts(db) == before


def test_dismiss(db):
    cid = make_claim(db, "x")
    got = review.dismiss(db, cid, "ana", note="opinion")
    assert got["status"] == "dismissed"
    assert review.history(db, cid)[-1]["detail"] == {"old_status": "queued", "note": "opinion"}


def test_history_includes_ingest_and_source_fetches_oldest_first(db):
    art = make_article(db)
    cid = make_claim(db, "x", article_id=art)
    other = make_claim(db, "y", article_id=art)
    sid = make_source(db, cid, "https://a.example/")
    make_source(db, other, "https://a.example/")
    unrelated = make_source(db, other, "https://b.example/")
    make_snapshot(db, sid, "text", fetched_at="2026-11-21T10:00:00.000000Z")
    make_snapshot(db, unrelated, "text", fetched_at="2026-11-21T11:00:00.000000Z")
    review.assess(db, other, sid, "supports", "bob", now=T0)  # another claim's event
    review.lease_next(db, "ana", now=T1)
    kinds = [e["kind"] for e in review.history(db, cid)]
    assert kinds == ["ingested", "fetched", "leased"]
    with pytest.raises(NotFoundError):
        review.history(db, 999)


def test_history_with_the_claim_store_api(db):
    from verify.ingest import claims

    with store.immediate(db):
        cid = claims.add_claim(db, "The mission lost 56 peacekeepers in 2015.", actor="ed")
        claims.attach_source(db, cid, "https://un.example/report?utm_source=x", actor="ed")
    review.lease_next(db, "ana")
    got = review.assess(db, cid, "https://un.example/report", "unavailable", "ana")
    assert got["url"] == "https://un.example/report"
    kinds = [e["kind"] for e in review.history(db, cid)]
    assert kinds[:2] == ["claim_added", "source_added"] and kinds[-2:] == ["leased", "assessed"]


def test_writer_lock_side_file(db, db_path):
    make_claim(db, "x")
    review.lease_next(db, "ana", now=T0)
    assert (db_path.parent / (db_path.name + "-writer.lock")).exists()
    mem = store.open_db(":memory:")
    make_claim(mem, "in memory")
    assert review.lease_next(mem, "ana", now=T0)["text"] == "in memory"


def test_requeue_candidates_and_dismissed_claims(db):
    from verify.ingest import article as ingest

    result = ingest.ingest_article(
        db, "-", stdin=b"Is this the end of the story? The port handled 4.2 million tonnes in 2025."
    )
    question = store.row(
        db,
        "SELECT * FROM claims WHERE article_id = ? AND text LIKE 'Is this%'",
        [result.article_id],
    )
    assert question["status"] == "candidate"
    got = review.requeue(db, question["id"], "ana", priority=3, now=T0)
    assert (got["status"], got["priority"]) == ("queued", 3)
    events = [e for e in review.history(db, question["id"]) if e["kind"] == "queued"]
    assert events[0]["actor"] == "ana" and events[0]["detail"]["old_status"] == "candidate"
    with pytest.raises(ConflictError, match="is queued, not a candidate or dismissed"):
        review.requeue(db, question["id"], "ana")
    review.dismiss(db, question["id"], "ana", note="rhetorical")
    assert review.requeue(db, question["id"], "bo")["status"] == "queued"
    before = store.rows(db, "SELECT * FROM claims ORDER BY id")
    with pytest.raises(InputError):
        review.requeue(db, question["id"], "bo", priority="soon")
    with pytest.raises(NotFoundError):
        review.requeue(db, 9999, "bo")
    assert store.rows(db, "SELECT * FROM claims ORDER BY id") == before
