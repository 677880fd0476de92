"""Claims: the one reader of a claim row, listings, the queue reads and the claim writes."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify import model
from verify.errors import NotFoundError
from verify.store.articles import article_row
from verify.store.db import inserted_id, parse_id, row, rows
from verify.store.events import add_event

QUEUE_ORDER = "priority DESC, created_at, score DESC, id"  # model.queue_key, as SQL
CLAIM_COLUMNS = (
    'id, article_id, text, score, status, verdict, previous_verdict, verdict_note, priority, origin, start, "end",'
    " decided_by, decided_at, lease_reviewer, lease_expires_at, evidence_changed_at,"
    " created_at, updated_at"
)


def claim_id(value: Any) -> int:
    """A claim id from user input (int or digits); InputError otherwise."""
    return parse_id(value, "claim", "verify claims")


# The columns the team workflow shows (assignment and claimant included).
TEAM_COLUMNS = (
    'id, article_id, text, score, status, verdict, verdict_note, decided_by, decided_at, priority, origin, start, "end",'
    " created_at, updated_at, lease_reviewer, lease_expires_at, assignee, claimant"
)


def claim_row(db: Database, value: Any, columns: str = CLAIM_COLUMNS) -> dict[str, Any]:
    """One claim's row (no sources): CLAIM_COLUMNS, or TEAM_COLUMNS for the team workflow.
    The one reader of a claim; NotFoundError: 'no claim N: see `verify claims`'."""
    cid = claim_id(value)
    found = row(db, f"SELECT {columns} FROM claims WHERE id = ?", [cid])
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
    where: list[str] = []
    params: list[Any] = []
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
    return with_sources(db, rows(db, sql, params))


def queued_claims(
    db: Database,
    statuses: tuple[str, ...],
    *,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Claims of the given statuses in QUEUE_ORDER. Each status is read along the
    claims_queue index and the results merged, so the first page of a million-claim queue
    reads about `limit` rows per status, not the whole table. (Expiring stale leases first is
    the caller's job: review.queue.)"""
    where: list[str] = []
    params: list[Any] = []
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
            rows(
                db,
                f"SELECT {CLAIM_COLUMNS} FROM claims WHERE status = ?{extra}"
                f" ORDER BY {QUEUE_ORDER}{tail}",
                [s, *params],
            )
        )
    if len(statuses) > 1:
        found.sort(key=model.queue_key)
    return found[offset:] if want is None else found[offset:want]


def article_claims(db: Database, article_id: int) -> list[dict[str, Any]]:
    """The article's claims that have offsets in it, in text order (id, text, start, end,
    score, status, verdict)."""
    return rows(
        db,
        'SELECT id, text, start, "end", score, status, verdict FROM claims'
        " WHERE article_id = ? AND start IS NOT NULL ORDER BY start, id",
        [article_id],
    )


def apply_transition(
    db: Database,
    claim: dict[str, Any],
    action: str,
    actor: str | None,
    at: str,
    *,
    role: str | None = None,
    force: bool = False,
    fields: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    source_id: int | None = None,
    snapshot_id: int | None = None,
    article_id: int | None = None,
) -> bool:
    """Take `action` on `claim` inside the caller's write transaction: check it against
    model.TRANSITIONS (statuses, lease rule, and the least role: `role` is the actor's, None
    without accounts), move the status (clearing the lease when the claim leaves review), set
    `fields`, and write the transition's event. Every status write of verify passes here.
    Returns True when it overrode someone else's lease (force), which the event records."""
    forced = model.check_transition(claim, action, actor, at, force=force, role=role)
    rule = model.TRANSITIONS[action]
    sets = dict(fields or {})
    if rule.target is not None and rule.target != claim["status"]:
        sets["status"] = rule.target
    if rule.target is not None and rule.target != "in_review":
        sets.update(lease_reviewer=None, lease_expires_at=None)
    if sets:
        sets["updated_at"] = at
        assignments = ", ".join(f"{k} = ?" for k in sets)
        db.conn.execute(
            f"UPDATE claims SET {assignments} WHERE id = ?", [*sets.values(), claim["id"]]
        )
    detail = dict(detail or {})
    if forced:
        detail["forced"] = True
        detail["lease_reviewer"] = claim["lease_reviewer"]
    add_event(
        db,
        rule.event,
        claim_id=claim["id"],
        source_id=source_id,
        snapshot_id=snapshot_id,
        article_id=article_id,
        actor=actor,
        detail=detail,
        at=at,
    )
    return forced


def add_claim(
    db: Database,
    *,
    text: str,
    score: float,
    status: str,
    priority: int,
    origin: str,
    at: str,
    article_id: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> int:
    """Insert one claim row and return its id (the caller writes its event)."""
    return inserted_id(
        db.conn.execute(
            'INSERT INTO claims (article_id, text, start, "end", score, status, priority, origin,'
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [article_id, text, start, end, float(score), status, priority, origin, at, at],
        )
    )


def claim_at_span(db: Database, article_id: int, start: int, end: int) -> dict[str, Any] | None:
    """The claim of an article at exactly these offsets (CLAIM_COLUMNS), or None."""
    return row(
        db,
        f'SELECT {CLAIM_COLUMNS} FROM claims WHERE article_id = ? AND start = ? AND "end" = ?',
        [article_id, start, end],
    )


def claim_with_text(db: Database, text: str, article_id: int | None) -> int | None:
    """The id of the first claim with exactly this text in this article (or none), or None."""
    found = db.conn.execute(
        "SELECT id FROM claims WHERE text = ? AND article_id IS ? ORDER BY id LIMIT 1",
        [text, article_id],
    ).fetchone()
    return found[0] if found else None


def set_priority(db: Database, claim_id: int, priority: int, at: str) -> None:
    db.conn.execute(
        "UPDATE claims SET priority = ?, updated_at = ? WHERE id = ?", [priority, at, claim_id]
    )


def add_claim_part(
    db: Database, claim_id: int, start: int, end: int, text: str, score: float
) -> None:
    """Record which clause of a claim's sentence gave its score (offsets in the article text).
    The caller holds the transaction."""
    db.conn.execute(
        'INSERT OR REPLACE INTO claim_parts (claim_id, start, "end", text, score) VALUES (?, ?, ?, ?, ?)',
        [claim_id, start, end, text, float(score)],
    )


def get_claim_part(db: Database, claim_id: int) -> dict[str, Any] | None:
    """The check-worthy part of a claim: {"start", "end", "text", "score"} or None when the
    whole sentence scored highest (or the claim was added by hand)."""
    row = db.conn.execute(
        'SELECT start, "end", text, score FROM claim_parts WHERE claim_id = ?', [claim_id]
    ).fetchone()
    if row is None:
        return None
    return {"start": row[0], "end": row[1], "text": row[2], "score": row[3]}
