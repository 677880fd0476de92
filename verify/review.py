"""The review workflow: the queue, leases, stances (with quoted passages), verdicts, dismissals
and the history of a claim.

Every write is one BEGIN IMMEDIATE transaction; inputs are checked before anything is written,
so bad input changes nothing. Time is injectable (`now=`, a datetime or an ISO-8601 string) so
lease expiry is tested without sleeping."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from . import claims, settings, store, team, users
from .errors import ConflictError, InputError, NotFoundError
from .settings import DEFAULT_LEASE_MINUTES

STATUSES = ("candidate", "queued", "in_review", "decided", "dismissed")
DEFAULT_QUEUE_STATUSES = ("queued", "in_review")
STANCES = ("supports", "refutes", "unrelated", "unavailable")
RATINGS = ("true", "mostly-true", "mixed", "mostly-false", "false", "unverifiable")
SELECTOR_CONTEXT = 32  # characters of prefix/suffix kept in a TextQuoteSelector

_CLAIM_COLUMNS = (
    "c.id, c.article_id, c.text, c.score, c.status, c.verdict, c.verdict_note, c.decided_by,"
    ' c.decided_at, c.priority, c.origin, c.start, c."end", c.created_at, c.updated_at,'
    " c.lease_reviewer, c.lease_expires_at"
)
_QUEUE_ORDER = "c.priority DESC, c.created_at, c.score DESC, c.id"


# --------------------------------------------------------------------------- helpers


def _now(now: datetime | str | None) -> str:
    if now is None:
        return store.now()
    if isinstance(now, datetime):
        return store.format_time(now)
    return store.format_time(store.parse_time(now))


def _claim_id(claim_id: Any) -> int:
    try:
        value = int(claim_id)
    except (TypeError, ValueError):
        raise InputError(
            f"not a claim id: {claim_id!r} (give a number, see `verify claims`)"
        ) from None
    return value


def _attach_sources(db: Database, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `sources` (list of URLs, in the order they were attached) to each claim dict."""
    if not claims:
        return claims
    ids = [c["id"] for c in claims]
    by_claim: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for cid, url in db.conn.execute(
            f"SELECT cs.claim_id, s.url FROM claim_sources cs JOIN sources s ON s.id = cs.source_id"
            f" WHERE cs.claim_id IN ({marks}) ORDER BY cs.id",
            chunk,
        ):
            by_claim[cid].append(url)
    for c in claims:
        c["sources"] = by_claim[c["id"]]
    return claims


def _claim(db: Database, claim_id: Any) -> dict[str, Any]:
    cid = _claim_id(claim_id)
    found = store.row(db, f"SELECT {_CLAIM_COLUMNS} FROM claims c WHERE c.id = ?", [cid])
    if found is None:
        raise NotFoundError(f"no claim {cid}: see `verify claims` for the ids")
    return found


def get_claim(db: Database, claim_id: int) -> dict[str, Any]:
    """One claim with its sources (URLs). Raises NotFoundError."""
    return _attach_sources(db, [_claim(db, claim_id)])[0]


def lease_minutes_setting(db: Database) -> int:
    """The lease length: `verify config lease_minutes`, else 30 (also when the stored value
    was written around `verify config` and is not a positive whole number)."""
    raw = settings.get_value(db, "lease_minutes")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_LEASE_MINUTES
    return value if value > 0 else DEFAULT_LEASE_MINUTES


def _lease_length(db: Database, lease_minutes: int | float | None) -> float:
    if lease_minutes is None:
        return lease_minutes_setting(db)
    if lease_minutes <= 0:
        raise InputError(f"lease minutes must be positive, not {lease_minutes}")
    return lease_minutes


def _holds_live_lease(claim: dict[str, Any], at: str) -> bool:
    return (
        claim["status"] == "in_review"
        and claim["lease_reviewer"] is not None
        and (claim["lease_expires_at"] or "") > at
    )


def _check_lease(claim: dict[str, Any], reviewer: str, force: bool, at: str, action: str) -> bool:
    """Raise ConflictError when someone else holds a live lease on the claim (unless force).
    Returns True when the action overrides another reviewer's lease."""
    if not _holds_live_lease(claim, at) or claim["lease_reviewer"] == reviewer:
        return False
    if force:
        return True
    raise ConflictError(
        f"claim {claim['id']} is leased to {claim['lease_reviewer']} until {claim['lease_expires_at']}:"
        f" ask them to release it, or {action} with --force (recorded)"
    )


WRITER_LOCK = "writer.lock"  # the side file review writers queue on


@contextlib.contextmanager
def _writer_turn(db: Database) -> Iterator[None]:
    """Wait in the kernel (flock on a side file) for our turn to write. SQLite's own busy
    handler polls with sleeps of 1, 2, 5, ... 100 ms, and with many reviewers asking at once
    a waiter often sleeps through the moment the lock is free, so the slowest of 8 waits tens
    of milliseconds for transactions that take well under one. A blocked flock wakes as soon
    as the holder is done, and the holder yields the CPU after its turn so the waiter runs.
    Where flock is unavailable this is a no-op and SQLite's busy timeout does the waiting."""
    try:
        with store.side_lock(db, WRITER_LOCK):
            yield
    finally:
        # give a woken waiter the CPU before this process can ask again: without it a process
        # that writes in a loop takes the lock back before the waiter runs (unfair on few cores)
        if hasattr(os, "sched_yield"):
            os.sched_yield()


CHECKPOINT_EVERY = 100  # review writes per process between explicit WAL checkpoints
_writes_since_checkpoint: dict[str, int] = {}


@contextlib.contextmanager
def _write(db: Database) -> Iterator[Database]:
    """One write transaction (BEGIN IMMEDIATE), taken in turn with the other writers of the
    review workflow (see _writer_turn). SQLite's automatic WAL checkpoint would run inside
    COMMIT, while the other reviewers wait for their turn; it is switched off for the
    transaction and run (PASSIVE) after the turn is given up, every CHECKPOINT_EVERY review
    writes of this process, so one reviewer pays for it instead of everyone queued behind."""
    conn = db.conn
    if conn.in_transaction:
        with store.immediate(db):
            yield db
        return
    lock = store.side_file(db, WRITER_LOCK)
    previous = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        with _writer_turn(db), store.immediate(db):
            yield db
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")
    if lock and previous > 0:
        count = _writes_since_checkpoint.get(lock, 0) + 1
        if count >= CHECKPOINT_EVERY:
            count = 0
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        _writes_since_checkpoint[lock] = count


def _check_reviewer(reviewer: str) -> str:
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise InputError("a reviewer name is required (--reviewer NAME)")
    return reviewer.strip()


# --------------------------------------------------------------------------- queue and leases


def expire_leases(db: Database, now: datetime | str | None = None) -> int:
    """Return every lease that ran out to the queue, with an 'expired' event each. Returns how many."""
    at = _now(now)
    # a cheap read first, so readers (the queue page) do not take the write lock for nothing
    if not db.conn.execute(
        "SELECT 1 FROM claims WHERE status = 'in_review' AND lease_expires_at <= ? LIMIT 1", [at]
    ).fetchone():
        return 0
    with _write(db):
        return _expire_in_tx(db, at)


def _expire_in_tx(db: Database, at: str) -> int:
    stale = db.conn.execute(
        "SELECT id, lease_reviewer, lease_expires_at FROM claims"
        " WHERE status = 'in_review' AND lease_expires_at <= ?",
        [at],
    ).fetchall()
    for cid, reviewer, expires_at in stale:
        db.conn.execute(
            "UPDATE claims SET status = 'queued', lease_reviewer = NULL, lease_expires_at = NULL, updated_at = ?"
            " WHERE id = ?",
            [at, cid],
        )
        store.add_event(
            db,
            "expired",
            claim_id=cid,
            actor=None,
            detail={"reviewer": reviewer, "lease_expires_at": expires_at},
            at=at,
        )
    return len(stale)


def queue(
    db: Database,
    *,
    status: str | list[str] | tuple[str, ...] | None = None,
    reviewer: str | None = None,
    article_id: int | None = None,
    limit: int | None = 50,
    offset: int = 0,
    now: datetime | str | None = None,
) -> list[dict[str, Any]]:
    """Claims awaiting review, most urgent first (priority DESC, then oldest, then best score).
    Default statuses: queued and in_review. Stale leases are expired first."""
    if isinstance(status, str):
        statuses = tuple(s.strip() for s in status.split(",") if s.strip())
    elif status:
        statuses = tuple(status)
    else:
        statuses = DEFAULT_QUEUE_STATUSES
    for s in statuses:
        if s not in STATUSES:
            raise InputError(f"unknown status {s!r}: use one of {', '.join(STATUSES)}")
    if limit is not None and limit < 0:
        raise InputError(f"limit must be zero or more, not {limit}")
    if offset < 0:
        raise InputError(f"offset must be zero or more, not {offset}")
    expire_leases(db, now)
    where, params = [], []
    if reviewer:
        where.append("c.lease_reviewer = ?")
        params.append(reviewer)
    if article_id is not None:
        where.append("c.article_id = ?")
        params.append(int(article_id))
    extra = "".join(f" AND {w}" for w in where)
    want = None if limit is None else limit + offset
    tail = "" if want is None else f" LIMIT {int(want)}"
    # One ordered index scan per status (claims_queue), merged here: faster than letting SQLite
    # sort the union of two statuses on a big table.
    found: list[dict[str, Any]] = []
    for s in dict.fromkeys(statuses):
        found.extend(
            store.rows(
                db,
                f"SELECT {_CLAIM_COLUMNS} FROM claims c WHERE c.status = ?{extra} ORDER BY {_QUEUE_ORDER}{tail}",
                [s, *params],
            )
        )
    if len(statuses) > 1:
        found.sort(key=lambda c: (-c["priority"], c["created_at"], -(c["score"] or 0), c["id"]))
    page = found[offset:] if want is None else found[offset:want]
    return _attach_sources(db, page)


def lease_next(
    db: Database,
    reviewer: str,
    *,
    now: datetime | str | None = None,
    lease_minutes: int | float | None = None,
) -> dict[str, Any] | None:
    """Lease the most urgent queued claim to `reviewer` and return it (None when the queue is
    empty). A reviewer who already holds a live lease gets that claim back, not a second one.
    Stale leases are expired first. One conditional UPDATE under BEGIN IMMEDIATE, so concurrent
    reviewers always get different claims."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "lease")
    at = _now(now)
    minutes = _lease_length(db, lease_minutes)
    expires = store.format_time(store.parse_time(at) + timedelta(minutes=minutes))
    with _write(db):
        _expire_in_tx(db, at)
        held = db.conn.execute(
            "SELECT id FROM claims WHERE lease_reviewer = ? AND status = 'in_review' ORDER BY id LIMIT 1",
            [reviewer],
        ).fetchone()
        if held:
            claim_id = held[0]
        else:
            top = team.pick_next(db, reviewer, at)  # assigned to them first; not skipped
            if top is None:
                return None
            claim_id = top["id"]
            db.conn.execute(
                "UPDATE claims SET status = 'in_review', lease_reviewer = ?, lease_expires_at = ?, updated_at = ?"
                " WHERE id = ?",
                [reviewer, expires, at, claim_id],
            )
            store.add_event(
                db,
                "leased",
                claim_id=claim_id,
                actor=reviewer,
                detail={"lease_expires_at": expires, "lease_minutes": minutes},
                at=at,
            )
    return get_claim(db, claim_id)


def release(
    db: Database,
    claim_id: int,
    reviewer: str,
    *,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Give a lease back: the claim returns to the queue. Only the holder may, unless force."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "release")
    at = _now(now)
    with _write(db):
        claim = _claim(db, claim_id)
        if claim["status"] != "in_review":
            raise ConflictError(
                f"claim {claim['id']} is not leased (status {claim['status']}): nothing to release"
            )
        forced = _check_lease(claim, reviewer, force, at, "release it")
        db.conn.execute(
            "UPDATE claims SET status = 'queued', lease_reviewer = NULL, lease_expires_at = NULL, updated_at = ?"
            " WHERE id = ?",
            [at, claim["id"]],
        )
        detail: dict[str, Any] = {"reviewer": claim["lease_reviewer"]}
        if forced:
            detail["forced"] = True
        store.add_event(db, "released", claim_id=claim["id"], actor=reviewer, detail=detail, at=at)
    return get_claim(db, claim["id"])


# --------------------------------------------------------------------------- quotes and selectors

_CHAR_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u00ad": "",
    "\u2026": "...",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
}


def normalize_for_match(text: str) -> tuple[str, list[int]]:
    """Fold text for tolerant quote matching: typographic quotes and dashes to ASCII, runs of
    whitespace to one space, case folded, compatibility forms (NFKC) unified. Returns the folded
    text and, for each folded character, the index of the original character it came from."""
    out: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        mapped = _CHAR_MAP.get(ch)
        if mapped is None:
            mapped = unicodedata.normalize("NFKC", ch).casefold()
            mapped = "".join(_CHAR_MAP.get(m, m) for m in mapped)
        if not mapped:
            continue
        if pending_space:
            out.append(" ")
            origin.append(i - 1)
            pending_space = False
        for m in mapped:
            out.append(m)
            origin.append(i)
    return "".join(out), origin


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """(start, end) of the first occurrence of quote in text, exact first, then tolerant of
    whitespace, case and typographic quotes/dashes. Offsets are into the original text."""
    spans = _find_all(text, quote)
    return spans[0] if spans else None


def _find_all(text: str, quote: str) -> list[tuple[int, int]]:
    quote = quote.strip()
    if not quote or not text:
        return []
    spans = []
    pos = text.find(quote)
    while pos != -1:
        spans.append((pos, pos + len(quote)))
        pos = text.find(quote, pos + 1)
    if spans:
        return spans
    folded, origin = normalize_for_match(text)
    needle, _ = normalize_for_match(quote)
    if not needle:
        return []
    pos = folded.find(needle)
    while pos != -1:
        spans.append((origin[pos], origin[pos + len(needle) - 1] + 1))
        pos = folded.find(needle, pos + 1)
    return spans


def make_selector(
    text: str, start: int, end: int, *, context: int = SELECTOR_CONTEXT
) -> dict[str, Any]:
    """A W3C Web Annotation TextQuoteSelector (plus TextPositionSelector offsets) for text[start:end]."""
    return {
        "type": "TextQuoteSelector",
        "exact": text[start:end],
        "prefix": text[max(0, start - context) : start],
        "suffix": text[end : end + context],
        "start": start,
        "end": end,
    }


def _context_score(text: str, span: tuple[int, int], selector: dict[str, Any]) -> float:
    """How well the text around a candidate span agrees with the selector's prefix and suffix."""
    start, end = span
    prefix = selector.get("prefix") or ""
    suffix = selector.get("suffix") or ""
    score = 0.0
    if prefix:
        before = normalize_for_match(text[max(0, start - len(prefix) - 8) : start])[0]
        want = normalize_for_match(prefix)[0]
        n = 0
        while n < min(len(before), len(want)) and before[-1 - n] == want[-1 - n]:
            n += 1
        score += n / max(len(want), 1)
    if suffix:
        after = normalize_for_match(text[end : end + len(suffix) + 8])[0]
        want = normalize_for_match(suffix)[0]
        n = 0
        while n < min(len(after), len(want)) and after[n] == want[n]:
            n += 1
        score += n / max(len(want), 1)
    return score


def locate(
    selector: dict[str, Any], text: str, *, min_ratio: float = 0.75
) -> tuple[int, int] | None:
    """Re-anchor a stored TextQuoteSelector in (another snapshot's) text: exact occurrences,
    then whitespace/typography-tolerant ones, disambiguated by prefix/suffix and by closeness to
    the stored offset; then a fuzzy match (at least `min_ratio` of the quote's characters in
    order). Returns (start, end) into text, or None."""
    exact = selector.get("exact") or ""
    if not exact.strip() or not text:
        return None
    spans = _find_all(text, exact)
    if spans:
        if len(spans) == 1:
            return spans[0]
        hint = selector.get("start")
        return max(
            spans,
            key=lambda sp: (
                round(_context_score(text, sp, selector), 3),
                -abs(sp[0] - hint) if isinstance(hint, int) else 0,
            ),
        )
    # prefix + suffix still present around an edited quote?
    prefix, suffix = selector.get("prefix") or "", selector.get("suffix") or ""
    if len(prefix) >= 8 and len(suffix) >= 8:
        for _p_start, p_end in _find_all(text, prefix):
            s = find_quote(text[p_end : p_end + 2 * len(exact) + len(suffix) + 16], suffix)
            if s is not None:
                candidate = (p_end, p_end + s[0])
                if _ratio(text[candidate[0] : candidate[1]], exact) >= min_ratio:
                    return _trim(text, candidate)
    return _fuzzy(text, exact, min_ratio)


def _ratio(a: str, b: str) -> float:
    fa, fb = normalize_for_match(a)[0], normalize_for_match(b)[0]
    if not fa or not fb:
        return 0.0
    return difflib.SequenceMatcher(None, fa, fb, autojunk=False).ratio()


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fuzzy(text: str, exact: str, min_ratio: float) -> tuple[int, int] | None:
    folded, origin = normalize_for_match(text)
    needle = normalize_for_match(exact)[0]
    n = len(needle)
    if n < 4 or not folded:
        return None
    matcher = difflib.SequenceMatcher(None, folded, needle, autojunk=False)
    a, b, size = matcher.find_longest_match(0, len(folded), 0, n)
    if size < max(4, n // 5):
        return None
    lo = max(0, a - b - n // 4)
    hi = min(len(folded), a - b + n + n // 4)
    region = folded[lo:hi]
    blocks = [
        blk
        for blk in difflib.SequenceMatcher(
            None, region, needle, autojunk=False
        ).get_matching_blocks()
        if blk.size
    ]
    if not blocks:
        return None
    matched = sum(blk.size for blk in blocks)
    if matched / n < min_ratio:
        return None
    f_start = lo + blocks[0].a
    f_end = lo + blocks[-1].a + blocks[-1].size
    if (f_end - f_start) > n * 1.5:
        return None
    return _trim(text, (origin[f_start], origin[f_end - 1] + 1))


# --------------------------------------------------------------------------- stances


def resolve_source(db: Database, source: int | str) -> dict[str, Any]:
    """A source row by id (int or digits) or URL (normalised). Raises NotFoundError."""
    if isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit()):
        found = store.row(db, "SELECT id, url, host FROM sources WHERE id = ?", [int(source)])
        if found is None:
            raise NotFoundError(f"no source {int(source)}: see `verify sources` for the ids")
        return found
    from .urls import normalize_url

    url = normalize_url(str(source))
    found = store.row(db, "SELECT id, url, host FROM sources WHERE url = ?", [url])
    if found is None:
        raise NotFoundError(f"no source {url}: attach it with `verify source add CLAIM_ID {url}`")
    return found


def latest_good_snapshot(db: Database, source_id: int) -> dict[str, Any] | None:
    """The latest successful capture (no error, 2xx/3xx status) of a source, with its text."""
    return store.row(
        db,
        "SELECT id, source_id, requested_url, final_url, status, sha256, fetched_at, title, text"
        " FROM snapshots WHERE source_id = ? AND error IS NULL AND (status IS NULL OR status < 400)"
        " ORDER BY id DESC LIMIT 1",
        [source_id],
    )


def assess(
    db: Database,
    claim_id: int,
    source: int | str,
    stance: str,
    reviewer: str,
    *,
    quote: str | None = None,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Record a reviewer's stance on one source of a claim, optionally with a quote that must
    be found in the source's latest successful snapshot (stored as a TextQuoteSelector)."""
    if stance not in STANCES:
        raise InputError(f"unknown stance {stance!r}: use one of {', '.join(STANCES)}")
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "assess")
    at = _now(now)
    with _write(db):
        claim = _claim(db, claim_id)
        src = resolve_source(db, source)
        link = db.conn.execute(
            "SELECT id, stance FROM claim_sources WHERE claim_id = ? AND source_id = ?",
            [claim["id"], src["id"]],
        ).fetchone()
        if link is None:
            raise InputError(
                f"source {src['id']} ({src['url']}) is not a source of claim {claim['id']}:"
                f" attach it first with `verify source add {claim['id']} {src['url']}`"
            )
        forced = _check_lease(claim, reviewer, force, at, "assess")
        snapshot = latest_good_snapshot(db, src["id"])
        selector = None
        if quote is not None and quote.strip():
            if snapshot is None or not snapshot["text"]:
                raise InputError(
                    f"source {src['id']} has no captured text to quote from:"
                    f" run `verify fetch --claim {claim['id']}` first, or assess without --quote"
                )
            span = find_quote(snapshot["text"], quote)
            if span is None:
                raise InputError(
                    f"quote not found in snapshot {snapshot['id']} of source {src['id']}:"
                    f" copy it from `verify snapshot show {snapshot['id']} --text`"
                )
            selector = make_selector(snapshot["text"], *span)
        snapshot_id = snapshot["id"] if snapshot else None
        cur = db.conn.execute(
            "INSERT INTO assessments (claim_id, source_id, snapshot_id, stance, quote_exact, quote_prefix,"
            " quote_suffix, quote_start, quote_end, reviewer, forced, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                claim["id"],
                src["id"],
                snapshot_id,
                stance,
                selector and selector["exact"],
                selector and selector["prefix"],
                selector and selector["suffix"],
                selector and selector["start"],
                selector and selector["end"],
                reviewer,
                int(forced),
                at,
            ],
        )
        assessment_id = cur.lastrowid
        db.conn.execute(
            "UPDATE claim_sources SET stance = ?, stance_by = ?, stance_at = ? WHERE id = ?",
            [stance, reviewer, at, link[0]],
        )
        detail: dict[str, Any] = {
            "stance": stance,
            "previous": link[1],
            "assessment_id": assessment_id,
        }
        if selector:
            detail["quote"] = selector["exact"]
        if forced:
            detail["forced"] = True
            detail["lease_reviewer"] = claim["lease_reviewer"]
        store.add_event(
            db,
            "assessed",
            claim_id=claim["id"],
            source_id=src["id"],
            snapshot_id=snapshot_id,
            actor=reviewer,
            detail=detail,
            at=at,
        )
    return {
        "id": assessment_id,
        "claim_id": claim["id"],
        "source_id": src["id"],
        "url": src["url"],
        "snapshot_id": snapshot_id,
        "stance": stance,
        "reviewer": reviewer,
        "forced": forced,
        "created_at": at,
        "selector": selector,
        "quote": selector["exact"] if selector else None,
        "start": selector["start"] if selector else None,
        "end": selector["end"] if selector else None,
    }


def assessments(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """Every stance recorded on a claim, oldest first, each with its selector (or None)."""
    claim = _claim(db, claim_id)
    out = store.rows(
        db,
        "SELECT a.id, a.claim_id, a.source_id, s.url, a.snapshot_id, a.stance, a.quote_exact, a.quote_prefix,"
        " a.quote_suffix, a.quote_start, a.quote_end, a.reviewer, a.forced, a.created_at"
        " FROM assessments a JOIN sources s ON s.id = a.source_id WHERE a.claim_id = ? ORDER BY a.id",
        [claim["id"]],
    )
    for a in out:
        a["forced"] = bool(a["forced"])
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
    return out


def anchor_assessment(db: Database, assessment_id: int, snapshot_id: int) -> tuple[int, int] | None:
    """Where an assessment's quote sits in another snapshot's text (after a re-capture)."""
    a = store.row(
        db,
        "SELECT quote_exact AS exact, quote_prefix AS prefix, quote_suffix AS suffix, quote_start AS start,"
        ' quote_end AS "end" FROM assessments WHERE id = ?',
        [assessment_id],
    )
    if a is None:
        raise NotFoundError(f"no assessment {assessment_id}")
    snap = db.conn.execute("SELECT text FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
    if snap is None:
        raise NotFoundError(f"no snapshot {snapshot_id}: see `verify snapshots`")
    if a["exact"] is None or not snap[0]:
        return None
    return locate(a, snap[0])


# --------------------------------------------------------------------------- verdicts


def decide(
    db: Database,
    claim_id: int,
    rating: str,
    reviewer: str,
    *,
    note: str | None = None,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Give a claim a verdict: status decided, lease cleared. A change keeps the old verdict
    (verdicts table and a 'decided' event with old and new rating)."""
    if rating not in RATINGS:
        raise InputError(f"unknown rating {rating!r}: use one of {', '.join(RATINGS)}")
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "verdict")
    at = _now(now)
    with _write(db):
        claim = _claim(db, claim_id)
        forced = _check_lease(claim, reviewer, force, at, "decide")
        cur = db.conn.execute(
            "INSERT INTO verdicts (claim_id, rating, note, reviewer, forced, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [claim["id"], rating, note, reviewer, int(forced), at],
        )
        db.conn.execute(
            "UPDATE claims SET status = 'decided', verdict = ?, verdict_note = ?, decided_by = ?, decided_at = ?,"
            " lease_reviewer = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?",
            [rating, note, reviewer, at, at, claim["id"]],
        )
        detail: dict[str, Any] = {
            "old": claim["verdict"],
            "new": rating,
            "note": note,
            "verdict_id": cur.lastrowid,
        }
        if forced:
            detail["forced"] = True
            detail["lease_reviewer"] = claim["lease_reviewer"]
        store.add_event(db, "decided", claim_id=claim["id"], actor=reviewer, detail=detail, at=at)
    return get_claim(db, claim["id"])


def dismiss(
    db: Database,
    claim_id: int,
    reviewer: str,
    *,
    note: str | None = None,
    force: bool = False,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Take a claim out of the queue as not worth checking (status dismissed, lease cleared)."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "dismiss")
    at = _now(now)
    with _write(db):
        claim = _claim(db, claim_id)
        forced = _check_lease(claim, reviewer, force, at, "dismiss")
        db.conn.execute(
            "UPDATE claims SET status = 'dismissed', lease_reviewer = NULL, lease_expires_at = NULL, updated_at = ?"
            " WHERE id = ?",
            [at, claim["id"]],
        )
        detail: dict[str, Any] = {"old_status": claim["status"], "note": note}
        if forced:
            detail["forced"] = True
            detail["lease_reviewer"] = claim["lease_reviewer"]
        store.add_event(db, "dismissed", claim_id=claim["id"], actor=reviewer, detail=detail, at=at)
    return get_claim(db, claim["id"])


def requeue(
    db: Database,
    claim_id: int,
    reviewer: str,
    *,
    priority: int | None = None,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Put a candidate (a sentence scored below the threshold) or a dismissed claim into the
    queue, optionally at a new priority. Queued, leased and decided claims are refused."""
    reviewer = _check_reviewer(reviewer)
    users.authorize(db, reviewer, "requeue")
    if priority is not None:
        priority = claims.check_priority(priority)
    at = _now(now)
    with _write(db):
        claim = _claim(db, claim_id)
        if claim["status"] not in ("candidate", "dismissed"):
            raise ConflictError(
                f"claim {claim['id']} is {claim['status'].replace('_', ' ')}, not a candidate or"
                " dismissed: only those can be queued"
            )
        new_priority = claim["priority"] if priority is None else priority
        db.conn.execute(
            "UPDATE claims SET status = 'queued', priority = ?, updated_at = ? WHERE id = ?",
            [new_priority, at, claim["id"]],
        )
        store.add_event(
            db,
            "queued",
            claim_id=claim["id"],
            actor=reviewer,
            detail={"old_status": claim["status"], "priority": new_priority},
            at=at,
        )
    return get_claim(db, claim["id"])


def verdicts(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """Every verdict given to a claim, oldest first."""
    claim = _claim(db, claim_id)
    out = store.rows(
        db,
        "SELECT id, claim_id, rating, note, reviewer, forced, created_at FROM verdicts WHERE claim_id = ? ORDER BY id",
        [claim["id"]],
    )
    for v in out:
        v["forced"] = bool(v["forced"])
    return out


# --------------------------------------------------------------------------- history


def history(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's events, oldest first: its own, the fetches of its sources, and the ingest of
    its article. Each: id, kind, claim_id, source_id, snapshot_id, article_id, actor, detail
    (dict or None), created_at."""
    claim = _claim(db, claim_id)
    cols = "id, kind, claim_id, source_id, snapshot_id, article_id, actor, detail, created_at"
    sql = (
        f"SELECT {cols} FROM events WHERE claim_id = ?1"
        f" UNION SELECT {cols} FROM events WHERE claim_id IS NULL"
        "  AND source_id IN (SELECT source_id FROM claim_sources WHERE claim_id = ?1)"
    )
    if claim["article_id"] is not None:
        sql += (
            f" UNION SELECT {cols} FROM events WHERE article_id = ?2 AND claim_id IS NULL"
            " AND source_id IS NULL"
        )
    params = [claim["id"]] if claim["article_id"] is None else [claim["id"], claim["article_id"]]
    out = store.rows(db, sql + " ORDER BY created_at, id", params)
    for e in out:
        if e["detail"]:
            try:
                e["detail"] = json.loads(e["detail"])
            except ValueError:
                pass
    return out
