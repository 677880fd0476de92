"""Archiving out (opt-in): ask the Internet Archive's Save Page Now to archive live sources it
has no recent copy of, so that a later reader can recover them when they are gone.

One source at a time, at most `per_minute` save requests a minute; a source is skipped when the
archive's CDX index already lists a capture newer than `recent_days`, or verify asked for one
that recently. A refusal (429, 503, 520, or no answer) waits `backoff` seconds, doubling each
time, and the run stops after `max_refusals` refusals in a row (the rest wait for the next run).
The key of VERIFY_SPN_KEY ("access:secret") is sent as `Authorization: LOW access:secret` when
set. Every request goes through verify's fetcher; time and sleeping are injectable."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urljoin

from sqlite_utils import Database

from verify import clock, store
from verify.capture.engine import list_sources
from verify.capture.fetch import FetchOptions, fetch_url, make_session
from verify.webarchives.mementos import (
    BadAnswerError,
    cdx_url,
    header,
    parse_cdx,
    wayback_archive,
    wayback_timestamp,
)

REFUSALS = frozenset((429, 503, 509, 520, 523))


@dataclass(frozen=True)
class SaveOptions:
    per_minute: float = 4.0
    recent_days: float = 30.0
    backoff: float = 300.0  # seconds after the first refusal; doubles, up to max_backoff
    max_backoff: float = 3600.0
    max_refusals: int = 3
    fetch: FetchOptions = field(
        default_factory=lambda: FetchOptions(deadline=120.0, read_timeout=110.0)
    )
    wayback_url: str | None = None  # None: VERIFY_WAYBACK_URL, else https://web.archive.org
    key: str | None = None  # None: VERIFY_SPN_KEY
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], None] | None = None
    now: Callable[[], datetime] | None = None
    # who the 'saved' events are attributed to: the reviewer's account, or None for the
    # process itself ("verify save") when the archive has no accounts
    actor: str | None = None


@dataclass(frozen=True)
class SaveResult:
    source_id: int
    url: str
    outcome: str  # saved | refused | failed | recent | skipped
    message: str | None = None
    memento_url: str | None = None


@dataclass(frozen=True)
class SaveSummary:
    saved: int
    refused: int
    failed: int
    recent: int
    stopped: bool
    results: tuple[SaveResult, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "saved": self.saved,
            "refused": self.refused,
            "failed": self.failed,
            "recent": self.recent,
            "stopped": self.stopped,
            "sources": [dict(r.__dict__) for r in self.results],
        }


def save(
    db: Database,
    *,
    source_ids: Sequence[int] | None = None,
    options: SaveOptions | None = None,
    progress: Callable[[SaveResult], None] | None = None,
) -> SaveSummary:
    """Ask Save Page Now for the selected live sources (all live ones by default)."""
    options = options or SaveOptions()
    clock = options.clock or time.monotonic
    sleep = options.sleep or time.sleep
    now = options.now or (lambda: datetime.now(UTC))
    archive = wayback_archive(options.wayback_url or os.environ.get("VERIFY_WAYBACK_URL") or None)
    key = options.key if options.key is not None else os.environ.get("VERIFY_SPN_KEY")
    wanted = set(int(i) for i in source_ids) if source_ids is not None else None
    if wanted is not None:
        for sid in sorted(wanted):
            store.find_source(db, sid)
    sources = [s for s in list_sources(db) if wanted is None or s["id"] in wanted]
    session = make_session(options.fetch)
    if key:
        session.headers["Authorization"] = f"LOW {key.strip()}"
    fetch = replace(options.fetch, retries=0)  # refusals are backed off here, not retried
    results: list[SaveResult] = []
    interval = 60.0 / options.per_minute if options.per_minute > 0 else 0.0
    next_at = float("-inf")
    refusals = 0
    stopped = False
    try:
        for src in sources:
            if stopped:
                break
            if src["state"] not in ("ok", "changed"):
                results.append(
                    SaveResult(src["id"], src["url"], "skipped", f"the source is {src['state']}")
                )
                continue
            if _recent_request(db, src["id"], now() - timedelta(days=options.recent_days)):
                results.append(
                    SaveResult(src["id"], src["url"], "recent", "saved recently by verify")
                )
                continue
            since = wayback_timestamp(now() - timedelta(days=options.recent_days))
            index = cdx_url(archive, src["url"]) + f"&from={since}"
            answer = fetch_url(index, replace(fetch, ignore_robots=True), session)
            if answer.ok:
                try:
                    if parse_cdx(answer.body or b"", archive):
                        results.append(
                            SaveResult(
                                src["id"], src["url"], "recent", "the archive has a recent copy"
                            )
                        )
                        continue
                except BadAnswerError:
                    pass  # cannot tell: ask for a save
            wait = next_at - clock()
            if wait > 0:
                sleep(wait)
            next_at = clock() + interval
            outcome = _ask(db, archive, session, fetch, src, options.actor)
            results.append(outcome)
            if progress is not None:
                progress(outcome)
            if outcome.outcome == "refused":
                refusals += 1
                if refusals >= options.max_refusals:
                    stopped = True
                    break
                sleep(min(options.backoff * 2 ** (refusals - 1), options.max_backoff))
            else:
                refusals = 0
    finally:
        session.close()
    count = {
        k: sum(r.outcome == k for r in results) for k in ("saved", "refused", "failed", "recent")
    }
    return SaveSummary(stopped=stopped, results=tuple(results), **count)


def _recent_request(db: Database, source_id: int, since: datetime) -> bool:
    return store.recoveries.saved_since(db, source_id, clock.format_time(since))


def _ask(
    db: Database,
    archive: Any,
    session: Any,
    fetch: FetchOptions,
    src: dict,
    actor: str | None = None,
) -> SaveResult:
    target = f"{archive.base}/save/{quote(src['url'], safe=':/?&=%')}"
    result = fetch_url(target, replace(fetch, ignore_robots=True), session)
    memento = None
    if result.ok:
        where = header(result.headers, "Content-Location")
        if where:
            memento = urljoin(archive.base + "/", where)
        elif result.final_url and "/web/" in result.final_url:
            memento = result.final_url
        outcome, message = "saved", None
    elif result.status in REFUSALS or result.error in ("timeout", "refused", "reset"):
        outcome, message = "refused", result.error_message
    else:
        outcome, message = "failed", result.error_message
    with store.immediate(db):
        store.recoveries.add_save_request(
            db,
            source_id=src["id"],
            archive_url=target,
            status=result.status,
            outcome=outcome,
            memento_url=memento,
            message=message,
            at=clock.now(),
        )
        if outcome == "saved":
            store.add_event(
                db,
                "saved",
                source_id=src["id"],
                actor=actor or "verify save",
                detail={"url": src["url"], "memento_url": memento},
            )
    return SaveResult(src["id"], src["url"], outcome, message, memento)
