"""SQL for the signals of issue 19: the check-worthy part of a claim's sentence (claim_parts,
migration 0011). Folded into the store package with the rest of the SQL."""

from __future__ import annotations

import json
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


def run_changes(
    db: Database, snapshot_ids: list[int] | tuple[int, ...]
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """What a capture run changed, named: (sources whose new capture differs from their previous
    capture of the same mode: {"source_id", "url", "snapshot_id", "previous_id"}; claims whose
    quoted evidence changed: {"claim_id", "source_id", "snapshot_id", "reopened"}, reopened
    when a decided claim went back to the queue)."""
    if not snapshot_ids:
        return (), ()
    ids = list(dict.fromkeys(snapshot_ids))
    sources: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sources += [
            {"source_id": r[0], "url": r[1], "snapshot_id": r[2], "previous_id": r[3]}
            for r in db.conn.execute(
                "SELECT sn.source_id, s.url, sn.id, sn.previous_id FROM snapshots sn"
                f" JOIN sources s ON s.id = sn.source_id WHERE sn.id IN ({marks}) AND sn.changed = 1"
                " ORDER BY sn.id",
                chunk,
            )
        ]
        claims += [
            {
                "claim_id": r[0],
                "source_id": r[1],
                "snapshot_id": r[2],
                "reopened": json.loads(r[3] or "{}").get("previous_verdict") is not None,
            }
            for r in db.conn.execute(
                "SELECT claim_id, source_id, snapshot_id, detail FROM events"
                f" WHERE source_id IN (SELECT source_id FROM snapshots WHERE id IN ({marks}))"
                f" AND kind = 'evidence_changed' AND snapshot_id IN ({marks}) ORDER BY id",
                chunk + chunk,
            )
        ]
    return tuple(sources), tuple(claims)


def latest_capture_of_mode(db: Database, source_id: int, mode: str) -> dict[str, Any] | None:
    """The source's latest successful live capture in one mode (static or browser):
    {"id", "text"}, or None."""
    row = db.conn.execute(
        "SELECT id, text FROM snapshots WHERE source_id = ? AND mode = ? AND error IS NULL"
        " AND origin = 'live' ORDER BY id DESC LIMIT 1",
        [source_id, mode],
    ).fetchone()
    return None if row is None else {"id": row[0], "text": row[1]}


def snapshot_mode(db: Database, snapshot_id: int) -> str | None:
    """How a snapshot was captured: 'static' or 'browser' (None for an unknown id)."""
    row = db.conn.execute("SELECT mode FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
    return None if row is None else row[0]


def capture_command(db: Database, claim_id: int, source_id: int | None = None) -> str:
    """The command that gets text for a claim's sources (or one source), one that does something
    now: `verify source add` when the claim has no source, `verify fetch --claim N` when a source
    was never captured or its latest capture failed (what a plain fetch takes), else
    `verify fetch --claim N --refetch --mode browser` (captured, but no text: a page built by
    scripts needs a browser capture)."""
    where = "cs.claim_id = ?" + (" AND cs.source_id = ?" if source_id is not None else "")
    params: list[Any] = [claim_id] + ([source_id] if source_id is not None else [])
    rows = db.conn.execute(
        "SELECT cs.source_id, (SELECT sn.error FROM snapshots sn WHERE sn.source_id = cs.source_id"
        " AND sn.origin = 'live' ORDER BY sn.id DESC LIMIT 1) AS error,"
        " EXISTS (SELECT 1 FROM snapshots sn WHERE sn.source_id = cs.source_id"
        " AND sn.origin = 'live') AS captured"
        f" FROM claim_sources cs WHERE {where}",
        params,
    ).fetchall()
    if not rows:
        return f"verify source add {claim_id} URL"
    if any(not captured or error is not None for _sid, error, captured in rows):
        return f"verify fetch --claim {claim_id}"
    return f"verify fetch --claim {claim_id} --refetch --mode browser"


def latest_live_snapshots(db: Database, source_ids: list[int]) -> dict[int, int]:
    """source id -> the id of its latest live capture that succeeded (sources without one are
    left out)."""
    out: dict[int, int] = {}
    for sid in dict.fromkeys(source_ids):
        row = db.conn.execute(
            "SELECT id FROM snapshots WHERE source_id = ? AND origin = 'live' AND error IS NULL"
            " ORDER BY id DESC LIMIT 1",
            [sid],
        ).fetchone()
        if row is not None:
            out[sid] = row[0]
    return out


def snapshot_snippet(
    db: Database, match: str, snapshot_id: int, mark: tuple[str, str], tokens: int
) -> str | None:
    """The snippet of one snapshot's text for an FTS5 query, or None when its text does not
    match the query."""
    row = db.conn.execute(
        "SELECT snippet(snapshots_fts, 1, ?, ?, ?, ?) FROM snapshots_fts"
        " WHERE snapshots_fts MATCH ? AND rowid = ?",
        [mark[0], mark[1], "\u2026", tokens, match, snapshot_id],
    ).fetchone()
    return None if row is None else row[0]


def snapshot_heading(db: Database, snapshot_id: int) -> tuple[str | None, str, str]:
    """(title, URL as fetched, fetched_at) of one snapshot."""
    row = db.conn.execute(
        "SELECT title, coalesce(final_url, requested_url), fetched_at FROM snapshots WHERE id = ?",
        [snapshot_id],
    ).fetchone()
    return row[0], row[1], row[2]
