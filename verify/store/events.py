"""The history: an append-only record of who did what to which claim, when."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from verify.clock import now
from verify.store.db import inserted_id


def add_event(
    db: Database,
    kind: str,
    *,
    claim_id: int | None = None,
    source_id: int | None = None,
    snapshot_id: int | None = None,
    article_id: int | None = None,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
    at: str | None = None,
) -> int:
    """Append one event to the history."""
    cur = db.conn.execute(
        "INSERT INTO events (kind, claim_id, source_id, snapshot_id, article_id, actor, detail, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            kind,
            claim_id,
            source_id,
            snapshot_id,
            article_id,
            actor,
            json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail is not None else None,
            at or now(),
        ],
    )
    return inserted_id(cur)
