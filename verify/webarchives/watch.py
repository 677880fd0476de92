"""The link-rot watch: re-check the sources that are due, and declare a source dead only when
it has really gone (the rule InternetArchiveBot uses for Wikipedia's citations).

- due: a working source `watch_live_days` (7) after its last check, a failing one after
  `watch_failing_days` (3), a never-fetched one at once; so running `verify watch` from cron
  every hour costs nothing when nothing is due, and running it twice does nothing twice;
- a check is a capture (a live snapshot, through capture.py: network guard, caps, politeness);
- a failure is a 404/410, a name that does not resolve, any other failed fetch, or a soft 404:
  a redirect to the site's root, a final URL naming 404 or not-found, a "page not found" title;
- 401, 402, 403, 407 and 429 say the server refused *us*: the source is unknown, never dead, and
  the count neither grows nor resets;
- failures count only when at least `min_gap_days` (3) apart, and a source is dead after
  `dead_after` (3) such consecutive failures; a check that works resets the count and revives it;
- every change of a source's state is a `source_state` event on each claim citing it, and a
  source that died has its quoted evidence checked (review.check_evidence flags the claims).

Time is injected (`at`) so tests need not wait days."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from verify import clock, model, store
from verify.capture.engine import CaptureOptions, capture, list_sources
from verify.capture.policy import on_cluster
from verify.review import workflow as review
from verify.settings import get_value

SOFT_404_URL = re.compile(
    r"(?:^|/)(?:404|not[-_]?found|page[-_]?not[-_]?found|error[-_]?404)(?:\.\w+)?(?:$|[/?])", re.I
)
SOFT_404_TITLE = re.compile(
    r"^\s*404\b|\b(?:page not found|not found|error 404|404 error|page (?:does not|doesn't) exist"
    r"|(?:is )?no longer available)\b",
    re.I,
)


@dataclass(frozen=True)
class WatchOptions:
    live_days: float | None = None  # None: the watch_live_days setting
    failing_days: float | None = None  # None: the watch_failing_days setting
    dead_after: int = 3
    min_gap_days: float = 3.0
    capture: CaptureOptions = field(default_factory=CaptureOptions)
    # who the 'source_state' events are attributed to: the reviewer's account, or None for the
    # process itself ("verify watch") when the archive has no accounts; the re-checks' own
    # 'fetched' events take capture.actor
    actor: str | None = None


@dataclass(frozen=True)
class SourceCheck:
    source_id: int
    url: str
    before: str
    after: str
    failures: int
    soft_404: bool = False
    flagged_claims: tuple[int, ...] = ()


@dataclass(frozen=True)
class WatchSummary:
    due: int
    checked: int
    changed: int
    dead: int
    checks: tuple[SourceCheck, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "checked": self.checked,
            "changed": self.changed,
            "dead": self.dead,
            "sources": [dict(c.__dict__) for c in self.checks],
        }


def is_soft_404(requested: str, final: str | None, title: str | None, redirected: bool) -> bool:
    """A page that answers 200 but says it is not there."""
    if final and redirected:
        want, got = urlsplit(requested), urlsplit(final)
        if got.path in ("", "/") and want.path not in ("", "/") and not got.query:
            return True  # sent to the home page
        if SOFT_404_URL.search(got.path + ("?" + got.query if got.query else "")):
            return True
    return bool(title and SOFT_404_TITLE.search(title))


def due_sources(db: Database, at: datetime, options: WatchOptions | None = None) -> list[int]:
    """The ids of the sources whose next check is due at `at`: never fetched; working (latest
    live capture fine, no failure counted, not a soft 404) and last checked `live_days` ago;
    otherwise last checked `failing_days` ago. One query (the latest live capture is an index
    look-up per source), so a cron run with nothing due costs next to nothing."""
    options = options or WatchOptions()
    live_days = options.live_days or float(get_value(db, "watch_live_days") or 0)
    failing_days = options.failing_days or float(get_value(db, "watch_failing_days") or 0)
    live_cutoff = clock.format_time(at - timedelta(days=live_days))
    failing_cutoff = clock.format_time(at - timedelta(days=failing_days))
    return store.watch.due_sources(db, live_cutoff, failing_cutoff)


def watch(
    db: Database,
    *,
    at: datetime | None = None,
    options: WatchOptions | None = None,
    progress: Callable[[Any], None] | None = None,
) -> WatchSummary:
    """Check every due source once (a live capture each) and update its watch record."""
    options = options or WatchOptions()
    at = at or clock.parse_time(clock.now())
    ids = due_sources(db, at, options)
    if not ids:
        return WatchSummary(0, 0, 0, 0)
    before = {s["id"]: s for s in list_sources(db) if s["id"] in set(ids)}
    recheck = replace(options.capture, refetch=True, actor=options.capture.actor or options.actor)
    with on_cluster(recheck) as capture_options:
        capture(db, source_ids=ids, options=capture_options, progress=progress)
    checks = [_record(db, before[sid], at, options) for sid in ids]
    changed = [c for c in checks if c.before != c.after]
    return WatchSummary(
        due=len(ids),
        checked=len(checks),
        changed=len(changed),
        dead=sum(c.after == "dead" for c in checks),
        checks=tuple(checks),
    )


def _record(db: Database, old: dict[str, Any], at: datetime, options: WatchOptions) -> SourceCheck:
    sid = old["id"]
    stamp = clock.format_time(at)
    snap = store.watch.latest_check(db, sid)
    assert snap is not None  # called after a capture of this source
    state = model.source_state(snap["status"], snap["error"], snap["changed"])
    soft = snap["error"] is None and is_soft_404(
        snap["requested_url"],
        snap["final_url"],
        snap["title"],
        snap["redirects"] not in ("[]", None),
    )
    src = store.watch.watch_record(db, sid)
    assert src is not None  # the source exists: it was just captured
    previous = src["watch_state"] or old["state"]
    failures, last_failure, dead_at = src["check_failures"], src["last_failure_at"], src["dead_at"]
    if state == "unknown":
        pass  # refused: says nothing about the page
    elif state in ("ok", "changed") and not soft:
        failures, last_failure, dead_at = 0, None, None
    else:
        gap = timedelta(days=options.min_gap_days)
        if last_failure is None or clock.parse_time(last_failure) + gap <= at:
            failures, last_failure = failures + 1, stamp
        if failures >= options.dead_after and dead_at is None:
            dead_at = stamp
    after = "dead" if dead_at else ("gone" if soft else state)
    flagged: list[int] = []
    with store.immediate(db):
        store.watch.set_watch_record(
            db,
            sid,
            failures=failures,
            last_failure=last_failure,
            dead_at=dead_at,
            checked_at=stamp,
            state=after,
        )
        if after != previous:
            claims = store.watch.citing_claim_ids(db, sid)
            detail = {
                "url": old["url"],
                "from": previous,
                "to": after,
                "failures": failures,
                "soft_404": soft,
            }
            for cid in claims or [None]:  # type: ignore[list-item]
                store.add_event(
                    db,
                    "source_state",
                    claim_id=cid,
                    source_id=sid,
                    snapshot_id=snap["id"],
                    actor=options.actor or "verify watch",
                    detail=detail,
                    at=stamp,
                )
            if after == "dead":
                flagged = review.check_evidence(db, sid, now=stamp)
    return SourceCheck(sid, old["url"], previous, after, failures, soft, tuple(flagged))


def parse_moment(text: str) -> datetime:
    """An ISO-8601 moment (UTC when no zone is given), for `verify watch --now`."""
    from datetime import UTC

    from verify.errors import InputError

    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO-8601 time: {text!r} (e.g. 2026-12-01T00:00:00Z)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
