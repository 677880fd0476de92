"""Sources: one row per normalised URL, and a claim's sources with their state."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify import model
from verify.errors import NotFoundError
from verify.store.assessments import list_assessments
from verify.store.claims import claim_row
from verify.store.db import inserted_id, row, rows
from verify.store.snapshots import LATEST_LIVE_COLUMNS, latest_live_snapshot_sql, reviewed_snapshot
from verify.urls import normalize_url


def find_source(db: Database, id_or_url: Any) -> dict[str, Any]:
    """A source by id (int or digits) or by URL (normalised first). NotFoundError otherwise."""
    cols = "id, url, host, created_at"
    if isinstance(id_or_url, int) and not isinstance(id_or_url, bool):
        found = row(db, f"SELECT {cols} FROM sources WHERE id = ?", [id_or_url])
        label = str(id_or_url)
    elif isinstance(id_or_url, str) and id_or_url.strip().isdigit():
        label = id_or_url.strip()
        found = row(db, f"SELECT {cols} FROM sources WHERE id = ?", [int(label)])
    else:
        label = normalize_url(str(id_or_url))
        found = row(db, f"SELECT {cols} FROM sources WHERE url = ?", [label])
    if found is None:
        raise NotFoundError(f"no source {label}: see `verify sources`")
    return found


def claim_sources(db: Database, claim_value: Any) -> list[dict[str, Any]]:
    """The claim's sources in the order they were attached: id, url, host, origin, anchor_text,
    note, the latest snapshot (snapshot_id, http_status, error, ...), `state` (model.source_state),
    `reviewed_snapshot_id` (the snapshot a reviewer sees, or None), `snapshots` (how many) and
    `assessments` (the live ones on this claim and source, oldest first)."""
    return _claim_sources(db, claim_row(db, claim_value)["id"])


def _claim_sources(db: Database, cid: int) -> list[dict[str, Any]]:
    found = rows(
        db,
        "SELECT cs.source_id AS id, src.url, src.host, cs.origin, cs.anchor_text, cs.note,"
        f" cs.created_at, {LATEST_LIVE_COLUMNS},"
        " (SELECT COUNT(*) FROM snapshots WHERE source_id = cs.source_id) AS snapshots,"
        " src.dead_at"
        " FROM claim_sources cs JOIN sources src ON src.id = cs.source_id"
        f" LEFT JOIN snapshots s ON s.id = ({latest_live_snapshot_sql('cs.source_id')})"
        " WHERE cs.claim_id = ? ORDER BY cs.id",
        [cid],
    )
    by_source: dict[int, list[dict[str, Any]]] = {}
    for a in list_assessments(db, cid):
        by_source.setdefault(a["source_id"], []).append(a)
    for src in found:
        src["state"] = model.source_state(
            src["http_status"],
            src["error"],
            src["changed"],
            src["snapshot_id"] is not None,
            src.pop("dead_at") is not None,
        )
        reviewed = reviewed_snapshot(db, src["id"], "id")
        src["reviewed_snapshot_id"] = reviewed["id"] if reviewed else None
        src["assessments"] = by_source.get(src["id"], [])
    return found


def claim_source_ids(db: Database, claim_id: int) -> list[int]:
    """The ids of a claim's sources, in the order they were attached."""
    return [
        r[0]
        for r in db.conn.execute(
            "SELECT source_id FROM claim_sources WHERE claim_id = ? ORDER BY id", [claim_id]
        )
    ]


def capture_counts(db: Database, claim_ids: list[int]) -> dict[int, dict[str, int]]:
    """claim id -> {sources, captured, failed}: how many sources each claim has, and how many
    of them the latest capture (latest live snapshot) got, or failed to get."""
    if not claim_ids:
        return {}
    marks = ", ".join(str(int(i)) for i in claim_ids)
    return {
        r["claim_id"]: r
        for r in rows(
            db,
            "SELECT cs.claim_id, COUNT(*) AS sources,"
            " SUM(s.id IS NOT NULL AND s.error IS NULL) AS captured,"
            " SUM(s.error IS NOT NULL) AS failed"
            " FROM claim_sources cs"
            f" LEFT JOIN snapshots s ON s.id = ({latest_live_snapshot_sql('cs.source_id')})"
            f" WHERE cs.claim_id IN ({marks}) GROUP BY cs.claim_id",
        )
    }


def citing_claims(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The claims citing a source (id, text, status, verdict, stances: the live assessments'
    stances on it, comma-separated), in the order they cited it."""
    return rows(
        db,
        "SELECT c.id, c.text, c.status, c.verdict, (SELECT group_concat(DISTINCT a.stance)"
        "  FROM assessments a WHERE a.claim_id = c.id AND a.source_id = cs.source_id"
        "  AND a.removed_at IS NULL) AS stances"
        " FROM claim_sources cs JOIN claims c ON c.id = cs.claim_id WHERE cs.source_id = ?"
        " ORDER BY cs.id LIMIT ?",
        [source_id, limit],
    )


def latest_captures(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """Each source of the claim (in the order attached) with its latest capture (the latest
    live snapshot: snapshot_id, status, error, changed), `dead` (the link-rot watch declared
    it so) and `state`, the state that capture gives (model.source_state, leaving `dead`
    aside: it is what `verify fetch` decides on)."""
    found = rows(
        db,
        "SELECT cs.source_id, s.id AS snapshot_id, s.status, s.error, s.changed, src.dead_at"
        " FROM claim_sources cs JOIN sources src ON src.id = cs.source_id"
        f" LEFT JOIN snapshots s ON s.id = ({latest_live_snapshot_sql('cs.source_id')})"
        " WHERE cs.claim_id = ? ORDER BY cs.id",
        [claim_id],
    )
    for r in found:
        r["state"] = model.source_state(
            r["status"],
            r["error"],
            r["changed"],
            r["snapshot_id"] is not None,
        )
        r["dead"] = r.pop("dead_at") is not None
    return found


def source_id_for(db: Database, url: str) -> int | None:
    """The id of the source with this (already normalised) URL, or None."""
    found = db.conn.execute("SELECT id FROM sources WHERE url = ?", [url]).fetchone()
    return found[0] if found else None


def add_source(db: Database, url: str, host: str, at: str) -> int:
    return inserted_id(
        db.conn.execute(
            "INSERT INTO sources (url, host, created_at) VALUES (?, ?, ?)", [url, host, at]
        )
    )


def link_source(
    db: Database,
    claim_id: int,
    source_id: int,
    *,
    origin: str,
    anchor_text: str | None,
    note: str | None,
    at: str,
) -> bool:
    """Link a source to a claim; False when it was already linked (nothing written)."""
    cur = db.conn.execute(
        "INSERT OR IGNORE INTO claim_sources (claim_id, source_id, origin, anchor_text, note, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [claim_id, source_id, origin, anchor_text, note, at],
    )
    return bool(cur.rowcount)


def set_link_note(db: Database, claim_id: int, source_id: int, note: str) -> None:
    db.conn.execute(
        "UPDATE claim_sources SET note = ? WHERE claim_id = ? AND source_id = ?",
        [note, claim_id, source_id],
    )


def is_source_of(db: Database, claim_id: int, source_id: int) -> bool:
    return (
        db.conn.execute(
            "SELECT 1 FROM claim_sources WHERE claim_id = ? AND source_id = ?",
            [claim_id, source_id],
        ).fetchone()
        is not None
    )
