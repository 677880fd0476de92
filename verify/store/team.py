"""The team workflow's tables and claim columns: assignment, skips, priorities, tags,
comments (events), the claimant, and approvals of verdicts."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from verify.store.claims import QUEUE_ORDER, TEAM_COLUMNS
from verify.store.db import row, rows


def set_assignee(db: Database, claim_id: int, assignee: str | None, at: str) -> None:
    db.conn.execute(
        "UPDATE claims SET assignee = ?, updated_at = ? WHERE id = ?", [assignee, at, claim_id]
    )


def set_claimant(db: Database, claim_id: int, claimant: str | None, at: str) -> None:
    db.conn.execute(
        "UPDATE claims SET claimant = ?, updated_at = ? WHERE id = ?", [claimant, at, claim_id]
    )


def mine(db: Database, name: str, limit: int) -> list[dict[str, Any]]:
    """Open claims assigned to `name`, and claims leased to them, in queue order."""
    return rows(
        db,
        f"SELECT {TEAM_COLUMNS} FROM claims WHERE assignee = ? AND status IN ('candidate', 'queued', 'in_review')"
        f" UNION SELECT {TEAM_COLUMNS} FROM claims WHERE lease_reviewer = ? AND status = 'in_review'"
        f" ORDER BY {QUEUE_ORDER} LIMIT ?",
        [name, name, int(limit)],
    )


def pick_next(db: Database, reviewer: str, at: str, columns: str = "id") -> dict[str, Any] | None:
    """The most urgent queued claim assigned to `reviewer`, else the most urgent one assigned
    to nobody, never one they skipped with a skip still running at `at`."""
    not_skipped = (
        " AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.reviewer = ? AND k.claim_id = claims.id"
        " AND k.until > ?)"
    )
    found = row(
        db,
        f"SELECT {columns} FROM claims WHERE assignee = ? AND status = 'queued'{not_skipped}"
        f" ORDER BY {QUEUE_ORDER} LIMIT 1",
        [reviewer, reviewer, at],
    )
    if found is None:
        found = row(
            db,
            f"SELECT {columns} FROM claims WHERE status = 'queued' AND assignee IS NULL{not_skipped}"
            f" ORDER BY {QUEUE_ORDER} LIMIT 1",
            [reviewer, at],
        )
    return found


def held_claim(db: Database, reviewer: str, at: str) -> int | None:
    """The id of a claim `reviewer` holds a live lease on at `at` (the lowest), or None."""
    held = db.conn.execute(
        "SELECT id FROM claims WHERE lease_reviewer = ? AND status = 'in_review'"
        " AND lease_expires_at > ? ORDER BY id LIMIT 1",
        [reviewer, at],
    ).fetchone()
    return held[0] if held else None


def add_skip(db: Database, reviewer: str, claim_id: int, until: str) -> None:
    """Keep the claim away from `reviewer` until `until` (a later skip replaces it)."""
    db.conn.execute(
        "INSERT INTO skips (reviewer, claim_id, until) VALUES (?, ?, ?)"
        " ON CONFLICT (reviewer, claim_id) DO UPDATE SET until = excluded.until",
        [reviewer, claim_id, until],
    )


def tags(db: Database, claim_id: int) -> list[str]:
    return [
        r[0]
        for r in db.conn.execute(
            "SELECT tag FROM claim_tags WHERE claim_id = ? ORDER BY tag", [claim_id]
        )
    ]


def tags_of(db: Database, claim_ids: list[int]) -> dict[int, list[str]]:
    """claim id -> its tags (sorted), for the claims that have any."""
    if not claim_ids:
        return {}
    marks = ",".join(str(int(i)) for i in claim_ids)
    out: dict[int, list[str]] = {}
    for cid, t in db.conn.execute(
        f"SELECT claim_id, tag FROM claim_tags WHERE claim_id IN ({marks}) ORDER BY tag"
    ):
        out.setdefault(cid, []).append(t)
    return out


def all_tags(db: Database) -> list[dict[str, Any]]:
    return rows(db, "SELECT tag, count(*) AS claims FROM claim_tags GROUP BY tag ORDER BY tag")


def add_tag(db: Database, claim_id: int, tag: str, actor: str, at: str) -> None:
    db.conn.execute(
        "INSERT INTO claim_tags (claim_id, tag, created_by, created_at) VALUES (?, ?, ?, ?)",
        [claim_id, tag, actor, at],
    )


def remove_tag(db: Database, claim_id: int, tag: str) -> None:
    db.conn.execute("DELETE FROM claim_tags WHERE claim_id = ? AND tag = ?", [claim_id, tag])


def comments(db: Database, claim_id: int, kind: str) -> list[dict[str, Any]]:
    """The claim's events of `kind` (comments) as {author, text, created_at}, oldest first."""
    return [
        {"author": actor, "text": json.loads(detail)["text"], "created_at": at}
        for actor, detail, at in db.conn.execute(
            "SELECT actor, detail, created_at FROM events WHERE claim_id = ? AND kind = ?"
            " ORDER BY id",
            [claim_id, kind],
        )
    ]


def latest_verdict(db: Database, claim_id: int) -> dict[str, Any] | None:
    """The claim's latest verdict row (id, reviewer, created_at), or None."""
    return row(
        db,
        "SELECT id, reviewer, created_at FROM verdicts WHERE claim_id = ? ORDER BY id DESC LIMIT 1",
        [claim_id],
    )


def approval_of(db: Database, verdict_id: int) -> tuple[str, str] | None:
    """(approver, created_at) of a verdict's approval, or None."""
    found = db.conn.execute(
        "SELECT approver, created_at FROM approvals WHERE verdict_id = ?", [verdict_id]
    ).fetchone()
    return (found[0], found[1]) if found else None


def add_approval(db: Database, claim_id: int, verdict_id: int, approver: str, at: str) -> None:
    db.conn.execute(
        "INSERT INTO approvals (claim_id, verdict_id, approver, created_at) VALUES (?, ?, ?, ?)",
        [claim_id, verdict_id, approver, at],
    )


def find_claims(
    db: Database,
    *,
    tag: str | None,
    status: str | None,
    article: str | None,
    assignee: str | None,
    score_range: tuple[float | None, float | None],
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Claims filtered by tag, status, article title (substring, case-insensitive), assignee
    ('-' for nobody) and score range, in queue order, with `tags` and `article_title`."""
    where: list[str] = []
    params: list[Any] = []
    if tag:
        where.append("id IN (SELECT claim_id FROM claim_tags WHERE tag = ?)")
        params.append(tag)
    if status:
        where.append("status = ?")
        params.append(status)
    if article:
        where.append("article_id IN (SELECT id FROM articles WHERE title LIKE ? ESCAPE '\\')")
        escaped = article.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    if assignee:
        if assignee == "-":
            where.append("assignee IS NULL")
        else:
            where.append("assignee = ?")
            params.append(assignee)
    for value, op in zip(score_range, (">=", "<="), strict=True):
        if value is not None:
            where.append(f"score {op} ?")
            params.append(float(value))
    sql = f"SELECT {TEAM_COLUMNS} FROM claims"
    if where:
        sql += " WHERE " + " AND ".join(where)
    found = rows(db, sql + f" ORDER BY {QUEUE_ORDER} LIMIT ? OFFSET ?", [*params, limit, offset])
    if found:
        by_claim = tags_of(db, [c["id"] for c in found])
        ids = ",".join(str(int(c["article_id"])) for c in found if c["article_id"]) or "NULL"
        titles = dict(db.conn.execute(f"SELECT id, title FROM articles WHERE id IN ({ids})"))
        for c in found:
            c["tags"] = by_claim.get(c["id"], [])
            c["article_title"] = titles.get(c["article_id"])
    return found


def published_snapshot(
    db: Database, snapshot_id: int, *, approval_required: bool
) -> dict[str, Any] | None:
    """A stored capture of a source of a decided claim (whose current verdict is approved,
    when approval is required), or None."""
    approved = (
        " AND EXISTS (SELECT 1 FROM approvals a WHERE a.verdict_id ="
        " (SELECT MAX(v.id) FROM verdicts v WHERE v.claim_id = c.id))"
        if approval_required
        else ""
    )
    return row(
        db,
        "SELECT s.id, s.source_id, s.requested_url, s.final_url, s.content_type, s.charset,"
        " s.fetched_at, s.sha256 FROM snapshots s WHERE s.id = ? AND s.sha256 IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM claim_sources cs JOIN claims c ON c.id = cs.claim_id"
        f" WHERE cs.source_id = s.source_id AND c.status = 'decided'{approved})",
        [int(snapshot_id)],
    )


def claim_assignees(db: Database, claim_ids: list[int]) -> dict[int, str]:
    """{claim id: assignee} for the claims of `claim_ids` that are assigned to someone."""
    ids = sorted({int(i) for i in claim_ids})
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    found = db.conn.execute(
        f"SELECT id, assignee FROM claims WHERE id IN ({marks}) AND assignee IS NOT NULL", ids
    ).fetchall()
    return {claim_id: assignee for claim_id, assignee in found}
