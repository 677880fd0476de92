"""Articles: their rows, text, links and claim counts."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify import model
from verify.errors import NotFoundError
from verify.store.db import inserted_id, parse_id, row, rows


def article_row(db: Database, value: Any) -> dict[str, Any]:
    """One article's row without its text. NotFoundError: 'no article N: see `verify articles`'."""
    aid = parse_id(value, "article", "verify articles")
    found = row(
        db,
        "SELECT id, title, url, source_name, published, ingested_at, content_sha256, snapshot_id"
        " FROM articles WHERE id = ?",
        [aid],
    )
    if found is None:
        raise NotFoundError(f"no article {aid}: see `verify articles`")
    return found


def get_article(db: Database, value: Any) -> dict[str, Any]:
    """One article with its text, links and claim counts by status."""
    found = article_row(db, value)
    aid = found["id"]
    extra = row(db, "SELECT text, html IS NOT NULL AS has_html FROM articles WHERE id = ?", [aid])
    assert extra is not None  # article_row found it
    found["text"] = extra["text"]
    found["has_html"] = bool(extra["has_html"])
    found["links"] = rows(
        db,
        'SELECT url, raw_url, anchor_text, start, "end" FROM article_links WHERE article_id = ?'
        " ORDER BY start, id",
        [aid],
    )
    found["claim_counts"] = claim_counts(db, aid)
    return found


def claim_counts(db: Database, article_id: int) -> dict[str, int]:
    """How many of the article's claims are in each status (every status, zeros included)."""
    counts = dict(
        db.conn.execute(
            "SELECT status, count(*) FROM claims WHERE article_id = ? GROUP BY status",
            [article_id],
        ).fetchall()
    )
    return {s: counts.get(s, 0) for s in model.STATUSES}


def list_articles(db: Database) -> list[dict[str, Any]]:
    """Every article (id, title, url, published, ingested_at) with claim counts by status."""
    found = rows(db, "SELECT id, title, url, published, ingested_at FROM articles ORDER BY id")
    for a in found:
        a["claim_counts"] = claim_counts(db, a["id"])
    return found


def article_titles(db: Database, article_ids: list[int]) -> dict[int, dict[str, Any]]:
    """id -> {id, title, url} of the given articles (missing ones left out)."""
    ids = [int(i) for i in article_ids if i is not None]
    if not ids:
        return {}
    marks = ", ".join(str(i) for i in ids)
    return {
        r["id"]: r for r in rows(db, f"SELECT id, title, url FROM articles WHERE id IN ({marks})")
    }


def article_text(db: Database, article_id: int) -> str | None:
    """The article's text, or None when there is no such article."""
    found = db.conn.execute("SELECT text FROM articles WHERE id = ?", [article_id]).fetchone()
    return found[0] if found else None


def links_in_span(db: Database, article_id: int, start: int, end: int) -> list[tuple[str, str]]:
    """(url, anchor_text) of the article's links whose anchor starts in [start, end)."""
    return db.conn.execute(
        "SELECT url, anchor_text FROM article_links WHERE article_id = ? AND start >= ?"
        " AND start < ? ORDER BY start",
        [article_id, start, end],
    ).fetchall()


def article_with_content(db: Database, content_sha256: str) -> int | None:
    """The id of the first article with this content digest, or None."""
    found = db.conn.execute(
        "SELECT id FROM articles WHERE content_sha256 = ? ORDER BY id LIMIT 1", [content_sha256]
    ).fetchone()
    return found[0] if found else None


def add_article(
    db: Database,
    *,
    title: str | None,
    url: str | None,
    source_name: str | None,
    text: str,
    html: str | None,
    content_sha256: str,
    published: str | None,
    at: str,
) -> int:
    return inserted_id(
        db.conn.execute(
            "INSERT INTO articles (title, url, source_name, text, html, content_sha256, published,"
            " ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [title, url, source_name, text, html, content_sha256, published, at],
        )
    )


def add_links(db: Database, article_id: int, links: list[tuple]) -> None:
    """The article's links: (url, raw_url, anchor_text, start, end) each."""
    db.conn.executemany(
        'INSERT INTO article_links (article_id, url, raw_url, anchor_text, start, "end")'
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(article_id, *link) for link in links],
    )


def set_article_snapshot(db: Database, article_id: int, snapshot_id: int) -> None:
    """The snapshot of the article's own page."""
    db.conn.execute("UPDATE articles SET snapshot_id = ? WHERE id = ?", [snapshot_id, article_id])
