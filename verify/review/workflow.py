"""The claim's life: the queue, leases, assessments (a stance on one source, with an optional
quote bound to the snapshot it was made on), verdicts, dismissals, requeues, the evidence check
after a source is captured again, and the history of a claim.

Every change of a claim's status goes through store.claims.apply_transition,
which asks model.check_transition (the one table of who may do what from which status) and
writes the transition's event; the actor's role is checked by users.authorize first. A stored
capture reaches the evidence check through the store's hook (store.snapshots.on_stored). Every write is
one BEGIN IMMEDIATE transaction; inputs are checked before anything is written, so bad input
changes nothing. Time is injectable (`now=`, a datetime or an ISO-8601 string) so lease expiry is
tested without sleeping."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from verify import clock, model, settings, store
from verify.errors import ConflictError, ForbiddenError, InputError
from verify.ingest import claims
from verify.review import accounts as users
from verify.review import team
from verify.settings import DEFAULT_LEASE_MINUTES
from verify.text import quotes

# --------------------------------------------------------------------------- helpers


def lease_minutes_setting(db: Database) -> int:
    """The lease length: `verify config lease_minutes`, else 30 (also when the stored value
    was written around `verify config` and is not a positive whole number)."""
    raw = settings.get_value(db, "lease_minutes")
    try:
        value = int(raw or "")  # unset: ValueError, the default below
    except ValueError:
        return DEFAULT_LEASE_MINUTES
    return value if value > 0 else DEFAULT_LEASE_MINUTES


def _lease_length(db: Database, lease_minutes: int | float | None) -> float:
    if lease_minutes is None:
        return lease_minutes_setting(db)
    if lease_minutes <= 0:
        raise InputError(f"lease minutes must be positive, not {lease_minutes}")
    return lease_minutes


def _check_reviewer(reviewer: str) -> str:
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise InputError("a reviewer name is required (--reviewer NAME)")
    return reviewer.strip()


def actions(
    db: Database, claim_id: Any, reviewer: str | None, *, now: datetime | str | None = None
) -> dict[str, bool]:
    """What `reviewer` may do with the claim now (model.allowed_actions on its current row, for
    the reviewer's role when the archive has accounts)."""
    claim = store.claim_row(db, claim_id)
    try:
        role = users.actor_role(db, reviewer)
    except ForbiddenError:  # not an active account: nothing is allowed
        return {name: False for name in model.allowed_actions(claim, reviewer, clock.at_time(now))}
    return model.allowed_actions(claim, reviewer, clock.at_time(now), role)


# --------------------------------------------------------------------------- queue and leases


def expire_leases(db: Database, now: datetime | str | None = None) -> int:
    """Return every lease that ran out to the queue, with an 'expired' event each. Returns how many."""
    at = clock.at_time(now)
    # a cheap read first, so readers (the queue page) do not take the write lock for nothing
    if not store.review.any_lease_expired(db, at):
        return 0
    with store.write(db):
        return _expire_in_tx(db, at)


def _expire_in_tx(db: Database, at: str) -> int:
    stale = store.review.expired_leases(db, at)
    for claim in stale:
        store.claims.apply_transition(
            db,
            claim,
            "expire",
            None,
            at,
            detail={
                "reviewer": claim["lease_reviewer"],
                "lease_expires_at": claim["lease_expires_at"],
            },
        )
    return len(stale)


def _statuses(status: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(status, str):
        found = tuple(s.strip() for s in status.split(",") if s.strip())
    elif status:
        found = tuple(status)
    else:
        found = model.QUEUE_STATUSES
    for s in found:
        model.check_choice(s, model.STATUSES, "status")
    return found


def queue(
    db: Database,
    *,
    status: str | list[str] | tuple[str, ...] | None = None,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int | None = 50,
    offset: int = 0,
    now: datetime | str | None = None,
) -> list[dict[str, Any]]:
    """Claims awaiting review in the queue order (model.queue_key) (default statuses: queued and in_review),
    each with its source URLs. Stale leases are expired first, so the CLI and the web UI show
    the same queue."""
    statuses = _statuses(status)
    if limit is not None and limit < 0:
        raise InputError(f"limit must be zero or more, not {limit}")
    if offset < 0:
        raise InputError(f"offset must be zero or more, not {offset}")
    expire_leases(db, now)
    found = store.queued_claims(
        db, statuses, reviewer=reviewer, article_id=article_id, limit=limit, offset=offset
    )
    return store.with_sources(db, found)


def lease_next(
    db: Database,
    reviewer: str,
    *,
    now: datetime | str | None = None,
    lease_minutes: int | float | None = None,
) -> dict[str, Any] | None:
    """Lease the most urgent queued claim to `reviewer` and return it (None when the queue is
    empty). A reviewer who already holds a live lease gets that claim back, not a second one.
    Stale leases are expired first. Runs under BEGIN IMMEDIATE, so concurrent reviewers always
    get different claims."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "lease")
    at = clock.at_time(now)
    minutes = _lease_length(db, lease_minutes)
    expires = clock.format_time(clock.parse_time(at) + timedelta(minutes=minutes))
    with store.write(db):
        _expire_in_tx(db, at)
        held = store.review.leased_to(db, reviewer)
        if held is not None:
            claim_id = held
        else:
            # assigned to them first, else unassigned; never one they skipped lately
            top = team.pick_next(db, reviewer, at, store.CLAIM_COLUMNS)
            if top is None:
                return None
            claim_id = top["id"]
            store.claims.apply_transition(
                db,
                top,
                "lease",
                reviewer,
                at,
                fields={"lease_reviewer": reviewer, "lease_expires_at": expires},
                detail={"lease_expires_at": expires, "lease_minutes": minutes},
            )
    return store.get_claim(db, claim_id)


def release(
    db: Database,
    claim_id: int,
    reviewer: str,
    *,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Give a lease back: the claim returns to the queue. Only the holder may, unless force."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "release")
    at = clock.at_time(now)
    with store.write(db):
        claim = store.claim_row(db, claim_id)
        store.claims.apply_transition(
            db, claim, "release", reviewer, at, force=force,
            detail={"reviewer": claim["lease_reviewer"]},
        )  # fmt: skip
    return store.get_claim(db, claim["id"])


# --------------------------------------------------------------------------- assessments


def _source_of_claim(db: Database, claim: dict[str, Any], source: int | str) -> dict[str, Any]:
    src = store.find_source(db, source)
    if not store.sources.is_source_of(db, claim["id"], src["id"]):
        raise InputError(
            f"source {src['id']} ({src['url']}) is not a source of claim {claim['id']}:"
            f" attach it first with `verify source add {claim['id']} {src['url']}`"
        )
    return src


def _snapshot_to_quote(
    db: Database, src: dict[str, Any], snapshot_id: int | None
) -> dict[str, Any] | None:
    """The snapshot an assessment is bound to: the one the reviewer was shown (snapshot_id),
    which must be a successful snapshot of this source, else the snapshot a reviewer sees."""
    if snapshot_id is None:
        return store.reviewed_snapshot(db, src["id"], "id, source_id, text")
    snap = store.snapshot_row(db, snapshot_id, "id, source_id, status, error, text")
    if snap["source_id"] != src["id"]:
        raise InputError(f"snapshot {snap['id']} is not a snapshot of source {src['id']}")
    if snap["error"] is not None or (snap["status"] or 0) >= 400:
        raise InputError(f"snapshot {snap['id']} is a failed fetch: there is nothing to quote")
    return snap


def assess(
    db: Database,
    claim_id: int,
    source: int | str,
    stance: str,
    reviewer: str,
    *,
    quote: str | None = None,
    snapshot_id: int | None = None,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Add an assessment: a reviewer's stance on one source of a claim, optionally with a quote
    that must occur (model: quotes.find_all, the same words only) in the snapshot it is bound to
    (`snapshot_id`, else the snapshot a reviewer sees of the source). A claim and source can
    hold several assessments (a page may both support and refute a claim)."""
    model.check_choice(stance, model.STANCES, "stance")
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "assess")
    at = clock.at_time(now)
    with store.write(db):
        claim = store.claim_row(db, claim_id)
        src = _source_of_claim(db, claim, source)
        model.check_transition(claim, "assess", reviewer, at, force=force)
        snapshot = _snapshot_to_quote(db, src, snapshot_id)
        selector = None
        if quote is not None and quote.strip():
            if snapshot is None or not snapshot["text"]:
                raise InputError(
                    f"source {src['id']} has no captured text to quote from:"
                    f" run `{store.snapshots.capture_command(db, claim['id'], src['id'])}` first,"
                    " or assess without --quote"
                )
            span = quotes.find_quote(snapshot["text"], quote)
            if span is None:
                raise InputError(
                    f"quote not found in snapshot {snapshot['id']} of source {src['id']}:"
                    f" copy it from `verify snapshot show {snapshot['id']} --text`"
                )
            selector = quotes.make_selector(snapshot["text"], *span)
        bound = snapshot["id"] if snapshot else None
        assessment_id = store.review.add_assessment(
            db,
            claim_id=claim["id"],
            source_id=src["id"],
            snapshot_id=bound,
            stance=stance,
            selector=selector,
            reviewer=reviewer,
            at=at,
        )
        detail: dict[str, Any] = {"stance": stance, "assessment_id": assessment_id}
        if selector:
            detail["quote"] = selector["exact"]
        forced = store.claims.apply_transition(
            db, claim, "assess", reviewer, at, force=force, detail=detail,
            source_id=src["id"], snapshot_id=bound,
        )  # fmt: skip
        if forced:
            store.review.mark_assessment_forced(db, assessment_id)
        store.approvals.withdraw_if_changed(db, claim["id"], reviewer, at, "assessment added")
    return store.get_assessment(db, assessment_id)


def unassess(
    db: Database,
    assessment_id: int,
    reviewer: str,
    *,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Remove an assessment (it stays in the table, marked removed, and the removal is an event)."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "unassess")
    at = clock.at_time(now)
    with store.write(db):
        found = store.get_assessment(db, assessment_id)
        if found["removed_at"] is not None:
            raise ConflictError(
                f"assessment {found['id']} was already removed by {found['removed_by']}"
            )
        claim = store.claim_row(db, found["claim_id"])
        store.claims.apply_transition(
            db, claim, "unassess", reviewer, at, force=force,
            detail={"assessment_id": found["id"], "stance": found["stance"], "quote": found["quote"]},
            source_id=found["source_id"], snapshot_id=found["snapshot_id"],
        )  # fmt: skip
        store.review.remove_assessment(db, found["id"], reviewer, at)
        store.approvals.withdraw_if_changed(db, claim["id"], reviewer, at, "assessment removed")
    return store.get_assessment(db, found["id"])


def assessments(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's live assessments, oldest first (store.list_assessments)."""
    return store.list_assessments(db, store.claim_row(db, claim_id)["id"])


# --------------------------------------------------------------------------- evidence integrity


def check_evidence(db: Database, source_id: int, *, now: datetime | str | None = None) -> list[int]:
    """After a source was captured again (or found gone), check every live quoted assessment on
    it against the source's latest snapshot. A quote whose words are still there is carried over
    silently; a quote that no longer appears in the latest capture of the same mode (static or
    browser) as the one it was quoted from, or whose source is now gone, flags every claim
    that relied on it: an `evidence_changed` event naming the source, the old and new snapshots
    and the quote, and a decided claim goes back to the queue with its verdict kept as the
    previous verdict. Each assessment is flagged once. Runs inside the caller's transaction
    when there is one. Returns the ids of the claims flagged."""
    at = clock.at_time(now)
    # the latest capture: a memento from a web archive is not one
    latest = store.snapshots.latest_capture(db, source_id)
    if latest is None:
        return []
    state = model.source_state(
        latest["status"], latest["error"], latest["changed"], dead=latest["dead_at"] is not None
    )
    if state not in model.EVIDENCE_LOST_STATES and latest["error"] is not None:
        return []  # a transient failure says nothing about the page
    live = store.assessments.quotes_to_check(db, source_id, latest["id"])
    lost = []
    gone = latest["error"] is not None  # an error here is a lost state (checked above)
    same_mode: dict[str, dict[str, Any] | None] = {}
    for a in live:
        if not gone:
            # like with like: the quote is looked for in the latest capture of the mode it was
            # quoted from (a static capture of a script-built page is not the rendered text)
            mode = store.snapshots.snapshot_mode(db, a["snapshot_id"]) if a["snapshot_id"] else None
            if mode is None:
                target: dict[str, Any] | None = {"id": latest["id"], "text": latest["text"]}
            else:
                if mode not in same_mode:
                    same_mode[mode] = store.snapshots.latest_capture_of_mode(db, source_id, mode)
                target = same_mode[mode]
            if target is None or target["id"] == a["snapshot_id"]:
                continue  # no newer capture of that mode: nothing to compare
            if not (target["text"] or "").strip():
                continue  # a capture with no text says nothing about the quote: not a change
            if quotes.locate(a, target["text"]) is not None:
                continue  # the same words are still there: carried over
        lost.append(a)
    if not lost:
        return []
    flagged: list[int] = []
    with store.write(db):
        for a in lost:
            store.assessments.mark_evidence_changed(db, a["id"], at)
            claim = store.claim_row(db, a["claim_id"])
            # open claims are flagged where they stand; a decided one is reopened (the table
            # moves it back to the queue) with its verdict kept as the previous verdict
            action = "reopen" if claim["status"] == "decided" else "evidence_changed"
            if claim["status"] not in model.TRANSITIONS[action].sources:
                continue
            fields: dict[str, Any] = {"evidence_changed_at": at}
            if action == "reopen":
                fields.update(previous_verdict=claim["verdict"], verdict=None, verdict_note=None)
            store.claims.apply_transition(
                db,
                claim,
                action,
                None,
                at,
                fields=fields,
                detail={
                    "assessment_id": a["id"],
                    "quote": a["exact"],
                    "old_snapshot_id": a["snapshot_id"],
                    "new_snapshot_id": latest["id"],
                    "source_state": state,
                    "previous_verdict": claim["verdict"],
                },
                source_id=source_id,
                snapshot_id=latest["id"],
            )
            flagged.append(claim["id"])
    return sorted(set(flagged))


def _check_evidence_stored(db: Database, source_id: int) -> None:
    check_evidence(db, source_id)


# a stored capture tells the review workflow through the store's hook, not an import
store.snapshots.on_stored(_check_evidence_stored)


# --------------------------------------------------------------------------- verdicts


def give_verdict(
    db: Database,
    claim_id: int,
    verdict: str,
    reviewer: str,
    *,
    note: str | None = None,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Give a claim a verdict (model.VERDICTS): status decided, lease cleared, the evidence
    flag cleared. A change keeps the old verdict (the verdicts table and the event's `old`)."""
    model.check_choice(verdict, model.VERDICTS, "verdict")
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "verdict")
    at = clock.at_time(now)
    with store.write(db):
        claim = store.claim_row(db, claim_id)
        model.check_transition(claim, "verdict", reviewer, at, force=force)
        approved = store.approvals.current_approval(db, claim["id"])
        verdict_id = store.review.add_verdict(db, claim["id"], verdict, note, reviewer, at)
        forced = store.claims.apply_transition(
            db,
            claim,
            "verdict",
            reviewer,
            at,
            force=force,
            fields={
                "verdict": verdict,
                "verdict_note": note,
                "decided_by": reviewer,
                "decided_at": at,
                "evidence_changed_at": None,
            },
            detail={
                "old": claim["verdict"] or claim["previous_verdict"],
                "new": verdict,
                "note": note,
                "verdict_id": verdict_id,
            },
        )
        if forced:
            store.review.mark_verdict_forced(db, verdict_id)
        if approved is not None:  # the new verdict awaits approval; say so in the history
            store.approvals.record_withdrawal(db, claim["id"], approved, reviewer, at, "verdict")
    return store.get_claim(db, claim["id"])


def dismiss(
    db: Database,
    claim_id: int,
    reviewer: str,
    *,
    note: str | None = None,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Take a claim out of the queue as not worth checking (status dismissed, lease cleared).
    A decided claim cannot be dismissed (model.TRANSITIONS)."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "dismiss")
    at = clock.at_time(now)
    with store.write(db):
        claim = store.claim_row(db, claim_id)
        store.claims.apply_transition(
            db, claim, "dismiss", reviewer, at, force=force,
            detail={"old_status": claim["status"], "note": note},
        )  # fmt: skip
    return store.get_claim(db, claim["id"])


def requeue(
    db: Database,
    claim_id: int,
    reviewer: str,
    *,
    priority: int | None = None,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Put a candidate (a sentence scored below the threshold) or a dismissed claim into the
    queue, optionally at a new priority."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "requeue")
    if priority is not None:
        priority = claims.check_priority(priority)
    at = clock.at_time(now)
    with store.write(db):
        claim = store.claim_row(db, claim_id)
        new_priority = claim["priority"] if priority is None else priority
        store.claims.apply_transition(
            db, claim, "requeue", reviewer, at, fields={"priority": new_priority},
            detail={"old_status": claim["status"], "priority": new_priority},
        )  # fmt: skip
    return store.get_claim(db, claim["id"])


def verdicts(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """Every verdict given to a claim, oldest first."""
    claim = store.claim_row(db, claim_id)
    return store.review.verdicts(db, claim["id"])


# --------------------------------------------------------------------------- history


def history(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's events, oldest first: its own, the fetches of its sources made since the claim
    existed, and the ingest of its article. Each: id, kind, claim_id, source_id, snapshot_id, article_id, actor, detail
    (dict or None), created_at."""
    claim = store.claim_row(db, claim_id)
    out = store.review.history(db, claim["id"], claim["article_id"])
    for e in out:
        if e["detail"]:
            try:
                e["detail"] = json.loads(e["detail"])
            except ValueError:
                pass
    return out
