"""The read gateway: claims, articles, sources, snapshots and assessments as every other part of
verify sees them (the CLI, the exports, evidence, the review workflow and the web UI).

One function per question, one not-found message per kind of thing, and "the snapshot a
reviewer sees" read through model.REVIEWED_SNAPSHOT only. Reads only: writes live in
verify.claims (the claim store), verify.review (the claim's life) and verify.capture."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from . import model, store
from .errors import InputError, NotFoundError
from .urls import normalize_url

CLAIM_COLUMNS = (
    'id, article_id, text, score, status, verdict, previous_verdict, verdict_note, priority, origin, start, "end",'
    " decided_by, decided_at, lease_reviewer, lease_expires_at, evidence_changed_at,"
    " created_at, updated_at"
)


def _id(value: Any, what: str, listing: str) -> int:
    if isinstance(value, bool):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"not a {what} id: {value!r} (give a number, see `{listing}`)") from None


# --------------------------------------------------------------------------- claims


def claim_id(value: Any) -> int:
    """A claim id from user input (int or digits); InputError otherwise."""
    return _id(value, "claim", "verify claims")


def claim_row(db: Database, value: Any) -> dict[str, Any]:
    """One claim's row (no sources). NotFoundError: 'no claim N: see `verify claims`'."""
    cid = claim_id(value)
    found = store.row(db, f"SELECT {CLAIM_COLUMNS} FROM claims WHERE id = ?", [cid])
    if found is None:
        raise NotFoundError(f"no claim {cid}: see `verify claims`")
    return found


def get_claim(db: Database, value: Any) -> dict[str, Any]:
    """One claim with `sources`, the list of its source URLs in the order they were attached."""
    found = claim_row(db, value)
    found["sources"] = source_urls(db, [found["id"]])[found["id"]]
    return found


def source_urls(db: Database, claim_ids: list[int]) -> dict[int, list[str]]:
    """For each claim id, its source URLs in the order they were attached."""
    out: dict[int, list[str]] = {cid: [] for cid in claim_ids}
    for i in range(0, len(claim_ids), 500):
        chunk = claim_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for cid, url in db.conn.execute(
            "SELECT cs.claim_id, s.url FROM claim_sources cs JOIN sources s ON s.id = cs.source_id"
            f" WHERE cs.claim_id IN ({marks}) ORDER BY cs.claim_id, cs.id",
            chunk,
        ):
            out[cid].append(url)
    return out


def with_sources(db: Database, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_claim = source_urls(db, [c["id"] for c in claims])
    for c in claims:
        c["sources"] = by_claim[c["id"]]
    return claims


def list_claims(
    db: Database,
    *,
    article_id: int | None = None,
    status: str | None = None,
    include_candidates: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Claims in article order (article, offset, id). Candidates (sentences under the threshold)
    are left out unless asked for, by status='candidate' or include_candidates=True."""
    where, params = [], []
    if article_id is not None:
        where.append("article_id = ?")
        params.append(article_row(db, article_id)["id"])
    if status is not None:
        where.append("status = ?")
        params.append(model.check_choice(status, model.STATUSES, "status"))
    elif not include_candidates:
        where.append("status != 'candidate'")
    sql = f"SELECT {CLAIM_COLUMNS} FROM claims"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY article_id IS NULL, article_id, start IS NULL, start, id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return with_sources(db, store.rows(db, sql, params))


def queued_claims(
    db: Database,
    statuses: tuple[str, ...],
    *,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Claims of the given statuses in model.QUEUE_ORDER. Each status is read along the
    claims_queue index and the results merged, so the first page of a million-claim queue
    reads about `limit` rows per status, not the whole table. (Expiring stale leases first is
    the caller's job: review.queue.)"""
    where, params = [], []
    if reviewer:
        where.append("lease_reviewer = ?")
        params.append(reviewer)
    if article_id is not None:
        where.append("article_id = ?")
        params.append(int(article_id))
    extra = "".join(f" AND {w}" for w in where)
    want = None if limit is None else limit + offset
    tail = "" if want is None else f" LIMIT {int(want)}"
    found: list[dict[str, Any]] = []
    for s in dict.fromkeys(statuses):
        found.extend(
            store.rows(
                db,
                f"SELECT {CLAIM_COLUMNS} FROM claims WHERE status = ?{extra}"
                f" ORDER BY {model.QUEUE_ORDER}{tail}",
                [s, *params],
            )
        )
    if len(statuses) > 1:
        found.sort(key=model.queue_key)
    return found[offset:] if want is None else found[offset:want]


# --------------------------------------------------------------------------- articles


def article_row(db: Database, value: Any) -> dict[str, Any]:
    """One article's row without its text. NotFoundError: 'no article N: see `verify articles`'."""
    aid = _id(value, "article", "verify articles")
    found = store.row(
        db,
        "SELECT id, title, url, source_name, published, ingested_at, content_sha256"
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
    extra = store.row(
        db, "SELECT text, html IS NOT NULL AS has_html FROM articles WHERE id = ?", [aid]
    )
    found["text"] = extra["text"]
    found["has_html"] = bool(extra["has_html"])
    found["links"] = store.rows(
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
    found = store.rows(
        db, "SELECT id, title, url, published, ingested_at FROM articles ORDER BY id"
    )
    for a in found:
        a["claim_counts"] = claim_counts(db, a["id"])
    return found


# --------------------------------------------------------------------------- sources


def find_source(db: Database, id_or_url: Any) -> dict[str, Any]:
    """A source by id (int or digits) or by URL (normalised first). NotFoundError otherwise."""
    cols = "id, url, host, created_at"
    if isinstance(id_or_url, int) and not isinstance(id_or_url, bool):
        found = store.row(db, f"SELECT {cols} FROM sources WHERE id = ?", [id_or_url])
        label = str(id_or_url)
    elif isinstance(id_or_url, str) and id_or_url.strip().isdigit():
        label = id_or_url.strip()
        found = store.row(db, f"SELECT {cols} FROM sources WHERE id = ?", [int(label)])
    else:
        label = normalize_url(str(id_or_url))
        found = store.row(db, f"SELECT {cols} FROM sources WHERE url = ?", [label])
    if found is None:
        raise NotFoundError(f"no source {label}: see `verify sources`")
    return found


_LATEST = (
    "s.id AS snapshot_id, s.status AS http_status, s.error, s.error_message, s.fetched_at,"
    " s.changed, s.title AS snapshot_title, s.content_type, s.final_url"
)


def claim_sources(db: Database, claim_value: Any) -> list[dict[str, Any]]:
    """The claim's sources in the order they were attached: id, url, host, origin, anchor_text,
    note, the latest snapshot (snapshot_id, http_status, error, ...), `state` (model.source_state),
    `reviewed_snapshot_id` (the snapshot a reviewer sees, or None), `snapshots` (how many) and
    `assessments` (the live ones on this claim and source, oldest first)."""
    return _claim_sources(db, claim_row(db, claim_value)["id"])


def _claim_sources(db: Database, cid: int) -> list[dict[str, Any]]:
    found = store.rows(
        db,
        "SELECT cs.source_id AS id, src.url, src.host, cs.origin, cs.anchor_text, cs.note,"
        f" cs.created_at, {_LATEST},"
        " (SELECT COUNT(*) FROM snapshots WHERE source_id = cs.source_id) AS snapshots"
        " FROM claim_sources cs JOIN sources src ON src.id = cs.source_id"
        " LEFT JOIN snapshots s ON s.id = (SELECT MAX(id) FROM snapshots WHERE source_id = cs.source_id)"
        " WHERE cs.claim_id = ? ORDER BY cs.id",
        [cid],
    )
    by_source: dict[int, list[dict[str, Any]]] = {}
    for a in assessments(db, cid):
        by_source.setdefault(a["source_id"], []).append(a)
    for src in found:
        src["state"] = model.source_state(
            src["http_status"], src["error"], src["changed"], src["snapshot_id"] is not None
        )
        reviewed = reviewed_snapshot(db, src["id"], "id")
        src["reviewed_snapshot_id"] = reviewed["id"] if reviewed else None
        src["assessments"] = by_source.get(src["id"], [])
    return found


# --------------------------------------------------------------------------- snapshots


def reviewed_snapshot(db: Database, source_id: int, columns: str = "*") -> dict[str, Any] | None:
    """The snapshot a reviewer sees of a source (model.REVIEWED_SNAPSHOT), or None."""
    return store.row(db, model.reviewed_snapshot_sql(columns), [source_id])


def snapshot_row(db: Database, value: Any, columns: str = "*") -> dict[str, Any]:
    """One snapshot row. NotFoundError: 'no snapshot N: see `verify snapshots`'."""
    sid = _id(value, "snapshot", "verify snapshots")
    found = store.row(db, f"SELECT {columns} FROM snapshots WHERE id = ?", [sid])
    if found is None:
        raise NotFoundError(f"no snapshot {sid}: see `verify snapshots`")
    return found


def get_snapshot(db: Database, value: Any) -> dict[str, Any]:
    """One snapshot with its JSON columns parsed and its source's URL as `source_url`."""
    found = snapshot_row(db, value)
    found["source_url"] = db.conn.execute(
        "SELECT url FROM sources WHERE id = ?", [found["source_id"]]
    ).fetchone()[0]
    for key in ("redirects", "headers", "request_headers"):
        try:
            found[key] = json.loads(found[key]) if found[key] else []
        except ValueError:
            found[key] = []
    return found


# --------------------------------------------------------------------------- assessments

_ASSESSMENT_COLUMNS = (
    "a.id, a.claim_id, a.source_id, s.url, a.snapshot_id, a.stance, a.quote_exact, a.quote_prefix,"
    " a.quote_suffix, a.quote_start, a.quote_end, a.reviewer, a.forced, a.created_at,"
    " a.removed_at, a.removed_by, a.evidence_changed_at"
)


def _assessment(a: dict[str, Any]) -> dict[str, Any]:
    a["forced"] = bool(a["forced"])
    a["quote"] = a["quote_exact"]
    a["selector"] = (
        {
            "type": "TextQuoteSelector",
            "exact": a["quote_exact"],
            "prefix": a["quote_prefix"] or "",
            "suffix": a["quote_suffix"] or "",
            "start": a["quote_start"],
            "end": a["quote_end"],
        }
        if a["quote_exact"] is not None
        else None
    )
    return a


def assessments(
    db: Database,
    claim_value: Any = None,
    *,
    source_id: int | None = None,
    snapshot_id: int | None = None,
    include_removed: bool = False,
) -> list[dict[str, Any]]:
    """Assessments (stance + optional quote, bound to the snapshot they were made on), oldest
    first, of a claim and/or a source and/or a snapshot. Removed ones only on request."""
    where, params = [], []
    if claim_value is not None:
        where.append("a.claim_id = ?")
        params.append(claim_id(claim_value))
    if source_id is not None:
        where.append("a.source_id = ?")
        params.append(int(source_id))
    if snapshot_id is not None:
        where.append("a.snapshot_id = ?")
        params.append(int(snapshot_id))
    if not include_removed:
        where.append("a.removed_at IS NULL")
    sql = (
        f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments a JOIN sources s ON s.id = a.source_id"
        f" WHERE {' AND '.join(where) or '1'} ORDER BY a.id"
    )
    return [_assessment(a) for a in store.rows(db, sql, params)]


def get_assessment(db: Database, value: Any) -> dict[str, Any]:
    aid = _id(value, "assessment", "verify claim show CLAIM_ID")
    found = store.row(
        db,
        f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments a JOIN sources s ON s.id = a.source_id"
        " WHERE a.id = ?",
        [aid],
    )
    if found is None:
        raise NotFoundError(f"no assessment {aid}: see `verify claim show CLAIM_ID`")
    return _assessment(found)
