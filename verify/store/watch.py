"""The link-rot watch's columns on sources (check_failures, last_failure_at, dead_at,
checked_at, watch_state) and the reads it makes."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify.store.db import row
from verify.store.snapshots import latest_live_snapshot_sql


def due_sources(db: Database, live_cutoff: str, failing_cutoff: str) -> list[int]:
    """Ids of the sources never captured, or last checked (else captured) at or before
    `live_cutoff` when working (latest capture fine, no failure counted, not dead or a soft
    404), else at or before `failing_cutoff`."""
    return [
        r[0]
        for r in db.conn.execute(
            f"""SELECT s.id FROM sources s
                LEFT JOIN snapshots sn ON sn.id = ({latest_live_snapshot_sql("s.id")})
                WHERE sn.id IS NULL
                   OR coalesce(s.checked_at, sn.fetched_at) <= CASE
                        WHEN sn.error IS NULL AND s.check_failures = 0 AND s.dead_at IS NULL
                             AND coalesce(s.watch_state, 'ok') IN ('ok', 'changed')
                        THEN ? ELSE ? END
                ORDER BY s.id""",
            [live_cutoff, failing_cutoff],
        ).fetchall()
    ]


def latest_check(db: Database, source_id: int) -> dict[str, Any] | None:
    """The latest capture of a source as the watch reads it (id, requested_url, final_url,
    redirects, status, error, changed, title)."""
    return row(
        db,
        "SELECT id, requested_url, final_url, redirects, status, error, changed, title"
        f" FROM snapshots WHERE id = ({latest_live_snapshot_sql()})",
        [source_id],
    )


def watch_record(db: Database, source_id: int) -> dict[str, Any] | None:
    return row(
        db,
        "SELECT check_failures, last_failure_at, dead_at, watch_state FROM sources WHERE id = ?",
        [source_id],
    )


def set_watch_record(
    db: Database,
    source_id: int,
    *,
    failures: int,
    last_failure: str | None,
    dead_at: str | None,
    checked_at: str,
    state: str,
) -> None:
    db.conn.execute(
        "UPDATE sources SET check_failures = ?, last_failure_at = ?, dead_at = ?,"
        " checked_at = ?, watch_state = ? WHERE id = ?",
        [failures, last_failure, dead_at, checked_at, state, source_id],
    )


def citing_claim_ids(db: Database, source_id: int) -> list[int]:
    """The ids of the claims citing a source, in id order."""
    return [
        r[0]
        for r in db.conn.execute(
            "SELECT claim_id FROM claim_sources WHERE source_id = ? ORDER BY claim_id",
            [source_id],
        )
    ]
