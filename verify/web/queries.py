"""Read queries for the web UI that no library module provides (queue rows with capture counts,
article pages with claim offsets, snapshot details). The only place in verify/web/ with SQL.
Every query here is a read; writes go through verify.review and friends."""

from __future__ import annotations

import heapq
import json
from typing import Any

from sqlite_utils import Database

from .. import model
from ..errors import NotFoundError
from ..store import row, rows

STATUSES = ("candidate", "queued", "in_review", "decided", "dismissed")
AWAITING = ("queued", "in_review")

_CLAIM_COLUMNS = (
    "c.id, c.article_id, c.text, c.score, c.status, c.verdict, c.priority, c.origin,"
    " c.lease_reviewer, c.lease_expires_at, c.decided_by, c.created_at"
)
_ORDER = "ORDER BY c.priority DESC, c.created_at, c.score DESC, c.id"


def _queue_key(claim: dict[str, Any]) -> tuple:
    return (-claim["priority"], claim["created_at"], -claim["score"], claim["id"])


def queue_page(
    db: Database,
    *,
    statuses: tuple[str, ...] = AWAITING,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One page of claims in queue order (priority, then age, then score), with the article
    title and how many of each claim's sources were captured or failed on their latest fetch.

    Each status is read along the claims_queue index and the pages merged, so the first page
    of a million-claim queue reads about `limit` rows per status, not the whole table."""
    want = offset + limit
    if reviewer is not None or article_id is not None:
        where, params = [], []
        if reviewer is not None:
            where.append("c.lease_reviewer = ?")
            params.append(reviewer)
        if article_id is not None:
            where.append("c.article_id = ?")
            params.append(article_id)
        marks = ", ".join("?" for _ in statuses)
        where.append(f"c.status IN ({marks})")
        found = rows(
            db,
            f"SELECT {_CLAIM_COLUMNS} FROM claims c WHERE {' AND '.join(where)} {_ORDER} LIMIT ?",
            [*params, *statuses, want],
        )
    else:
        per_status = [
            rows(
                db,
                f"SELECT {_CLAIM_COLUMNS} FROM claims c WHERE c.status = ? {_ORDER} LIMIT ?",
                [s, want],
            )
            for s in statuses
        ]
        found = list(heapq.merge(*per_status, key=_queue_key))
    page = found[offset:want]
    _add_articles(db, page)
    _add_capture_counts(db, page)
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
    found = row(
        db,
        f'SELECT {_CLAIM_COLUMNS}, c.start, c."end", c.verdict_note, c.decided_at, c.updated_at,'
        " a.title AS article_title, a.url AS article_url"
        " FROM claims c LEFT JOIN articles a ON a.id = c.article_id WHERE c.id = ?",
        [claim_id],
    )
    if found is None:
        raise NotFoundError(f"no claim {claim_id}: see the queue for claim ids")
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


_LATEST = (
    "s.id AS snapshot_id, s.status AS http_status, s.error, s.error_message, s.fetched_at,"
    " s.changed, s.title AS snapshot_title, s.content_type, s.final_url"
)


def claim_sources(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's sources with their latest capture, its state, the latest good capture and
    the reviewer's current stance."""
    found = rows(
        db,
        "SELECT cs.source_id AS id, src.url, src.host, cs.origin, cs.anchor_text, cs.note,"
        f" cs.stance, cs.stance_by, cs.stance_at, {_LATEST},"
        " (SELECT MAX(id) FROM snapshots WHERE source_id = cs.source_id AND error IS NULL) AS good_snapshot_id,"
        " (SELECT COUNT(*) FROM snapshots WHERE source_id = cs.source_id) AS captures"
        ", src.dead_at"
        " FROM claim_sources cs JOIN sources src ON src.id = cs.source_id"
        f" LEFT JOIN snapshots s ON s.id = ({model.latest_live_snapshot_sql('cs.source_id')})"
        " WHERE cs.claim_id = ? ORDER BY cs.id",
        [claim_id],
    )
    for src in found:
        src["state"], src["why"] = source_state(src)
    return found


def source_state(latest: dict[str, Any]) -> tuple[str, str]:
    """(state, why) of a source from its latest snapshot. The state is the capture engine's
    (capture.source_state: 404/410 or dns -> gone; 401/403/429 -> unknown; other failures ->
    failed; ok -> ok or changed); `why` is the line a reviewer reads beside it."""
    has = latest.get("snapshot_id") is not None
    error, status = latest.get("error"), latest.get("http_status")
    try:
        from ..capture import source_state as capture_state
    except ImportError:  # a build without the capture engine
        capture_state = None
    if capture_state is not None:
        state = capture_state(
            status, error, latest.get("changed"), has, latest.get("dead_at") is not None
        )
    elif not has:
        state = "pending"
    elif error is None:
        state = "changed" if latest.get("changed") == 1 else "ok"
    elif error == "dns" or status in (404, 410):
        state = "gone"
    elif status in (401, 403, 429):
        state = "unknown"
    else:
        state = "failed"
    if not has:
        return state, "not fetched yet"
    if state == "dead":
        return state, "dead: failed on three checks days apart"
    if error is None:
        if state == "changed":
            return state, f"HTTP {status}; text changed since the previous capture"
        return state, f"HTTP {status}" if status else "captured"
    return state, latest.get("error_message") or error


def snapshot_text(db: Database, snapshot_id: int) -> str:
    found = row(db, "SELECT text FROM snapshots WHERE id = ?", [snapshot_id])
    return (found or {}).get("text") or ""


def assessments(
    db: Database, *, claim_id: int | None = None, source_id: int | None = None
) -> list[dict[str, Any]]:
    where, params = [], []
    if claim_id is not None:
        where.append("claim_id = ?")
        params.append(claim_id)
    if source_id is not None:
        where.append("source_id = ?")
        params.append(source_id)
    return rows(
        db, f"SELECT * FROM assessments WHERE {' AND '.join(where) or '1'} ORDER BY id", params
    )


def events(db: Database, claim_id: int) -> list[dict[str, Any]]:
    found = rows(db, "SELECT * FROM events WHERE claim_id = ? ORDER BY id", [claim_id])
    for e in found:
        e["detail"] = json.loads(e["detail"]) if e["detail"] else {}
    return found


def article(db: Database, article_id: int) -> dict[str, Any]:
    found = row(
        db,
        "SELECT id, title, url, source_name, text, published, ingested_at FROM articles WHERE id = ?",
        [article_id],
    )
    if found is None:
        raise NotFoundError(f"no article {article_id}")
    return found


def article_claims(db: Database, article_id: int) -> list[dict[str, Any]]:
    return rows(
        db,
        'SELECT id, text, start, "end", score, status, verdict FROM claims'
        " WHERE article_id = ? AND start IS NOT NULL ORDER BY start, id",
        [article_id],
    )


def snapshot(db: Database, snapshot_id: int) -> dict[str, Any]:
    """One snapshot row with its JSON columns parsed and its source URL."""
    found = row(
        db,
        "SELECT s.*, src.url AS source_url FROM snapshots s JOIN sources src ON src.id = s.source_id WHERE s.id = ?",
        [snapshot_id],
    )
    if found is None:
        raise NotFoundError(f"no snapshot {snapshot_id}")
    for key in ("redirects", "headers", "request_headers"):
        try:
            found[key] = json.loads(found[key]) if found[key] else []
        except ValueError:
            found[key] = []
    return found


def source_captures(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT id, fetched_at, status, error, changed, sha256 FROM snapshots WHERE source_id = ?"
        " ORDER BY id DESC LIMIT ?",
        [source_id, limit],
    )


def citing_claims(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return rows(
        db,
        "SELECT c.id, c.text, c.status, c.verdict, cs.stance FROM claim_sources cs"
        " JOIN claims c ON c.id = cs.claim_id WHERE cs.source_id = ? ORDER BY cs.id LIMIT ?",
        [source_id, limit],
    )
