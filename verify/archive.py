"""DEPRECATED: the read gateway moved to `verify.store` (one module per kind of thing).

`from verify import archive; archive.get_claim(db, 1)` keeps working for one release and warns
with a DeprecationWarning; use `from verify import store; store.get_claim(db, 1)` instead."""

from __future__ import annotations

import warnings
from typing import Any

from verify import store

_MOVED = (
    "CLAIM_COLUMNS",
    "article_row",
    "assessments",
    "claim_counts",
    "claim_id",
    "claim_row",
    "claim_sources",
    "find_source",
    "get_article",
    "get_assessment",
    "get_claim",
    "get_snapshot",
    "list_articles",
    "list_claims",
    "queued_claims",
    "reviewed_snapshot",
    "snapshot_row",
    "source_urls",
    "with_sources",
)


_RENAMED = {"assessments": "list_assessments"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(
            f"verify.archive.{name} is deprecated: use verify.store.{_RENAMED.get(name, name)}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(store, _RENAMED.get(name, name))
    raise AttributeError(f"module 'verify.archive' has no attribute {name!r}")
