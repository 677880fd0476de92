"""capture(): many sources -> snapshot records, against the local fault server."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from conftest import LocalSite, Response
from faultserver import FaultSite, gzip_bomb

from verify import store
from verify.capture import engine as cap
from verify.capture.fetch import FetchOptions
from verify.errors import InputError, NotFoundError
from verify.ingest.claims import ensure_source

MB = 2**20


@pytest.fixture
def fault():
    gzip_bomb()  # built once per process, before any deadline runs
    server = FaultSite(drip_interval=0.2)
    yield server
    server.close()


def options(*netlocs: str, **kw) -> cap.CaptureOptions:
    fetch = FetchOptions(
        allow_hosts=tuple(netlocs),
        max_bytes=MB,
        deadline=kw.pop("deadline", 1.5),
        read_timeout=2.0,
        connect_timeout=2.0,
        sleep=lambda s: None,
        **kw.pop("fetch", {}),
    )
    return cap.CaptureOptions(fetch=fetch, **kw)


def add_sources(db, urls: list[str]) -> list[int]:
    with store.immediate(db):
        return [ensure_source(db, u) for u in urls]


def snap_by_path(db, fault: FaultSite) -> dict[str, dict]:
    out = {}
    for row in store.rows(db, "SELECT * FROM snapshots ORDER BY id"):
        out[row["requested_url"].removeprefix(fault.url(""))] = row
    return out


FAULTS = {
    # path: (error, status, state)
    "/ok": (None, 200, "ok"),
    "/redirect": (None, 200, "ok"),
    "/drip": ("timeout", 200, "failed"),
    "/reset": ("reset", 200, "failed"),
    "/loop1": ("redirect_loop", None, "failed"),
    "/to-metadata": ("blocked_address", None, "failed"),
    "/huge": ("too_large", 200, "failed"),
    "/bomb": ("too_large", 200, "failed"),
    "/retry": (None, 200, "ok"),
    "/error500": ("http_error", 500, "failed"),
    "/missing": ("http_error", 404, "gone"),
    "/gone": ("http_error", 410, "gone"),
    "/forbidden": ("http_error", 403, "unknown"),
    "/latin1": (None, 200, "ok"),
    "/pdf": (None, 200, "ok"),
    "/binary": (None, 200, "ok"),
    "/scripts": (None, 200, "ok"),
    "/json": (None, 200, "ok"),
    "/private": ("robots", None, "failed"),
}


def test_every_fault_ends_as_the_right_snapshot(db, fault: FaultSite) -> None:
    ids = add_sources(db, [fault.url(p) for p in FAULTS])
    seen = []
    summary = cap.capture(
        db, options=options(fault.netloc, concurrency=8, per_host=8), progress=seen.append
    )
    assert summary.total == len(FAULTS) == len(seen) == len(summary.snapshot_ids)
    assert (
        summary.fetched == 8 and summary.failed == 11 and summary.changed == summary.unchanged == 0
    )
    snaps = snap_by_path(db, fault)
    assert set(snaps) == set(FAULTS)  # the batch went on past every failure
    states = {s["url"].removeprefix(fault.url("")): s["state"] for s in cap.list_sources(db)}
    for path, (error, status, state) in FAULTS.items():
        row = snaps[path]
        assert row["status"] == status, (path, row["error_message"])
        assert row["error"] == error, (path, row["error_message"])
        assert states[path] == state, path
        assert row["error_message"] if error else row["error_message"] is None
        assert row["fetched_at"].endswith("Z") and row["attempts"] >= 1 and row["elapsed_ms"] > 0
    assert {s["id"] for s in cap.list_sources(db)} == set(ids)

    ok = snaps["/ok"]
    assert "22 people died" in ok["text"] and ok["title"] == "OK page"
    assert ["Content-Type", "text/html; charset=utf-8"] in json.loads(ok["headers"])
    assert ok["robots"] == "allowed" and ok["http_version"] == "HTTP/1.1"
    assert ok["sha256"] == hashlib.sha256(cap.snapshot_payload(db, ok["id"])).hexdigest()
    assert ok["body_sha256"] == ok["sha256"] and ok["size"] == ok["body_size"]
    (hop,) = json.loads(snaps["/redirect"]["redirects"])
    assert (hop["url"], hop["status"], hop["location"]) == (fault.url("/redirect"), 301, "/ok")
    assert hop["ip_address"] == "127.0.0.1" and ["Location", "/ok"] in hop["headers"]
    assert snaps["/redirect"]["ip_address"] == "127.0.0.1"
    assert snaps["/redirect"]["final_url"] == fault.url("/ok")
    assert snaps["/retry"]["attempts"] == 2 and "170 hostages" in snaps["/retry"]["text"]
    assert (
        snaps["/error500"]["attempts"] == 4
        and snaps["/error500"]["error_message"] == "HTTP 500 Internal Server Error"
    )
    assert cap.snapshot_payload(db, snaps["/missing"]["id"]).startswith(b"<html><title>Not here")
    assert "169.254.169.254" in snaps["/to-metadata"]["error_message"]
    assert snaps["/private"]["robots"] == "disallowed" and "/private" not in fault.hits
    assert snaps["/drip"]["sha256"] is None and snaps["/bomb"]["sha256"] is None

    latin = snaps["/latin1"]
    assert "Le café de la gare a fermé en août" in latin["text"] and latin["title"] == "Café crème"
    assert latin["charset"] and latin["charset"].lower().replace("_", "-") in (
        "iso-8859-1",
        "latin-1",
        "cp1252",
        "windows-1252",
    )
    assert "650 new posts" in snaps["/pdf"]["text"]
    binary = snaps["/binary"]
    assert (
        binary["text"] == ""
        and binary["content_type"] == "image/png"
        and binary["size"] == 256 * 40
    )
    assert cap.snapshot_payload(db, binary["id"]) == bytes(range(256)) * 40
    page = snaps["/scripts"]["text"]
    assert "61 votes to 40" in page and "four percent" in page
    for junk in (
        "SECRET_TRACKER_CODE",
        "ONLOAD_HANDLER",
        "ONERROR_HANDLER",
        "EVIL_INLINE",
        "STYLE_RULE",
        "injected",
    ):
        assert junk not in page
    assert '{"deaths": 22' in snaps["/json"]["text"]

    events = store.rows(db, "SELECT * FROM events WHERE kind = 'fetched' ORDER BY id")
    assert sorted(e["snapshot_id"] for e in events) == sorted(summary.snapshot_ids)
    assert all(e["source_id"] for e in events)

    # a second plain fetch takes the failed sources again, not the ok, gone or unknown ones
    again = cap.capture(db, options=options(fault.netloc, concurrency=8, per_host=8))
    failed = {path for path, (_, _, state) in FAULTS.items() if state == "failed"}
    assert again.total == len(failed) == 8
    retried = store.rows(
        db, "SELECT requested_url FROM snapshots WHERE id > ?", [max(summary.snapshot_ids)]
    )
    assert {r["requested_url"].removeprefix(fault.url("")) for r in retried} == failed


def test_refetch_marks_unchanged_and_changed(db, site: LocalSite) -> None:
    site.routes["/a"] = Response(200, "<html><title>A</title><p>Turnout was 61 percent.</p></html>")
    site.routes["/b"] = Response(
        200, "<html><title>B</title><p>The dam holds 3 billion litres.</p></html>"
    )
    a, b = add_sources(db, [site.url("/a"), site.url("/b")])
    first = cap.capture(db, options=options(site.netloc))
    assert (first.fetched, first.changed, first.unchanged) == (2, 0, 0)
    site.routes["/b"] = Response(
        200, "<html><title>B</title><p>The dam holds 2 billion litres.</p></html>"
    )
    second = cap.capture(db, options=options(site.netloc, refetch=True))
    assert (second.fetched, second.unchanged, second.changed) == (2, 1, 1)
    assert store.row(db, "SELECT count(*) AS n FROM payloads")["n"] == 3  # /a stored once
    snaps = {s["source_id"]: s for s in cap.list_snapshots(db) if s["id"] in second.snapshot_ids}
    assert snaps[a]["changed"] == 0 and snaps[b]["changed"] == 1
    old_b = [s for s in cap.list_snapshots(db, source_id=b)][0]["id"]
    assert cap.get_snapshot(db, snaps[b]["id"])["previous_id"] == old_b
    diff = cap.diff_snapshots(db, old_b, snaps[b]["id"])
    assert "-The dam holds 3 billion litres." in diff and "+The dam holds 2 billion litres." in diff
    assert cap.diff_snapshots(db, old_b, old_b) == ""
    states = {s["id"]: s["state"] for s in cap.list_sources(db)}
    assert states == {a: "ok", b: "changed"}
    # the refetch run is finished: a new refetch starts a new run
    third = cap.capture(db, options=options(site.netloc, refetch=True))
    assert third.run_id != second.run_id and third.unchanged == 2


def test_states_pending_and_dns_gone(db, site: LocalSite) -> None:
    def no_such_host(host: str, port: int) -> list[str]:
        import socket

        raise socket.gaierror(-2, "Name or service not known")

    [gone] = add_sources(db, ["http://no-such-host.example/x"])
    assert cap.list_sources(db)[0]["state"] == "pending"
    cap.capture(db, options=options(fetch={"resolver": no_such_host}))
    source = cap.list_sources(db)[0]
    assert source["id"] == gone and source["state"] == "gone" and source["error"] == "dns"


def test_refetch_run_resumes_after_interruption(db, site: LocalSite) -> None:
    for i in range(6):
        site.routes[f"/p{i}"] = Response(200, f"<p>page {i} says 12 ministers resigned</p>")
    add_sources(db, [site.url(f"/p{i}") for i in range(6)])
    cap.capture(db, options=options(site.netloc))
    stored = []

    def die_after_two(p: cap.CaptureProgress) -> None:
        stored.append(p.snapshot_id)
        if len(stored) == 2:
            raise KeyboardInterrupt  # as if the process were killed right after this commit

    with pytest.raises(KeyboardInterrupt):
        cap.capture(
            db,
            options=options(site.netloc, refetch=True, concurrency=1, per_host=1),
            progress=die_after_two,
        )
    run = store.row(db, "SELECT * FROM fetch_runs WHERE params LIKE '%\"refetch\": true%'")
    assert run["finished_at"] is None
    resumed = cap.capture(db, options=options(site.netloc, refetch=True, concurrency=1, per_host=1))
    assert resumed.run_id == run["id"] and resumed.total == 4 and resumed.unchanged == 4
    assert all(site.hits[f"/p{i}"] == 2 for i in range(6))  # nobody fetched a third time
    per_source = store.rows(
        db,
        "SELECT source_id, count(*) AS n FROM snapshots WHERE run_id = ? GROUP BY source_id",
        [run["id"]],
    )
    assert len(per_source) == 6 and all(r["n"] == 1 for r in per_source)


def test_per_host_limit_and_hosts_in_parallel(db) -> None:
    one, two = FaultSite("127.0.0.1", slow=0.1), FaultSite("127.0.0.2", slow=0.1)
    try:
        barrier = threading.Barrier(2, timeout=10)

        def meet(h) -> None:  # answers only when a request to the other host is in flight too
            try:
                barrier.wait()
                status = 200
            except threading.BrokenBarrierError:
                status = 503
            h.send_response(status)
            h.send_header("Content-Length", "2")
            h.end_headers()
            h.wfile.write(b"ok")

        one.routes["/meet"] = meet
        two.routes["/meet"] = meet
        urls = one.add_slow_pages(6) + two.add_slow_pages(6) + [one.url("/meet"), two.url("/meet")]
        add_sources(db, urls)
        summary = cap.capture(
            db,
            options=options(
                one.netloc, two.netloc, concurrency=8, per_host=2, fetch={"ignore_robots": True}
            ),
        )
        assert summary.failed == 0, [s for s in cap.list_snapshots(db) if s["error"]]
        assert 1 <= one.max_active <= 2 and 1 <= two.max_active <= 2
    finally:
        one.close()
        two.close()


def test_per_host_one_at_a_time(db, fault: FaultSite) -> None:
    add_sources(db, fault.add_slow_pages(5))
    fault.slow = 0.05
    summary = cap.capture(db, options=options(fault.netloc, concurrency=8, per_host=1))
    assert summary.fetched == 5 and fault.max_active == 1


def test_delay_between_requests_to_one_host_uses_injected_time(db, site: LocalSite) -> None:
    for i in range(3):
        site.routes[f"/d{i}"] = Response(200, "<p>x</p>")
    add_sources(db, [site.url(f"/d{i}") for i in range(3)])
    now = [1000.0]
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    summary = cap.capture(
        db,
        options=options(
            site.netloc,
            concurrency=4,
            per_host=2,
            delay=5.0,
            clock=lambda: now[0],
            sleep=fake_sleep,
        ),
    )
    assert summary.fetched == 3 and slept == [5.0, 5.0]


def test_reader_never_blocked_and_never_sees_half_rows(db, db_path, fault: FaultSite) -> None:
    urls = fault.add_slow_pages(30)
    fault.slow = 0.01
    add_sources(db, urls)
    errors: list[str] = []
    reads: list[tuple[int, int]] = []
    stop = threading.Event()

    def reader() -> None:
        conn = sqlite3.connect(db_path, timeout=0)  # no busy wait at all: a lock would raise
        try:
            while not stop.is_set():
                try:
                    reads.append(
                        conn.execute(
                            "SELECT (SELECT count(*) FROM snapshots),"
                            " (SELECT count(*) FROM events WHERE kind = 'fetched')"
                        ).fetchone()
                    )
                except sqlite3.OperationalError as exc:
                    errors.append(str(exc))
        finally:
            conn.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        summary = cap.capture(db, options=options(fault.netloc, concurrency=8, per_host=8))
    finally:
        stop.set()
        thread.join()
    assert summary.fetched == 30
    assert errors == []
    assert len(reads) > 10 and all(snaps == events for snaps, events in reads)
    assert reads[-1][0] <= 30
    assert db.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 30


def test_bad_selection_writes_nothing(db) -> None:
    with pytest.raises(NotFoundError, match="no claim 42"):
        cap.capture(db, claim_id=42)
    with pytest.raises(NotFoundError, match="no source 7"):
        cap.capture(db, source_ids=[7])
    with pytest.raises(InputError):
        cap.capture(db, options=cap.CaptureOptions(concurrency=0))
    assert store.row(db, "SELECT count(*) AS n FROM fetch_runs")["n"] == 0


def test_claim_and_source_selection(db, site: LocalSite) -> None:
    from verify.ingest.claims import add_claim

    site.routes["/c1"] = Response(200, "<p>one</p>")
    site.routes["/c2"] = Response(200, "<p>two</p>")
    with store.immediate(db):
        claim = add_claim(db, "Prices rose 4 percent in 2025.", sources=[site.url("/c1")])
        other = ensure_source(db, site.url("/c2"))
    summary = cap.capture(db, claim_id=claim, options=options(site.netloc))
    assert summary.total == 1 and site.hits.get("/c2") is None
    assert [s["state"] for s in cap.list_sources(db, claim_id=claim)] == ["ok"]
    summary = cap.capture(db, source_ids=[other], options=options(site.netloc))
    assert summary.total == 1 and site.hits["/c2"] == 1


def test_snapshot_lookups_raise_not_found(db) -> None:
    with pytest.raises(NotFoundError, match="no snapshot 5"):
        cap.get_snapshot(db, 5)
    with pytest.raises(NotFoundError):
        cap.snapshot_payload(db, 5)
    with pytest.raises(NotFoundError):
        cap.list_snapshots(db, source_id=3)


def test_extraction_in_worker_processes(db, site: LocalSite, monkeypatch) -> None:
    monkeypatch.setattr(cap, "PROCESS_EXTRACT_MIN", 1)
    for i in range(3):
        site.routes[f"/x{i}"] = Response(
            200, f"<html><title>T{i}</title><p>Page {i} reports 40 arrests.</p></html>"
        )
    add_sources(db, [site.url(f"/x{i}") for i in range(3)])
    summary = cap.capture(db, options=options(site.netloc, extract_processes=1))
    assert summary.fetched == 3
    texts = {s["title"]: cap.get_snapshot(db, s["id"])["text"] for s in cap.list_snapshots(db)}
    assert texts == {f"T{i}": f"Page {i} reports 40 arrests." for i in range(3)}


def test_interrupt_cuts_off_fetches_in_flight(db, fault: FaultSite) -> None:
    add_sources(db, [fault.url("/ok"), fault.url("/drip")])
    outcome: list[BaseException] = []

    def stop_after_first(p: cap.CaptureProgress) -> None:
        raise KeyboardInterrupt

    def run() -> None:
        try:
            cap.capture(
                db,
                options=options(
                    fault.netloc,
                    deadline=600.0,
                    concurrency=2,
                    per_host=2,
                    fetch={"ignore_robots": True},
                ),
                progress=stop_after_first,
            )
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)  # liveness, not speed: without the cut-off this waits 600 s
    assert not worker.is_alive(), "the drip fetch was not cut off"
    assert isinstance(outcome[0], KeyboardInterrupt)
    stored = [s["url"] for s in cap.list_snapshots(db)]
    assert stored == [fault.url("/ok")]  # the cut-off fetch is not stored: a re-run fetches it


def test_a_second_capture_of_one_archive_is_refused_while_the_first_runs(
    db, db_path, site: LocalSite, run_cli
) -> None:
    import fcntl
    import os

    from verify.errors import ConflictError

    site.routes["/a"] = Response(200, "<html><title>A</title><p>Turnout was 61 percent.</p></html>")
    add_sources(db, [site.url("/a")])
    fd = os.open(f"{db_path}-fetch.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `verify fetch` holds it
        with pytest.raises(ConflictError, match="another `verify fetch` is capturing"):
            cap.capture(db, options=options(site.netloc))
        result = run_cli("fetch", "--allow-host", "127.0.0.1")
        assert result.exit_code == 1 and result.stderr.startswith(
            "Error: another `verify fetch` is capturing this archive"
        )
        assert site.hits == {}  # nothing was requested
        assert store.row(db, "SELECT count(*) AS n FROM snapshots")["n"] == 0
    finally:
        os.close(fd)
    done = cap.capture(db, options=options(site.netloc))  # the lock is free again
    assert done.fetched == 1


def test_plain_fetch_retries_failed_sources_only(db, site: LocalSite) -> None:
    """Issue 9 item 5: a second plain fetch takes the sources whose latest capture failed
    (model.FETCH_AGAIN_STATES), not the ok, gone or unknown ones; --refetch takes all."""
    site.routes["/ok"] = Response(200, "<p>The bridge opened in 1932.</p>")
    site.routes["/flaky"] = Response(500, "<p>down</p>")
    site.routes["/missing"] = Response(404, "<p>no</p>")
    site.routes["/forbidden"] = Response(403, "<p>go away</p>")
    site.routes["/pay"] = Response(402, "<p>subscribe</p>")
    ids = add_sources(
        db, [site.url(p) for p in ("/ok", "/flaky", "/missing", "/forbidden", "/pay")]
    )
    first = cap.capture(db, options=options(site.netloc))
    assert (first.fetched, first.failed) == (1, 4)
    states = {s["url"].rsplit("/", 1)[1]: s["state"] for s in cap.list_sources(db)}
    assert states == {
        "ok": "ok",
        "flaky": "failed",
        "missing": "gone",
        "forbidden": "unknown",
        "pay": "unknown",
    }
    hits = dict(site.hits)
    site.routes["/flaky"] = Response(200, "<p>The dam holds 3 billion litres.</p>")
    second = cap.capture(db, options=options(site.netloc))
    assert (second.total, second.fetched, second.failed) == (1, 1, 0)
    fetched_again = {p for p, n in site.hits.items() if n != hits.get(p) and p != "/robots.txt"}
    assert fetched_again == {"/flaky"}
    assert cap.list_sources(db)[1]["state"] == "ok"
    third = cap.capture(db, options=options(site.netloc))
    assert third.total == 0  # nothing failed any more
    every = cap.capture(db, options=options(site.netloc, refetch=True))
    assert every.total == len(ids)


@pytest.mark.skipif(sys.platform == "win32", reason="an orphan keeps its parent pid on Windows")
def test_parent_watch_fallback_ends_an_orphan() -> None:
    """Where prctl(PR_SET_PDEATHSIG) is not available an extraction process watches its parent
    pid: kill -9 the parent and the watching child must end."""
    import psutil

    child_code = "import sys; from verify.capture.engine import _poll_parent; _poll_parent(int(sys.argv[1]), 0.05)"
    parent_code = (
        "import os, subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', {child_code!r}, str(os.getpid())]);"
        "print(p.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    child = None
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        assert child.is_running() and child.ppid() == parent.pid
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if child.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the orphaned child is still running")
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()
        if child is not None and child.is_running():
            child.kill()


def test_a_killed_plain_run_is_resumed_then_failures_are_retried(db, site: LocalSite) -> None:
    """A plain fetch killed mid-run: the next run finishes it without fetching again what the
    killed run stored (its failure included); the run after that retries the failure."""
    site.routes["/bad"] = Response(400, "<p>bad</p>")
    for i in range(3):
        site.routes[f"/p{i}"] = Response(200, f"<p>page {i} says 12 ministers resigned</p>")
    add_sources(db, [site.url("/bad")] + [site.url(f"/p{i}") for i in range(3)])
    stored = []

    def die_after_two(p: cap.CaptureProgress) -> None:
        stored.append(p.snapshot_id)
        if len(stored) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cap.capture(
            db, options=options(site.netloc, concurrency=1, per_host=1), progress=die_after_two
        )
    assert site.hits["/bad"] == 1 and cap.list_sources(db)[0]["state"] == "failed"
    resumed = cap.capture(db, options=options(site.netloc, concurrency=1, per_host=1))
    assert resumed.total == 2 and site.hits["/bad"] == 1  # the rest of the killed run only
    retry = cap.capture(db, options=options(site.netloc, concurrency=1, per_host=1))
    assert retry.total == 1 and retry.run_id != resumed.run_id and site.hits["/bad"] == 2
    assert all(site.hits[f"/p{i}"] == 1 for i in range(3))
