"""Getting claims in: an article from a file, stdin or a URL (article), and claims and their
candidate sources added by hand or from a sheet (claims).

`verify.ingest.ingest_article(db, ...)` and article's other public names are looked up on
`verify.ingest.article` on first use."""

from __future__ import annotations

from verify.oldpaths import forward


def __getattr__(name: str) -> object:
    return forward(__name__, "verify.ingest.article", name)
