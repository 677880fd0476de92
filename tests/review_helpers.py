"""Small builders for the review tests: rows inserted directly, so these tests do not depend
on ingest or capture."""

from __future__ import annotations

import json
from typing import Any

from verify import store


def make_article(
    db,
    text: str = "An article.",
    *,
    title: str = "A report",
    url: str | None = "https://news.example/a",
) -> int:
    with store.immediate(db):
        cur = db.conn.execute(
            "INSERT INTO articles (title, url, source_name, text, content_sha256, ingested_at) VALUES (?, ?, ?, ?, ?, ?)",
            [title, url, url or "-", text, str(hash(text)), "2026-11-20T10:00:00.000000Z"],
        )
        store.add_event(
            db,
            "ingested",
            article_id=cur.lastrowid,
            actor="ingest",
            at="2026-11-20T10:00:00.000000Z",
        )
    return cur.lastrowid


def make_claim(
    db,
    text: str,
    *,
    priority: int = 0,
    score: float = 0.8,
    status: str = "queued",
    created_at: str = "2026-11-20T10:00:00.000000Z",
    article_id: int | None = None,
) -> int:
    with store.immediate(db):
        cur = db.conn.execute(
            "INSERT INTO claims (article_id, text, score, status, priority, origin, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'manual', ?, ?)",
            [article_id, text, score, status, priority, created_at, created_at],
        )
    return cur.lastrowid


def make_source(db, claim_id: int | None, url: str) -> int:
    with store.immediate(db):
        found = db.conn.execute("SELECT id FROM sources WHERE url = ?", [url]).fetchone()
        if found:
            source_id = found[0]
        else:
            source_id = db.conn.execute(
                "INSERT INTO sources (url, host, created_at) VALUES (?, ?, ?)",
                [url, url.split("/")[2], "2026-11-20T10:00:00.000000Z"],
            ).lastrowid
        if claim_id is not None:
            db.conn.execute(
                "INSERT OR IGNORE INTO claim_sources (claim_id, source_id, origin, created_at) VALUES (?, ?, 'manual', ?)",
                [claim_id, source_id, "2026-11-20T10:00:00.000000Z"],
            )
    return source_id


def make_snapshot(
    db,
    source_id: int,
    text: str | None,
    *,
    status: int | None = 200,
    error: str | None = None,
    title: str | None = "Source page",
    fetched_at: str = "2026-11-21T10:00:00.000000Z",
    url: str | None = None,
) -> int:
    url = url or db.conn.execute("SELECT url FROM sources WHERE id = ?", [source_id]).fetchone()[0]
    with store.immediate(db):
        sha = store.put_payload(db, (text or "").encode()) if error is None else None
        cur = db.conn.execute(
            "INSERT INTO snapshots (source_id, requested_url, final_url, status, headers, sha256, size, content_type,"
            " title, text, fetched_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, 'text/html', ?, ?, ?, ?)",
            [
                source_id,
                url,
                url,
                status,
                json.dumps([["Content-Type", "text/html"]]),
                sha,
                len((text or "").encode()),
                title,
                text,
                fetched_at,
                error,
            ],
        )
        store.add_event(
            db,
            "fetched",
            source_id=source_id,
            snapshot_id=cur.lastrowid,
            actor="capture",
            at=fetched_at,
            detail={"status": status, "error": error},
        )
    return cur.lastrowid


def counts(db) -> dict[str, Any]:
    """Row counts and the claims table, to assert that bad input changed nothing."""
    out: dict[str, Any] = {}
    for table in (
        "claims",
        "claim_sources",
        "assessments",
        "verdicts",
        "events",
        "snapshots",
        "sources",
    ):
        out[table] = db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    out["claim_rows"] = db.conn.execute("SELECT * FROM claims ORDER BY id").fetchall()
    out["links"] = db.conn.execute("SELECT * FROM claim_sources ORDER BY id").fetchall()
    return out
