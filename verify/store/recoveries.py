"""Web-archive recovery (recoveries table, the memento columns of snapshots) and Save Page
Now requests (save_requests)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

_MEMENTO_COLUMNS = (
    "archive_name",
    "memento_url",
    "memento_datetime",
    "original_url",
    "reference_at",
    "reference_kind",
    "memento_relation",
    "archive_digest",
    "memento_sha1",
    "digest_mismatch",
)


def source_dates(db: Database, source_ids: list[int]) -> list[tuple[int, str, str | None]]:
    """(source id, created_at, the earliest publication date of an article citing it)."""
    out: list[tuple[int, str, str | None]] = []
    for i in range(0, len(source_ids), 500):
        chunk = source_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        out.extend(
            db.conn.execute(
                f"""SELECT s.id, s.created_at,
                           (SELECT min(a.published) FROM claim_sources cs
                              JOIN claims c ON c.id = cs.claim_id
                              JOIN articles a ON a.id = c.article_id
                             WHERE cs.source_id = s.id AND a.published IS NOT NULL)
                    FROM sources s WHERE s.id IN ({marks})""",
                chunk,
            ).fetchall()
        )
    return out


def set_memento(db: Database, snapshot_id: int, values: dict[str, Any]) -> None:
    """Where a recovered snapshot came from (the memento columns, see _MEMENTO_COLUMNS)."""
    unknown = set(values) - set(_MEMENTO_COLUMNS)
    if unknown:
        raise ValueError(f"not memento columns: {sorted(unknown)}")
    db.conn.execute(
        f"UPDATE snapshots SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
        [*values.values(), snapshot_id],
    )


def add_recovery(
    db: Database,
    *,
    source_id: int,
    archive_name: str,
    outcome: str,
    at: str,
    lookup_url: str | None = None,
    error: str | None = None,
    message: str | None = None,
    candidates: int | None = None,
    snapshot_id: int | None = None,
) -> None:
    """One look-up of a source in one web archive (or a skip, archive_name '-')."""
    db.conn.execute(
        "INSERT INTO recoveries (source_id, archive_name, lookup_url, outcome, error,"
        " message, candidates, snapshot_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source_id, archive_name, lookup_url, outcome, error, message, candidates, snapshot_id, at],
    )


def saved_since(db: Database, source_id: int, since: str) -> bool:
    """Did Save Page Now archive this source at or after `since`?"""
    return (
        db.conn.execute(
            "SELECT 1 FROM save_requests WHERE source_id = ? AND outcome = 'saved'"
            " AND created_at >= ? LIMIT 1",
            [source_id, since],
        ).fetchone()
        is not None
    )


def add_save_request(
    db: Database,
    *,
    source_id: int,
    archive_url: str,
    status: int | None,
    outcome: str,
    memento_url: str | None,
    message: str | None,
    at: str,
) -> None:
    db.conn.execute(
        "INSERT INTO save_requests (source_id, archive_url, status, outcome, memento_url,"
        " message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [source_id, archive_url, status, outcome, memento_url, message, at],
    )
