"""Snapshots: the one definition of "the latest capture of a source" and of "the snapshot a
reviewer sees", and the snapshot reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from ..errors import NotFoundError
from .db import parse_id, row, rows

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
