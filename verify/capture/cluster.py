"""Capture on a Dask cluster (`verify fetch --cluster tcp://HOST:8786`).

The process that owns the archive (the coordinator) selects the sources, schedules them per
host (capture._schedule: at most `per_host` at once to one host, `delay` between two starts,
`concurrency` in flight across the whole cluster) and stores each result as it arrives, through
capture.store_result, the same single writer as a local run. Dask workers never open the
archive: each task takes a few sources (up to BATCH_SIZE, handed to a worker with threads free
for them), fetches them, renders them in Chromium when the mode asks, extracts their text and
returns each capture result (capture.Outcome: bytes within FetchOptions.max_bytes,
headers, redirect chain, text, screenshot, subresources, provenance). The allowed hosts and every
other option travel with the task, so a worker's own environment does not widen the network
guard. Each worker keeps one `WorkerPool` (requests sessions, robots.txt cache, one Chromium) per
set of options, through a worker plugin, and closes them when the worker stops.

Faults: a worker killed mid-task has its task run again on another (Dask does it); the
coordinator gets one result per source, so no snapshot is stored twice. A task that kills every
worker it runs on comes back as Dask's KilledWorker: its sources are sent again one per task,
one at a time, and the one that kills the workers again is stored as that source's failure.
A task given to a worker that has left is sent again (_Batch._rescue), up to Dask's
`allowed-failures` times; after that it counts as killing its workers, as above.
A scheduler that goes away ends the command with ClusterError; what was stored stays, and the
unfinished run is resumed by the next `verify fetch` like a local one."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, cast

import dask
import distributed
from distributed.diagnostics.plugin import WorkerPlugin

from verify.capture.browser import BrowserError, BrowserResult
from verify.capture.engine import CaptureOptions, Job, Outcome, WorkerPool
from verify.errors import ClusterError
from verify.webarchives.mementos import Archive
from verify.webarchives.recover import (
    ArchiveClient,
    FoundMemento,
    LookupTask,
    RecoverOptions,
    find_memento,
)

PLUGIN_NAME = "verify-capture"
CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler
WORKERS_TIMEOUT = 30.0  # seconds to wait for a first worker
LOST_AFTER = 5.0  # seconds without the scheduler before the command gives up
WATCH_INTERVAL = 0.5
BATCH_SIZE = 8  # sources per capture task at most, and no more than the worker's threads
HOLD = 0.1  # seconds a source may wait for others to share its task
GATHER_ATTEMPTS = 3  # a finished task whose result was lost with its worker is run again
# Dask settings for the scheduler and workers that serve verify (docs/cluster.md): verify's
# tasks are many and short, and with Dask's defaults an idle scheduler and four workers
# spend about 0.15 core on the sampling profiler and the event-loop health check
ENGINE_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
}


# --------------------------------------------------------------------------- on a worker


class CapturePlugin(WorkerPlugin):
    """Per worker: the fetch machinery (and Chromium, started once) for each set of options
    the coordinator sends, closed when the worker stops."""

    name = PLUGIN_NAME

    def __getstate__(self) -> dict[str, Any]:
        return {}  # sent to the workers empty: each one builds its own machinery

    def setup(self, worker: Any = None) -> None:
        self.kept: list[tuple[CaptureOptions, WorkerPool]] = []
        self.clients: list[tuple[RecoverOptions, ArchiveClient]] = []
        self.lock = threading.Lock()

    def teardown(self, worker: Any) -> None:
        with self.lock:
            kept, self.kept = self.kept, []
            clients, self.clients = self.clients, []
        for _, workers in kept:
            workers.close()
        for _, client in clients:
            client.close()

    def client_for(self, options: RecoverOptions) -> ArchiveClient:
        """The web-archive client (sessions, per-archive limits) for these options."""
        with self.lock:
            for known, client in self.clients:
                if known == options:
                    return client
            client = ArchiveClient(options)
            self.clients.append((options, client))
            old = self.clients[:-2]
            del self.clients[:-2]
        for _, stale in old:
            stale.close()
        return client

    def workers_for(self, options: CaptureOptions) -> WorkerPool:
        with self.lock:
            for known, workers in self.kept:
                if known == options:
                    return workers
            workers = WorkerPool(options)  # browser mode: Chromium starts here, once
            self.kept.append((options, workers))
            old = self.kept[:-2]  # a worker serving many runs keeps the two latest
            del self.kept[:-2]
        for _, stale in old:
            stale.close()
        return workers


_FALLBACK = CapturePlugin()  # a worker that joined without the plugin (never expected)
_FALLBACK.setup()


def capture_batch(jobs: list[Job], options: CaptureOptions) -> list[Outcome | Exception]:
    """A few sources, on a Dask worker, at once: fetch, render, extract. Opens no database.
    One answer per job, in order: its Outcome, or the exception its capture raised."""
    plugin = _plugin()
    broken: str | None = None
    try:
        workers = plugin.workers_for(options)
    except BrowserError as exc:  # browser mode on a worker without Chromium: say so per source
        workers = plugin.workers_for(replace(options, mode="static"))
        broken = f"on Dask worker {_worker_name()}: {_one_line(exc)}"[:300]
    futures = [workers.submit(job) for job in jobs]  # the pool's threads run them together
    answers: list[Outcome | Exception] = []
    for job, future in zip(jobs, futures, strict=True):
        try:
            outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - one source's bug is that source's failure
            answers.append(exc)
            continue
        if broken is not None:
            failed = BrowserResult(requested_url=job.url, error="browser", error_message=broken)
            outcome = replace(outcome, browser=failed)
        answers.append(outcome)
    return answers


def recover_task(
    task: LookupTask, archives: list[Archive], options: RecoverOptions
) -> FoundMemento:
    """One source's web-archive look-up, on a Dask worker. Opens no database."""
    return find_memento(task, archives, _plugin().client_for(options))


def _plugin() -> CapturePlugin:
    try:
        return cast(CapturePlugin, distributed.get_worker().plugins.get(PLUGIN_NAME, _FALLBACK))
    except ValueError:  # not on a worker (called directly)
        return _FALLBACK


def _worker_name() -> str:
    try:
        worker = distributed.get_worker()
    except ValueError:
        return "(none)"
    return str(worker.name or worker.address)


# --------------------------------------------------------------------------- the coordinator


class ClusterExecutor:
    """A connection to a Dask scheduler that runs capture tasks (see capture._schedule)."""

    def __init__(
        self,
        address: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        workers_timeout: float = WORKERS_TIMEOUT,
        lost_after: float = LOST_AFTER,
    ) -> None:
        self.address = address
        self.lost_after = lost_after
        security = distributed.Security()  # Dask's config: DASK_DISTRIBUTED__COMM__TLS__...
        configured = getattr(security, "tls_ca_file", None) and getattr(
            security, "tls_client_cert", None
        )
        if address.startswith("tls://") and not configured:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address}: a tls:// scheduler needs this"
                " machine's certificate: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE,"
                " DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and"
                " DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY (or the same in Dask's config)"
            )
        try:
            self.client = distributed.Client(
                self.address, timeout=connect_timeout, set_as_default=False, security=security
            )
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {self.address} ({_one_line(exc)}):"
                f" start one with `dask scheduler`, then workers with `dask worker {self.address}`"
            ) from None
        try:
            self.client.register_plugin(CapturePlugin(), name=PLUGIN_NAME)
            self.client.wait_for_workers(1, timeout=workers_timeout)
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise ClusterError(
                f"no Dask worker joined the scheduler at {self.address} within"
                f" {workers_timeout:g} s ({_one_line(exc)}): start workers with"
                f" `dask worker {self.address}` on machines with verify installed"
            ) from None
        self._workers_at = 0.0
        self._threads: dict[str, int] = {}
        self.max_workers = 0

    @functools.cached_property
    def allowed_failures(self) -> int:
        """How many workers a task may see die before it is given up: the scheduler's setting,
        asked the first time a worker leaves with a task (not at every command's start)."""
        try:
            return int(self.client.run_on_scheduler(_allowed_failures))
        except Exception:  # noqa: BLE001 - an older or locked-down scheduler: this machine's
            return int(dask.config.get("distributed.scheduler.allowed-failures"))

    def worker_threads(self) -> dict[str, int]:
        """Each connected worker's address and number of threads (asked at most once a second)."""
        now = time.monotonic()
        if now - self._workers_at >= 1.0:
            self._workers_at = now
            try:
                workers = self.client.scheduler_info(n_workers=-1)["workers"]
                self._threads = {
                    address: max(1, int(info.get("nthreads") or 1))
                    for address, info in sorted(workers.items())
                }
            except Exception:  # noqa: BLE001 - keep the last answer
                pass
            self.max_workers = max(self.max_workers, len(self._threads))
        return self._threads

    def workers_in_use(self) -> int:
        return len(self.worker_threads())

    def start(self, options: CaptureOptions, jobs: int = 0) -> _Batch:
        """A batch of tasks run with `options` (the local-only parts removed)."""
        task_options = replace(
            options,
            executor=None,
            engine=None,
            clock=None,
            sleep=None,
            cluster=None,
            recover=False,
            extract_processes=0,  # a worker's threads extract; scale with more workers
        )
        self.worker_threads()
        return _Batch(self, task_options)

    def start_recovery(self, options: RecoverOptions) -> _Batch:
        """A batch of web-archive look-ups run with `options` (the local-only parts removed)."""
        self.worker_threads()
        return _Batch(self, replace(options, executor=None, extract_processes=0))

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class _Call:
    """One task: the function a worker runs and its arguments, the host it contacts (None: no
    preference), the sources it is about (for its key) and the caller's future of each. A
    capture task carries its jobs and answers with one Outcome (or exception) per job."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    host: str | None
    source_ids: tuple[int, ...]
    dones: tuple[cf.Future, ...]
    jobs: tuple[Job, ...] = ()
    suspect: bool = False  # from a task that killed its workers: runs alone (_next_suspect)


class KilledWorker(RuntimeError):
    """A task sent again each time the worker it was given left, until more of them left than
    the scheduler's `allowed-failures`: what Dask's own KilledWorker says of a task whose
    workers died running it."""

    def __init__(self, call: _Call, deaths: int) -> None:
        sources = ", ".join(map(str, call.source_ids))
        super().__init__(
            f"the worker running source {sources} died {deaths} times (a page that crashes"
            " its worker?); given up, as Dask gives up a task that kills its workers"
        )


@dataclass(frozen=True)
class _Task:
    future: distributed.Future
    call: _Call
    attempt: int
    worker: str | None  # the worker it was given (counted in _Batch.load until it is back)
    deaths: int = 0  # times the worker it was given left before it came back (_rescue)


class _Batch:
    """Tasks of one run; `submit` / `submit_lookup` give a concurrent.futures Future each.

    Captures are handed over in `flush` (the scheduler calls it before it waits): the sources
    submitted since the last flush are placed on workers with free threads, and the ones given
    to one worker travel in tasks of up to BATCH_SIZE sources, which Dask's per-task cost
    (about 10 ms of CPU across the three processes, measured by bench/cluster.py) makes worth
    it. Results come back one task at a time, so a freed source waits up to HOLD seconds for
    others to share its task."""

    def __init__(self, executor: ClusterExecutor, options: Any) -> None:
        self.executor = executor
        self.client = executor.client
        self.options = options
        self.lock = threading.Lock()
        self.pending: dict[str, _Task] = {}  # by Dask key
        self.load: dict[str, int] = {}  # sources handed to each worker and not yet back
        self.seen: dict[str, set[str]] = {}  # host -> the workers given its sources this run
        self.waiting: list[tuple[Job, cf.Future]] = []  # submitted, not yet flushed
        self.waiting_since = 0.0
        # the sources of a task that killed its workers, sent again one at a time
        self.suspects: deque[_Call] = deque()
        self.suspect_out = False
        # sources wait for others to share a task only when no --delay spaces a host's starts
        # (holding them would bunch the starts up)
        self.hold = getattr(options, "delay", 0.0) == 0.0
        self.lost: str | None = None
        self.stop = threading.Event()
        self.watchdog = threading.Thread(target=self._watch, daemon=True, name="verify-cluster")
        self.watchdog.start()

    def submit(self, job: Job) -> cf.Future:
        """Capture one source (capture_batch with this run's options), at the next flush."""
        done: cf.Future = cf.Future()
        if self.lost is not None:
            done.set_exception(ClusterError(self.lost))
            return done
        with self.lock:
            if not self.waiting:
                self.waiting_since = time.monotonic()
            self.waiting.append((job, done))
        return done

    def flush(self) -> float | None:
        """Hand the captures submitted since the last flush to the workers, or hold them while
        fewer wait than fill a task (BATCH_SIZE, or a worker's threads when fewer), other tasks are out (their sources will come back and free
        threads) and the first has waited less than HOLD seconds. Returns the seconds until
        the held ones are due (call again then), or None."""
        with self.lock:
            if not self.waiting:
                return None
            threads = self.executor.worker_threads()
            full = min(BATCH_SIZE, max(threads.values(), default=1))  # a full task
            if self.hold and len(self.waiting) < full and self.pending:
                left = self.waiting_since + HOLD - time.monotonic()
                if left > 0:
                    return left
            waiting, self.waiting = self.waiting, []
            given: dict[str | None, list[tuple[Job, cf.Future]]] = {}
            worker = None
            for job, done in waiting:
                worker = self._place(job.host, worker)
                self._load(worker, 1)
                given.setdefault(worker, []).append((job, done))
        for worker, pairs in given.items():
            for start in range(0, len(pairs), BATCH_SIZE):
                self._send(self._capture_call(pairs[start : start + BATCH_SIZE]), worker)
        return None

    def _capture_call(self, pairs: list[tuple[Job, cf.Future]], suspect: bool = False) -> _Call:
        jobs = tuple(job for job, _ in pairs)
        return _Call(
            capture_batch,
            (list(jobs), self.options),
            jobs[0].host,
            tuple(job.source_id for job in jobs),
            tuple(done for _, done in pairs),
            jobs,
            suspect,
        )

    def submit_lookup(self, task: LookupTask, archives: list[Archive]) -> cf.Future:
        """Look one source up in the web archives (recover_task), handed over at once."""
        done: cf.Future = cf.Future()
        call = _Call(recover_task, (task, archives, self.options), None, (task.source_id,), (done,))
        self._resend(call)
        return done

    def _resend(self, call: _Call, attempt: int = 1, deaths: int = 0) -> None:
        """Place `call` on a worker and send it."""
        with self.lock:
            worker = self._place(call.host)
            self._load(worker, len(call.dones))
        self._send(call, worker, attempt, deaths)

    def _send(self, call: _Call, worker: str | None, attempt: int = 1, deaths: int = 0) -> None:
        """Submit `call` to Dask, to run on `worker` (already counted in self.load)."""
        if self.lost is not None:
            self._load(worker, -len(call.dones), locked=False)
            _fail(call, ClusterError(self.lost))
            return
        # the key names the sources (what a Dask dashboard shows of the task)
        sources = "_".join(map(str, call.source_ids))
        key = f"verify-{call.fn.__name__}-{sources}-{uuid.uuid4().hex[:12]}"
        # the chosen worker runs it; Dask moves it to another one only when that one is gone
        placement: dict[str, Any] = {}
        if worker is not None:
            placement = {"workers": [worker], "allow_other_workers": True}
        try:
            future = self.client.submit(call.fn, *call.args, key=key, pure=False, **placement)
        except Exception as exc:  # noqa: BLE001 - the client is closed or broken
            self._load(worker, -len(call.dones), locked=False)
            if self.client.status == "running":
                raise
            _fail(call, ClusterError(self._lost_message(exc)))
            return
        with self.lock:
            self.pending[key] = _Task(future, call, attempt, worker, deaths)
        future.add_done_callback(self._finished)

    def _place(self, host: str | None, filling: str | None = None) -> str | None:
        """The worker for a source of `host` (under self.lock), among those with a free thread:
        first `filling` (the worker this flush is filling, so that its sources share tasks),
        then one that already had the host in this run (its robots.txt is cached there, its
        connections are open; a new host starts on the worker its name hashes to), then the
        one with the most free threads. No source waits in one worker's queue while
        another has a thread free; when none has, the least loaded worker takes it."""
        threads = self.executor.worker_threads()
        if not threads:
            return None
        order = list(threads)
        if host is None:
            seen: set[str] = set()
        else:
            seen = self.seen.setdefault(host, set())
            if not seen & threads.keys():
                seen.add(order[zlib.crc32(host.encode()) % len(order)])
        ranked = sorted(
            order,
            key=lambda w: (
                threads[w] > self.load.get(w, 0),
                w == filling,
                w in seen,
                threads[w] - self.load.get(w, 0),
            ),
            reverse=True,
        )
        chosen = ranked[0]
        if host is not None:
            seen.add(chosen)
        return chosen

    def _load(self, worker: str | None, change: int, locked: bool = True) -> None:
        """Count `change` sources more (or fewer) on `worker`; locked: self.lock is held."""
        if worker is None:
            return
        if not locked:
            with self.lock:
                self._load(worker, change)
            return
        left = self.load.get(worker, 0) + change
        if left > 0:
            self.load[worker] = left
        else:
            self.load.pop(worker, None)

    def _finished(self, future: distributed.Future) -> None:
        with self.lock:
            task = self.pending.pop(cast(str, future.key), None)
            if task is not None:
                self._load(task.worker, -len(task.call.dones))
        if task is None:
            return  # cancelled by us (close, _rescue)
        try:
            if not all(done.done() for done in task.call.dones):
                self._answer(task, future)
        finally:
            self._suspect_ended(task.call)

    def _answer(self, task: _Task, future: distributed.Future) -> None:
        call = task.call
        status = future.status
        if status == "error":  # the task raised, or killed every worker it ran on (KilledWorker)
            try:
                exc = future.exception()
            except BaseException as lost:  # noqa: BLE001 - the answer never came
                _fail(call, ClusterError(self._lost_message(lost)))
                return
            self._killed(call, exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
            return
        if status != "finished":  # cancelled or lost: the scheduler (or our link to it) is gone
            _fail(call, ClusterError(self._lost_message(None)))
            return
        try:
            result = future.result()
        except BaseException as exc:  # noqa: BLE001 - the result could not be gathered
            if self.client.status == "running" and task.attempt < GATHER_ATTEMPTS:
                self._resend(call, task.attempt + 1)  # its worker died before handing it over
            else:
                _fail(call, ClusterError(self._lost_message(exc)))
            return
        answers = result if call.jobs else [result]
        for done, answer in zip(call.dones, answers, strict=False):
            if isinstance(answer, BaseException):
                done.set_exception(answer)
            else:
                done.set_result(answer)

    def _killed(self, call: _Call, exc: Exception) -> None:
        """`call` failed as a whole (it raised, or its workers kept dying): a task of several
        sources is split, each source sent alone and one at a time, so only the culprit fails;
        a single source fails with `exc`."""
        if len(call.jobs) > 1:
            with self.lock:
                self.suspects.extend(
                    self._capture_call([pair], suspect=True)
                    for pair in zip(call.jobs, call.dones, strict=True)
                )
            self._next_suspect()
            return
        _fail(call, exc)

    def _suspect_ended(self, call: _Call) -> None:
        """When `call` is the suspect out and it is answered, send the next one."""
        if call.suspect and all(done.done() for done in call.dones):
            with self.lock:
                self.suspect_out = False
            self._next_suspect()

    def _next_suspect(self) -> None:
        """Send the next suspect source when none is out."""
        with self.lock:
            if self.suspect_out or not self.suspects:
                return
            call = self.suspects.popleft()
            self.suspect_out = True
        self._resend(call)

    def _lost_message(self, exc: BaseException | None) -> str:
        why = f" ({_one_line(exc)})" if exc is not None else ""
        return (
            f"lost the Dask scheduler at {self.executor.address}{why}: the snapshots stored so"
            " far are kept; start the scheduler again and rerun the command to resume"
        )

    def _watch(self) -> None:
        """Fail the tasks in flight when the scheduler is gone for `lost_after` seconds, and
        send again the tasks given to a worker that has left."""
        gone_since: float | None = None
        while not self.stop.wait(WATCH_INTERVAL):
            if self.client.status == "running":
                gone_since = None
                self._rescue()
                continue
            now = time.monotonic()
            gone_since = gone_since if gone_since is not None else now
            if now - gone_since >= self.executor.lost_after:
                self.lost = self._lost_message(None)
                with self.lock:
                    tasks, self.pending = list(self.pending.values()), {}
                    waiting, self.waiting = self.waiting, []
                    suspects, self.suspects = list(self.suspects), deque()
                for call in [task.call for task in tasks] + suspects:
                    _fail(call, ClusterError(self.lost))
                for _, done in waiting:
                    if not done.done():
                        done.set_exception(ClusterError(self.lost))
                return

    def _rescue(self) -> None:
        """Tasks given to a worker that is gone: Dask moves them to another worker while one is
        left, but when every worker has gone they wait for the one they were given, whose
        address a restarted worker does not take again. Cancel them and send them again (a
        result of the old task is ignored: its key is no longer pending). A new key starts
        Dask's count of the workers a task killed afresh, so the coordinator counts too: a task
        whose worker left more than `allowed-failures` times is treated as one that kills its
        workers (else a source that crashes the only worker would be sent for ever)."""
        alive = self.executor.worker_threads()
        with self.lock:
            stranded = [
                (key, task)
                for key, task in self.pending.items()
                if task.worker is not None and task.worker not in alive
            ]
            for key, task in stranded:
                del self.pending[key]
                self._load(task.worker, -len(task.call.dones))
        for _, task in stranded:
            try:
                self.client.cancel([task.future])
            except Exception:  # noqa: BLE001 - it may have ended already
                pass
            deaths = task.deaths + 1
            if deaths > self.executor.allowed_failures:
                self._killed(task.call, KilledWorker(task.call, deaths))
            else:
                self._resend(task.call, task.attempt, deaths)
            self._suspect_ended(task.call)

    def workers_in_use(self) -> int:
        return self.executor.workers_in_use()

    def close(self, interrupted: bool = False) -> None:
        """Cancel what is still queued (a failed writer, Ctrl-C) and stop watching."""
        self.stop.set()
        with self.lock:
            tasks, self.pending = list(self.pending.values()), {}
            waiting, self.waiting = self.waiting, []
            suspects, self.suspects = list(self.suspects), deque()
        if tasks and self.client.status == "running":
            try:
                self.client.cancel([task.future for task in tasks])
            except Exception:  # noqa: BLE001 - the scheduler may be gone already
                pass
        for task in tasks:
            for done in task.call.dones:
                done.cancel()
        for _, done in waiting:
            done.cancel()
        for call in suspects:
            for done in call.dones:
                done.cancel()


@contextmanager
def connect(address: str, **kwargs: Any) -> Iterator[ClusterExecutor]:
    """An executor on the scheduler at `address`, closed on exit."""
    executor = ClusterExecutor(address, **kwargs)
    try:
        yield executor
    finally:
        executor.close()


def _allowed_failures(dask_scheduler: Any) -> int:
    """Run on the scheduler: its `distributed.scheduler.allowed-failures`."""
    return int(dask_scheduler.allowed_failures)


def _fail(call: _Call, exc: BaseException) -> None:
    """Every source of `call` not answered yet gets `exc`."""
    for done in call.dones:
        if not done.done():
            done.set_exception(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
