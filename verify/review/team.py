"""The team workflow around the review: assignment, skips, priorities, tags, comments, the
claimant of a claim, and second-person approval of verdicts.

Every action is a transition of model.TRANSITIONS (its statuses, lease rule, event and least
role), checked by model.check_transition with the actor's role (users.actor_role: None when the
archive has no accounts). Each write is one transaction; bad input changes nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from verify import clock, model, settings, store
from verify.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from verify.ingest import claims
from verify.review import accounts as users

SKIP_MINUTES = 240  # how long `verify skip` keeps a claim away from the reviewer who skipped it
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
COMMENT_MAX = 4000
CLAIMANT_MAX = 200


def _claim(db: Database, claim_id: Any) -> dict[str, Any]:
    return store.claim_row(db, claim_id, store.claims.TEAM_COLUMNS)


def _actor(actor: str | None) -> str:
    name = " ".join((actor or "").split())
    if not name:
        raise InputError("a reviewer name is required (--reviewer NAME)")
    return name


def _check(
    db: Database, claim: dict[str, Any], action: str, actor: str, at: str, *, force: bool = False
) -> bool:
    """Check `action` for `actor` against model.TRANSITIONS, role included (users.authorize,
    the one role check); returns True when a lease was overridden."""
    role = users.authorize(db, actor, action)
    return model.check_transition(claim, action, actor, at, force=force, role=role)


def _event(
    db: Database, action: str, claim: dict[str, Any], actor: str, at: str, detail: dict
) -> None:
    store.add_event(
        db, model.TRANSITIONS[action].event, claim_id=claim["id"], actor=actor, detail=detail, at=at
    )


def get_claim(db: Database, claim_id: Any) -> dict[str, Any]:
    """A claim with its team fields: assignee, claimant, tags, approval."""
    claim = _claim(db, claim_id)
    claim["tags"] = tags(db, claim["id"])
    claim["approval"] = approval(db, claim["id"])
    return claim


# --------------------------------------------------------------------------- assignment


def assign(
    db: Database,
    claim_id: Any,
    name: str | None,
    actor: str,
    *,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Assign an open claim to `name` (an active account when there are accounts), or take
    the assignment away with name None. Editors and admins only."""
    actor = _actor(actor)
    at = clock.at_time(now)
    with store.immediate(db):
        claim = _claim(db, claim_id)
        _check(db, claim, "assign", actor, at)
        who = users.check_member(db, name) if name is not None else None
        if who == claim["assignee"]:
            raise ConflictError(
                f"claim {claim['id']} is already assigned to {who}"
                if who
                else f"claim {claim['id']} is not assigned to anyone"
            )
        store.team.set_assignee(db, claim["id"], who, at)
        _event(db, "assign", claim, actor, at, {"assignee": who, "previous": claim["assignee"]})
    return get_claim(db, claim["id"])


def mine(db: Database, name: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The claims `name` should work on: assigned to them or leased to them, open ones first
    (queue order)."""
    name = _actor(name)
    found = store.team.mine(db, name, int(limit))
    return found


def pick_next(db: Database, reviewer: str, at: str, columns: str = "id") -> dict[str, Any] | None:
    """The queued claim `verify next` hands `reviewer`: the most urgent one assigned to them,
    else the most urgent one assigned to nobody, never one they skipped less than
    SKIP_MINUTES ago. Runs inside the caller's write transaction."""
    found = store.team.pick_next(db, reviewer, at, columns)
    return found


def skip(
    db: Database,
    reviewer: str,
    claim_id: Any = None,
    *,
    minutes: float = SKIP_MINUTES,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Give back the claim `reviewer` holds (or `claim_id`) and do not hand it to them again
    for `minutes`: it goes back to the queue for the others."""
    reviewer = _actor(reviewer)
    if minutes <= 0:
        raise InputError(f"skip minutes must be positive, not {minutes}")
    at = clock.at_time(now)
    until = clock.format_time(clock.parse_time(at) + timedelta(minutes=minutes))
    with store.immediate(db):
        if claim_id is None:
            held = store.team.held_claim(db, reviewer, at)
            if held is None:
                raise ConflictError(
                    f"{reviewer} holds no claim: take one with `verify next --reviewer {reviewer}`"
                )
            claim_id = held
        claim = _claim(db, claim_id)
        role = users.authorize(db, reviewer, "skip")
        if model.live_lease(claim, at) != reviewer:
            model.check_transition(claim, "skip", reviewer, at, role=role)
            raise ConflictError(
                f"claim {claim['id']} is not leased to {reviewer}: only the holder can skip it"
            )
        store.claims.apply_transition(
            db, claim, "skip", reviewer, at, role=role, detail={"until": until}
        )
        store.team.add_skip(db, reviewer, claim["id"], until)
    return get_claim(db, claim["id"])


# --------------------------------------------------------------------------- priority, tags


def set_priority(
    db: Database, claim_id: Any, priority: Any, actor: str, *, now: datetime | str | None = None
) -> dict[str, Any]:
    """Change the priority of an open claim (editors and admins)."""
    actor = _actor(actor)
    value = claims.check_priority(priority)
    at = clock.at_time(now)
    with store.immediate(db):
        claim = _claim(db, claim_id)
        _check(db, claim, "prioritise", actor, at)
        store.claims.set_priority(db, claim["id"], value, at)
        _event(
            db, "prioritise", claim, actor, at, {"priority": value, "previous": claim["priority"]}
        )
    return get_claim(db, claim["id"])


def check_tag(tag: str) -> str:
    """A tag: lower case letters, digits, '-', '_' and '.', at most 40 (spaces become '-')."""
    clean = "-".join((tag or "").strip().lower().split())
    if not TAG_RE.match(clean):
        raise InputError(
            f"bad tag {tag!r}: use letters, digits, '-', '_' or '.', at most 40 characters"
        )
    return clean


def tags(db: Database, claim_id: int) -> list[str]:
    return store.team.tags(db, claim_id)


def all_tags(db: Database) -> list[dict[str, Any]]:
    """Every tag in use with how many claims carry it."""
    return store.team.all_tags(db)


def tag(
    db: Database,
    claim_id: Any,
    add: list[str] | tuple[str, ...] = (),
    actor: str = "",
    *,
    remove: list[str] | tuple[str, ...] = (),
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Add and remove tags on a claim (editors and admins)."""
    actor = _actor(actor)
    adding = [check_tag(t) for t in add]
    removing = [check_tag(t) for t in remove]
    if not adding and not removing:
        raise InputError("give at least one tag to add or remove")
    at = clock.at_time(now)
    with store.immediate(db):
        claim = _claim(db, claim_id)
        _check(db, claim, "tag", actor, at)
        before = set(tags(db, claim["id"]))
        added = sorted(set(adding) - before)
        removed = sorted(set(removing) & before)
        for t in added:
            store.team.add_tag(db, claim["id"], t, actor, at)
        for t in removed:
            store.team.remove_tag(db, claim["id"], t)
        if added or removed:
            _event(
                db, "tag", claim, actor, at, {"added": added or None, "removed": removed or None}
            )
    return get_claim(db, claim["id"])


# --------------------------------------------------------------------------- comments, claimant


def comment(
    db: Database, claim_id: Any, text: str, actor: str, *, now: datetime | str | None = None
) -> dict[str, Any]:
    """Add a comment to a claim's thread (an event in its history)."""
    actor = _actor(actor)
    body = (text or "").strip()
    if not body:
        raise InputError("a comment must not be empty")
    if len(body) > COMMENT_MAX:
        raise InputError(f"a comment is at most {COMMENT_MAX} characters, not {len(body)}")
    at = clock.at_time(now)
    with store.immediate(db):
        claim = _claim(db, claim_id)
        _check(db, claim, "comment", actor, at)
        _event(db, "comment", claim, actor, at, {"text": body})
    return {"claim_id": claim["id"], "author": actor, "text": body, "created_at": at}


def comments(db: Database, claim_id: Any) -> list[dict[str, Any]]:
    """A claim's comment thread, oldest first: author, text, created_at."""
    claim = _claim(db, claim_id)
    return store.team.comments(db, claim["id"], model.TRANSITIONS["comment"].event)


def set_claimant(
    db: Database,
    claim_id: Any,
    claimant: str | None,
    actor: str,
    *,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Who made the claim (a person or organisation; ClaimReview's itemReviewed.author).
    None or an empty string forgets it."""
    actor = _actor(actor)
    name = " ".join((claimant or "").split()) or None
    if name and len(name) > CLAIMANT_MAX:
        raise InputError(f"a claimant is at most {CLAIMANT_MAX} characters, not {len(name)}")
    at = clock.at_time(now)
    with store.immediate(db):
        claim = _claim(db, claim_id)
        _check(db, claim, "claimant", actor, at)
        store.team.set_claimant(db, claim["id"], name, at)
        _event(db, "claimant", claim, actor, at, {"claimant": name, "previous": claim["claimant"]})
        store.approvals.withdraw_if_changed(db, claim["id"], actor, at, "claimant changed")
    return get_claim(db, claim["id"])


# --------------------------------------------------------------------------- approval


def approval_required(db: Database) -> bool:
    return settings.get_value(db, "require_approval") == "on"


def _latest_verdict(db: Database, claim_id: int) -> dict[str, Any] | None:
    return store.team.latest_verdict(db, claim_id)


def approval(db: Database, claim_id: int) -> dict[str, Any] | None:
    """The approval of the claim's current verdict: {verdict_id, decided_by, approved_by,
    approved_at}, approved_by None while it waits; None when the claim has no verdict."""
    latest = _latest_verdict(db, claim_id)
    if latest is None:
        return None
    found = store.team.approval_of(db, latest["id"])
    if found and not store.approvals.approval_stands(db, claim_id, latest["id"]):
        found = None  # what would be published changed after the approval: awaiting again
    return {
        "verdict_id": latest["id"],
        "decided_by": latest["reviewer"],
        "decided_at": latest["created_at"],
        "approved_by": found[0] if found else None,
        "approved_at": found[1] if found else None,
    }


def approve(
    db: Database, claim_id: Any, approver: str, *, now: datetime | str | None = None
) -> dict[str, Any]:
    """Approve a decided claim's current verdict: an editor (or admin) who did not give it.
    A later verdict needs approval again."""
    approver = _actor(approver)
    at = clock.at_time(now)
    with store.immediate(db):
        claim = _claim(db, claim_id)
        _check(db, claim, "approve", approver, at)
        latest = _latest_verdict(db, claim["id"])
        if latest is None:
            raise ConflictError(f"claim {claim['id']} has no verdict to approve")
        if latest["reviewer"] == approver:
            raise ForbiddenError(
                f"{approver} gave the verdict of claim {claim['id']}: another editor must approve it"
            )
        done = store.team.approval_of(db, latest["id"])
        if done and store.approvals.withdraw_if_changed(
            db, claim["id"], approver, at, "published content changed"
        ):
            done = None  # a change no hook saw: the old approval gives way to this one
        if done:
            raise ConflictError(
                f"the verdict of claim {claim['id']} is already approved by {done[0]}"
            )
        store.team.add_approval(db, claim["id"], latest["id"], approver, at)
        _event(
            db,
            "approve",
            claim,
            approver,
            at,
            {
                "verdict": claim["verdict"],
                "decided_by": latest["reviewer"],
                "verdict_id": latest["id"],
                "content_sha256": store.approvals.content_fingerprint(db, claim["id"]),
            },
        )
    return get_claim(db, claim["id"])


# --------------------------------------------------------------------------- finding claims


def find_claims(
    db: Database,
    *,
    tag: str | None = None,
    status: str | None = None,
    article: str | None = None,
    assignee: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Claims filtered by tag, status, article title (words, case-insensitive), assignee
    ('-' for nobody) and score range, in queue order, with their tags."""
    if tag:
        tag = check_tag(tag)
    if status:
        model.check_choice(status, model.STATUSES, "status")
    for value in (min_score, max_score):
        if value is not None and not 0 <= float(value) <= 1:
            raise InputError(f"a score is between 0 and 1, not {value}")
    if limit < 0 or offset < 0:
        raise InputError("limit and offset must be zero or more")
    return store.team.find_claims(
        db,
        tag=tag or None,
        status=status or None,
        article=article.strip() if article and article.strip() else None,
        assignee=assignee.strip() if assignee and assignee != "-" else assignee,
        score_range=(min_score, max_score),
        limit=limit,
        offset=offset,
    )


# --------------------------------------------------------------------------- capture and archive


def sources_to_capture(db: Database, claim_id: Any, *, actor: str | None = None) -> list[int]:
    """The claim's sources to fetch from the capture button: never fetched, or whose latest
    capture failed (model.FETCH_AGAIN_STATES). With `actor`, checks first that they may
    capture (users.authorize); NotFoundError for an unknown claim."""
    if actor is not None:
        users.authorize(db, actor, "capture")
    cid = store.claim_row(db, claim_id)["id"]
    return [
        r["source_id"]
        for r in store.sources.latest_captures(db, cid)
        if r["state"] in model.FETCH_AGAIN_STATES
    ]


def published_snapshot(db: Database, snapshot_id: int) -> dict[str, Any]:
    """A snapshot the public may read (`verify serve`'s /archive/ID, ClaimReview archivedAt):
    a stored capture of a source of a decided claim (an approved one when approval is
    required). NotFoundError otherwise, so the rest of the archive stays private."""
    found = store.team.published_snapshot(db, snapshot_id, approval_required=approval_required(db))
    if found is None:
        raise NotFoundError(f"no published snapshot {snapshot_id}")
    return found
