"""Known reviews (imported ClaimReview) and the match-key indexes of known reviews and decided
claims that `verify similar` reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from verify.store.db import inserted_id, row, rows

# the keys indexes (FTS5 over space-separated keys) `key_postings` may read
KEY_INDEXES = ("known_reviews_fts", "decided_claim_keys_fts")


def _marks(n: int) -> str:
    return ",".join("?" * n)


# --------------------------------------------------------------------------- known reviews


def known_review_count(db: Database) -> int:
    """How many known reviews there are (their highest id: rows are never deleted)."""
    return db.conn.execute("SELECT max(id) FROM known_reviews").fetchone()[0] or 0


def known_review_docs(db: Database, keys: Sequence[str]) -> dict[str, int]:
    """How many known reviews hold each key (keys held by none left out)."""
    if not keys:
        return {}
    return dict(
        db.conn.execute(
            f"SELECT key, docs FROM known_review_keys WHERE key IN ({_marks(len(keys))})",
            list(keys),
        )
    )


def known_reviews(db: Database, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The known reviews with these ids (id, claim_text, rating, publisher, claimant,
    reviewed_at, url, keys)."""
    if not ids:
        return []
    return rows(
        db,
        "SELECT id, claim_text, rating, publisher, claimant, reviewed_at, url, keys"
        f" FROM known_reviews WHERE id IN ({_marks(len(ids))})",
        list(ids),
    )


def known_review_by_fingerprint(
    db: Database, fingerprint: str, fields: Sequence[str]
) -> dict[str, Any] | None:
    return row(
        db,
        f"SELECT id, {', '.join(fields)} FROM known_reviews WHERE fingerprint = ?",
        [fingerprint],
    )


def add_known_review(db: Database, values: dict[str, Any], keys: str) -> int:
    """Insert a known review (claim_text, the review fields, fingerprint, origin, imported_at,
    updated_at) and count its keys; returns its id."""
    names = [*values, "keys"]
    review_id = inserted_id(
        db.conn.execute(
            f"INSERT INTO known_reviews ({', '.join(names)}) VALUES ({_marks(len(names))})",
            [*values.values(), keys],
        )
    )
    db.conn.executemany(
        "INSERT INTO known_review_keys (key, docs) VALUES (?, 1)"
        " ON CONFLICT(key) DO UPDATE SET docs = docs + 1",
        [(k,) for k in dict.fromkeys(keys.split())],
    )
    return review_id


def update_known_review(db: Database, review_id: int, values: dict[str, Any]) -> None:
    db.conn.execute(
        f"UPDATE known_reviews SET {', '.join(f'{f} = ?' for f in values)} WHERE id = ?",
        [*values.values(), review_id],
    )


def list_known_reviews(db: Database, limit: int) -> list[dict[str, Any]]:
    """Known reviews, newest imported first."""
    return rows(
        db,
        "SELECT id, claim_text, rating, publisher, claimant, reviewed_at, url FROM known_reviews"
        " ORDER BY id DESC LIMIT ?",
        [limit],
    )


# --------------------------------------------------------------------------- keys indexes


def key_postings(
    db: Database, index: str, weights: Sequence[tuple[str, float]], wanted: int
) -> dict[int, float]:
    """Rows of a keys index holding any of the keys, with the sum of the weights of the keys
    they hold; the `wanted` best (no FTS5 ranking: each key's posting list is read as is)."""
    if index not in KEY_INDEXES:
        raise ValueError(f"not a keys index: {index}")
    one = f"SELECT rowid, ? AS w FROM {index} WHERE {index} MATCH ?"
    args: list[Any] = [x for k, w in weights for x in (w, f'"{k}"')]
    return dict(
        db.conn.execute(
            f"SELECT rowid, sum(w) AS s FROM ({' UNION ALL '.join([one] * len(weights))})"
            " GROUP BY rowid ORDER BY s DESC, rowid LIMIT ?",
            [*args, wanted],
        ).fetchall()
    )


def decided_key_docs(db: Database, keys: Sequence[str]) -> dict[str, int]:
    """How many decided claims hold each key, and under '' how many decided claims there are."""
    return dict(
        db.conn.execute(
            f"SELECT key, docs FROM decided_claim_key_docs WHERE key IN ({_marks(len(keys) + 1)})",
            ["", *keys],
        )
    )


def decided_keys(db: Database, claim_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(claim id, its keys) of the decided claims among `claim_ids`."""
    return db.conn.execute(
        f"SELECT claim_id, keys FROM decided_claim_keys WHERE claim_id IN ({_marks(len(claim_ids))})",
        list(claim_ids),
    ).fetchall()


# --------------------------------------------------------------------------- claims compared

_BRIEF = "c.id, c.text, c.status, c.verdict, c.decided_by, c.decided_at, c.article_id"
_OPEN = " AND c.status NOT IN ('candidate', 'decided')"


def earlier_claims_matching(db: Database, match: str, before: int, limit: int) -> list[int]:
    """Ids of claims below `before` whose text matches the FTS5 query, in id order."""
    return [
        r
        for (r,) in db.conn.execute(
            "SELECT rowid FROM claims_fts WHERE claims_fts MATCH ? AND rowid < ? LIMIT ?",
            [match, before, limit],
        )
    ]


def claims_brief(
    db: Database, ids: Sequence[int], *, open_only: bool = False
) -> list[dict[str, Any]]:
    """id, text, status, verdict, decided_by, decided_at, article_id of these claims (with
    open_only, those neither candidates nor decided)."""
    if not ids:
        return []
    return rows(
        db,
        f"SELECT {_BRIEF} FROM claims c WHERE c.id IN ({_marks(len(ids))})"
        + (_OPEN if open_only else ""),
        list(ids),
    )


def newest_open_claims_matching(
    db: Database, match: str, before: int, limit: int
) -> list[dict[str, Any]]:
    """The newest open claims below `before` whose text matches the FTS5 query (claims_brief
    columns)."""
    return rows(
        db,
        f"SELECT {_BRIEF} FROM claims_fts f JOIN claims c ON c.id = f.rowid"
        f" WHERE claims_fts MATCH ? AND f.rowid < ?{_OPEN} ORDER BY f.rowid DESC LIMIT ?",
        [match, before, limit],
    )
