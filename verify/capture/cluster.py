"""Capture on a Dask cluster (`verify fetch --cluster tcp://HOST:8786`).

The process that owns the archive (the coordinator) selects the sources, schedules them per
host (capture._schedule: at most `per_host` at once to one host, `delay` between two starts,
`concurrency` in flight across the whole cluster) and stores each result as it arrives, through
capture.store_result, the same single writer as a local run. Dask workers never open the
archive: each task fetches one source, renders it in Chromium when the mode asks, extracts its
text and returns the capture result (capture.Outcome: bytes within FetchOptions.max_bytes,
headers, redirect chain, text, screenshot, subresources, provenance). The allowed hosts and every
other option travel with the task, so a worker's own environment does not widen the network
guard. Each worker keeps one `WorkerPool` (requests sessions, robots.txt cache, one Chromium) per
set of options, through a worker plugin, and closes them when the worker stops.

Faults: a worker killed mid-task has its task run again on another (Dask does it); the
coordinator gets one result per source, so no snapshot is stored twice. A task that kills every
worker it runs on comes back as Dask's KilledWorker and is stored as that source's failure.
A scheduler that goes away ends the command with ClusterError; what was stored stays, and the
unfinished run is resumed by the next `verify fetch` like a local one."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, cast

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
GATHER_ATTEMPTS = 3  # a finished task whose result was lost with its worker is run again


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


def capture_task(job: Job, options: CaptureOptions) -> Outcome:
    """One source, on a Dask worker: fetch, render, extract. Opens no database."""
    plugin = _plugin()
    try:
        workers = plugin.workers_for(options)
    except BrowserError as exc:  # browser mode on a worker without Chromium: say so per source
        outcome = plugin.workers_for(replace(options, mode="static")).run(job)
        message = f"on Dask worker {_worker_name()}: {_one_line(exc)}"[:300]
        failed = BrowserResult(requested_url=job.url, error="browser", error_message=message)
        return replace(outcome, browser=failed)
    return workers.run(job)


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
        try:
            self.client = distributed.Client(
                self.address, timeout=connect_timeout, set_as_default=False
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
        self._addresses: list[str] = []
        self.max_workers = 0

    def worker_addresses(self) -> list[str]:
        """Workers connected to the scheduler (asked at most once a second)."""
        now = time.monotonic()
        if now - self._workers_at >= 1.0:
            self._workers_at = now
            try:
                self._addresses = sorted(self.client.scheduler_info(n_workers=-1)["workers"])
            except Exception:  # noqa: BLE001 - keep the last answer
                pass
            self.max_workers = max(self.max_workers, len(self._addresses))
        return self._addresses

    def workers_in_use(self) -> int:
        return len(self.worker_addresses())

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
        self.workers_in_use()
        return _Batch(self, task_options)

    def start_recovery(self, options: RecoverOptions) -> _Batch:
        """A batch of web-archive look-ups run with `options` (the local-only parts removed)."""
        self.workers_in_use()
        return _Batch(self, replace(options, executor=None, extract_processes=0))

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class _Call:
    """One task: the function a worker runs, its arguments, the host it contacts (None: no
    preference), and the source it is about (for its key)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    host: str | None
    source_id: int


class _Batch:
    """Tasks of one run; `submit` / `submit_lookup` give a concurrent.futures Future each."""

    def __init__(self, executor: ClusterExecutor, options: Any) -> None:
        self.executor = executor
        self.client = executor.client
        self.options = options
        self.lock = threading.Lock()
        self.pending: dict[str, tuple[distributed.Future, cf.Future, _Call, int]] = {}
        self.lost: str | None = None
        self.stop = threading.Event()
        self.watchdog = threading.Thread(target=self._watch, daemon=True, name="verify-cluster")
        self.watchdog.start()

    def submit(self, job: Job) -> cf.Future:
        """Capture one source (capture_task with this run's options)."""
        return self._submit(_Call(capture_task, (job, self.options), job.host, job.source_id))

    def submit_lookup(self, task: LookupTask, archives: list[Archive]) -> cf.Future:
        """Look one source up in the web archives (recover_task)."""
        return self._submit(
            _Call(recover_task, (task, archives, self.options), None, task.source_id)
        )

    def _submit(self, call: _Call, done: cf.Future | None = None, attempt: int = 1) -> cf.Future:
        done = done if done is not None else cf.Future()
        if self.lost is not None:
            done.set_exception(ClusterError(self.lost))
            return done
        key = f"verify-{call.fn.__name__}-{call.source_id}-{uuid.uuid4().hex[:12]}"
        # one host's sources go to one worker when it can take them (its robots.txt is fetched
        # once, its connections are reused), to any other worker otherwise
        workers = self.executor.worker_addresses()
        placement: dict[str, Any] = {}
        if workers and call.host is not None:
            preferred = workers[zlib.crc32(call.host.encode()) % len(workers)]
            placement = {"workers": [preferred], "allow_other_workers": True}
        try:
            future = self.client.submit(call.fn, *call.args, key=key, pure=False, **placement)
        except Exception as exc:  # noqa: BLE001 - the client is closed or broken
            if self.client.status == "running":
                raise
            done.set_exception(ClusterError(self._lost_message(exc)))
            return done
        with self.lock:
            self.pending[key] = (future, done, call, attempt)
        future.add_done_callback(self._finished)
        return done

    def _finished(self, future: distributed.Future) -> None:
        with self.lock:
            entry = self.pending.pop(cast(str, future.key), None)
        if entry is None or entry[1].done():
            return
        _, done, call, attempt = entry
        status = future.status
        if status == "error":  # the task raised, or killed every worker it ran on (KilledWorker)
            try:
                exc = future.exception()
            except BaseException as lost:  # noqa: BLE001 - the answer never came
                done.set_exception(ClusterError(self._lost_message(lost)))
                return
            done.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
            return
        if status != "finished":  # cancelled or lost: the scheduler (or our link to it) is gone
            done.set_exception(ClusterError(self._lost_message(None)))
            return
        try:
            done.set_result(future.result())
        except BaseException as exc:  # noqa: BLE001 - the result could not be gathered
            if self.client.status == "running" and attempt < GATHER_ATTEMPTS:
                self._submit(call, done, attempt + 1)  # its worker died before handing it over
            else:
                done.set_exception(ClusterError(self._lost_message(exc)))

    def _lost_message(self, exc: BaseException | None) -> str:
        why = f" ({_one_line(exc)})" if exc is not None else ""
        return (
            f"lost the Dask scheduler at {self.executor.address}{why}: the snapshots stored so"
            " far are kept; start the scheduler again and rerun the command to resume"
        )

    def _watch(self) -> None:
        """Fail the tasks in flight when the scheduler is gone for `lost_after` seconds."""
        gone_since: float | None = None
        while not self.stop.wait(WATCH_INTERVAL):
            if self.client.status == "running":
                gone_since = None
                continue
            now = time.monotonic()
            gone_since = gone_since if gone_since is not None else now
            if now - gone_since >= self.executor.lost_after:
                self.lost = self._lost_message(None)
                with self.lock:
                    entries, self.pending = list(self.pending.values()), {}
                for _, done, _, _ in entries:
                    if not done.done():
                        done.set_exception(ClusterError(self.lost))
                return

    def workers_in_use(self) -> int:
        return self.executor.workers_in_use()

    def close(self, interrupted: bool = False) -> None:
        """Cancel what is still queued (a failed writer, Ctrl-C) and stop watching."""
        self.stop.set()
        with self.lock:
            entries, self.pending = list(self.pending.values()), {}
        if entries and self.client.status == "running":
            try:
                self.client.cancel([entry[0] for entry in entries])
            except Exception:  # noqa: BLE001 - the scheduler may be gone already
                pass
        for _, done, _, _ in entries:
            done.cancel()


@contextmanager
def connect(address: str, **kwargs: Any) -> Iterator[ClusterExecutor]:
    """An executor on the scheduler at `address`, closed on exit."""
    executor = ClusterExecutor(address, **kwargs)
    try:
        yield executor
    finally:
        executor.close()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
