"""SQL for "approval covers what is published" (issue 20): what a ClaimReview of a claim
publishes, its fingerprint at approval, and withdrawing an approval when that content changes.

An approval is bound to the claim's current verdict (the approvals table) and to the published
content at that moment: the claim's text, verdict and note, claimant, the article it appeared
in (url, title, date), its sources, and its live assessments (source, capture, stance, quote).
The fingerprint of that content is kept in the 'approved' event. When the content changes, the
approval no longer counts (the claim is awaiting approval again, and the export leaves it out):
the change's own transaction calls `withdraw_if_changed`, which deletes the approvals row and
records an 'approval_withdrawn' event (who approved, who changed what), so the history keeps
both and an editor can approve again. A change made by a path that does not call it is still
caught where it matters, by `approval_stands` at read time."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from verify.store.events import add_event

APPROVED_EVENT = "approved"
WITHDRAWN_EVENT = "approval_withdrawn"


def published_content(db: Database, claim_id: int) -> dict[str, Any] | None:
    """What a ClaimReview of the claim publishes, apart from dates and captures; None for an
    unknown claim."""
    claim = db.conn.execute(
        "SELECT text, verdict, verdict_note, claimant, article_id FROM claims WHERE id = ?",
        [claim_id],
    ).fetchone()
    if claim is None:
        return None
    text, verdict, note, claimant, article_id = claim
    article = None
    if article_id is not None:
        found = db.conn.execute(
            "SELECT url, title, published FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        article = list(found) if found else None
    sources = [
        r[0]
        for r in db.conn.execute(
            "SELECT s.url FROM claim_sources cs JOIN sources s ON s.id = cs.source_id"
            " WHERE cs.claim_id = ? ORDER BY s.url",
            [claim_id],
        )
    ]
    assessments = [
        list(r)
        for r in db.conn.execute(
            "SELECT source_id, snapshot_id, stance, quote_exact FROM assessments"
            " WHERE claim_id = ? AND removed_at IS NULL ORDER BY id",
            [claim_id],
        )
    ]
    return {
        "text": text,
        "verdict": verdict,
        "note": note,
        "claimant": claimant,
        "appearance": article,
        "sources": sources,
        "assessments": assessments,
    }


def content_fingerprint(db: Database, claim_id: int) -> str:
    """sha256 of published_content, stable across runs."""
    content = published_content(db, claim_id)
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def current_approval(db: Database, claim_id: int) -> dict[str, Any] | None:
    """The approvals row of the claim's latest verdict: {id, verdict_id, approver, created_at},
    or None."""
    found = db.conn.execute(
        "SELECT a.id, a.verdict_id, a.approver, a.created_at FROM approvals a"
        " WHERE a.verdict_id = (SELECT MAX(v.id) FROM verdicts v WHERE v.claim_id = ?)",
        [claim_id],
    ).fetchone()
    if found is None:
        return None
    return dict(zip(("id", "verdict_id", "approver", "created_at"), found, strict=True))


def approved_fingerprint(db: Database, claim_id: int, verdict_id: int) -> str | None:
    """The content fingerprint recorded when the verdict was last approved (None for an
    approval from before fingerprints were kept)."""
    for (detail,) in db.conn.execute(
        "SELECT detail FROM events WHERE claim_id = ? AND kind = ? ORDER BY id DESC",
        [claim_id, APPROVED_EVENT],
    ):
        try:
            data = json.loads(detail or "{}")
        except ValueError:
            continue
        if data.get("verdict_id") == verdict_id:
            found = data.get("content_sha256")
            return found if isinstance(found, str) else None
    return None


def approval_stands(db: Database, claim_id: int, verdict_id: int) -> bool:
    """Does the approval of `verdict_id` still cover what would be published?"""
    approved = approved_fingerprint(db, claim_id, verdict_id)
    return approved is None or approved == content_fingerprint(db, claim_id)


def withdraw_if_changed(
    db: Database, claim_id: int, actor: str | None, at: str, change: str
) -> bool:
    """Inside the caller's transaction, after it changed the claim's published content: when
    the current verdict is approved and the content is no longer what was approved, withdraw
    the approval (the claim awaits approval again) with an 'approval_withdrawn' event. Returns
    True when it withdrew one."""
    approval = current_approval(db, claim_id)
    if approval is None:
        return False
    approved = approved_fingerprint(db, claim_id, approval["verdict_id"])
    if approved is not None and approved == content_fingerprint(db, claim_id):
        return False  # the change left the published content as approved
    db.conn.execute("DELETE FROM approvals WHERE id = ?", [approval["id"]])
    record_withdrawal(db, claim_id, approval, actor, at, change)
    return True


def record_withdrawal(
    db: Database, claim_id: int, approval: dict[str, Any], actor: str | None, at: str, change: str
) -> None:
    """The 'approval_withdrawn' event: which approval stopped counting, and the change."""
    detail = {
        "verdict_id": approval["verdict_id"],
        "approved_by": approval["approver"],
        "approved_at": approval["created_at"],
        "change": change,
    }
    add_event(db, WITHDRAWN_EVENT, claim_id=claim_id, actor=actor, detail=detail, at=at)
