"""The claim store: articles, claims and their candidate sources (no network).

Every write here runs in one transaction (`store.immediate`, which becomes a savepoint when a
caller already holds one), and checks its inputs before it writes, so bad input changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from . import checkworthy, model
from .errors import InputError, NotFoundError
from .store import add_event, immediate, now, row, rows
from .urls import host_of, normalize_url

STATUSES = ("candidate", "queued", "in_review", "decided", "dismissed")
ORIGINS = ("article", "manual", "import")

_CLAIM_COLUMNS = (
    'id, article_id, text, score, status, verdict, priority, origin, start, "end", '
    "verdict_note, decided_by, decided_at, lease_reviewer, lease_expires_at, created_at, updated_at"
)


def ensure_source(db: Database, url: str) -> int:
    """The id of the source for this URL (normalised), creating it if needed."""
    normal = normalize_url(url)
    found = db.conn.execute("SELECT id FROM sources WHERE url = ?", [normal]).fetchone()
    if found:
        return found[0]
    cur = db.conn.execute(
        "INSERT INTO sources (url, host, created_at) VALUES (?, ?, ?)",
        [normal, host_of(normal), now()],
    )
    return cur.lastrowid


# --- checks -----------------------------------------------------------------------------------


def check_claim_text(text: str) -> str:
    """The claim text with surrounding white space removed; InputError when empty."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty claim text: give the statement to check")
    return " ".join(text.split())


def check_priority(priority: Any) -> int:
    """An integer priority (bool and non-numbers refused)."""
    if isinstance(priority, bool):
        raise InputError(f"bad priority {priority!r}: give a whole number")
    if isinstance(priority, int):
        return priority
    if isinstance(priority, str) and priority.strip().lstrip("+-").isdigit():
        return int(priority.strip())
    raise InputError(f"bad priority {priority!r}: give a whole number such as 0, 1 or 5")


def check_article(db: Database, article_id: int | None) -> int | None:
    """The article id when it exists (None passes); NotFoundError otherwise."""
    if article_id is None:
        return None
    try:
        article_id = int(article_id)
    except (TypeError, ValueError):
        raise InputError(
            f"bad article id {article_id!r}: give a number (list them with `verify articles`)"
        ) from None
    if not db.conn.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone():
        raise NotFoundError(f"no article with id {article_id} (list them with `verify articles`)")
    return article_id


def check_claim(db: Database, claim_id: int) -> int:
    try:
        claim_id = int(claim_id)
    except (TypeError, ValueError):
        raise InputError(
            f"bad claim id {claim_id!r}: give a number (see `verify claims`)"
        ) from None
    if not db.conn.execute("SELECT 1 FROM claims WHERE id = ?", [claim_id]).fetchone():
        raise NotFoundError(f"no claim with id {claim_id} (list them with `verify claims --all`)")
    return claim_id


# --- writes -----------------------------------------------------------------------------------


def add_claim(
    db: Database,
    text: str,
    *,
    article_id: int | None = None,
    sources: Iterable[str] = (),
    priority: int = 0,
    origin: str = "manual",
    actor: str | None = None,
) -> int:
    """Add a claim chosen by a person (queued at once) with its candidate sources; returns its id.
    Every input is checked before anything is written."""
    text = check_claim_text(text)
    priority = check_priority(priority)
    if origin not in ORIGINS:
        raise InputError(f"bad origin {origin!r}: one of {', '.join(ORIGINS)}")
    urls = [normalize_url(u) for u in sources]
    with immediate(db):
        article_id = check_article(db, article_id)
        score = checkworthy.score_sentence(text, has_link=bool(urls))
        stamp = now()
        cur = db.conn.execute(
            "INSERT INTO claims (article_id, text, score, status, priority, origin, created_at, updated_at)"
            " VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
            [article_id, text, float(score), priority, origin, stamp, stamp],
        )
        claim_id = cur.lastrowid
        add_event(
            db,
            "claim_added",
            claim_id=claim_id,
            article_id=article_id,
            actor=actor,
            detail={"origin": origin, "priority": priority},
            at=stamp,
        )
        for url in dict.fromkeys(urls):
            _link_source(db, claim_id, url, origin=origin, anchor_text=None, note=None, actor=actor)
    return claim_id


def attach_source(
    db: Database,
    claim_id: int,
    url: str,
    *,
    origin: str = "manual",
    anchor_text: str | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> int:
    """Attach a candidate source to a claim; returns the source id. Attaching the same URL twice
    keeps one link (a new note is kept; the first origin and anchor text stay)."""
    normal = normalize_url(url)
    if origin not in ORIGINS:
        raise InputError(f"bad origin {origin!r}: one of {', '.join(ORIGINS)}")
    with immediate(db):
        claim_id = check_claim(db, claim_id)
        return _link_source(
            db, claim_id, normal, origin=origin, anchor_text=anchor_text, note=note, actor=actor
        )


def _link_source(
    db: Database,
    claim_id: int,
    url: str,
    *,
    origin: str,
    anchor_text: str | None,
    note: str | None,
    actor: str | None,
) -> int:
    """Link an already-normalised URL to a claim, inside the caller's transaction."""
    source_id = ensure_source(db, url)
    stamp = now()
    cur = db.conn.execute(
        "INSERT OR IGNORE INTO claim_sources (claim_id, source_id, origin, anchor_text, note, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [claim_id, source_id, origin, anchor_text, note, stamp],
    )
    if cur.rowcount:
        detail: dict[str, Any] = {"url": url, "origin": origin}
        if anchor_text:
            detail["anchor_text"] = anchor_text
        if note:
            detail["note"] = note
        add_event(
            db,
            "source_added",
            claim_id=claim_id,
            source_id=source_id,
            actor=actor,
            detail=detail,
            at=stamp,
        )
    elif note:
        db.conn.execute(
            "UPDATE claim_sources SET note = ? WHERE claim_id = ? AND source_id = ?",
            [note, claim_id, source_id],
        )
    return source_id


def promote_span(
    db: Database,
    article_id: int,
    start: int,
    end: int,
    *,
    priority: int = 0,
    actor: str | None = None,
) -> int:
    """Make any span of an article's text a queued claim; returns the claim id. A span that is
    already a claim is queued (if it was a candidate) and its id returned. Body links whose
    anchor starts inside the span become its candidate sources."""
    priority = check_priority(priority)
    with immediate(db):
        article_id = check_article(db, article_id)
        text = db.conn.execute("SELECT text FROM articles WHERE id = ?", [article_id]).fetchone()[0]
        if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= len(
            text
        ):
            raise InputError(f"bad span {start}..{end}: the article has {len(text)} characters")
        # trim white space so the offsets point at the words
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise InputError("the span holds only white space: choose some words")
        found = db.conn.execute(
            'SELECT id, status FROM claims WHERE article_id = ? AND start = ? AND "end" = ?',
            [article_id, start, end],
        ).fetchone()
        stamp = now()
        if found:
            claim_id, status = found
            if status == "candidate":
                db.conn.execute(
                    "UPDATE claims SET status = 'queued', priority = max(priority, ?), updated_at = ? WHERE id = ?",
                    [priority, stamp, claim_id],
                )
                add_event(
                    db,
                    "claim_added",
                    claim_id=claim_id,
                    article_id=article_id,
                    actor=actor,
                    detail={"origin": "manual", "promoted": True},
                    at=stamp,
                )
            return claim_id
        links = db.conn.execute(
            "SELECT url, anchor_text FROM article_links WHERE article_id = ? AND start >= ? AND start < ? ORDER BY start",
            [article_id, start, end],
        ).fetchall()
        span = text[start:end]
        score = checkworthy.score_sentence(span, has_link=bool(links))
        cur = db.conn.execute(
            'INSERT INTO claims (article_id, text, start, "end", score, status, priority, origin, created_at, updated_at)'
            " VALUES (?, ?, ?, ?, ?, 'queued', ?, 'manual', ?, ?)",
            [article_id, span, start, end, float(score), priority, stamp, stamp],
        )
        claim_id = cur.lastrowid
        add_event(
            db,
            "claim_added",
            claim_id=claim_id,
            article_id=article_id,
            actor=actor,
            detail={"origin": "manual", "promoted": True, "start": start, "end": end},
            at=stamp,
        )
        for url, anchor in links:
            _link_source(
                db, claim_id, url, origin="article", anchor_text=anchor, note=None, actor=actor
            )
    return claim_id


# --- reads ------------------------------------------------------------------------------------


def _sources_by_claim(db: Database, claim_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {cid: [] for cid in claim_ids}
    for i in range(0, len(claim_ids), 500):
        chunk = claim_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for cid, url in db.conn.execute(
            f"SELECT cs.claim_id, s.url FROM claim_sources cs JOIN sources s ON s.id = cs.source_id"
            f" WHERE cs.claim_id IN ({marks}) ORDER BY cs.claim_id, cs.id",
            chunk,
        ):
            out[cid].append(url)
    return out


def get_claim(db: Database, claim_id: int) -> dict[str, Any]:
    """One claim as a dict (id, article_id, text, score, status, verdict, priority, sources,
    start, end, created_at, lease_reviewer, lease_expires_at, ...). NotFoundError if unknown."""
    try:
        cid = int(claim_id)
    except (TypeError, ValueError):
        raise InputError(
            f"bad claim id {claim_id!r}: give a number (see `verify claims`)"
        ) from None
    found = row(db, f"SELECT {_CLAIM_COLUMNS} FROM claims WHERE id = ?", [cid])
    if found is None:
        raise NotFoundError(f"no claim with id {cid} (list them with `verify claims --all`)")
    found["sources"] = _sources_by_claim(db, [cid])[cid]
    return found


def claim_sources(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's candidate sources with how each came (origin, anchor text, note, stance)."""
    return rows(
        db,
        "SELECT s.id, s.url, s.host, cs.origin, cs.anchor_text, cs.note, cs.stance, cs.stance_by, cs.created_at"
        " FROM claim_sources cs JOIN sources s ON s.id = cs.source_id WHERE cs.claim_id = ? ORDER BY cs.id",
        [int(claim_id)],
    )


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
        params.append(check_article(db, article_id))
    if status is not None:
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
        where.append("status = ?")
        params.append(status)
    elif not include_candidates:
        where.append("status != 'candidate'")
    sql = f"SELECT {_CLAIM_COLUMNS} FROM claims"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY article_id IS NULL, article_id, start IS NULL, start, id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    found = rows(db, sql, params)
    by_claim = _sources_by_claim(db, [c["id"] for c in found])
    for claim in found:
        claim["sources"] = by_claim[claim["id"]]
    return found


def get_article(db: Database, article_id: int) -> dict[str, Any]:
    """One article (id, title, url, source_name, text, published, ingested_at, content_sha256,
    links, claim counts). NotFoundError if unknown."""
    article_id = check_article(db, article_id)
    found = row(
        db,
        "SELECT id, title, url, source_name, text, html IS NOT NULL AS has_html, content_sha256, published, ingested_at"
        " FROM articles WHERE id = ?",
        [article_id],
    )
    assert found is not None
    found["has_html"] = bool(found["has_html"])
    found["links"] = rows(
        db,
        'SELECT url, raw_url, anchor_text, start, "end" FROM article_links WHERE article_id = ? ORDER BY start, id',
        [article_id],
    )
    counts = dict(
        db.conn.execute(
            "SELECT status, count(*) FROM claims WHERE article_id = ? GROUP BY status", [article_id]
        ).fetchall()
    )
    found["claim_counts"] = counts
    return found


def list_articles(db: Database) -> list[dict[str, Any]]:
    """Every article, oldest first: id, title, url, published (the date the article gives, if
    any), ingested_at, and `claims`, its claims counted by status (every one of
    model.STATUSES, in that order, zeros included)."""
    counts: dict[int, dict[str, int]] = {}
    for article_id, status, n in db.conn.execute(
        "SELECT article_id, status, count(*) FROM claims WHERE article_id IS NOT NULL"
        " GROUP BY article_id, status"
    ):
        counts.setdefault(article_id, {})[status] = n
    found = rows(db, "SELECT id, title, url, published, ingested_at FROM articles ORDER BY id")
    for article in found:
        mine = counts.get(article["id"], {})
        article["claims"] = {status: mine.get(status, 0) for status in model.STATUSES}
    return found


def find_source(db: Database, id_or_url: str | int) -> dict[str, Any]:
    """A source by id (int or digit string) or by URL (normalised before the lookup)."""
    if isinstance(id_or_url, int) and not isinstance(id_or_url, bool):
        found = row(db, "SELECT id, url, host, created_at FROM sources WHERE id = ?", [id_or_url])
        label = f"id {id_or_url}"
    elif isinstance(id_or_url, str) and id_or_url.strip().isdigit():
        found = row(
            db,
            "SELECT id, url, host, created_at FROM sources WHERE id = ?",
            [int(id_or_url.strip())],
        )
        label = f"id {id_or_url.strip()}"
    else:
        normal = normalize_url(str(id_or_url))
        found = row(db, "SELECT id, url, host, created_at FROM sources WHERE url = ?", [normal])
        label = normal
    if found is None:
        raise NotFoundError(f"no source {label} (list them with `verify sources`)")
    return found


def find_claim_by_text(db: Database, text: str, article_id: int | None = None) -> int | None:
    """The id of a hand-added or imported claim with this exact text (after white-space
    folding) in this article (or with no article), if any."""
    text = " ".join(text.split())
    found = db.conn.execute(
        "SELECT id FROM claims WHERE text = ? AND article_id IS ? ORDER BY id LIMIT 1",
        [text, article_id],
    ).fetchone()
    return found[0] if found else None
