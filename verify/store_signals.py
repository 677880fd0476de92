"""SQL for the signals of issue 19: the check-worthy part of a claim's sentence (claim_parts,
migration 0011). Folded into the store package with the rest of the SQL."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def add_claim_part(
    db: Database, claim_id: int, start: int, end: int, text: str, score: float
) -> None:
    """Record which clause of a claim's sentence gave its score (offsets in the article text).
    The caller holds the transaction."""
    db.conn.execute(
        'INSERT OR REPLACE INTO claim_parts (claim_id, start, "end", text, score) VALUES (?, ?, ?, ?, ?)',
        [claim_id, start, end, text, float(score)],
    )


def get_claim_part(db: Database, claim_id: int) -> dict[str, Any] | None:
    """The check-worthy part of a claim: {"start", "end", "text", "score"} or None when the
    whole sentence scored highest (or the claim was added by hand)."""
    row = db.conn.execute(
        'SELECT start, "end", text, score FROM claim_parts WHERE claim_id = ?', [claim_id]
    ).fetchone()
    if row is None:
        return None
    return {"start": row[0], "end": row[1], "text": row[2], "score": row[3]}
