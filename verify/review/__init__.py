"""The review workflow: a claim's life through the transition table (workflow), the team around
it (team: assignment, tags, comments, approval), accounts and roles (accounts), the evidence
for a claim (evidence), "checked before" (similar, known: others' published ClaimReviews), and
full-text search (search).

`verify.review.lease_next(db, ...)` and workflow's other public names are looked up on
`verify.review.workflow` on first use."""

from __future__ import annotations

from verify.oldpaths import forward


def __getattr__(name: str) -> object:
    return forward(__name__, "verify.review.workflow", name)
