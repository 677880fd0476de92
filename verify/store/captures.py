"""Captures: choosing the sources to fetch (with their latest capture), fetch runs, storing a
snapshot with its browser part, and listing sources and snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from verify.store.db import inserted_id, row, rows
from verify.store.snapshots import LIVE_SNAPSHOT, latest_live_snapshot_sql

# the ids of the sources cited by an article's claims (the article's id is the one parameter)
ARTICLE_SOURCES = (
    "SELECT cs.source_id FROM claim_sources cs JOIN claims c ON c.id = cs.claim_id"
    " WHERE c.article_id = ?"
)


def sources_with_latest(
    db: Database,
    *,
    claim_id: int | None = None,
    article_id: int | None = None,
    source_ids: Sequence[int] | None = None,
    not_in_run: int | None = None,
) -> list[dict[str, Any]]:
    """The chosen sources (all, a claim's, an article's claims', or the given ids; without
    those already stored by run `not_in_run`), by id, each with its latest capture (the latest
    live snapshot: snapshot_id, status, error, changed), dead_at, and recovered_snapshot_id
    (the latest copy recovered from a web archive, or None)."""
    where: list[str] = []
    params: list[Any] = []
    if claim_id is not None:
        where.append("s.id IN (SELECT source_id FROM claim_sources WHERE claim_id = ?)")
        params.append(claim_id)
    if article_id is not None:
        where.append(f"s.id IN ({ARTICLE_SOURCES})")
        params.append(article_id)
    if source_ids is not None:
        ids = sorted({int(i) for i in source_ids})
        where.append(f"s.id IN ({', '.join('?' * len(ids))})" if ids else "0")
        params.extend(ids)
    if not_in_run is not None:
        where.append(
            "NOT EXISTS (SELECT 1 FROM snapshots x WHERE x.source_id = s.id AND x.run_id = ?)"
        )
        params.append(not_in_run)
    sql = (
        "SELECT s.id, s.url, s.host, sn.id AS snapshot_id, sn.status, sn.error, sn.changed,"
        " s.dead_at, (SELECT max(a.id) FROM snapshots a WHERE a.source_id = s.id"
        " AND a.origin = 'archive') AS recovered_snapshot_id FROM sources s"
        f" LEFT JOIN snapshots sn ON sn.id = ({latest_live_snapshot_sql('s.id')})"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    return rows(db, sql + " ORDER BY s.id", params)


def unfinished_run(db: Database, params: str) -> int | None:
    """The latest unfinished fetch run with these params (a killed run to resume), if any."""
    found = db.conn.execute(
        "SELECT id FROM fetch_runs WHERE params = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
        [params],
    ).fetchone()
    return found[0] if found else None


def add_run(db: Database, params: str, at: str) -> int:
    return inserted_id(
        db.conn.execute("INSERT INTO fetch_runs (params, started_at) VALUES (?, ?)", [params, at])
    )


def finish_run(db: Database, run_id: int, at: str) -> None:
    db.conn.execute("UPDATE fetch_runs SET finished_at = ? WHERE id = ?", [at, run_id])


def previous_live_body(db: Database, source_id: int, mode: str) -> tuple[int, str] | None:
    """(id, body_sha256) of the source's latest successful live snapshot with a body taken in
    the same capture mode, or None: what a new capture is compared with to say `changed` (like
    with like: a static capture is never compared with a browser one)."""
    found = db.conn.execute(
        "SELECT id, body_sha256 FROM snapshots WHERE source_id = ? AND error IS NULL"
        f" AND body_sha256 IS NOT NULL AND {LIVE_SNAPSHOT} AND mode = ? ORDER BY id DESC LIMIT 1",
        [source_id, mode],
    ).fetchone()
    return (found[0], found[1]) if found else None


SNAPSHOT_FIELDS = (
    "source_id run_id requested_url final_url redirects status http_version request_headers"
    " headers sha256 size body_sha256 body_size content_encoding content_type charset title"
    " canonical_url published text fetched_at elapsed_ms attempts robots error error_message"
    " changed previous_id ip_address mode origin"
).split()


def _insert(db: Database, table: str, values: dict[str, Any]) -> int:
    names = list(values)
    return inserted_id(
        db.conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [values[n] for n in names],
        )
    )


def add_snapshot(db: Database, values: dict[str, Any]) -> int:
    """Insert one snapshot row (keys: SNAPSHOT_FIELDS) and return its id."""
    unknown = set(values) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise ValueError(f"not snapshot columns: {sorted(unknown)}")
    return _insert(db, "snapshots", values)


def add_browser_capture(db: Database, snapshot_id: int, values: dict[str, Any]) -> None:
    """The browser's part of a snapshot: page_url, dom_sha256, screenshot_sha256,
    screenshot_width, screenshot_height, provenance, cut."""
    _insert(db, "browser_captures", {"snapshot_id": snapshot_id, **values})


def add_snapshot_resource(db: Database, snapshot_id: int, values: dict[str, Any]) -> None:
    """One resource the browser loaded for a snapshot (url, method, resource_type, status,
    headers, content_type, content_encoding, sha256, size, ip_address, fetched_at, error,
    error_message)."""
    _insert(db, "snapshot_resources", {"snapshot_id": snapshot_id, **values})


def source_listing(db: Database, claim_id: int | None = None) -> list[dict[str, Any]]:
    """Every source (or a claim's) with its latest capture's columns (latest_snapshot_id,
    status, error, error_message, fetched_at, changed, title, final_url), how many snapshots
    and claims it has, its latest recovered copy, and the link-rot watch's columns."""
    where, params = "", []
    if claim_id is not None:
        where = "WHERE s.id IN (SELECT source_id FROM claim_sources WHERE claim_id = ?)"
        params.append(claim_id)
    return rows(
        db,
        f"""SELECT s.id, s.url, s.host, sn.id AS latest_snapshot_id, sn.status, sn.error,
                   sn.error_message, sn.fetched_at, sn.changed, sn.title, sn.final_url,
                   (SELECT count(*) FROM snapshots x WHERE x.source_id = s.id) AS snapshots,
                   (SELECT count(*) FROM claim_sources c WHERE c.source_id = s.id) AS claims,
                   (SELECT max(id) FROM snapshots a WHERE a.source_id = s.id
                        AND a.origin = 'archive') AS recovered_snapshot_id,
                   s.check_failures, s.checked_at, s.dead_at
            FROM sources s
            LEFT JOIN snapshots sn ON sn.id = ({latest_live_snapshot_sql("s.id")})
            {where} ORDER BY s.id""",
        params,
    )


def list_snapshots(db: Database, source_id: int | None = None) -> list[dict[str, Any]]:
    """Snapshot records without payload or text, oldest first (PRODUCT.md JSON shape)."""
    sql = (
        "SELECT id, source_id, requested_url AS url, final_url, status, error, error_message, sha256,"
        " content_type, title, fetched_at, changed FROM snapshots"
    )
    params: list[Any] = []
    if source_id is not None:
        sql += " WHERE source_id = ?"
        params.append(source_id)
    return rows(db, sql + " ORDER BY id", params)


def content_encoding(db: Database, snapshot_id: int) -> str | None:
    found = db.conn.execute(
        "SELECT content_encoding FROM snapshots WHERE id = ?", [snapshot_id]
    ).fetchone()
    return found[0] if found else None


# --------------------------------------------------------------------------- browser captures

RESOURCE_COLUMNS = (
    "id, url, method, resource_type, status, content_type, sha256, size, ip_address,"
    " fetched_at, error, error_message"
)


def browser_capture(db: Database, snapshot_id: int) -> dict[str, Any] | None:
    """The browser part of a snapshot (JSON columns as stored), or None for a static one."""
    return row(db, "SELECT * FROM browser_captures WHERE snapshot_id = ?", [snapshot_id])


def resource_count(db: Database, snapshot_id: int) -> int:
    return db.conn.execute(
        "SELECT count(*) FROM snapshot_resources WHERE snapshot_id = ?", [snapshot_id]
    ).fetchone()[0]


def snapshot_exists(db: Database, snapshot_id: int) -> bool:
    return (
        db.conn.execute("SELECT 1 FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
        is not None
    )


def resources(db: Database, snapshot_id: int, *, headers: bool = False) -> list[dict[str, Any]]:
    """Every request the snapshot's page made, in order (RESOURCE_COLUMNS, and with headers the
    headers and content_encoding columns too)."""
    columns = RESOURCE_COLUMNS + (", headers, content_encoding" if headers else "")
    return rows(
        db,
        f"SELECT {columns} FROM snapshot_resources WHERE snapshot_id = ? ORDER BY id",
        [snapshot_id],
    )


def resource(db: Database, snapshot_id: int, resource_id: int) -> dict[str, Any] | None:
    """id, url, content_type, content_encoding, sha256 of one resource of a snapshot."""
    return row(
        db,
        "SELECT id, url, content_type, content_encoding, sha256 FROM snapshot_resources"
        " WHERE id = ? AND snapshot_id = ?",
        [resource_id, snapshot_id],
    )


def archived_resources(db: Database, snapshot_id: int) -> list[tuple[int, str]]:
    """(id, url) of the snapshot's resources with a stored body and no HTTP error, in order."""
    return db.conn.execute(
        "SELECT id, url FROM snapshot_resources WHERE snapshot_id = ? AND sha256 IS NOT NULL"
        " AND (status IS NULL OR status < 400) ORDER BY id",
        [snapshot_id],
    ).fetchall()


def answered_resources(db: Database, snapshot_id: int) -> list[tuple]:
    """(url, status, headers, sha256, ip_address, fetched_at, error) of the resources that got
    an HTTP answer, in order."""
    return db.conn.execute(
        "SELECT url, status, headers, sha256, ip_address, fetched_at, error FROM snapshot_resources"
        " WHERE snapshot_id = ? AND status IS NOT NULL ORDER BY id",
        [snapshot_id],
    ).fetchall()


def refused_resources(db: Database, snapshot_id: int) -> list[tuple]:
    """(url, error, error_message) of the resources that got no HTTP answer, in order."""
    return db.conn.execute(
        "SELECT url, error, error_message FROM snapshot_resources"
        " WHERE snapshot_id = ? AND status IS NULL ORDER BY id",
        [snapshot_id],
    ).fetchall()


# --------------------------------------------------------------------------- exports


def snapshot_ids(
    db: Database, *, article_id: int | None = None, among: Sequence[int] | None = None
) -> list[int]:
    """Snapshot ids in id order: all, or those of the sources of an article's claims, and/or
    those among `among` that exist."""
    where: list[str] = []
    params: list[Any] = []
    if article_id is not None:
        where.append(f"source_id IN ({ARTICLE_SOURCES})")
        params.append(article_id)
    if among is not None:
        wanted = sorted({int(i) for i in among})
        found: set[int] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in db.conn.execute(
                    f"SELECT id FROM snapshots WHERE id IN ({marks})"
                    + "".join(f" AND {w}" for w in where),
                    [*chunk, *params],
                )
            )
        return [i for i in wanted if i in found]
    sql = "SELECT id FROM snapshots"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [r[0] for r in db.conn.execute(sql + " ORDER BY id", params)]


def full_snapshot(db: Database, snapshot_id: int) -> dict[str, Any] | None:
    """Every column of one snapshot row, or None."""
    return row(db, "SELECT * FROM snapshots WHERE id = ?", [snapshot_id])


def titles_by_url(db: Database) -> dict[str, str]:
    """The title of every snapshot that has one, by its URL (final, else requested)."""
    return dict(
        db.conn.execute(
            "SELECT coalesce(final_url, requested_url), title FROM snapshots WHERE title IS NOT NULL"
        ).fetchall()
    )
