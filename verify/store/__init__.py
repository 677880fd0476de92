"""The store: the only part of verify that writes SQL.

`from verify import store; db = store.open_db(path)` opens (creating and migrating) an archive.
One module per kind of thing holds the statements about it: db (open, migrations, transactions,
locks), events, payloads, settings, articles, claims, sources, snapshots (the one definition of
"the latest capture" and of "the snapshot a reviewer sees"), assessments, and the modules of the
workflows' own tables. The names most callers use are re-exported here."""

from __future__ import annotations

from verify.store import (  # noqa: F401 (the modules: store.claims.apply_transition, ...)
    accounts,
    approvals,
    articles,
    assessments,
    captures,
    claims,
    db,
    events,
    exports,
    known,
    payloads,
    recoveries,
    review,
    search,
    settings,
    snapshots,
    sources,
    team,
    watch,
)
from verify.store.articles import article_row, claim_counts, get_article, list_articles
from verify.store.assessments import get_assessment, list_assessments
from verify.store.claims import (
    CLAIM_COLUMNS,
    claim_id,
    claim_row,
    get_claim,
    list_claims,
    queued_claims,
    source_urls,
    with_sources,
)
from verify.store.db import (
    DEFAULT_DB,
    apply_migrations,
    connect,
    default_db_path,
    immediate,
    open_db,
    parse_id,
    row,
    rows,
    side_file,
    side_lock,
    write,
)
from verify.store.events import add_event
from verify.store.payloads import get_payload, put_payload
from verify.store.settings import delete_setting, get_setting, set_setting
from verify.store.snapshots import (
    get_snapshot,
    latest_live_snapshot,
    reviewed_snapshot,
    snapshot_row,
)
from verify.store.sources import claim_sources, find_source

__all__ = [
    "CLAIM_COLUMNS",
    "DEFAULT_DB",
    "add_event",
    "apply_migrations",
    "article_row",
    "claim_counts",
    "claim_id",
    "claim_row",
    "claim_sources",
    "connect",
    "default_db_path",
    "delete_setting",
    "find_source",
    "get_article",
    "get_assessment",
    "get_claim",
    "get_payload",
    "get_setting",
    "get_snapshot",
    "immediate",
    "latest_live_snapshot",
    "list_articles",
    "list_assessments",
    "list_claims",
    "open_db",
    "parse_id",
    "put_payload",
    "queued_claims",
    "reviewed_snapshot",
    "row",
    "rows",
    "set_setting",
    "side_file",
    "side_lock",
    "snapshot_row",
    "source_urls",
    "with_sources",
    "write",
]
