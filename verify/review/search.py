"""Full-text search over claims and snapshot texts (SQLite FTS5, kept in sync by triggers).

User text never reaches FTS5 syntax as-is: every word is quoted, so punctuation, quotes,
parentheses, colons and stray asterisks are just text. Supported, as FTS5 reads them: "exact
phrases" in double quotes, a trailing * for prefix search (`peacekeep*`), and the operators
AND, OR and NOT in capitals between two terms (`rainfall OR drought`, `reservoir NOT dam`;
NOT binds tightest, then AND, then OR; lower-case `or` is a word). An operator with no term on
one side is ignored. Terms side by side are ANDed; when a query without operators finds
nothing, its terms are ORed instead.

Ranking is bm25 (score = -bm25, higher is better). FTS5's bm25 reads the whole document list
of every query term to weigh it, which for a word found in most of a million snapshots takes
longer than the whole search should; so when a query matches RANK_WINDOW rows or more of a
table, that table's results are its newest matches instead (walking the index backwards is
cheap), with score None, listed after the bm25-ranked results. Rarer words, names, numbers
and phrases (the usual fact-checking searches) are always ranked by bm25 over every match."""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

from verify import store
from verify.errors import InputError

MARK_START = "["
MARK_END = "]"
ELLIPSIS = "\u2026"
SNIPPET_TOKENS = 16
RANK_WINDOW = 2000  # a query matching more documents is ranked over the newest this many

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)
OPERATORS = ("AND", "OR", "NOT")  # FTS5's, in capitals as FTS5 wants them


def _quote(term: str) -> str:
    # FTS5 ends a string at a NUL character: drop it, or the query is "unterminated"
    return '"' + term.replace("\x00", "").replace('"', '""') + '"'


def parse_query(text: str) -> list[str]:
    """User text -> a list of safe FTS5 items: phrases ('"word"', '"two words"', '"pre"*') and
    the operators AND, OR, NOT, each of them between two phrases."""
    if not isinstance(text, str):
        raise InputError("the search query must be text")
    items: list[str] = []
    for match in _TOKEN.finditer(text):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            if _WORD.search(phrase):
                items.append(_quote(" ".join(phrase.split())))
            continue
        if word in OPERATORS:
            if items and items[-1] not in OPERATORS:  # a term before it; a run keeps its first
                items.append(word)
            continue
        prefix = word.endswith("*")
        core = word.rstrip("*").strip("\"'()[]{}:^+-,.;!?")
        if not _WORD.search(core):
            continue
        items.append(_quote(core) + ("*" if prefix else ""))
    while items and items[-1] in OPERATORS:  # and a term after it
        items.pop()
    return items


def fts_query(text: str, *, mode: str = "and") -> str:
    """A safe FTS5 MATCH expression for user text ('' when nothing searchable is left); with
    mode "or", its phrases ORed (the operators dropped)."""
    items = parse_query(text)
    if mode == "or":
        return " OR ".join(i for i in items if i not in OPERATORS)
    return " ".join(items)


def terms_query(terms: list[str]) -> str:
    """An OR query over already-chosen terms (each quoted), for related-evidence lookups."""
    return " OR ".join(_quote(t) for t in dict.fromkeys(terms) if _WORD.search(t))


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
    snapshot: {"type": "snapshot", "id", "title", "snippet", "url", "score", "source_id", "fetched_at",
               "latest_snapshot_id", "in_latest"}
    Snippets wrap matches in `mark` (default [ and ]); score is -bm25 (higher is better), or
    None for the newest matches of a very common query (see the module docstring).
    One snapshot per source is listed: its latest capture when that matches, else its
    best-matching capture with in_latest False (the text is no longer in the latest capture,
    latest_snapshot_id)."""
    if limit <= 0:
        raise InputError(f"limit must be positive, not {limit}")
    for kind in kinds:
        if kind not in ("claim", "snapshot"):
            raise InputError(f"unknown search type {kind!r}: use claim or snapshot")
    match = fts_query(query)
    if not match:
        raise InputError(f"nothing to search for in {query!r}: give at least one word")
    found = _run(db, match, limit, kinds, mark)
    items = parse_query(query)
    if not found and len(items) > 1 and not set(items) & set(OPERATORS):
        found = _run(db, fts_query(query, mode="or"), limit, kinds, mark)
    return found


def snapshot_matches(db: Database, match: str, n: int) -> list[tuple[int, float | None]]:
    """(snapshot id, score) of the best `n` snapshots matching the FTS5 query `match`: bm25
    below RANK_WINDOW matches, else the newest, unscored (None)."""
    return store.search.snapshot_matches(db, match, n, RANK_WINDOW)


def _matches(
    db: Database, kind: str, match: str, n: int, mark: tuple[str, str]
) -> list[dict[str, Any]]:
    return store.search.matches(
        db,
        kind,
        match,
        n,
        mark=mark,
        ellipsis=ELLIPSIS,
        tokens=SNIPPET_TOKENS,
        window=RANK_WINDOW,
    )


def _run(
    db: Database, match: str, limit: int, kinds: tuple[str, ...], mark: tuple[str, str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if "claim" in kinds:
        for c in _matches(db, "claim", match, limit, mark):
            out.append(
                {
                    "type": "claim",
                    "id": c["id"],
                    "text": c["text"],
                    "snippet": c["snippet"],
                    "url": None,
                    "score": None if c["score"] is None else round(c["score"], 4),
                    "status": c["status"],
                    "verdict": c["verdict"],
                }
            )
    if "snapshot" in kinds:
        seen: set[int] = set()
        for r in _matches(db, "snapshot", match, limit * 3, mark):
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
                    "score": None if r["score"] is None else round(r["score"], 4),
                    "source_id": r["source_id"],
                    "fetched_at": r["fetched_at"],
                    "latest_snapshot_id": r["id"],
                    "in_latest": True,
                }
            )
            if len(seen) >= limit:
                break
        _prefer_latest(db, match, [r for r in out if r["type"] == "snapshot"], mark)
    # bm25-ranked rows first (best first), then the newest matches of very common queries
    out.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0.0)))
    return out[:limit]


def _prefer_latest(
    db: Database, match: str, hits: list[dict[str, Any]], mark: tuple[str, str]
) -> None:
    """Show each source's latest capture: a hit on an older capture becomes the latest one when
    its text still matches; when it does not, the hit stays and says so (in_latest False,
    latest_snapshot_id the capture that no longer holds the text)."""
    latest = store.snapshots.latest_live_snapshots(db, [h["source_id"] for h in hits])
    for h in hits:
        newest = latest.get(h["source_id"])
        if newest is None or newest == h["id"]:
            continue
        h["latest_snapshot_id"] = newest
        snippet = store.snapshots.snapshot_snippet(db, match, newest, mark, SNIPPET_TOKENS)
        if snippet is None:
            h["in_latest"] = False
            continue
        title, url, fetched_at = store.snapshots.snapshot_heading(db, newest)
        h.update(id=newest, snippet=snippet, title=title, url=url, fetched_at=fetched_at)
