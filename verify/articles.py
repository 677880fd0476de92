"""Articles, claims and their candidate sources: the claim store (no network)."""

from __future__ import annotations

from sqlite_utils import Database

from .store import now
from .urls import host_of, normalize_url


def ensure_source(db: Database, url: str) -> int:
    """The id of the source for this URL (normalised), creating it if needed."""
    normal = normalize_url(url)
    found = db.conn.execute("SELECT id FROM sources WHERE url = ?", [normal]).fetchone()
    if found:
        return found[0]
    cur = db.conn.execute(
        "INSERT INTO sources (url, host, created_at) VALUES (?, ?, ?)", [normal, host_of(normal), now()]
    )
    return cur.lastrowid
