"""Snapshots: the one definition of "the latest capture of a source" and of "the snapshot a
reviewer sees", and the snapshot reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from verify.errors import NotFoundError
from verify.store.db import parse_id, row, rows

# "The snapshot a reviewer sees" of a source: its latest successful capture (no error, no
# HTTP error status), live or recovered from a web archive. Evidence, assessments, search,
# exports and the web all read it through this module.
REVIEWED_SNAPSHOT = "error IS NULL AND (status IS NULL OR status < 400)"


# "The latest capture of a source" is its latest *live* capture, and gives the source's state
# (model.source_state): a memento recovered from a web archive is evidence a reviewer sees (it
# is a successful capture), never a sign that a dead or failed source is up.
LIVE_SNAPSHOT = "origin = 'live'"


def latest_live_snapshot_sql(source_expr: str = "?") -> str:
    """SQL for the id of the latest live snapshot of the source `source_expr` (a parameter or
    a column such as s.id)."""
    return f"SELECT max(id) FROM snapshots WHERE source_id = {source_expr} AND {LIVE_SNAPSHOT}"


def reviewed_snapshot_sql(columns: str = "*", alias: str = "") -> str:
    """SQL selecting the snapshot a reviewer sees of the source given as the one parameter."""
    where = REVIEWED_SNAPSHOT if not alias else _aliased(alias)
    table = f"snapshots {alias}" if alias else "snapshots"
    col = f"{alias}." if alias else ""
    return (
        f"SELECT {columns} FROM {table} WHERE {col}source_id = ? AND {where}"
        f" ORDER BY {col}id DESC LIMIT 1"
    )


def _aliased(alias: str) -> str:
    return f"{alias}.error IS NULL AND ({alias}.status IS NULL OR {alias}.status < 400)"


# The latest live capture's columns as a claim's or a source listing's row shows them.
LATEST_LIVE_COLUMNS = (
    "s.id AS snapshot_id, s.status AS http_status, s.error, s.error_message, s.fetched_at,"
    " s.changed, s.title AS snapshot_title, s.content_type, s.final_url"
)


def latest_live_snapshot(db: Database, source_id: int, columns: str = "*") -> dict[str, Any] | None:
    """The latest capture of a source (its latest live snapshot), or None."""
    return row(
        db,
        f"SELECT {columns} FROM snapshots WHERE id = ({latest_live_snapshot_sql()})",
        [source_id],
    )


def reviewed_snapshot(db: Database, source_id: int, columns: str = "*") -> dict[str, Any] | None:
    """The snapshot a reviewer sees of a source (REVIEWED_SNAPSHOT), or None."""
    return row(db, reviewed_snapshot_sql(columns), [source_id])


def snapshot_row(db: Database, value: Any, columns: str = "*") -> dict[str, Any]:
    """One snapshot row. NotFoundError: 'no snapshot N: see `verify snapshots`'."""
    sid = parse_id(value, "snapshot", "verify snapshots")
    found = row(db, f"SELECT {columns} FROM snapshots WHERE id = ?", [sid])
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


_TEXT_COLUMNS = "id, source_id, coalesce(final_url, requested_url) AS url, text"


def reviewed_snapshot_text(db: Database, source_id: int) -> dict[str, Any] | None:
    """The snapshot a reviewer sees of a source as evidence reads it: id, source_id, url (final
    or requested) and text; None when there is none."""
    return reviewed_snapshot(db, source_id, _TEXT_COLUMNS)


def reviewable_snapshot_text(db: Database, snapshot_id: int) -> dict[str, Any] | None:
    """Snapshot `snapshot_id` as evidence reads it (see reviewed_snapshot_text), when it is a
    successful capture a reviewer may see; None otherwise."""
    return row(
        db,
        f"SELECT {_TEXT_COLUMNS} FROM snapshots WHERE id = ? AND {REVIEWED_SNAPSHOT}",
        [snapshot_id],
    )


def snapshot_text(db: Database, snapshot_id: int) -> str:
    """A snapshot's readable text ('' when it has none or does not exist)."""
    found = db.conn.execute("SELECT text FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
    return (found[0] if found else None) or ""


def source_captures(db: Database, source_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """A source's snapshots, newest first (id, fetched_at, status, error, changed, sha256,
    origin, memento_datetime)."""
    return rows(
        db,
        "SELECT id, fetched_at, status, error, changed, sha256, origin, memento_datetime"
        " FROM snapshots WHERE source_id = ? ORDER BY id DESC LIMIT ?",
        [source_id, limit],
    )


# --------------------------------------------------------------------------- the stored hook

# Called as hook(db, source_id) inside the transaction that stored a live snapshot of the
# source, after its row and 'fetched' event: the review workflow subscribes at import
# (review.check_evidence), so a crash never leaves a snapshot without its evidence check.
STORED_HOOKS: list[Callable[[Database, int], Any]] = []


def on_stored(hook: Callable[[Database, int], Any]) -> Callable[[Database, int], Any]:
    """Subscribe `hook` to every stored live snapshot (once, however often it is called)."""
    if hook not in STORED_HOOKS:
        STORED_HOOKS.append(hook)
    return hook


def stored(db: Database, source_id: int) -> None:
    """Tell the subscribers that a live snapshot of `source_id` was stored (inside its
    transaction)."""
    for hook in list(STORED_HOOKS):
        hook(db, source_id)


def latest_capture(db: Database, source_id: int) -> dict[str, Any] | None:
    """The latest capture of a source (latest live snapshot: id, status, error, changed, text)
    with the source's dead_at, or None when it was never captured live."""
    return row(
        db,
        "SELECT sn.id, sn.status, sn.error, sn.changed, sn.text, s.dead_at FROM snapshots sn"
        " JOIN sources s ON s.id = sn.source_id"
        f" WHERE sn.id = ({latest_live_snapshot_sql('?')})",
        [source_id],
    )


def run_changes(
    db: Database, snapshot_ids: list[int] | tuple[int, ...]
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """What a capture run changed, named: (sources whose new capture differs from their previous
    capture of the same mode: {"source_id", "url", "snapshot_id", "previous_id"}; claims whose
    quoted evidence changed: {"claim_id", "source_id", "snapshot_id", "reopened"}, reopened
    when a decided claim went back to the queue)."""
    if not snapshot_ids:
        return (), ()
    ids = list(dict.fromkeys(snapshot_ids))
    sources: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sources += [
            {"source_id": r[0], "url": r[1], "snapshot_id": r[2], "previous_id": r[3]}
            for r in db.conn.execute(
                "SELECT sn.source_id, s.url, sn.id, sn.previous_id FROM snapshots sn"
                f" JOIN sources s ON s.id = sn.source_id WHERE sn.id IN ({marks}) AND sn.changed = 1"
                " ORDER BY sn.id",
                chunk,
            )
        ]
        claims += [
            {
                "claim_id": r[0],
                "source_id": r[1],
                "snapshot_id": r[2],
                "reopened": json.loads(r[3] or "{}").get("previous_verdict") is not None,
            }
            for r in db.conn.execute(
                "SELECT claim_id, source_id, snapshot_id, detail FROM events"
                f" WHERE source_id IN (SELECT source_id FROM snapshots WHERE id IN ({marks}))"
                f" AND kind = 'evidence_changed' AND snapshot_id IN ({marks}) ORDER BY id",
                chunk + chunk,
            )
        ]
    return tuple(sources), tuple(claims)


def latest_capture_of_mode(db: Database, source_id: int, mode: str) -> dict[str, Any] | None:
    """The source's latest successful live capture in one mode (static or browser):
    {"id", "text"}, or None."""
    row = db.conn.execute(
        "SELECT id, text FROM snapshots WHERE source_id = ? AND mode = ? AND error IS NULL"
        f" AND {LIVE_SNAPSHOT} ORDER BY id DESC LIMIT 1",
        [source_id, mode],
    ).fetchone()
    return None if row is None else {"id": row[0], "text": row[1]}


def snapshot_mode(db: Database, snapshot_id: int) -> str | None:
    """How a snapshot was captured: 'static' or 'browser' (None for an unknown id)."""
    row = db.conn.execute("SELECT mode FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
    return None if row is None else row[0]


def capture_command(db: Database, claim_id: int, source_id: int | None = None) -> str:
    """The command that gets text for a claim's sources (or one source), one that does something
    now: `verify source add` when the claim has no source, `verify fetch --claim N` when a source
    was never captured or its latest capture failed (what a plain fetch takes), else
    `verify fetch --claim N --refetch --mode browser` (captured, but no text: a page built by
    scripts needs a browser capture)."""
    where = "cs.claim_id = ?" + (" AND cs.source_id = ?" if source_id is not None else "")
    params: list[Any] = [claim_id] + ([source_id] if source_id is not None else [])
    rows = db.conn.execute(
        "SELECT cs.source_id, (SELECT sn.error FROM snapshots sn"
        f" WHERE sn.id = ({latest_live_snapshot_sql('cs.source_id')})) AS error,"
        " EXISTS (SELECT 1 FROM snapshots sn WHERE sn.source_id = cs.source_id"
        f" AND sn.{LIVE_SNAPSHOT}) AS captured"
        f" FROM claim_sources cs WHERE {where}",
        params,
    ).fetchall()
    if not rows:
        return f"verify source add {claim_id} URL"
    if any(not captured or error is not None for _sid, error, captured in rows):
        return f"verify fetch --claim {claim_id}"
    return f"verify fetch --claim {claim_id} --refetch --mode browser"


def latest_live_snapshots(db: Database, source_ids: list[int]) -> dict[int, int]:
    """source id -> the id of its latest live capture that succeeded (sources without one are
    left out)."""
    out: dict[int, int] = {}
    for sid in dict.fromkeys(source_ids):
        row = db.conn.execute(
            f"SELECT id FROM snapshots WHERE source_id = ? AND {LIVE_SNAPSHOT} AND error IS NULL"
            " ORDER BY id DESC LIMIT 1",
            [sid],
        ).fetchone()
        if row is not None:
            out[sid] = row[0]
    return out


def snapshot_snippet(
    db: Database, match: str, snapshot_id: int, mark: tuple[str, str], tokens: int
) -> str | None:
    """The snippet of one snapshot's text for an FTS5 query, or None when its text does not
    match the query."""
    row = db.conn.execute(
        "SELECT snippet(snapshots_fts, 1, ?, ?, ?, ?) FROM snapshots_fts"
        " WHERE snapshots_fts MATCH ? AND rowid = ?",
        [mark[0], mark[1], "\u2026", tokens, match, snapshot_id],
    ).fetchone()
    return None if row is None else row[0]


def snapshot_heading(db: Database, snapshot_id: int) -> tuple[str | None, str, str]:
    """(title, URL as fetched, fetched_at) of one snapshot."""
    row = db.conn.execute(
        "SELECT title, coalesce(final_url, requested_url), fetched_at FROM snapshots WHERE id = ?",
        [snapshot_id],
    ).fetchone()
    return row[0], row[1], row[2]
