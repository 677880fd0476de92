"""The reads the exports make: claims in article order, sources with the snapshot cited,
articles, the current approvals, verdicts."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify.store.db import row, rows
from verify.store.snapshots import reviewed_snapshot

# a snapshot as an export cites it
_SNAPSHOT_COLUMNS = (
    "id, coalesce(final_url, requested_url) AS final_url, status, fetched_at, sha256,"
    " content_type, title, origin, archive_name, memento_url, memento_datetime"
)


def claims(
    db: Database, article_id: int | None, *, decided_only: bool = False
) -> list[dict[str, Any]]:
    """Claims (all, or an article's; with decided_only those decided with a verdict) in
    article order, then text order."""
    where, params = [], []
    if article_id is not None:
        where.append("article_id = ?")
        params.append(article_id)
    if decided_only:
        where.append("status = 'decided' AND verdict IS NOT NULL")
    sql = (
        'SELECT id, article_id, text, start, "end", score, status, priority, verdict, verdict_note,'
        " previous_verdict, evidence_changed_at, decided_by, decided_at, created_at, claimant FROM claims"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    return rows(db, sql + " ORDER BY article_id, coalesce(start, 1e18), id", params)


def cited_snapshot(db: Database, snapshot_id: int) -> dict[str, Any] | None:
    """A snapshot as an export cites it (id, final_url, status, fetched_at, sha256,
    content_type, title, and for a recovered copy its web archive and capture date)."""
    return row(db, f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ?", [snapshot_id])


def reviewed_cited_snapshot(db: Database, source_id: int) -> dict[str, Any] | None:
    """The snapshot a reviewer sees of a source, as an export cites it."""
    return reviewed_snapshot(db, source_id, _SNAPSHOT_COLUMNS)


def claim_links(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's sources in the order attached: source_id, url, origin, anchor_text, dead_at."""
    return rows(
        db,
        "SELECT s.id AS source_id, s.url, cs.origin, cs.anchor_text, s.dead_at"
        " FROM claim_sources cs JOIN sources s ON s.id = cs.source_id WHERE cs.claim_id = ?"
        " ORDER BY cs.id",
        [claim_id],
    )


def article(db: Database, article_id: int) -> dict[str, Any] | None:
    return row(
        db,
        "SELECT id, title, url, source_name, published, ingested_at FROM articles WHERE id = ?",
        [article_id],
    )


def current_approvals(db: Database) -> list[dict[str, Any]]:
    """claim_id, approver, approved_at of every claim whose latest verdict is approved."""
    return rows(
        db,
        "SELECT a.claim_id, a.verdict_id, a.approver, a.created_at AS approved_at FROM approvals a"
        " WHERE a.verdict_id = (SELECT MAX(v.id) FROM verdicts v WHERE v.claim_id = a.claim_id)",
    )


def verdicts(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """verdict, note, reviewer, forced, created_at of a claim's verdicts, oldest first."""
    return rows(
        db,
        "SELECT verdict, note, reviewer, forced, created_at FROM verdicts WHERE claim_id = ?"
        " ORDER BY id",
        [claim_id],
    )
