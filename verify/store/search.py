"""Full-text matches over the FTS5 indexes the triggers keep (claims_fts, snapshots_fts).

The query text reaching here is already FTS5 syntax built by verify.review.search; `window` is the
number of matches above which a table's results are its newest matches, unscored."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify.store.db import rows

# The tables searched, their columns, what they join and which column the snippet comes from.
_TABLES = {
    "claim": (
        "claims_fts",
        "x.id, x.text, x.status, x.verdict",
        "claims x",
        0,
    ),
    "snapshot": (
        "snapshots_fts",
        "x.id, x.source_id, x.title, coalesce(x.final_url, x.requested_url) AS url, x.fetched_at",
        "snapshots x",
        1,
    ),
}
# bm25 weights of the snapshot index's columns when evidence looks for related snapshots
SNAPSHOT_WEIGHTS = ", 2.0, 1.0"


def _newest(db: Database, table: str, match: str, window: int) -> list[tuple]:
    return db.conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT ?",
        [match, window],
    ).fetchall()


def ranked_matches(
    db: Database, table: str, match: str, n: int, weights: str, window: int
) -> list[tuple[int, float | None]]:
    """(rowid, score) of the best `n` matches of `table`: bm25 when the query matches fewer
    than `window` rows, else the newest matches, unscored (None)."""
    newest = _newest(db, table, match, window)
    if len(newest) >= window:
        return [(r[0], None) for r in newest[:n]]
    if not newest:
        return []
    return [
        (r[0], -r[1])
        for r in db.conn.execute(
            f"SELECT rowid, bm25({table}{weights}) AS score FROM {table} WHERE {table} MATCH ?"
            " ORDER BY score LIMIT ?",
            [match, n],
        )
    ]


def snapshot_matches(
    db: Database, match: str, n: int, window: int
) -> list[tuple[int, float | None]]:
    """ranked_matches over the snapshots' text, title weighted above body."""
    return ranked_matches(db, "snapshots_fts", match, n, SNAPSHOT_WEIGHTS, window)


def matches(
    db: Database,
    kind: str,
    match: str,
    n: int,
    *,
    mark: tuple[str, str],
    ellipsis: str,
    tokens: int,
    window: int,
) -> list[dict[str, Any]]:
    """Rows of kind 'claim' or 'snapshot' matching, best first, with score and snippet computed
    in the same query (snippets only for the rows returned). Queries matching `window` rows or
    more: the newest matches, score None."""
    table, columns, join, snippet_column = _TABLES[kind]
    common = len(_newest(db, table, match, window)) >= window
    order = f"{table}.rowid DESC" if common else "rank"
    score = "NULL" if common else "-rank"
    return rows(
        db,
        f"SELECT {columns}, snippet({table}, ?, ?, ?, ?, ?) AS snippet, {score} AS score"
        f" FROM {table} JOIN {join} ON x.id = {table}.rowid WHERE {table} MATCH ?"
        f" ORDER BY {order} LIMIT ?",
        [snippet_column, mark[0], mark[1], ellipsis, tokens, match, n],
    )
