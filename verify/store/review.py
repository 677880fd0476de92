"""The review workflow's rows: leases, assessments and verdicts, and a claim's history."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify.store.claims import CLAIM_COLUMNS
from verify.store.db import inserted_id, rows


def any_lease_expired(db: Database, at: str) -> bool:
    """Is some claim's lease over at `at` (a cheap read before taking the write lock)?"""
    return (
        db.conn.execute(
            "SELECT 1 FROM claims WHERE status = 'in_review' AND lease_expires_at <= ? LIMIT 1",
            [at],
        ).fetchone()
        is not None
    )


def expired_leases(db: Database, at: str) -> list[dict[str, Any]]:
    """The claims (CLAIM_COLUMNS) whose lease is over at `at`."""
    return rows(
        db,
        f"SELECT {CLAIM_COLUMNS} FROM claims WHERE status = 'in_review' AND lease_expires_at <= ?",
        [at],
    )


def leased_to(db: Database, reviewer: str) -> int | None:
    """The id of a claim in review leased to `reviewer` (the lowest), or None."""
    found = db.conn.execute(
        "SELECT id FROM claims WHERE lease_reviewer = ? AND status = 'in_review'"
        " ORDER BY id LIMIT 1",
        [reviewer],
    ).fetchone()
    return found[0] if found else None


def add_assessment(
    db: Database,
    *,
    claim_id: int,
    source_id: int,
    snapshot_id: int | None,
    stance: str,
    selector: dict[str, Any] | None,
    reviewer: str,
    at: str,
) -> int:
    """Insert an assessment (a stance, and a quote as a TextQuoteSelector if any)."""
    return inserted_id(
        db.conn.execute(
            "INSERT INTO assessments (claim_id, source_id, snapshot_id, stance, quote_exact,"
            " quote_prefix, quote_suffix, quote_start, quote_end, reviewer, forced, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                claim_id,
                source_id,
                snapshot_id,
                stance,
                selector and selector["exact"],
                selector and selector["prefix"],
                selector and selector["suffix"],
                selector and selector["start"],
                selector and selector["end"],
                reviewer,
                0,
                at,
            ],
        )
    )


def mark_assessment_forced(db: Database, assessment_id: int) -> None:
    db.conn.execute("UPDATE assessments SET forced = 1 WHERE id = ?", [assessment_id])


def remove_assessment(db: Database, assessment_id: int, reviewer: str, at: str) -> None:
    db.conn.execute(
        "UPDATE assessments SET removed_at = ?, removed_by = ? WHERE id = ?",
        [at, reviewer, assessment_id],
    )


def add_verdict(
    db: Database, claim_id: int, verdict: str, note: str | None, reviewer: str, at: str
) -> int:
    return inserted_id(
        db.conn.execute(
            "INSERT INTO verdicts (claim_id, verdict, note, reviewer, forced, created_at)"
            " VALUES (?, ?, ?, ?, 0, ?)",
            [claim_id, verdict, note, reviewer, at],
        )
    )


def mark_verdict_forced(db: Database, verdict_id: int) -> None:
    db.conn.execute("UPDATE verdicts SET forced = 1 WHERE id = ?", [verdict_id])


def verdicts(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """Every verdict given to a claim, oldest first (forced as a bool)."""
    out = rows(
        db,
        "SELECT id, claim_id, verdict, note, reviewer, forced, created_at FROM verdicts"
        " WHERE claim_id = ? ORDER BY id",
        [claim_id],
    )
    for v in out:
        v["forced"] = bool(v["forced"])
    return out


def history(db: Database, claim_id: int, article_id: int | None) -> list[dict[str, Any]]:
    """The claim's events, its sources' own events since the claim existed, and its article's
    own, oldest first (detail as stored: JSON text or None)."""
    cols = "id, kind, claim_id, source_id, snapshot_id, article_id, actor, detail, created_at"
    sql = (
        f"SELECT {cols} FROM events WHERE claim_id = ?1"
        f" UNION SELECT {cols} FROM events WHERE claim_id IS NULL"
        "  AND source_id IN (SELECT source_id FROM claim_sources WHERE claim_id = ?1)"
        "  AND created_at >= (SELECT created_at FROM claims WHERE id = ?1)"
    )
    if article_id is not None:
        sql += (
            f" UNION SELECT {cols} FROM events WHERE article_id = ?2 AND claim_id IS NULL"
            " AND source_id IS NULL"
        )
    params = [claim_id] if article_id is None else [claim_id, article_id]
    return rows(db, sql + " ORDER BY created_at, id", params)
