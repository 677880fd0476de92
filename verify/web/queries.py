"""Page-shaped reads for the web UI, built on the read gateway (verify.archive): queue rows with
article titles and capture counts, article pages with claim offsets, a source's captures. The only
place in verify/web/ with SQL. Every query here is a read; writes go through verify.review and
friends."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from .. import archive, model, review, store_firsthour
from ..store import row, rows


def queue_page(
    db: Database,
    *,
    statuses: tuple[str, ...] = model.QUEUE_STATUSES,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One page of the queue (review.queue: stale leases expired first, model.QUEUE_ORDER) with
    each claim's article title and how many of its sources were captured or failed on their
    latest fetch."""
    page = review.queue(
        db, status=statuses, reviewer=reviewer, article_id=article_id, limit=limit, offset=offset
    )
    _add_articles(db, page)
    _add_capture_counts(db, page)
    assignees = store_firsthour.claim_assignees(db, [c["id"] for c in page])
    for c in page:
        c["assignee"] = assignees.get(c["id"])
    return page


def _in(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _add_articles(db: Database, claims: list[dict[str, Any]]) -> None:
    ids = sorted({c["article_id"] for c in claims if c["article_id"] is not None})
    titles = {}
    if ids:
        for r in rows(db, f"SELECT id, title, url FROM articles WHERE id IN ({_in(ids)})"):
            titles[r["id"]] = r["title"] or r["url"] or f"article {r['id']}"
    for c in claims:
        c["article_title"] = titles.get(c["article_id"])


def _add_capture_counts(db: Database, claims: list[dict[str, Any]]) -> None:
    ids = [c["id"] for c in claims]
    counts: dict[int, dict[str, int]] = {}
    if ids:
        for r in rows(
            db,
            "SELECT cs.claim_id, COUNT(*) AS sources,"
            " SUM(s.id IS NOT NULL AND s.error IS NULL) AS captured,"
            " SUM(s.error IS NOT NULL) AS failed"
            " FROM claim_sources cs"
            " LEFT JOIN snapshots s ON s.id = (SELECT MAX(id) FROM snapshots WHERE source_id = cs.source_id)"
            f" WHERE cs.claim_id IN ({_in(ids)}) GROUP BY cs.claim_id",
        ):
            counts[r["claim_id"]] = r
    for c in claims:
        found = counts.get(c["id"], {})
        c["sources"] = found.get("sources", 0) or 0
        c["captured"] = found.get("captured", 0) or 0
        c["failed"] = found.get("failed", 0) or 0


def claim(db: Database, claim_id: int) -> dict[str, Any]:
    """The claim (archive.claim_row) with its article's title and URL."""
    found = archive.claim_row(db, claim_id)
    art = (
        row(db, "SELECT title, url FROM articles WHERE id = ?", [found["article_id"]])
        if found["article_id"] is not None
        else None
    ) or {}
    found["article_title"] = art.get("title")
    found["article_url"] = art.get("url")
    return found


def article_context(
    db: Database, claim: dict[str, Any], *, around: int = 400
) -> dict[str, Any] | None:
    """The text around the claim in its article: {before, claim, after} (plain strings)."""
    if claim["article_id"] is None or claim["start"] is None:
        return None
    found = row(db, "SELECT text FROM articles WHERE id = ?", [claim["article_id"]])
    if found is None:
        return None
    text, start, end = found["text"], claim["start"], claim["end"]
    lo = text.rfind("\n\n", 0, max(0, start - around))
    lo = max(0, start - around) if lo < 0 else lo + 2
    hi = text.find("\n\n", min(len(text), end + around))
    hi = len(text) if hi < 0 else hi
    # prefer paragraph edges near the claim
    para_lo = text.rfind("\n\n", lo, start)
    para_hi = text.find("\n\n", end, hi)
    lo = para_lo + 2 if para_lo >= 0 else lo
    hi = para_hi if para_hi >= 0 else hi
    return {
        "before": ("…" if lo > 0 else "") + text[lo:start],
        "claim": text[start:end],
        "after": text[end:hi] + ("…" if hi < len(text) else ""),
    }


def why(src: dict[str, Any]) -> str:
    """The line a reviewer reads beside a source's state (archive.claim_sources rows)."""
    if src["snapshot_id"] is None:
        return "not fetched yet"
    if src["state"] == "dead":
        return "dead: failed on three checks days apart"
    if src["error"] is None:
        status = src["http_status"]
        if src["state"] == "changed":
            return f"HTTP {status}; text changed since the previous capture"
        return f"HTTP {status}" if status else "captured"
    return src["error_message"] or src["error"]


def snapshot_text(db: Database, snapshot_id: int) -> str:
    found = row(db, "SELECT text FROM snapshots WHERE id = ?", [snapshot_id])
    return (found or {}).get("text") or ""


def article(db: Database, article_id: int) -> dict[str, Any]:
    """The article (archive.get_article) for its page."""
    return archive.get_article(db, article_id)


def article_claims(db: Database, article_id: int) -> list[dict[str, Any]]:
    return rows(
        db,
        'SELECT id, text, start, "end", score, status, verdict FROM claims'
        " WHERE article_id = ? AND start IS NOT NULL ORDER BY start, id",
        [article_id],
    )


def source_captures(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT id, fetched_at, status, error, changed, sha256, origin, memento_datetime"
        " FROM snapshots WHERE source_id = ? ORDER BY id DESC LIMIT ?",
        [source_id, limit],
    )


def citing_claims(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT c.id, c.text, c.status, c.verdict, (SELECT group_concat(DISTINCT a.stance)"
        "  FROM assessments a WHERE a.claim_id = c.id AND a.source_id = cs.source_id"
        "  AND a.removed_at IS NULL) AS stances"
        " FROM claim_sources cs JOIN claims c ON c.id = cs.claim_id WHERE cs.source_id = ?"
        " ORDER BY cs.id LIMIT ?",
        [source_id, limit],
    )
