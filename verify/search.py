"""Full-text search over claims and snapshot texts (SQLite FTS5, kept in sync by triggers).

User text never reaches FTS5 syntax as-is: every token is quoted, so punctuation, quotes,
parentheses, colons, AND/OR/NOT and stray asterisks are just text. Supported: "exact phrases"
in double quotes and a trailing * for prefix search (`peacekeep*`). Terms are ANDed; when that
finds nothing the terms are ORed instead.

Ranking is bm25. FTS5 must score every matching row to sort by rank, which for a word found in
half of a million snapshots takes seconds; so when a query matches more than RANK_WINDOW rows
of a table, only the newest RANK_WINDOW matches (highest rowids, found by walking the index
backwards, which is cheap) are ranked. In an archive, the newest captures are the likeliest
wanted; rare words, phrases and names still see every match."""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

from . import store
from .errors import InputError

MARK_START = "["
MARK_END = "]"
ELLIPSIS = "\u2026"
SNIPPET_TOKENS = 16
RANK_WINDOW = 2000  # a query matching more documents is ranked over the newest this many

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def parse_query(text: str) -> list[str]:
    """User text -> a list of safe FTS5 phrases: '"word"', '"two words"', '"pre"*'."""
    if not isinstance(text, str):
        raise InputError("the search query must be text")
    phrases: list[str] = []
    for match in _TOKEN.finditer(text):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            if _WORD.search(phrase):
                phrases.append(_quote(" ".join(phrase.split())))
            continue
        prefix = word.endswith("*")
        core = word.rstrip("*").strip("\"'()[]{}:^+-,.;!?")
        if not _WORD.search(core):
            continue
        phrases.append(_quote(core) + ("*" if prefix else ""))
    return phrases


def fts_query(text: str, *, mode: str = "and") -> str:
    """A safe FTS5 MATCH expression for user text ('' when nothing searchable is left)."""
    phrases = parse_query(text)
    return (" OR " if mode == "or" else " ").join(phrases)


def terms_query(terms: list[str]) -> str:
    """An OR query over already-chosen terms (each quoted), for related-evidence lookups."""
    return " OR ".join(_quote(t) for t in dict.fromkeys(terms) if _WORD.search(t))


def rowid_floor(db: Database, table: str, match: str, window: int = RANK_WINDOW) -> int:
    """The smallest rowid among the newest `window` matches of `match` in FTS table `table`,
    or 0 when fewer match (rank them all)."""
    found = db.conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT ?",
        [match, window],
    ).fetchall()
    return found[-1][0] if len(found) >= window else 0


def search(
    db: Database,
    query: str,
    *,
    limit: int = 20,
    kinds: tuple[str, ...] = ("claim", "snapshot"),
    mark: tuple[str, str] = (MARK_START, MARK_END),
) -> list[dict[str, Any]]:
    """Search claims and snapshot texts. Returns, best first (bm25), dicts:
    claim:    {"type": "claim", "id", "text", "snippet", "url": None, "score", "status", "verdict"}
    snapshot: {"type": "snapshot", "id", "title", "snippet", "url", "score", "source_id", "fetched_at"}
    Snippets wrap matches in `mark` (default [ and ]); score is -bm25 (higher is better).
    One snapshot per source is listed (its best-matching capture)."""
    if limit <= 0:
        raise InputError(f"limit must be positive, not {limit}")
    for kind in kinds:
        if kind not in ("claim", "snapshot"):
            raise InputError(f"unknown search type {kind!r}: use claim or snapshot")
    match = fts_query(query)
    if not match:
        raise InputError(f"nothing to search for in {query!r}: give at least one word")
    found = _run(db, match, limit, kinds, mark)
    if not found and len(parse_query(query)) > 1:
        found = _run(db, fts_query(query, mode="or"), limit, kinds, mark)
    return found


def _run(
    db: Database, match: str, limit: int, kinds: tuple[str, ...], mark: tuple[str, str]
) -> list[dict[str, Any]]:
    start, end = mark
    out: list[dict[str, Any]] = []
    if "claim" in kinds:
        for r in store.rows(
            db,
            "SELECT c.id, c.text, c.status, c.verdict,"
            " snippet(claims_fts, 0, ?, ?, ?, ?) AS snippet, bm25(claims_fts) AS rank"
            " FROM claims_fts JOIN claims c ON c.id = claims_fts.rowid"
            " WHERE claims_fts MATCH ? AND claims_fts.rowid >= ? ORDER BY rank LIMIT ?",
            [
                start,
                end,
                ELLIPSIS,
                SNIPPET_TOKENS,
                match,
                rowid_floor(db, "claims_fts", match),
                limit,
            ],
        ):
            out.append(
                {
                    "type": "claim",
                    "id": r["id"],
                    "text": r["text"],
                    "snippet": r["snippet"],
                    "url": None,
                    "score": round(-r["rank"], 4),
                    "status": r["status"],
                    "verdict": r["verdict"],
                }
            )
    if "snapshot" in kinds:
        seen: set[int] = set()
        for r in store.rows(
            db,
            "SELECT s.id, s.source_id, s.title, coalesce(s.final_url, s.requested_url) AS url, s.fetched_at,"
            " snippet(snapshots_fts, 1, ?, ?, ?, ?) AS snippet, bm25(snapshots_fts, 2.0, 1.0) AS rank"
            " FROM snapshots_fts JOIN snapshots s ON s.id = snapshots_fts.rowid"
            " WHERE snapshots_fts MATCH ? AND snapshots_fts.rowid >= ? ORDER BY rank LIMIT ?",
            [
                start,
                end,
                ELLIPSIS,
                SNIPPET_TOKENS,
                match,
                rowid_floor(db, "snapshots_fts", match),
                limit * 3,
            ],
        ):
            if r["source_id"] in seen:
                continue
            seen.add(r["source_id"])
            out.append(
                {
                    "type": "snapshot",
                    "id": r["id"],
                    "title": r["title"],
                    "snippet": r["snippet"],
                    "url": r["url"],
                    "score": round(-r["rank"], 4),
                    "source_id": r["source_id"],
                    "fetched_at": r["fetched_at"],
                }
            )
    out.sort(key=lambda r: -r["score"])
    return out[:limit]
