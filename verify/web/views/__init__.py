"""The web UI's pages, one module per kind: the review pages (review), the team pages (team),
and a browser snapshot served from the archive (archived). Each registers its routes on a
blueprint that web.app lists. (verify 0.1's `verify.web.views` was today's review module: its
names are forwarded.)"""

from __future__ import annotations

from verify.oldpaths import forward


def __getattr__(name: str) -> object:
    return forward(__name__, "verify.web.views.review", name)
