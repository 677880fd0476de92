"""Many sources -> snapshots: concurrency, per-host politeness, storing, change detection.

Workers (a thread pool, one requests session per worker) fetch; readable text is extracted in
those threads, or for big batches in a pool of extraction processes (spawned, and each one
exits when verify dies, however it died: see _exit_with_parent). The calling thread is the single
writer and stores each result as ONE transaction: payload (once per sha256), snapshot row and a
'fetched' event. So a kill at any moment leaves whole snapshots only.

Which sources a run takes:
- plain fetch: sources never fetched and sources whose latest snapshot failed (their
  model.source_state is in model.FETCH_AGAIN_STATES); a source that is gone (404/410, dns) or
  unknown (the server refused us) is an answer, not a failure, and is not taken again;
- --refetch: every selected source.

Every run that fetches anything is recorded in fetch_runs with its selection. An unfinished run
with the same selection (a killed one) is resumed: it skips the sources it already stored, so
no source whose snapshot was stored is fetched again by the resumed run (not even a failed one:
the next run retries those). A source that was in flight when the process died (requested, not
yet stored) is requested again, at most `concurrency` of them."""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import difflib
import hashlib
import json
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Any

from sqlite_utils import Database

from verify import clock, model, store
from verify.capture import browser as browser_mod
from verify.capture import replay
from verify.capture.fetch import (
    FetchOptions,
    FetchResult,
    RobotsCache,
    abort_fetches,
    decode_payload,
    fetch_url,
    make_session,
)
from verify.errors import ClusterError, InputError, NotFoundError
from verify.text import extract


@dataclass(frozen=True)
class CaptureOptions:
    concurrency: int = 32
    per_host: int = 2
    delay: float = 0.0  # seconds between two request starts on one host
    refetch: bool = False
    fetch: FetchOptions = field(default_factory=FetchOptions)
    clock: Callable[[], float] | None = None  # monotonic clock, injectable (default time.monotonic)
    sleep: Callable[[float], None] | None = None  # injectable (default time.sleep)
    # Extraction processes for big batches (0: extract in the fetch threads). Processes are
    # started with "spawn", which imports the caller's __main__ module: only programs whose
    # entry point is guarded by `if __name__ == "__main__"` (the verify CLI is) should use it.
    extract_processes: int = 0
    # static: one GET per source. browser: the page rendered in headless Chromium as well
    # (browser.py). auto: static, then the browser when the static text is thin or the HTML
    # is an application shell, and always for HTML when `screenshots` is on.
    mode: str = "static"
    screenshots: bool = False
    browser: browser_mod.BrowserOptions = field(default_factory=browser_mod.BrowserOptions)
    engine: browser_mod.BrowserEngine | None = None  # a running engine to share (not closed here)
    # then look up the gone and failed sources in web archives (capture_policy.run_capture)
    recover: bool = False
    # the Dask scheduler that runs the fetches (capture_policy.run_capture connects to it), and
    # the connection (cluster.ClusterExecutor, not closed here: `start(options, jobs)` gives a
    # batch with `submit(job)` -> concurrent.futures Future of an Outcome, `flush()` to hand
    # the submitted jobs over, `workers_in_use()` and `close(interrupted)`); None: this
    # process's threads fetch
    cluster: str | None = None
    executor: Any = None
    # who the 'fetched' events are attributed to: the reviewer's account, or None for the
    # process itself ("verify fetch") when the archive has no accounts
    actor: str | None = None


@dataclass(frozen=True)
class CaptureSummary:
    fetched: int
    failed: int
    unchanged: int
    changed: int
    snapshot_ids: tuple[int, ...] = ()
    run_id: int | None = None
    total: int = 0
    mode: str = "static"  # the mode the run used (auto without Chromium stays static)
    notes: tuple[str, ...] = ()  # things the user should know (said once, on stderr)
    # what changed, named: each source whose capture differs from its previous capture of the
    # same mode, and each claim whose quoted evidence changed (store.snapshots.run_changes)
    changed_sources: tuple[dict[str, Any], ...] = ()
    reopened_claims: tuple[dict[str, Any], ...] = ()
    workers: int | None = None  # the most cluster workers seen during the run (None: local)


@dataclass(frozen=True)
class CaptureProgress:
    """Passed to the progress callback after each stored snapshot."""

    done: int
    total: int
    fetched: int
    failed: int
    url: str
    error: str | None
    snapshot_id: int
    workers: int | None = None  # cluster workers connected (None: a local run)


@dataclass(frozen=True)
class Job:
    source_id: int
    url: str
    host: str


@dataclass(frozen=True)
class Outcome:
    job: Job
    result: FetchResult
    extracted: extract.Extracted | None
    extract_error: str | None = None
    browser: browser_mod.BrowserResult | None = None
    origin: str = "live"  # model.SNAPSHOT_ORIGINS ('archive': a memento, see recover.py)


# --- selection and runs ------------------------------------------------------------------


def select_jobs(
    db: Database, claim_id: int | None, source_ids: Sequence[int] | None, article_id: int | None
) -> dict[str, Any]:
    """The chosen sources as store.captures.sources_with_latest filters, each checked to exist."""
    if claim_id is not None:
        store.claim_row(db, claim_id)
    if article_id is not None:
        store.article_row(db, article_id)
    if source_ids is not None:
        source_ids = sorted({int(i) for i in source_ids})
        for sid in source_ids:
            store.find_source(db, sid)
    return {"claim_id": claim_id, "article_id": article_id, "source_ids": source_ids}


def _pending(db: Database, chosen: dict[str, Any], refetch: bool, run_id: int | None) -> list[Job]:
    """The selected sources to fetch now: all of them with refetch, else those whose state
    (model.source_state of the latest capture) is in model.FETCH_AGAIN_STATES; in both cases
    without the sources already stored by `run_id` (a resumed run)."""
    jobs = []
    for r in store.captures.sources_with_latest(db, **chosen, not_in_run=run_id):
        state = model.source_state(
            r["status"], r["error"], r["changed"], r["snapshot_id"] is not None
        )
        if refetch or state in model.FETCH_AGAIN_STATES:
            jobs.append(Job(r["id"], r["url"], r["host"]))
    return jobs


def _run_params(
    claim_id: int | None, source_ids: Sequence[int] | None, article_id: int | None, refetch: bool
) -> str:
    params = {
        "claim_id": claim_id,
        "article_id": article_id,
        "source_ids": sorted({int(i) for i in source_ids}) if source_ids is not None else None,
        "refetch": refetch,
    }
    return json.dumps(params, sort_keys=True)


def _open_run(db: Database, params: str) -> int:
    """The unfinished run with these params (resume), else a new one."""
    with store.immediate(db):
        found = store.captures.unfinished_run(db, params)
        if found is not None:
            return found
        return store.captures.add_run(db, params, clock.now())


# --- the engine --------------------------------------------------------------------------


PROCESS_EXTRACT_MIN = 40  # below this many sources, starting extraction processes costs more
PARENT_POLL = 0.5  # seconds between two looks at the parent, where prctl is not available


def _exit_with_parent(parent_pid: int) -> None:
    """Initializer of the extraction processes: end this process when verify dies, whatever
    killed it (kill -9 included; a killed parent cannot clean up, and its workers would wait
    on their task queue for ever under pid 1). On Linux the kernel does it: PR_SET_PDEATHSIG
    sends SIGKILL when the parent goes (strictly, when the parent *thread* that started this
    process ends: a fetch thread may start one, and fetch threads end only when the capture is
    over and the workers are not needed). Elsewhere a thread watches the parent pid."""
    if not _pdeathsig():
        threading.Thread(
            target=_poll_parent, args=(parent_pid, PARENT_POLL), daemon=True, name="verify-parent"
        ).start()
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)


def _pdeathsig() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _poll_parent(parent_pid: int, interval: float) -> None:
    """Exit this process once its parent is gone (the orphan is handed to another parent)."""
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)


class Extractor:
    """Readable text, in worker processes for big batches (extraction is CPU work and threads
    share one core under the GIL), in the calling thread otherwise."""

    def __init__(self, jobs: int, processes: int) -> None:
        self.pool: cf.ProcessPoolExecutor | None = None
        workers = min(processes, os.cpu_count() or 1)
        if workers >= 1 and jobs >= PROCESS_EXTRACT_MIN:
            context = multiprocessing.get_context("spawn")  # no fork with threads running
            self.pool = cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )

    def __call__(self, body: bytes, content_type: str | None, url: str) -> extract.Extracted:
        if self.pool is not None:
            try:
                return self.pool.submit(extract.extract, body, content_type, url).result()
            except (BrokenProcessPool, RuntimeError):
                self.pool = None  # a crashed worker: carry on in this process
        return extract.extract(body, content_type, url)

    def close(self, wait: bool = True) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)


class WorkerPool:
    """Thread pool whose threads each keep one requests session (connection reuse)."""

    def __init__(self, options: CaptureOptions, jobs: int = 0) -> None:
        # browser mode: rendering is the CPU work and rendered DOMs are small, so extraction
        # stays in the fetch threads (extraction processes would only add memory)
        processes = 0 if options.mode == "browser" else options.extract_processes
        self.extractor = Extractor(jobs, processes)
        self.options = options
        self.local = threading.local()
        self.sessions: list = []
        self.lock = threading.Lock()
        self.robots = RobotsCache()
        self.pool = cf.ThreadPoolExecutor(
            max_workers=max(1, options.concurrency), thread_name_prefix="verify-fetch"
        )
        self.engine: browser_mod.BrowserEngine | None = options.engine
        self.own_engine = options.engine is None
        self.engine_lock = threading.Lock()
        self.engine_error: str | None = None
        if options.mode == "browser" and self.engine is None:
            try:  # browser mode: a Chromium that cannot start fails the command at once
                self.engine = self._start_engine()
            except BaseException:
                self.close()
                raise

    def _start_engine(self) -> browser_mod.BrowserEngine:
        # per_host limits the sources; a rendered page's subresources have their own per-host
        # limit (BrowserOptions.per_host, what a browser opens to one host)
        return browser_mod.BrowserEngine(self.options.fetch, self.options.browser)

    def _browser(self) -> browser_mod.BrowserEngine | None:
        """The engine, started on first need in auto mode (pages with rich static text never
        start Chromium). None when it cannot start (engine_error says why)."""
        if self.engine is not None or self.engine_error is not None:
            return self.engine
        with self.engine_lock:
            if self.engine is None and self.engine_error is None:
                try:
                    self.engine = self._start_engine()
                except browser_mod.BrowserError as exc:
                    self.engine_error = str(exc)
        return self.engine

    def _session(self):
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = make_session(self.options.fetch)
            with self.lock:
                self.sessions.append(session)
        return session

    def submit(self, job: Job) -> cf.Future:
        """Fetch `job` in one of the threads."""
        return self.pool.submit(self.run, job)

    def flush(self) -> float | None:
        """Nothing to do: `submit` starts the job (a cluster's batch hands jobs over here)."""
        return None

    def run(self, job: Job) -> Outcome:
        result = fetch_url(job.url, self.options.fetch, self._session(), robots=self.robots)
        extracted, problem = None, None
        if result.ok and result.body is not None:
            try:
                extracted = self.extractor(
                    result.body, result.content_type, result.final_url or job.url
                )
            except Exception as exc:  # noqa: BLE001 - the bytes are kept; text can be re-derived
                problem = f"{type(exc).__name__}: {exc}"
        reason = browser_reason(self.options.mode, self.options.screenshots, result, extracted)
        if reason is None:
            return Outcome(job, result, extracted, problem)
        engine = self._browser()
        if engine is None:
            rendered = browser_mod.BrowserResult(
                requested_url=job.url, error="browser", error_message=self.engine_error
            )
        else:
            rendered = engine.capture(job.url, result, reason=reason, mode=self.options.mode)
        if rendered.ok and rendered.dom is not None:
            try:  # the reader's text: from the rendered DOM, through the same extraction
                extracted = self.extractor(
                    rendered.dom, "text/html; charset=utf-8", rendered.page_url or job.url
                )
                problem = None
            except Exception as exc:  # noqa: BLE001
                problem = f"{type(exc).__name__}: {exc}"
        return Outcome(job, result, extracted, problem, rendered)

    def close(self, interrupted: bool = False) -> None:
        """Wait for the fetches in flight; when interrupted, cut them off first."""
        if interrupted:
            abort_fetches()
            if self.engine is not None and self.own_engine:
                self.engine.close()  # renders in flight end now, as failed captures
        self.pool.shutdown(wait=True, cancel_futures=True)
        for session in self.sessions:
            session.close()
        self.extractor.close(wait=not interrupted)
        if self.engine is not None and self.own_engine:
            self.engine.close()


def capture(
    db: Database,
    *,
    claim_id: int | None = None,
    source_ids: Sequence[int] | None = None,
    article_id: int | None = None,
    options: CaptureOptions | None = None,
    progress: Callable[[CaptureProgress], None] | None = None,
) -> CaptureSummary:
    """Fetch the selected sources (all sources by default) and store one snapshot each.
    Without refetch only sources with no snapshot yet; with refetch every selected source once
    per run (a killed run is resumed). Failures are snapshots too; the batch always goes on."""
    options = options or CaptureOptions()
    model.check_choice(options.mode, model.CAPTURE_MODES, "capture mode")
    if options.concurrency < 1 or options.per_host < 1 or options.delay < 0:
        raise InputError("--concurrency and --per-host must be at least 1 and --delay not negative")
    # Two captures of one archive at once would both take the sources that have no snapshot
    # yet and fetch them twice: the second is refused while the first runs.
    with store.side_lock(db, "fetch.lock", busy=_BUSY):
        return _capture(db, claim_id, source_ids, article_id, options, progress)


_BUSY = (
    "another `verify fetch` is capturing this archive: wait for it to finish"
    " (or stop it; nothing it stored is lost) and run this again"
)


def _capture(
    db: Database,
    claim_id: int | None,
    source_ids: Sequence[int] | None,
    article_id: int | None,
    options: CaptureOptions,
    progress: Callable[[CaptureProgress], None] | None,
) -> CaptureSummary:
    chosen = select_jobs(db, claim_id, source_ids, article_id)
    run_params = _run_params(claim_id, source_ids, article_id, options.refetch)
    run_id: int | None
    if options.refetch:
        run_id = _open_run(db, run_params)
    else:
        run_id = store.captures.unfinished_run(db, run_params)
    jobs = _pending(db, chosen, options.refetch, run_id)
    notes: list[str] = []
    if (
        jobs
        and options.mode != "static"
        and options.engine is None
        and options.executor is None  # on a cluster, the workers have the browser
        and browser_mod.find_chromium() is None
    ):
        if options.mode == "browser":
            browser_mod.require_chromium()  # BrowserError (how to install it), nothing stored
        notes.append(
            "no Chromium found: auto mode captures statically (no screenshots, no scripts run);"
            f" {browser_mod.INSTALL_HINT}"
        )
        options = replace(options, mode="static")
    if jobs and run_id is None:
        run_id = _open_run(db, run_params)
    counts = {"fetched": 0, "failed": 0, "unchanged": 0, "changed": 0}
    snapshot_ids: list[int] = []
    if jobs:
        _schedule(db, jobs, options, run_id, counts, snapshot_ids, progress)
    if run_id is not None:
        with store.immediate(db):
            store.captures.finish_run(db, run_id, clock.now())
    changed_sources, reopened = store.snapshots.run_changes(db, snapshot_ids)
    return CaptureSummary(
        workers=options.executor.max_workers if options.executor is not None else None,
        total=len(jobs),
        snapshot_ids=tuple(snapshot_ids),
        run_id=run_id,
        mode=options.mode,
        notes=tuple(notes),
        changed_sources=changed_sources,
        reopened_claims=reopened,
        **counts,
    )


def _schedule(
    db: Database,
    jobs: list[Job],
    options: CaptureOptions,
    run_id: int | None,
    counts: dict[str, int],
    snapshot_ids: list[int],
    progress: Callable[[CaptureProgress], None] | None,
) -> None:
    tick = options.clock or time.monotonic
    sleep = options.sleep or time.sleep
    queues: dict[str, deque[Job]] = {}
    for job in jobs:
        queues.setdefault(job.host, deque()).append(job)
    hosts = deque(queues)  # round robin over hosts
    active: dict[str, int] = dict.fromkeys(queues, 0)
    next_start: dict[str, float] = dict.fromkeys(queues, float("-inf"))
    in_flight: dict[cf.Future, Job] = {}
    if options.executor is not None:  # a cluster runs the fetches (cluster.py)
        workers = options.executor.start(options, len(jobs))
    else:
        workers = WorkerPool(options, len(jobs))
    total = len(jobs)
    try:
        while hosts or in_flight:
            now = tick()
            soonest: float | None = None
            for _ in range(len(hosts)):
                if len(in_flight) >= options.concurrency:
                    break
                host = hosts[0]
                hosts.rotate(-1)
                while (
                    queues[host]
                    and active[host] < options.per_host
                    and next_start[host] <= now
                    and len(in_flight) < options.concurrency
                ):
                    job = queues[host].popleft()
                    active[host] += 1
                    next_start[host] = now + options.delay
                    in_flight[workers.submit(job)] = job
                if not queues[host]:
                    hosts.remove(host)
                elif active[host] < options.per_host and next_start[host] > now:
                    soonest = (
                        next_start[host] if soonest is None else min(soonest, next_start[host])
                    )
            if not in_flight:
                if soonest is not None:
                    sleep(max(0.0, soonest - tick()))
                continue
            due = workers.flush()  # seconds until held jobs are due (cluster batches), or None
            timeout = None if soonest is None else max(0.0, soonest - tick())
            if due is not None:
                timeout = due if timeout is None else min(timeout, due)
            done, _ = cf.wait(in_flight, timeout=timeout, return_when=cf.FIRST_COMPLETED)
            for future in done:
                job = in_flight.pop(future)
                active[job.host] -= 1
                try:
                    outcome = future.result()
                except ClusterError:
                    raise  # the scheduler went away: stop; what is stored stays stored
                except Exception as exc:  # noqa: BLE001 - a bug for one source must not stop the batch
                    failure = FetchResult(
                        requested_url=job.url,
                        fetched_at=clock.now(),
                        error="unsupported",
                        error_message=f"internal error: {type(exc).__name__}: {exc}"[:300],
                    )
                    outcome = Outcome(job, failure, None)
                snapshot_id, changed = store_result(db, outcome, run_id, actor=options.actor)
                snapshot_ids.append(snapshot_id)
                if outcome.result.ok and (outcome.browser is None or outcome.browser.ok):
                    counts["fetched"] += 1
                    if changed == 0:
                        counts["unchanged"] += 1
                    elif changed == 1:
                        counts["changed"] += 1
                else:
                    counts["failed"] += 1
                if progress is not None:
                    progress(
                        CaptureProgress(
                            len(snapshot_ids),
                            total,
                            counts["fetched"],
                            counts["failed"],
                            job.url,
                            outcome.result.error
                            or (outcome.browser.error if outcome.browser else None),
                            snapshot_id,
                            workers.workers_in_use() if options.executor is not None else None,
                        )
                    )
    except BaseException:
        workers.close(interrupted=True)  # Ctrl-C or a failing writer: stop quickly
        raise
    else:
        workers.close()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- browser capture ---------------------------------------------------------------------

THIN_TEXT = 500  # characters of readable text under which auto mode renders the page
_SHELL_MARKERS = re.compile(
    rb"""<div[^>]+id\s*=\s*["']?(?:root|app|__next|__nuxt|main-app|svelte)["']?[^>]*>\s*</div>"""
    rb"""|<noscript[^>]*>[^<]{0,300}(?:enable|requires?|need)[^<]{0,40}javascript""",
    re.IGNORECASE,
)


def browser_reason(
    mode: str,
    screenshots: bool,
    result: FetchResult,
    extracted: extract.Extracted | None,
) -> str | None:
    """Why this capture should also be rendered in the browser (None: it should not)."""
    if mode == "static" or not result.ok or result.body is None:
        return None
    if mode == "browser":
        return "browser mode asked for"
    if extracted is None or extracted.kind != "html":
        return None  # PDFs, images, plain text: the bytes are what the reader sees
    if screenshots:
        return "screenshots are on"
    size = len((extracted.text or "").strip())
    if size < THIN_TEXT:
        return f"static readable text is thin ({size} characters < {THIN_TEXT})"
    if _SHELL_MARKERS.search(result.body[:200_000]):
        return "the HTML is an application shell (an empty root element or a noscript notice)"
    return None


def _store_rendered(db: Database, snapshot_id: int, rendered: browser_mod.BrowserResult) -> None:
    """The browser's part of a snapshot (inside the snapshot's transaction)."""
    dom_sha = store.put_payload(db, rendered.dom) if rendered.dom is not None else None
    shot_sha = (
        store.put_payload(db, rendered.screenshot) if rendered.screenshot is not None else None
    )
    width, height = rendered.screenshot_size or (None, None)
    store.captures.add_browser_capture(
        db,
        snapshot_id,
        {
            "page_url": rendered.page_url,
            "dom_sha256": dom_sha,
            "screenshot_sha256": shot_sha,
            "screenshot_width": width,
            "screenshot_height": height,
            "provenance": _json(rendered.provenance),
            "cut": _json(rendered.cut) if rendered.cut else None,
        },
    )
    for res in rendered.resources:
        sha = store.put_payload(db, res.payload) if res.payload is not None else None
        store.captures.add_snapshot_resource(
            db,
            snapshot_id,
            {
                "url": res.url,
                "method": res.method,
                "resource_type": res.resource_type,
                "status": res.status,
                "headers": _json([list(h) for h in res.headers]) if res.headers else None,
                "content_type": res.content_type,
                "content_encoding": res.content_encoding,
                "sha256": sha,
                "size": len(res.payload) if res.payload is not None else None,
                "ip_address": res.ip_address,
                "fetched_at": res.fetched_at or clock.now(),
                "error": res.error,
                "error_message": res.error_message,
            },
        )


def store_result(
    db: Database, outcome: Outcome, run_id: int | None = None, *, actor: str | None = None
) -> tuple[int, int | None]:
    """Store one fetch as one transaction: payload, snapshot row, 'fetched' event, and the
    evidence check of the source's quoted passages (the store.snapshots.stored hook, which
    the review workflow subscribes to).
    Returns (snapshot id, changed: None first capture or failure, 0 unchanged, 1 changed)."""
    result, job, ext = outcome.result, outcome.job, outcome.extracted
    rendered = outcome.browser
    if rendered is not None and not rendered.ok:
        result = replace(result, error=rendered.error, error_message=rendered.error_message)
    body_sha = hashlib.sha256(result.body).hexdigest() if result.body is not None else None
    with store.immediate(db):
        sha = store.put_payload(db, result.payload) if result.payload is not None else None
        changed = previous_id = None
        mode = "browser" if rendered is not None else "static"
        if result.ok and outcome.origin == "live":
            # like with like: a capture is compared with the previous capture of the same mode
            prev = store.captures.previous_live_body(db, job.source_id, mode)
            if prev is not None:
                previous_id = prev[0]
                changed = int(prev[1] != body_sha)
        message = result.error_message
        if outcome.extract_error:
            message = f"text extraction failed: {outcome.extract_error}"[:300]
        snapshot_id = store.captures.add_snapshot(
            db,
            {
                "source_id": job.source_id,
                "run_id": run_id,
                "requested_url": result.requested_url,
                "final_url": result.final_url,
                "redirects": _json(list(result.redirects)),
                "status": result.status,
                "http_version": result.http_version,
                "request_headers": _json([list(h) for h in result.request_headers])
                if result.request_headers
                else None,
                "headers": _json([list(h) for h in result.headers]) if result.headers else None,
                "sha256": sha,
                "size": len(result.payload) if result.payload is not None else None,
                "body_sha256": body_sha,
                "body_size": len(result.body) if result.body is not None else None,
                "content_encoding": result.content_encoding,
                "content_type": result.content_type,
                "charset": ext.charset if ext else None,
                "title": ext.title if ext else None,
                "canonical_url": ext.canonical_url if ext else None,
                "published": ext.published if ext else None,
                "text": ext.text if ext else None,
                "fetched_at": result.fetched_at or clock.now(),
                "elapsed_ms": result.elapsed_ms,
                "attempts": result.attempts,
                "robots": result.robots,
                "error": result.error,
                "error_message": message,
                "changed": changed,
                "previous_id": previous_id,
                "ip_address": result.ip_address,
                "mode": mode,
                "origin": outcome.origin,
            },
        )
        if rendered is not None:
            _store_rendered(db, snapshot_id, rendered)
        if outcome.origin == "archive":  # a memento: recover.py writes its own 'recovered' event
            return snapshot_id, changed
        store.add_event(
            db,
            "fetched",
            source_id=job.source_id,
            snapshot_id=snapshot_id,
            actor=actor or "verify fetch",
            detail={
                "url": job.url,
                "status": result.status,
                "error": result.error,
                "changed": changed,
            },
        )
        # the evidence a reviewer quoted from this source: still there? (one unit of work:
        # the review workflow subscribes to this hook, see store.snapshots.on_stored)
        store.snapshots.stored(db, job.source_id)
    return snapshot_id, changed


# --- reading -----------------------------------------------------------------------------


def list_sources(
    db: Database, *, claim_id: int | None = None, state: str | None = None
) -> list[dict]:
    """Every source (or a claim's, or those in one state) with the state of its latest live
    snapshot, and the memento recovered from a web archive if any (recovered_snapshot_id)."""
    if state is not None:
        model.check_choice(state, model.SOURCE_STATES, "source state")
    if claim_id is not None:
        store.claim_row(db, claim_id)
    found = store.captures.source_listing(db, claim_id)
    out = []
    state_filter = state
    for r in found:
        state = model.source_state(
            r["status"],
            r["error"],
            r["changed"],
            r["latest_snapshot_id"] is not None,
            dead=r["dead_at"] is not None,
        )
        if state_filter is not None and state != state_filter:
            continue
        out.append(
            {
                "id": r["id"],
                "url": r["url"],
                "state": state,
                **{k: v for k, v in r.items() if k not in ("id", "url")},
            }
        )
    return out


def list_snapshots(db: Database, *, source_id: int | None = None) -> list[dict]:
    """Snapshot records without payload or text, oldest first (PRODUCT.md JSON shape)."""
    if source_id is not None:
        store.find_source(db, int(source_id))
    return store.captures.list_snapshots(db, source_id)


def get_snapshot(db: Database, snapshot_id: int) -> dict:
    """One snapshot with headers, redirects and request headers decoded, and its text."""
    found = store.get_snapshot(db, snapshot_id)
    found["url"] = found["requested_url"]
    found["state"] = model.source_state(found["status"], found["error"], found["changed"])
    found.update(replay.summary(db, snapshot_id))  # mode is a column; the browser's part
    return found


def snapshot_payload(db: Database, snapshot_id: int) -> bytes:
    """The bytes as received (content-encoding intact)."""
    found = [store.snapshot_row(db, snapshot_id, "sha256")["sha256"]]
    if found[0] is None:
        raise NotFoundError(
            f"snapshot {snapshot_id} has no payload (the fetch failed before a body arrived)"
        )
    return store.get_payload(db, found[0])


def snapshot_body(db: Database, snapshot_id: int) -> bytes:
    """The decoded body (gzip/deflate undone) of a snapshot."""
    payload = snapshot_payload(db, snapshot_id)
    encoding = store.captures.content_encoding(db, snapshot_id)
    return decode_payload(payload, encoding)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")


def _diff_lines(text: str | None) -> list[str]:
    lines: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            lines.extend(part.strip() for part in _SENTENCE_END.split(line) if part.strip())
    return lines


def diff_snapshots(db: Database, a: int, b: int) -> str:
    """Unified diff of the readable text of two snapshots (one sentence per line); '' if equal."""
    first, second = get_snapshot(db, a), get_snapshot(db, b)
    return "\n".join(
        difflib.unified_diff(
            _diff_lines(first["text"]),
            _diff_lines(second["text"]),
            fromfile=f"snapshot {a} ({first['fetched_at']})",
            tofile=f"snapshot {b} ({second['fetched_at']})",
            lineterm="",
        )
    )
