"""Capture policy: the one place that turns the archive's settings (`capture_mode`,
`screenshots`, `recover`, `cluster`), the environment (`VERIFY_ALLOW_HOSTS`, `VERIFY_CLUSTER`)
and a caller's explicit choices into capture options. `verify fetch` and the web UI's Capture
button both call `capture_options`, then `run_capture`, so they capture the same way."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlite_utils import Database

from verify import model, settings
from verify.capture.engine import CaptureOptions, CaptureProgress, CaptureSummary, capture
from verify.capture.fetch import FetchOptions
from verify.capture.netguard import merge_allow_hosts
from verify.errors import ClusterError, InputError
from verify.webarchives.recover import RecoverOptions, RecoverSummary, recover

EXTRACT_PROCESSES_CAP = 4  # extraction processes a big batch may start, at most


def default_extract_processes() -> int:
    """Extraction processes for big batches: one per core up to a cap, none on one core."""
    cores = os.cpu_count() or 1
    return min(cores, EXTRACT_PROCESSES_CAP) if cores > 1 else 0


def cluster_address(
    db: Database, cluster: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str | None:
    """The scheduler captures run on: `cluster` when given, else VERIFY_CLUSTER, else the
    `cluster` setting; None for a local run (none of them, or `local`)."""
    env = os.environ if environ is None else environ
    chosen = cluster or env.get("VERIFY_CLUSTER", "").strip() or settings.get_value(db, "cluster")
    if not chosen:
        return None
    address = settings.check_cluster_address(chosen)
    return None if address == settings.LOCAL_CLUSTER else address


def capture_options(
    db: Database,
    *,
    mode: str | None = None,
    screenshots: bool | None = None,
    recover: bool | None = None,
    refetch: bool = False,
    concurrency: int | None = None,
    per_host: int | None = None,
    delay: float | None = None,
    allow_hosts: Iterable[str] = (),
    ignore_robots: bool | None = None,
    max_bytes: int | None = None,
    deadline: float | None = None,
    extract_processes: int | None = None,
    cluster: str | None = None,
    environ: Mapping[str, str] | None = None,
    actor: str | None = None,
) -> CaptureOptions:
    """Capture options: each argument given wins; None takes the archive's setting (mode,
    screenshots, recover, cluster; VERIFY_CLUSTER before the setting) or the built-in
    default. Allowed hosts are the ones given plus VERIFY_ALLOW_HOSTS (on a cluster they travel
    with each task). `actor` is the account the capture's events are attributed to (checked by
    the caller with accounts.authorize; None: the process, "verify fetch"). Bad values raise
    InputError and change nothing."""
    base = CaptureOptions()
    chosen_mode = (mode or settings.get_value(db, "capture_mode") or "auto").strip().lower()
    model.check_choice(chosen_mode, model.CAPTURE_MODES, "capture mode")
    if screenshots is None:
        screenshots = settings.get_value(db, "screenshots") == "on"
    if recover is None:
        recover = settings.get_value(db, "recover") == "on"
    concurrency = base.concurrency if concurrency is None else concurrency
    per_host = base.per_host if per_host is None else per_host
    delay = base.delay if delay is None else delay
    if concurrency < 1 or per_host < 1 or delay < 0:
        raise InputError("--concurrency and --per-host must be at least 1 and --delay not negative")
    fetch = FetchOptions(allow_hosts=merge_allow_hosts(allow_hosts, environ=environ))
    if ignore_robots is not None:
        fetch = replace(fetch, ignore_robots=ignore_robots)
    if max_bytes is not None:
        if max_bytes < 1:
            raise InputError(f"--max-bytes must be at least 1, not {max_bytes}")
        fetch = replace(fetch, max_bytes=max_bytes)
    if deadline is not None:
        if deadline <= 0:
            raise InputError(f"--timeout must be more than 0 seconds, not {deadline:g}")
        fetch = replace(
            fetch,
            deadline=deadline,
            read_timeout=min(fetch.read_timeout, deadline),
            connect_timeout=min(fetch.connect_timeout, deadline),
        )
    return replace(
        base,
        mode=chosen_mode,
        screenshots=screenshots,
        recover=recover,
        refetch=refetch,
        concurrency=concurrency,
        per_host=per_host,
        delay=delay,
        extract_processes=(
            default_extract_processes() if extract_processes is None else extract_processes
        ),
        fetch=fetch,
        cluster=cluster_address(db, cluster, environ=environ),
        actor=actor,
    )


@contextmanager
def on_cluster(options: CaptureOptions) -> Iterator[CaptureOptions]:
    """`options` connected to their cluster (`options.cluster`) for the time of the block, or
    unchanged for a local run (or when already connected)."""
    if options.cluster is None or options.executor is not None:
        yield options
        return
    with connected(options.cluster) as executor:
        yield replace(options, executor=executor)


@contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """A connection (cluster.ClusterExecutor) to the Dask scheduler at `address` for the time
    of the block; None when `address` is None (a local run)."""
    if address is None:
        yield None
        return
    if importlib.util.find_spec("distributed") is None:
        raise ClusterError(
            "running on a cluster needs Dask's distributed package:"
            " pip install 'verify[cluster]' (or run with --cluster local)"
        )
    from verify.capture import cluster  # imports distributed, the optional extra

    with cluster.connect(address) as executor:
        yield executor


@dataclass(frozen=True)
class CaptureReport:
    """What `run_capture` did: the capture, and the web-archive recovery when it ran."""

    capture: CaptureSummary
    recovery: RecoverSummary | None = None  # when options.recover

    @property
    def failed(self) -> bool:
        """True when any source failed (the capture's, or the recovery's look-ups)."""
        return bool(self.capture.failed or (self.recovery and self.recovery.failed))


def run_capture(
    db: Database,
    options: CaptureOptions,
    *,
    claim_id: int | None = None,
    source_ids: Sequence[int] | None = None,
    article_id: int | None = None,
    progress: Callable[[CaptureProgress], None] | None = None,
    on_captured: Callable[[CaptureSummary], None] | None = None,
) -> CaptureReport:
    """Capture the selected sources with `options` (on the Dask scheduler `options.cluster`
    when set: the fetches run on its workers, this process stores), then, when `options.recover`
    is on, look up the gone and failed ones in web archives (the same selection, on the same
    cluster). `on_captured` hears the capture's summary before the recovery starts."""
    with on_cluster(options) as options:
        summary = capture(
            db,
            claim_id=claim_id,
            source_ids=source_ids,
            article_id=article_id,
            options=options,
            progress=progress,
        )
        if on_captured is not None:
            on_captured(summary)
        recovery = None
        if options.recover:
            recovery = recover(
                db,
                claim_id=claim_id,
                source_ids=source_ids,
                article_id=article_id,
                options=RecoverOptions(
                    fetch=options.fetch, executor=options.executor, actor=options.actor
                ),
            )
    return CaptureReport(summary, recovery)
