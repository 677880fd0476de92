"""Reads added for the first-hour fixes (issue 21), kept apart so that the coordinator can fold
them into the store package: the assignees of a page of claims, and the assessments whose quote
was made on one snapshot."""

from __future__ import annotations

from sqlite_utils import Database


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
