"""The vocabulary of verify and the rules of a claim's life, in one place.

Every other part takes its names from here: the SQL CHECK constraints (a test compares the
schema with these tuples), the CLI's choices, the web forms and templates, and the exports.

- a claim has a *status* (STATUSES) and, once decided, a *verdict* (VERDICTS);
- a reviewer's *assessment* of one source of a claim has a *stance* (STANCES) and an optional
  quote, bound to the *snapshot* it was made on;
- a *snapshot* is one fetch attempt of a source; a failed one has an *error kind* (ERROR_KINDS);
- a *source state* (SOURCE_STATES) is read off the source's latest snapshot;
- the queue order (queue_key) is defined here once; "the snapshot a reviewer sees" and "the
  latest capture of a source" are defined once in verify.store.snapshots;
- TRANSITIONS is the claim's state machine: which action moves a claim from which statuses to
  which, under which lease rule, which event it writes, and the least role (ROLES) an account
  needs to take it. `check_transition` applies it and `allowed_actions` answers "what may this
  reviewer do with this claim now" for the CLI, the web views and the templates; ROLE_ACTIONS
  adds the actions that are not about one claim (accounts, settings, captures).

Pure: no database, no network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verify.errors import ConflictError, ForbiddenError, InputError

# --------------------------------------------------------------------------- vocabulary

STATUSES = ("candidate", "queued", "in_review", "decided", "dismissed")
QUEUE_STATUSES = ("queued", "in_review")  # what `verify queue` shows by default
STANCES = ("supports", "refutes", "unrelated", "unavailable")
VERDICTS = ("true", "mostly-true", "mixed", "mostly-false", "false", "unverifiable")
ORIGINS = ("article", "manual", "import")  # how a claim, or a claim's source, came in
ERROR_KINDS = (
    "timeout",
    "dns",
    "refused",
    "reset",
    "tls",
    "too_large",
    "redirect_loop",
    "blocked_address",
    "robots",
    "http_error",
    "unsupported",
    "browser",  # headless Chromium crashed, was killed, or could not render the page
)
CAPTURE_MODES = ("static", "browser", "auto")  # how `verify fetch` captures (auto decides)
SOURCE_STATES = ("ok", "changed", "gone", "unknown", "failed", "pending", "dead")
# Where a snapshot's bytes came from: the source itself, or a web archive's memento of it.
SNAPSHOT_ORIGINS = ("live", "archive")
# A recovered memento lies before or after the reference time (the article's date).
MEMENTO_RELATIONS = ("before", "after")
RECOVERY_OUTCOMES = ("recovered", "not_found", "failed", "skipped")
# The reference time of a recovery: the article's publication date, or when verify first saw it.
REFERENCE_KINDS = ("article", "first_seen")
SAVE_OUTCOMES = ("saved", "refused", "failed")  # what Save Page Now answered
# The sources `verify recover` looks up in web archives: their latest live capture did not work.
RECOVER_STATES = ("gone", "failed", "unknown", "dead")
ROBOTS = ("allowed", "disallowed", "ignored", "unavailable")

GONE_STATUSES = frozenset((404, 410))  # the page is not there (dns failures count too)
UNKNOWN_STATUSES = frozenset((401, 402, 403, 407, 429))  # the server refused *us*

# ClaimReview's 1-5 scale (unverifiable has no numeric value, only its name)
VERDICT_VALUES = {"true": 5, "mostly-true": 4, "mixed": 3, "mostly-false": 2, "false": 1}


def check_choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    """`value` when it is one of `choices`, else InputError naming them."""
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")
    return value


# --------------------------------------------------------------------------- the queue order

# The queue order (SQL: verify.store.claims.QUEUE_ORDER): priority first, then oldest, best score.


def queue_key(claim: dict[str, Any]) -> tuple:
    """The queue order as a Python sort key (to merge per-status index scans)."""
    return (-claim["priority"], claim["created_at"], -(claim["score"] or 0), claim["id"])


# --------------------------------------------------------------------------- snapshots and sources

# "The snapshot a reviewer sees" of a source (its latest successful capture, live or recovered)
# and "the latest capture" of a source (its latest LIVE capture, which gives its state) are
# defined once, in verify.store.snapshots.


def source_state(
    status: int | None,
    error: str | None,
    changed: int | None,
    has_snapshot: bool = True,
    dead: bool = False,
) -> str:
    """A source's state from its latest live snapshot: pending (never fetched), ok, changed (the
    payload differs from the previous capture), gone (404/410, or the name does not resolve),
    unknown (the server refused us: 401/402/403/407/429), failed (anything else), and dead when
    the link-rot watch declared it so (three failed checks days apart; `dead` is sources.dead_at
    being set, cleared by the next check that works)."""
    if not has_snapshot:
        return "pending"
    if dead:
        return "dead"
    if error is None:
        return "changed" if changed == 1 else "ok"
    if error == "dns" or (error == "http_error" and status in GONE_STATUSES):
        return "gone"
    if error == "http_error" and status in UNKNOWN_STATUSES:
        return "unknown"
    return "failed"


# Which sources a plain `verify fetch` takes: never fetched, or the latest attempt failed
# (gone and unknown are answers, not failures; --refetch takes every source).
FETCH_AGAIN_STATES = ("pending", "failed")
# A quoted source in one of these states has lost the quoted evidence (a timeout has not).
EVIDENCE_LOST_STATES = ("gone", "dead")


# --------------------------------------------------------------------------- the claim's life


@dataclass(frozen=True)
class Transition:
    """One action on a claim.

    sources: the statuses it may start from; target: the status it leaves (None: unchanged);
    lease: 'holder' (refused while someone else holds a live lease, unless forced, which is
    recorded), 'none' (leases do not matter), 'system' (verify's own bookkeeping, no actor);
    event: the kind of history event it writes."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    lease: str
    event: str
    label: str
    role: str = "reviewer"  # the least role (ROLES) an account needs; see check_role


_OPEN = ("candidate", "queued", "in_review")  # not yet decided or dismissed

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("lease", ("queued",), "in_review", "none", "leased", "Take"),
        Transition("release", ("in_review",), "queued", "holder", "released", "Release"),
        Transition("expire", ("in_review",), "queued", "system", "expired", "Expire"),
        Transition(
            "assess", ("queued", "in_review", "decided"), None, "holder", "assessed", "Assess"
        ),
        Transition(
            "unassess",
            ("queued", "in_review", "decided"),
            None,
            "holder",
            "assessment_removed",
            "Remove assessment",
        ),
        Transition(
            "verdict", ("queued", "in_review", "decided"), "decided", "holder", "verdict", "Verdict"
        ),
        Transition(
            "dismiss",
            ("candidate", "queued", "in_review"),
            "dismissed",
            "holder",
            "dismissed",
            "Dismiss",
        ),  # fmt: skip
        Transition("requeue", ("candidate", "dismissed"), "queued", "none", "queued", "Queue"),
        # a span of an article chosen by hand: a candidate there becomes a queued claim
        Transition("promote", ("candidate",), "queued", "none", "claim_added", "Promote"),
        # a row of an imported sheet names a candidate: it becomes a queued claim
        Transition("import", ("candidate",), "queued", "none", "imported", "Import"),
        # team workflow (issue 13): editors approve, assign, reprioritise and tag
        Transition("approve", ("decided",), None, "none", "approved", "Approve", "editor"),
        Transition("assign", _OPEN, None, "none", "assigned", "Assign", "editor"),
        Transition("prioritise", _OPEN, None, "none", "reprioritised", "Change priority", "editor"),
        Transition("tag", STATUSES, None, "none", "tagged", "Tag", "editor"),
        Transition("comment", STATUSES, None, "none", "commented", "Comment"),
        Transition("claimant", STATUSES, None, "none", "claimant_set", "Set the claimant"),
        Transition("skip", ("in_review",), "queued", "holder", "skipped", "Skip"),
        # the evidence a claim relied on changed or vanished: an open claim is flagged where
        # it stands, a decided one goes back to the queue (its verdict kept as the previous one)
        Transition(
            "evidence_changed",
            ("queued", "in_review"),
            None,
            "system",
            "evidence_changed",
            "Evidence changed",
        ),
        Transition("reopen", ("decided",), "queued", "system", "evidence_changed", "Reopen"),
    )
}
# --------------------------------------------------------------------------- roles

ROLES = ("reviewer", "editor", "admin")  # each may do everything the one before it may

# Actions that are not about one claim, and the least role each needs.
ROLE_ACTIONS: dict[str, str] = {
    "capture": "reviewer",  # verify fetch, and the claim page's Capture button
    "recover": "reviewer",  # verify recover: capture gone sources from web archives
    "watch": "reviewer",  # verify watch: re-check due sources (a cron job runs under an account)
    "save": "reviewer",  # verify save: ask Save Page Now to archive live sources
    "import_claimreview": "reviewer",  # verify import-claimreview: others' fact-checks
    "add_source": "reviewer",
    "add_claim": "reviewer",  # claim add, import, ingest
    "export": "reviewer",  # an export is an event in the history of the claims it holds
    "manage_users": "admin",
    "settings": "admin",
}


def required_role(action: str) -> str:
    """The least role that may take `action` (a transition or a ROLE_ACTIONS entry)."""
    if action in TRANSITIONS:
        return TRANSITIONS[action].role
    return ROLE_ACTIONS[action]


def role_allows(role: str | None, action: str) -> bool:
    """May an account with `role` take `action`? (None: no accounts, everyone may.)"""
    if role is None:
        return True
    return ROLES.index(role) >= ROLES.index(required_role(action))


def check_role(role: str | None, action: str, actor: str | None = None) -> None:
    """Raise ForbiddenError (one line) when `role` may not take `action`."""
    if not role_allows(role, action):
        label = TRANSITIONS[action].label.lower() if action in TRANSITIONS else action
        needed = required_role(action)
        above = " or admin" if needed == "editor" else ""
        raise ForbiddenError(
            f"{actor or 'this account'} is {'an' if (role or 'x')[0] in 'aeiou' else 'a'} {role}:"
            f" {label.replace('_', ' ')} needs an {needed}{above} account"
        )


def live_lease(claim: dict[str, Any], at: str) -> str | None:
    """The reviewer holding a live lease on the claim at `at`, else None (an expired lease is
    no lease, whatever its row still says)."""
    if (
        claim.get("status") == "in_review"
        and claim.get("lease_reviewer")
        and (claim.get("lease_expires_at") or "") > at
    ):
        return claim["lease_reviewer"]
    return None


def check_transition(
    claim: dict[str, Any],
    action: str,
    actor: str | None,
    at: str,
    *,
    force: bool = False,
    role: str | None = None,
) -> bool:
    """Raise ConflictError (one line, saying why and what to do) when `actor` may not take
    `action` on `claim` at time `at`, ForbiddenError when the actor's `role` is below the
    action's (None: no accounts). Returns True when the action overrides another reviewer's
    live lease (force), which the caller records."""
    rule = TRANSITIONS[action]
    check_role(role, action, actor)
    status = claim["status"]
    if status not in rule.sources:
        raise ConflictError(_refusal(claim, action))
    if rule.lease != "holder":
        return False
    holder = live_lease(claim, at)
    if holder is None or holder == actor:
        return False
    if force:
        return True
    raise ConflictError(
        f"claim {claim['id']} is leased to {holder} until {claim['lease_expires_at']}:"
        f" ask them to release it, or {rule.label.lower()} with --force (recorded)"
    )


def _refusal(claim: dict[str, Any], action: str) -> str:
    status = claim["status"].replace("_", " ")
    cid = claim["id"]
    if action == "release":
        return f"claim {cid} is not leased (status {status}): nothing to release"
    if action == "lease":
        return f"claim {cid} is {status}, not queued: it cannot be taken"
    if action == "requeue":
        return f"claim {cid} is {status}, not a candidate or dismissed: only those can be queued"
    if action == "dismiss" and claim["status"] == "decided":
        return (
            f"claim {cid} is decided ({claim.get('verdict')}): a decided claim cannot be"
            " dismissed; give it another verdict instead"
        )
    if claim["status"] in ("candidate", "dismissed"):
        return f"claim {cid} is {status}: queue it first with `verify requeue {cid}`"
    return f"claim {cid} is {status}: {TRANSITIONS[action].label.lower()} is not allowed now"


def allowed_actions(
    claim: dict[str, Any], actor: str | None, at: str, role: str | None = None
) -> dict[str, bool]:
    """For each action a reviewer can take: may `actor` (an account with `role`, or None when
    there are no accounts) take it on `claim` at `at` without --force? ('expire' and
    'evidence_changed' are verify's own and never offered.)"""
    out: dict[str, bool] = {}
    for name, rule in TRANSITIONS.items():
        if rule.lease == "system":
            continue
        try:
            check_transition(claim, name, actor, at, role=role)
        except (ConflictError, ForbiddenError):
            out[name] = False
        else:
            out[name] = True
    # taking a claim is `verify next` (the most urgent one); releasing is for the holder
    out["release"] = out["release"] and live_lease(claim, at) in (None, actor)
    return out
