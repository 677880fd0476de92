"""verify fetch --cluster on a real Dask engine: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1 (started here as subprocesses, free ports), capturing a local site in
static and browser mode; a worker killed mid-batch loses nothing and duplicates nothing; a
scheduler that goes away ends the run with one clear error and keeps what was stored."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cloudpickle
import distributed
import pytest
from conftest import LocalSite, Response
from distributed.diagnostics.plugin import WorkerPlugin
from fakearchive import FaultyArchive, page

from verify.capture import cluster
from verify.capture import policy as capture_policy
from verify.errors import ClusterError
from verify.ingest import claims
from verify.store import open_db

DASK = str(Path(sys.executable).with_name("dask"))
CHROMIUM = "/usr/bin/chromium"
PAGE = (
    "<!doctype html><html><head><title>Page {n}</title></head><body><article><h1>Page {n}</h1>"
    + "<p>Officials said at least {n} people were counted when the report was written.</p>" * 12
    + "</article></body></html>"
)


class Engine:
    """A scheduler and its workers, each a subprocess; `stop` ends every one of them."""

    def __init__(
        self,
        tmp: Path,
        workers: int,
        chromium: str = CHROMIUM,
        *,
        nanny: bool = False,
        config: dict[str, str] | None = None,
        tls: list[str] | None = None,
    ) -> None:
        self.tmp = tmp
        self.nanny = nanny  # a nanny starts its worker again when the worker dies
        self.tls = tls or []  # --tls-ca-file, --tls-cert and --tls-key for every process
        tmp.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []
        self.workers: list[subprocess.Popen] = []
        self.file = tmp / "scheduler.json"
        env = dict(os.environ, VERIFY_CHROMIUM=chromium, DASK_DISTRIBUTED__WORKER__DAEMON="False")
        env.pop("VERIFY_ALLOW_HOSTS", None)  # allowed hosts travel with the tasks
        env.update(config or {})
        self.env = env
        try:
            self._boot(workers)
        except BaseException:
            self.stop()  # a half-started engine leaves no process behind
            raise

    def _boot(self, workers: int) -> None:
        self.scheduler = self._start(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(self.file),
             *(["--protocol", "tls", *self.tls] if self.tls else [])], "scheduler"
        )  # fmt: skip
        self.address = ""
        deadline = time.monotonic() + 30
        while not self.address and time.monotonic() < deadline:
            try:
                self.address = json.loads(self.file.read_text())["address"]
            except (OSError, ValueError, KeyError):  # not written yet, or half written
                time.sleep(0.1)
        if not self.address:
            raise RuntimeError(
                f"the Dask scheduler did not start: see {self.tmp / 'scheduler.log'}"
            )
        for n in range(workers):
            self.workers.append(self.add_worker(n))
        if not self.tls:
            with distributed.Client(self.address, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=60)  # every test sees all of them

    def _start(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.procs.append(proc)
        return proc

    def add_worker(self, n: int) -> subprocess.Popen:
        proc = self._start(
            [DASK, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "4",
             *([] if self.nanny else ["--no-nanny"]), "--no-dashboard", "--name", f"w{n}",
             *self.tls],
            f"worker{n}",
        )  # fmt: skip
        return proc

    def replace_dead(self) -> None:
        """Start the workers that died again (same names), and wait until all are back."""
        for n, proc in enumerate(self.workers):
            if proc.poll() is not None:
                self.workers[n] = self.add_worker(n)
        with distributed.Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(len(self.workers), timeout=60)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Iterator[Engine]:
    found = Engine(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pages(monkeypatch) -> Iterator[LocalSite]:
    site = LocalSite()
    site.routes["/robots.txt"] = Response(404, "", content_type="text/plain")
    for n in range(40):
        site.routes[f"/p{n}"] = Response(200, PAGE.format(n=n))
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", site.netloc)
    yield site
    site.close()


def add_sources(db, site: LocalSite, count: int) -> int:
    return claims.add_claim(
        db,
        "At least 22 people died in the siege, officials said.",
        sources=[site.url(f"/p{n}") for n in range(count)],
    )


def per_source(db) -> list[tuple]:
    return db.conn.execute(
        "SELECT source_id, count(*), max(error), max(mode) FROM snapshots GROUP BY source_id"
        " ORDER BY source_id"
    ).fetchall()


def test_static_capture_through_the_cluster(engine, pages, db, run_cli) -> None:
    add_sources(db, pages, 12)
    allow = ("--allow-host", pages.netloc)  # (run_cli clears VERIFY_ALLOW_HOSTS)
    done = run_cli("fetch", "--mode", "static", "--cluster", engine.address, "--json", *allow)
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["fetched"], summary["failed"], summary["workers"]) == (12, 0, 2)
    assert summary["cluster"] == engine.address
    assert f"on 2 cluster worker(s) at {engine.address}" in done.stderr
    rows = per_source(db)
    assert [(r[1], r[2], r[3]) for r in rows] == [(1, None, "static")] * 12
    text = db.conn.execute("SELECT text FROM snapshots ORDER BY id LIMIT 1").fetchone()[0]
    assert "people were counted" in text
    # the workers fetched, under the allowed hosts that travelled with the tasks
    assert sum(pages.hits.get(f"/p{n}", 0) for n in range(12)) == 12
    # nothing new to do: a second run captures nothing (the selection is the coordinator's)
    again = run_cli("fetch", "--cluster", engine.address, "--json", *allow)
    assert json.loads(again.stdout)["fetched"] == 0


def test_browser_capture_through_the_cluster(engine, pages, db) -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    add_sources(db, pages, 3)
    options = capture_policy.capture_options(db, mode="browser", cluster=engine.address)
    report = capture_policy.run_capture(db, options)
    assert (report.capture.fetched, report.capture.failed) == (3, 0)
    shots = db.conn.execute(
        "SELECT count(*) FROM snapshots s JOIN browser_captures b ON b.snapshot_id = s.id"
        " WHERE s.mode = 'browser' AND b.screenshot_sha256 IS NOT NULL"
    ).fetchone()[0]
    assert shots == 3


def test_watch_checks_the_due_sources_through_the_cluster(engine, pages, db, run_cli) -> None:
    add_sources(db, pages, 4)
    done = run_cli("watch", "--cluster", engine.address, "--allow-host", pages.netloc, "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["checked"] == 4
    assert [(r[1], r[2]) for r in per_source(db)] == [(1, None)] * 4


def test_recover_looks_up_the_gone_sources_through_the_cluster(
    engine, pages, db, run_cli, monkeypatch
) -> None:
    archive = FaultyArchive().start()
    try:
        gone = pages.url("/gone")
        archive.add(gone, "20260101000000", page("Archived", "Gunmen held 170 hostages."))
        monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
        claims.add_claim(db, "Gunmen held 170 hostages.", sources=[gone, pages.url("/p0")])
        allow = ("--allow-host", "127.0.0.1", "--cluster", engine.address)
        first = run_cli("fetch", "--mode", "static", *allow)
        assert first.exit_code == 1 and "failed 1" in first.stderr  # /gone answers 404
        done = run_cli("recover", *allow, "--json")
    finally:
        archive.close()
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["recovered"], summary["failed"]) == (1, 0)
    text = db.conn.execute("SELECT text FROM snapshots WHERE origin = 'archive'").fetchone()[0]
    assert "170 hostages" in text
    assert len(archive.requests) >= 2  # the workers asked the archive (index, then the copy)


def test_unreachable_scheduler_is_one_clear_error(db, pages, unused_port) -> None:
    add_sources(db, pages, 2)
    options = capture_policy.capture_options(db, cluster=f"tcp://127.0.0.1:{unused_port}")
    with pytest.raises(ClusterError) as err, cluster.connect(options.cluster, connect_timeout=1.0):
        pass
    assert str(err.value).startswith(
        f"cannot reach the Dask scheduler at tcp://127.0.0.1:{unused_port}"
    )
    assert db.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0


def test_a_coordinator_killed_with_9_resumes_when_run_again(
    engine, pages, db_path, run_cli
) -> None:
    slow_pages(pages, 0.3)
    db = open_db(db_path)
    add_sources(db, pages, 30)
    db.close()
    verify = str(Path(sys.executable).with_name("verify"))
    env = dict(os.environ, VERIFY_DB=str(db_path))
    coordinator = subprocess.Popen(
        [verify, "fetch", "--cluster", engine.address, "--allow-host", pages.netloc,
         "--mode", "static", "--concurrency", "4"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        stored = 0
        deadline = time.monotonic() + 30
        while stored < 5 and coordinator.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            db = open_db(db_path)
            stored = db.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
            db.close()
        os.kill(coordinator.pid, signal.SIGKILL)
    finally:
        coordinator.wait()
    db = open_db(db_path)
    kept = db.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    db.close()
    assert 5 <= kept < 30
    again = run_cli("fetch", "--cluster", engine.address, "--allow-host", pages.netloc, "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["fetched"] == 30 - kept
    db = open_db(db_path)
    rows = per_source(db)
    runs = db.conn.execute("SELECT count(*) FROM fetch_runs").fetchone()[0]
    db.close()
    assert len(rows) == 30 and all(count == 1 and error is None for _, count, error, _ in rows)
    assert runs == 1  # the killed run was resumed, not started anew


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(engine, pages, db) -> None:
    slow_pages(pages, 0.3)
    add_sources(db, pages, 40)
    killed: list[tuple[subprocess.Popen, int]] = []

    def progress(p) -> None:
        if p.done >= 4 and not killed:  # kill the worker with the most tasks running
            running = watcher.processing()
            busy = max(running, key=lambda address: len(running[address]))
            if not running[busy]:
                return  # between two hand-overs: try again at the next result
            name = watcher.scheduler_info(n_workers=-1)["workers"][busy]["name"]
            victim = engine.workers[int(str(name)[1:])]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append((victim, len(running[busy])))

    options = capture_policy.capture_options(
        db, mode="static", concurrency=16, per_host=16, cluster=engine.address
    )
    try:
        with distributed.Client(engine.address, set_as_default=False) as watcher:
            report = capture_policy.run_capture(db, options, progress=progress)
    finally:
        engine.replace_dead()  # the module's engine has two workers again for the next tests
    [(victim, tasks)] = killed
    assert victim.wait(timeout=5) == -signal.SIGKILL and tasks > 0  # it died with work to do
    assert (report.capture.fetched, report.capture.failed) == (40, 0)
    rows = per_source(db)
    assert len(rows) == 40 and all(count == 1 and error is None for _, count, error, _ in rows)


class KillOnSource(WorkerPlugin):
    """On a worker: the process exits the moment it starts a capture task that carries source
    `source_id` (task keys name their sources), as a page that crashes its worker would."""

    name = "test-kill-on-source"

    def __init__(self, source_id: int) -> None:
        self.source_id = str(source_id)

    def transition(self, key, start, finish, **kwargs) -> None:
        parts = str(key).split("-")
        if finish == "executing" and parts[1] == "capture_batch":
            if self.source_id in parts[2].split("_"):
                os._exit(1)


def test_a_source_that_kills_every_worker_fails_alone(tmp_path, pages, db) -> None:
    # one failure allowed: Dask gives a task up (KilledWorker) once it has killed two workers
    # (the one worker, started again by its nanny)
    own = Engine(
        tmp_path / "engine",
        workers=1,
        nanny=True,
        config={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"},
    )
    try:
        add_sources(db, pages, 8)
        poison = db.conn.execute("SELECT id FROM sources WHERE url LIKE '%/p5'").fetchone()[0]
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        with distributed.Client(own.address, set_as_default=False) as admin:
            admin.register_plugin(KillOnSource(poison))
            options = capture_policy.capture_options(
                db, mode="static", concurrency=4, per_host=4, cluster=own.address
            )
            report = capture_policy.run_capture(db, options)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        own.stop()
    # its task's sources were sent again one by one: only the source at fault failed
    assert (report.capture.fetched, report.capture.failed) == (7, 1)
    rows = db.conn.execute(
        "SELECT source_id, count(*), max(error), max(error_message) FROM snapshots"
        " GROUP BY source_id ORDER BY source_id"
    ).fetchall()
    assert len(rows) == 8 and all(count == 1 for _, count, _, _ in rows)
    failed = [row for row in rows if row[2] is not None]
    assert [(r[0], r[2]) for r in failed] == [(poison, "unsupported")]
    assert "KilledWorker" in failed[0][3]


def test_a_cluster_that_speaks_tls(tmp_path, pages, db_path) -> None:
    """Scheduler, worker and coordinator with certificates (Dask's TLS, mutual): the capture goes
    through; a coordinator without the client certificate gets one clear line, stores nothing."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=verify-test",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    db = open_db(db_path)
    add_sources(db, pages, 6)
    db.conn.close()
    own = Engine(tmp_path / "engine", workers=1, tls=tls)
    try:
        assert own.address.startswith("tls://")
        env = dict(os.environ, VERIFY_DB=str(db_path), VERIFY_ALLOW_HOSTS=pages.netloc)
        verify = str(Path(sys.executable).with_name("verify"))
        command = [verify, "fetch", "--mode", "static", "--cluster", own.address, "--json"]
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith(f"Error: cannot reach the Dask scheduler at {own.address}")
        assert "DASK_DISTRIBUTED__COMM__TLS__" in line
        env.update(
            DASK_DISTRIBUTED__COMM__TLS__CA_FILE=str(cert),
            DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT=str(cert),
            DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY=str(key),
        )
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    finally:
        own.stop()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fetched"] == 6
    db = open_db(db_path)
    assert [(r[1], r[2]) for r in per_source(db)] == [(1, None)] * 6


def test_per_host_limits_hold_across_workers(engine, pages, db) -> None:
    """Two workers, one host: never more than --per-host requests to it at once, and the starts
    of its pages spaced by --delay, however the sources are spread over the workers."""
    lock = threading.Lock()
    state = {"open": 0, "most": 0}
    starts: list[float] = []
    body = PAGE.format(n="polite").encode()

    def counted(handler) -> None:
        with lock:
            state["open"] += 1
            state["most"] = max(state["most"], state["open"])
            starts.append(time.monotonic())
        try:
            time.sleep(0.4)
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with lock:
                state["open"] -= 1

    for n in range(10):
        pages.routes[f"/p{n}"] = counted
    add_sources(db, pages, 10)
    options = capture_policy.capture_options(
        db, mode="static", concurrency=8, per_host=2, cluster=engine.address
    )
    report = capture_policy.run_capture(db, options)
    assert (report.capture.fetched, report.capture.failed) == (10, 0)
    assert state["most"] == 2  # the limit was reached, never passed
    assert report.capture.workers == 2

    state["most"] = 0
    starts.clear()
    add_sources(db, pages, 10)  # the same pages again, as a second claim's sources: refetch
    spaced = replace(options, per_host=1, delay=0.5, refetch=True)
    report = capture_policy.run_capture(db, spaced)
    assert (report.capture.fetched, report.capture.failed) == (10, 0)
    assert state["most"] == 1
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    # the coordinator spaces the hand-overs by 0.5 s; a hand-over reaches its worker's thread at
    # once (a worker is never given more sources than it has threads), so the starts keep most
    # of that spacing even on a loaded machine
    assert len(gaps) == 9 and min(gaps) > 0.35, gaps


def slow_pages(site: LocalSite, seconds: float) -> None:
    """Every page answers after `seconds`: a batch is still running when a process is killed."""
    body = PAGE.format(n="slow").encode()

    def late(handler) -> None:
        time.sleep(seconds)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    for n in range(40):
        site.routes[f"/p{n}"] = late


def test_browser_mode_on_a_worker_without_chromium_fails_per_source(tmp_path, pages, db) -> None:
    own = Engine(tmp_path / "engine", workers=1, chromium=str(tmp_path / "no-chromium"))
    try:
        add_sources(db, pages, 2)
        options = capture_policy.capture_options(db, mode="browser", cluster=own.address)
        report = capture_policy.run_capture(db, options)
    finally:
        own.stop()
    assert (report.capture.fetched, report.capture.failed) == (0, 2)
    rows = db.conn.execute("SELECT error, error_message, sha256 FROM snapshots").fetchall()
    assert [r[0] for r in rows] == ["browser", "browser"]
    assert all(r[1].startswith("on Dask worker w0: ") and r[2] is not None for r in rows)


def test_a_lost_scheduler_ends_the_run_and_keeps_what_was_stored(tmp_path, pages, db) -> None:
    own = Engine(tmp_path / "engine", workers=1)
    try:
        slow_pages(pages, 0.3)
        add_sources(db, pages, 20)
        stored = []

        def progress(p) -> None:
            stored.append(p.snapshot_id)
            if len(stored) == 3:
                os.kill(own.scheduler.pid, signal.SIGKILL)

        options = capture_policy.capture_options(
            db, mode="static", concurrency=2, per_host=2, cluster=own.address
        )
        with pytest.raises(ClusterError) as err:
            capture_policy.run_capture(db, options, progress=progress)
    finally:
        own.stop()
    assert str(err.value).startswith(f"lost the Dask scheduler at {own.address}")
    assert "rerun the command to resume" in str(err.value)
    kept = db.conn.execute("SELECT count(*), count(DISTINCT source_id) FROM snapshots").fetchone()
    assert kept[0] == kept[1] >= 3 and kept[0] < 20
    # the next run (here a local one) resumes the unfinished run: every source once, in all
    local = capture_policy.capture_options(db, mode="static", cluster="local")
    assert local.cluster is None
    report = capture_policy.run_capture(db, local)
    assert report.capture.fetched == 20 - kept[0]
    rows = per_source(db)
    assert len(rows) == 20 and all(count == 1 and error is None for _, count, error, _ in rows), (
        db.conn.execute("SELECT error_message FROM snapshots WHERE error IS NOT NULL").fetchall()
    )


def test_the_cluster_address_comes_from_option_environment_or_setting(db, run_cli) -> None:
    assert capture_policy.cluster_address(db, environ={}) is None
    assert run_cli("config", "cluster", "10.0.0.5:8786").stdout == "tcp://10.0.0.5:8786\n"
    assert capture_policy.cluster_address(db, environ={}) == "tcp://10.0.0.5:8786"
    env = {"VERIFY_CLUSTER": "tls://sched.example:8786"}
    assert capture_policy.cluster_address(db, environ=env) == "tls://sched.example:8786"
    assert capture_policy.cluster_address(db, "tcp://other:1", environ=env) == "tcp://other:1"
    assert capture_policy.cluster_address(db, "local", environ=env) is None


def test_a_bad_cluster_address_is_one_line_and_changes_nothing(db, pages, run_cli) -> None:
    add_sources(db, pages, 2)
    bad = run_cli("fetch", "--cluster", "nonsense")
    assert bad.exit_code == 1
    assert bad.stderr == (
        "Error: a cluster address is tcp://HOST:PORT (the Dask scheduler's) or local,"
        " not 'nonsense'\n"
    )
    assert run_cli("config", "cluster", "http://x:80").exit_code == 1
    assert db.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0
