"""When a source is gone: capture its best memento from the web archives as a snapshot.

For every selected source whose latest live capture did not work (gone, failed, unknown, dead),
each configured archive is asked in turn (the Internet Archive through CDX, then the Memento
archives of the `archives` setting) and the first memento that answers 200 is stored as a
snapshot of the source with origin 'archive', the archive's name, the memento URL, its
Memento-Datetime, the original URL and where it lies from the reference time (the publication
date of the earliest article citing the source, else when verify first saw the source).

Every request goes through verify's fetcher (network guard on every hop, byte caps, deadlines)
with a per-archive limit on requests at once; worker threads do the network and extraction,
the calling thread is the single writer. One look-up of one source in one archive is one row of
`recoveries` (recovered, not_found, failed with its error, or skipped), so an archive that is
down, slow, or answers garbage costs one recorded failure and never the batch."""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from verify import clock, model, store
from verify.capture.engine import Extractor, Job, Outcome, select_jobs, store_result
from verify.capture.fetch import FetchOptions, FetchResult, abort_fetches, fetch_url, make_session
from verify.errors import ClusterError
from verify.text import extract
from verify.webarchives.mementos import (
    INTERNET_ARCHIVE,
    Archive,
    BadAnswerError,
    Memento,
    cdx_url,
    choose,
    header,
    is_archive_url,
    link_original,
    original_from_memento_url,
    parse_archives_setting,
    parse_cdx,
    parse_http_date,
    parse_timemap,
    sha1_base32,
    timemap_url,
    wayback_archive,
)

CDX_MAX_BYTES = 5 * 2**20  # a bigger index answer is refused (recorded as too_large)


@dataclass(frozen=True)
class RecoverOptions:
    concurrency: int = 16
    per_host: int = 16  # requests at once to one archive
    fetch: FetchOptions = field(
        default_factory=lambda: FetchOptions(
            retries=1, connect_timeout=10.0, read_timeout=20.0, deadline=40.0
        )
    )
    archives: tuple[Archive, ...] | None = None  # None: VERIFY_WAYBACK_URL + `archives` setting
    candidates: int = 3  # mementos tried per archive before giving up on it
    max_redirects: int = 4  # archived redirects followed (and the archive's own)
    index_max_bytes: int = CDX_MAX_BYTES
    again: bool = False  # look up sources that have a memento already (the choice is the same
    # unless the archive or the reference date changed)
    # Extraction processes for big batches (0: extract in the worker threads); as in
    # capture.CaptureOptions, only for programs whose entry point is guarded by __main__.
    extract_processes: int = 0
    # a connected cluster (cluster.ClusterExecutor) that runs the look-ups; None: threads here
    executor: Any = None
    # who the 'recovered' events are attributed to: the reviewer's account, or None for the
    # process itself ("verify recover") when the archive has no accounts
    actor: str | None = None


@dataclass(frozen=True)
class Lookup:
    """One source looked up in one archive."""

    archive: str
    outcome: str  # model.RECOVERY_OUTCOMES
    lookup_url: str | None = None
    error: str | None = None
    message: str | None = None
    candidates: int | None = None


@dataclass(frozen=True)
class SourceRecovery:
    source_id: int
    url: str
    outcome: str  # recovered | not_found | failed | skipped | live | already
    message: str | None = None
    archive: str | None = None
    memento_url: str | None = None
    memento_datetime: str | None = None
    relation: str | None = None
    snapshot_id: int | None = None
    digest_mismatch: bool | None = None
    lookups: tuple[Lookup, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "lookups"}
        out["lookups"] = [dict(lk.__dict__) for lk in self.lookups]
        return out


@dataclass(frozen=True)
class RecoverSummary:
    recovered: int
    not_found: int
    failed: int
    skipped: int
    live: int
    results: tuple[SourceRecovery, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "recovered": self.recovered,
            "not_found": self.not_found,
            "failed": self.failed,
            "skipped": self.skipped,
            "live": self.live,
            "sources": [r.as_dict() for r in self.results],
        }


@dataclass(frozen=True)
class LookupTask:
    source_id: int
    url: str
    host: str
    reference: datetime
    reference_kind: str


@dataclass(frozen=True)
class FoundMemento:
    task: LookupTask
    lookups: tuple[Lookup, ...]
    result: FetchResult | None = None
    extracted: extract.Extracted | None = None
    memento: Memento | None = None
    memento_dt: datetime | None = None
    original: str | None = None
    relation: str | None = None
    mismatch: bool | None = None
    digest: str | None = None
    sha1: str | None = None
    extract_error: str | None = None
    skipped: str | None = None


# --------------------------------------------------------------------------- configuration


def configured_archives(db: Database, environ: dict[str, str] | None = None) -> list[Archive]:
    """The Internet Archive at VERIFY_WAYBACK_URL (default https://web.archive.org), then the
    Memento archives of the `archives` setting."""
    env = os.environ if environ is None else environ
    archives = [wayback_archive(env.get("VERIFY_WAYBACK_URL") or None)]
    archives += parse_archives_setting(store.get_setting(db, "archives"))
    return archives


def reference_times(db: Database, source_ids: list[int]) -> dict[int, tuple[datetime, str]]:
    """Per source: (reference time, 'article' | 'first_seen'). The article's date is the
    earliest publication date of an article citing the source (a date alone counts as the end
    of that day); else when verify first saw the source."""
    out: dict[int, tuple[datetime, str]] = {}
    for sid, created, published in store.recoveries.source_dates(db, source_ids):
        when = parse_published(published) if published else None
        if when is not None:
            out[sid] = (when, "article")
        else:
            out[sid] = (clock.parse_time(created), "first_seen")
    return out


def parse_published(text: str) -> datetime | None:
    """A publication date (YYYY-MM-DD, or an ISO date-time) as a UTC moment; a date alone is
    the end of that day (the author linked the page at some time that day)."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1) - timedelta(microseconds=1)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


# --------------------------------------------------------------------------- selection


def _select(
    db: Database,
    claim_id: int | None,
    source_ids: Sequence[int] | None,
    article_id: int | None,
    again: bool,
) -> tuple[list[LookupTask], list[SourceRecovery]]:
    """(sources to look up, sources with nothing to do)."""
    found = [
        (r["id"], r["url"], r["host"], r["snapshot_id"], r["status"], r["error"], r["changed"],
         r["dead_at"], r["recovered_snapshot_id"])
        for r in store.captures.sources_with_latest(
            db, **select_jobs(db, claim_id, source_ids, article_id)
        )
    ]  # fmt: skip
    todo, nothing = [], []
    for sid, url, host, snap_id, status, error, changed, dead_at, archived in found:
        state = model.source_state(status, error, changed, snap_id is not None, dead_at is not None)
        if state not in model.RECOVER_STATES:
            why = (
                "never fetched: run `verify fetch` first"
                if state == "pending"
                else f"the source is {state}: nothing to recover"
            )
            nothing.append(SourceRecovery(sid, url, "live", why))
        elif archived is not None and not again:
            nothing.append(
                SourceRecovery(sid, url, "already", f"recovered already (snapshot {archived})")
            )
        else:
            todo.append((sid, url, host))
    refs = reference_times(db, [t[0] for t in todo])
    tasks = [LookupTask(sid, url, host, *refs[sid]) for sid, url, host in todo]
    return tasks, nothing


# --------------------------------------------------------------------------- the work


class ArchiveClient:
    """Per-thread sessions and per-archive limits on requests at once."""

    def __init__(self, options: RecoverOptions, jobs: int = 0) -> None:
        self.options = options
        self.extract = Extractor(jobs, options.extract_processes)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.sessions: list = []
        self.slots: dict[str, threading.BoundedSemaphore] = {}

    def get(self, url: str, host: str, **overrides: Any) -> FetchResult:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = make_session(self.options.fetch)
            with self.lock:
                self.sessions.append(session)
        with self.lock:
            slot = self.slots.setdefault(host, threading.BoundedSemaphore(self.options.per_host))
        opts = replace(self.options.fetch, ignore_robots=True, **overrides)
        with slot:
            return fetch_url(url, opts, session)

    def close(self) -> None:
        for session in self.sessions:
            session.close()
        self.extract.close()


def find_memento(task: LookupTask, archives: list[Archive], client: ArchiveClient) -> FoundMemento:
    if is_archive_url(task.url, archives):
        return FoundMemento(
            task,
            (),
            skipped="the source is itself a copy in a web archive: it is not looked up in one",
        )
    lookups: list[Lookup] = []
    for archive in archives:
        lookup, found = _find_in(task, archive, client)
        lookups.append(lookup)
        if found is not None:
            return replace(found, lookups=tuple(lookups))
    return FoundMemento(task, tuple(lookups))


def _find_in(
    task: LookupTask, archive: Archive, client: ArchiveClient
) -> tuple[Lookup, FoundMemento | None]:
    opts = client.options
    index = (
        cdx_url(archive, task.url) if archive.kind == "wayback" else timemap_url(archive, task.url)
    )
    answer = client.get(index, archive.host, max_bytes=opts.index_max_bytes)
    if answer.error == "http_error" and answer.status == 404:
        return Lookup(archive.name, "not_found", index, message="the archive has no copy"), None
    if not answer.ok:
        return Lookup(archive.name, "failed", index, answer.error, _message(archive, answer)), None
    try:
        parse = parse_cdx if archive.kind == "wayback" else parse_timemap
        mementos = parse(answer.body or b"", archive)
    except BadAnswerError as exc:
        return Lookup(archive.name, "failed", index, "bad_answer", str(exc)), None
    ordered = choose(mementos, task.reference)
    if not ordered:
        why = "the archive has no copy" if not mementos else "no successful capture archived"
        return Lookup(archive.name, "not_found", index, message=why, candidates=len(mementos)), None
    problems: list[tuple[str, str]] = []
    for memento, _rel in ordered[: opts.candidates]:
        result = client.get(memento.url, urlhost(memento.url), max_redirects=opts.max_redirects)
        if result.ok and result.status == 200 and result.body is not None:
            return Lookup(archive.name, "recovered", index, candidates=len(mementos)), _accept(
                task, memento, result, client.extract
            )
        problems.append((result.error or "http_error", _message(archive, result, memento.url)))
    network = [p for p in problems if p[0] != "http_error"]
    kind, message = (network or problems)[0]
    outcome = "failed" if network else "not_found"
    return Lookup(
        archive.name, outcome, index, kind if network else None, message, len(mementos)
    ), None


def urlhost(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc.lower()


def _message(archive: Archive, result: FetchResult, what: str | None = None) -> str:
    base = result.error_message or (f"HTTP {result.status}" if result.status else "no answer")
    return f"{archive.name}: {base}" + (f" ({what[:120]})" if what else "")


def _accept(
    task: LookupTask, memento: Memento, result: FetchResult, extractor: Extractor
) -> FoundMemento:
    when = parse_http_date(header(result.headers, "Memento-Datetime"))
    final = result.final_url or memento.url
    original = link_original(result.headers) or original_from_memento_url(final)[1]
    original = original or memento.original or task.url
    when = when or memento.datetime
    relation = "before" if when <= task.reference else "after"
    body = result.body or b""
    sha1 = sha1_base32(body)
    digest = memento.digest if memento.digest and memento.digest != "-" else None
    # the index digest describes the capture it listed: after an archived redirect the bytes
    # are another capture's, so there is nothing to compare
    same_capture = not result.redirects
    mismatch = None
    if digest and same_capture:
        mismatch = digest not in (sha1, sha1_base32(result.payload or b""))
    extracted, problem = None, None
    try:
        extracted = extractor(body, result.content_type, original)
    except Exception as exc:  # noqa: BLE001 - the bytes are kept; text can be re-derived
        problem = f"{type(exc).__name__}: {exc}"
    return FoundMemento(
        task,
        (),
        result=result,
        extracted=extracted,
        memento=memento,
        memento_dt=when,
        original=original,
        relation=relation,
        mismatch=mismatch,
        digest=digest if same_capture else None,
        sha1=sha1,
        extract_error=problem,
    )


# --------------------------------------------------------------------------- storing


def _store(db: Database, found: FoundMemento, actor: str | None = None) -> SourceRecovery:
    task = found.task
    at = clock.now()
    with store.immediate(db):
        snapshot_id = None
        if found.result is not None:
            assert found.memento is not None and found.memento_dt is not None  # set together
            job = Job(task.source_id, task.url, task.host)
            snapshot_id, _ = store_result(
                db,
                Outcome(job, found.result, found.extracted, found.extract_error, origin="archive"),
            )
            store.recoveries.set_memento(
                db,
                snapshot_id,
                {
                    "archive_name": found.memento.archive,
                    "memento_url": found.result.final_url or found.memento.url,
                    "memento_datetime": clock.format_time(found.memento_dt),
                    "original_url": found.original,
                    "reference_at": clock.format_time(task.reference),
                    "reference_kind": task.reference_kind,
                    "memento_relation": found.relation,
                    "archive_digest": found.digest,
                    "memento_sha1": found.sha1,
                    "digest_mismatch": None if found.mismatch is None else int(found.mismatch),
                },
            )
        for lookup in found.lookups:
            store.recoveries.add_recovery(
                db,
                source_id=task.source_id,
                archive_name=lookup.archive,
                lookup_url=lookup.lookup_url,
                outcome=lookup.outcome,
                error=lookup.error,
                message=lookup.message,
                candidates=lookup.candidates,
                snapshot_id=snapshot_id if lookup.outcome == "recovered" else None,
                at=at,
            )
        if found.skipped:
            store.recoveries.add_recovery(
                db,
                source_id=task.source_id,
                archive_name="-",
                outcome="skipped",
                message=found.skipped,
                at=at,
            )
        if snapshot_id is not None:
            assert (
                found.result is not None
                and found.memento is not None
                and found.memento_dt is not None
            )
            detail = {
                "archive": found.memento.archive,
                "memento_url": found.result.final_url or found.memento.url,
                "memento_datetime": clock.format_time(found.memento_dt),
                "relation": found.relation,
            }
            claims = store.watch.citing_claim_ids(db, task.source_id)
            for cid in claims or [None]:  # type: ignore[list-item]
                store.add_event(
                    db,
                    "recovered",
                    claim_id=cid,
                    source_id=task.source_id,
                    snapshot_id=snapshot_id,
                    actor=actor or "verify recover",
                    detail=detail,
                    at=at,
                )
    return _summarise(found, snapshot_id)


def _summarise(found: FoundMemento, snapshot_id: int | None) -> SourceRecovery:
    task = found.task
    if found.skipped:
        return SourceRecovery(task.source_id, task.url, "skipped", found.skipped)
    if snapshot_id is not None:
        assert (
            found.result is not None and found.memento is not None and found.memento_dt is not None
        )
        return SourceRecovery(
            task.source_id,
            task.url,
            "recovered",
            None,
            found.memento.archive,
            found.result.final_url or found.memento.url,
            clock.format_time(found.memento_dt),
            found.relation,
            snapshot_id,
            found.mismatch,
            found.lookups,
        )
    failed = [lk for lk in found.lookups if lk.outcome == "failed"]
    outcome = "failed" if failed else "not_found"
    message = "; ".join(lk.message or lk.outcome for lk in found.lookups) or None
    return SourceRecovery(task.source_id, task.url, outcome, message, lookups=found.lookups)


# --------------------------------------------------------------------------- the command


def recover(
    db: Database,
    *,
    claim_id: int | None = None,
    source_ids: Sequence[int] | None = None,
    article_id: int | None = None,
    options: RecoverOptions | None = None,
    progress: Callable[[SourceRecovery], None] | None = None,
) -> RecoverSummary:
    """Look up the selected sources (all by default) that are gone, failed, unknown or dead in
    the web archives and store the best memento of each as a snapshot. Sources that work, or
    that have a recovered memento already, are left alone (`again` looks them up anew)."""
    options = options or RecoverOptions()
    archives = list(options.archives) if options.archives else configured_archives(db)
    tasks, nothing = _select(db, claim_id, source_ids, article_id, options.again)
    results: list[SourceRecovery] = list(nothing)
    client: ArchiveClient | None = None
    if options.executor is not None:  # the look-ups run on a cluster (cluster.py)
        pool = options.executor.start_recovery(options)
        submit = pool.submit_lookup
    else:
        client = ArchiveClient(options, len(tasks))
        pool = cf.ThreadPoolExecutor(
            max_workers=max(1, options.concurrency), thread_name_prefix="verify-recover"
        )
        submit = lambda t, a: pool.submit(find_memento, t, a, client)  # noqa: E731
    waiting = list(reversed(tasks))
    futures: dict[cf.Future, LookupTask] = {}
    try:
        while waiting or futures:
            while waiting and len(futures) < max(1, options.concurrency):
                task = waiting.pop()
                futures[submit(task, archives)] = task
            done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
            for future in done:
                task = futures.pop(future)
                try:
                    found = future.result()
                except ClusterError:
                    raise  # the scheduler went away: stop; what is stored stays stored
                except Exception as exc:  # noqa: BLE001 - one source's bug never stops the batch
                    found = FoundMemento(
                        task,
                        (
                            Lookup(
                                "-", "failed", None, "unsupported", f"internal error: {exc}"[:300]
                            ),
                        ),
                    )
                outcome = _store(db, found, options.actor)
                results.append(outcome)
                if progress is not None:
                    progress(outcome)
    except BaseException:
        if client is not None:
            abort_fetches()  # Ctrl-C or a failing writer: cut the requests in flight short
        else:
            pool.close(interrupted=True)
        raise
    finally:
        if client is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            client.close()
        else:
            pool.close()
    results.sort(key=lambda r: r.source_id)
    count = {
        k: sum(r.outcome == k for r in results)
        for k in ("recovered", "not_found", "failed", "skipped")
    }
    live = sum(r.outcome in ("live", "already") for r in results)
    return RecoverSummary(live=live, results=tuple(results), **count)


# --------------------------------------------------------------------------- labels


def archive_label(snap: dict[str, Any]) -> str | None:
    """What the reviewer is told about a memento, e.g. 'From the Internet Archive, captured
    2015-11-20, 3 days before the article'. None for a live capture."""
    if snap.get("origin") != "archive" or not snap.get("memento_datetime"):
        return None
    name = snap.get("archive_name") or "a web archive"
    where = f"the {name}" if name == INTERNET_ARCHIVE else name
    captured = clock.parse_time(snap["memento_datetime"])
    text = f"From {where}, captured {captured:%Y-%m-%d}"
    if snap.get("reference_at"):
        ref = clock.parse_time(snap["reference_at"])
        what = (
            "the article"
            if snap.get("reference_kind") == "article"
            else "verify first saw the source"
        )
        days = (ref.date() - captured.date()).days
        if days == 0:
            text += f", the same day as {what}" if what == "the article" else f", the day {what}"
        elif days > 0:
            text += f", {_days(days)} before {what}"
        else:
            text += f", {_days(-days)} after {what} (no earlier copy was found)"
    if snap.get("digest_mismatch"):
        text += "; its bytes differ from the digest in the archive's index"
    return text


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
