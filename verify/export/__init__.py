"""Exports: ClaimReview JSON-LD, CSV, JSONL and the Markdown report (tables), WARC files
(warc) and WACZ packages (wacz).

`verify.export.export(db, ...)` and the other public names of tables are looked up on
`verify.export.tables` on first use."""

from __future__ import annotations

from verify.oldpaths import forward


def __getattr__(name: str) -> object:
    return forward(__name__, "verify.export.tables", name)
