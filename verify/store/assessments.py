"""Assessments: a reviewer's stance on one source of a claim, bound to a snapshot."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify.errors import NotFoundError
from verify.store.claims import claim_id
from verify.store.db import parse_id, row, rows

_ASSESSMENT_COLUMNS = (
    "a.id, a.claim_id, a.source_id, s.url, a.snapshot_id, a.stance, a.quote_exact, a.quote_prefix,"
    " a.quote_suffix, a.quote_start, a.quote_end, a.reviewer, a.forced, a.created_at,"
    " a.removed_at, a.removed_by, a.evidence_changed_at"
)


def _assessment(a: dict[str, Any]) -> dict[str, Any]:
    a["forced"] = bool(a["forced"])
    a["quote"] = a["quote_exact"]
    a["selector"] = (
        {
            "type": "TextQuoteSelector",
            "exact": a["quote_exact"],
            "prefix": a["quote_prefix"] or "",
            "suffix": a["quote_suffix"] or "",
            "start": a["quote_start"],
            "end": a["quote_end"],
        }
        if a["quote_exact"] is not None
        else None
    )
    return a


def list_assessments(
    db: Database,
    claim_value: Any = None,
    *,
    source_id: int | None = None,
    snapshot_id: int | None = None,
    include_removed: bool = False,
) -> list[dict[str, Any]]:
    """Assessments (stance + optional quote, bound to the snapshot they were made on), oldest
    first, of a claim and/or a source and/or a snapshot. Removed ones only on request."""
    where, params = [], []
    if claim_value is not None:
        where.append("a.claim_id = ?")
        params.append(claim_id(claim_value))
    if source_id is not None:
        where.append("a.source_id = ?")
        params.append(int(source_id))
    if snapshot_id is not None:
        where.append("a.snapshot_id = ?")
        params.append(int(snapshot_id))
    if not include_removed:
        where.append("a.removed_at IS NULL")
    sql = (
        f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments a JOIN sources s ON s.id = a.source_id"
        f" WHERE {' AND '.join(where) or '1'} ORDER BY a.id"
    )
    return [_assessment(a) for a in rows(db, sql, params)]


def get_assessment(db: Database, value: Any) -> dict[str, Any]:
    aid = parse_id(value, "assessment", "verify claim show CLAIM_ID")
    found = row(
        db,
        f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments a JOIN sources s ON s.id = a.source_id"
        " WHERE a.id = ?",
        [aid],
    )
    if found is None:
        raise NotFoundError(f"no assessment {aid}: see `verify claim show CLAIM_ID`")
    return _assessment(found)


def quotes_to_check(db: Database, source_id: int, snapshot_id: int) -> list[dict[str, Any]]:
    """The live quoted assessments on a source not yet flagged and not made on `snapshot_id`:
    id, claim_id, snapshot_id, exact, prefix, suffix, start (a quotes.locate selector)."""
    return rows(
        db,
        "SELECT id, claim_id, snapshot_id, quote_exact AS exact, quote_prefix AS prefix,"
        " quote_suffix AS suffix, quote_start AS start FROM assessments"
        " WHERE source_id = ? AND removed_at IS NULL AND quote_exact IS NOT NULL"
        " AND evidence_changed_at IS NULL AND (snapshot_id IS NULL OR snapshot_id != ?)",
        [source_id, snapshot_id],
    )


def mark_evidence_changed(db: Database, assessment_id: int, at: str) -> None:
    db.conn.execute(
        "UPDATE assessments SET evidence_changed_at = ? WHERE id = ?", [at, assessment_id]
    )
