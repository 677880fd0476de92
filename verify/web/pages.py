"""Page-shaped data for the web UI, built on the store's reads: queue rows with article titles
and capture counts, a claim with its article, the text around a claim. No SQL here (the store
holds it); writes go through verify.review.workflow and friends."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify import model, store
from verify.review import workflow as review


def queue_page(
    db: Database,
    *,
    statuses: tuple[str, ...] = model.QUEUE_STATUSES,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One page of the queue (review.queue: stale leases expired first, model.queue_key) with
    each claim's article title and how many of its sources were captured or failed on their
    latest fetch."""
    page = review.queue(
        db, status=statuses, reviewer=reviewer, article_id=article_id, limit=limit, offset=offset
    )
    _add_articles(db, page)
    _add_capture_counts(db, page)
    assignees = store.team.claim_assignees(db, [c["id"] for c in page])
    for c in page:
        c["assignee"] = assignees.get(c["id"])
    return page


def _add_articles(db: Database, claims: list[dict[str, Any]]) -> None:
    ids = sorted({c["article_id"] for c in claims if c["article_id"] is not None})
    titles = {
        aid: r["title"] or r["url"] or f"article {aid}"
        for aid, r in store.articles.article_titles(db, ids).items()
    }
    for c in claims:
        c["article_title"] = titles.get(c["article_id"])


def _add_capture_counts(db: Database, claims: list[dict[str, Any]]) -> None:
    counts = store.sources.capture_counts(db, [c["id"] for c in claims])
    for c in claims:
        found = counts.get(c["id"], {})
        c["sources"] = found.get("sources", 0) or 0
        c["captured"] = found.get("captured", 0) or 0
        c["failed"] = found.get("failed", 0) or 0


def claim(db: Database, claim_id: int) -> dict[str, Any]:
    """The claim (store.claim_row) with its article's title and URL."""
    found = store.claim_row(db, claim_id)
    art = store.articles.article_titles(db, [found["article_id"]]).get(found["article_id"], {})
    found["article_title"] = art.get("title")
    found["article_url"] = art.get("url")
    return found


def article_context(
    db: Database, claim: dict[str, Any], *, around: int = 400
) -> dict[str, Any] | None:
    """The text around the claim in its article: {before, claim, after} (plain strings)."""
    if claim["article_id"] is None or claim["start"] is None:
        return None
    text = store.articles.article_text(db, claim["article_id"])
    if text is None:
        return None
    start, end = claim["start"], claim["end"]
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
    """The line a reviewer reads beside a source's state (store.claim_sources rows)."""
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
    return store.snapshots.snapshot_text(db, snapshot_id)


def article(db: Database, article_id: int) -> dict[str, Any]:
    """The article (store.get_article) for its page."""
    return store.get_article(db, article_id)


def article_claims(db: Database, article_id: int) -> list[dict[str, Any]]:
    return store.claims.article_claims(db, article_id)


def source_captures(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return store.snapshots.source_captures(db, source_id, limit=limit)


def citing_claims(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return store.sources.citing_claims(db, source_id, limit=limit)
