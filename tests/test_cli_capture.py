"""The capture commands: fetch, sources, snapshots, snapshot show|diff; kill and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Response
from faultserver import FaultSite

SNAPSHOT_KEYS = {
    "id",
    "source_id",
    "url",
    "final_url",
    "status",
    "error",
    "error_message",
    "sha256",
    "content_type",
    "title",
    "fetched_at",
    "changed",
}


def add(run_cli, *urls: str) -> None:
    args = ["claim", "add", "At least 22 people died in the siege."]
    for url in urls:
        args += ["--source", url]
    assert run_cli(*args).exit_code == 0


def test_fetch_json_sources_and_snapshots(run_cli, site) -> None:
    site.routes["/a"] = Response(
        200, "<html><title>Siege</title><p>Gunmen held 170 hostages.</p></html>"
    )
    site.routes["/gone"] = Response(404, "<p>no</p>")
    add(run_cli, site.url("/a"), site.url("/gone"))
    result = run_cli("fetch", "--json", "--allow-host", site.netloc)
    assert result.exit_code == 1  # one source failed
    assert json.loads(result.stdout) == {
        "fetched": 1, "failed": 1, "unchanged": 0, "changed": 0,
        "changed_sources": [], "reopened_claims": [],
    }  # fmt: skip
    assert (
        "fetched 1, failed 1" in result.stderr and "\r" not in result.stderr
    )  # no bar off a terminal

    sources = json.loads(run_cli("sources", "--json").stdout)
    assert [(s["url"], s["state"]) for s in sources] == [
        (site.url("/a"), "ok"),
        (site.url("/gone"), "gone"),
    ]
    snaps = json.loads(run_cli("snapshots", "--json").stdout)
    assert all(set(s) == SNAPSHOT_KEYS for s in snaps)
    ok = next(s for s in snaps if s["error"] is None)
    assert ok["title"] == "Siege" and ok["status"] == 200 and ok["url"] == site.url("/a")
    missing = next(s for s in snaps if s["error"])
    assert (
        missing["error"] == "http_error"
        and missing["status"] == 404
        and missing["error_message"] == "HTTP 404 Not Found"
    )
    only = json.loads(run_cli("snapshots", "--source", str(ok["source_id"]), "--json").stdout)
    assert [s["id"] for s in only] == [ok["id"]]

    text = run_cli("snapshot", "show", str(ok["id"]), "--text")
    assert text.exit_code == 0 and text.stdout.strip() == "Gunmen held 170 hostages."
    headers = run_cli("snapshot", "show", str(ok["id"]), "--headers").stdout.splitlines()
    assert headers[0] == "HTTP/1.1 200" and "Content-Type: text/html; charset=utf-8" in headers
    html = run_cli("snapshot", "show", str(ok["id"]), "--html").stdout
    assert "<title>Siege</title>" in html
    full = json.loads(run_cli("snapshot", "show", str(ok["id"]), "--json").stdout)
    assert (
        full["text"] == "Gunmen held 170 hostages."
        and full["redirects"] == []
        and full["robots"] == "allowed"
    )
    assert "sha256: " + ok["sha256"] in run_cli("snapshot", "show", str(ok["id"])).stdout

    again = run_cli("fetch", "--allow-host", site.netloc)
    assert again.exit_code == 0 and "nothing to fetch" in again.stderr


def test_second_fetch_retries_what_failed(run_cli, site) -> None:
    """Issue 9 item 5: after a failed `verify fetch`, a second one tries the failure again."""
    site.routes["/flaky"] = Response(
        400, "<p>bad request</p>"
    )  # failed, and not retried inside the fetch
    add(run_cli, site.url("/flaky"))
    assert run_cli("fetch", "--allow-host", site.netloc).exit_code == 1
    site.routes["/flaky"] = Response(200, "<p>Gunmen held 170 hostages.</p>")
    again = run_cli("fetch", "--json", "--allow-host", site.netloc)
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == {
        "fetched": 1, "failed": 0, "unchanged": 0, "changed": 0,
        "changed_sources": [], "reopened_claims": [],
    }  # fmt: skip
    assert [s["state"] for s in json.loads(run_cli("sources", "--json").stdout)] == ["ok"]


def test_refetch_and_diff(run_cli, site) -> None:
    site.routes["/r"] = Response(200, "<p>The army deployed 650 soldiers.</p>")
    add(run_cli, site.url("/r"))
    assert run_cli("fetch", "--allow-host", site.netloc).exit_code == 0
    site.routes["/r"] = Response(200, "<p>The army deployed 600 soldiers.</p>")
    result = run_cli("fetch", "--refetch", "--json", "--allow-host", site.netloc)
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary == {
        "fetched": 1, "failed": 0, "unchanged": 0, "changed": 1,
        "changed_sources": [
            {"source_id": 1, "url": site.url("/r"), "snapshot_id": 2, "previous_id": 1}
        ],
        "reopened_claims": [],
    }  # fmt: skip
    assert "(unchanged 0, changed 1)" in result.stderr
    diff = run_cli("snapshot", "diff", "1", "2")
    assert diff.exit_code == 0
    assert (
        "-The army deployed 650 soldiers." in diff.stdout
        and "+The army deployed 600 soldiers." in diff.stdout
    )
    assert json.loads(run_cli("sources", "--json").stdout)[0]["state"] == "changed"
    same = run_cli("snapshot", "diff", "2", "2")
    assert same.exit_code == 0 and same.stdout == "" and "no difference" in same.stderr


def test_refused_without_allow_host_and_env_allows(run_cli, site, monkeypatch) -> None:
    site.routes["/x"] = Response(200, "<p>x</p>")
    add(run_cli, site.url("/x"))
    blocked = run_cli("fetch", "--json")
    assert blocked.exit_code == 1 and json.loads(blocked.stdout)["failed"] == 1 and site.hits == {}
    snap = json.loads(run_cli("snapshots", "--json").stdout)[0]
    assert snap["error"] == "blocked_address" and "127.0.0.1" in snap["error_message"]
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", f"other.example,{site.netloc}")
    ok = run_cli("fetch", "--refetch", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["fetched"] == 1 and site.hits["/x"] == 1


def test_ignore_robots_flag(run_cli, site) -> None:
    site.routes["/robots.txt"] = Response(
        200, "User-agent: *\nDisallow: /\n", content_type="text/plain"
    )
    site.routes["/p"] = Response(200, "<p>p</p>")
    add(run_cli, site.url("/p"))
    assert run_cli("fetch", "--allow-host", site.netloc).exit_code == 1
    assert json.loads(run_cli("snapshots", "--json").stdout)[0]["error"] == "robots"
    assert (
        run_cli("fetch", "--refetch", "--ignore-robots", "--allow-host", site.netloc).exit_code == 0
    )
    assert site.hits["/p"] == 1


def test_errors_and_usage(run_cli) -> None:
    missing = run_cli("snapshot", "show", "99")
    assert (
        missing.exit_code == 1
        and missing.stderr.strip() == "Error: no snapshot 99: see `verify snapshots`"
    )
    claim = run_cli("fetch", "--claim", "5")
    assert claim.exit_code == 1 and claim.stderr.strip() == "Error: no claim 5: see `verify claims`"
    assert run_cli("fetch", "--concurrency", "0").exit_code == 2
    assert run_cli("snapshot", "diff", "1").exit_code == 2
    none = run_cli("snapshot", "diff", "1", "2")
    assert none.exit_code == 1 and none.stderr.startswith("Error: no snapshot 1")


def _snapshot_sources(db_path: Path) -> list[int]:
    try:
        conn = sqlite3.connect(db_path, timeout=5)
        try:
            return [r[0] for r in conn.execute("SELECT source_id FROM snapshots")]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_and_resume(tmp_path: Path, run_cli) -> None:
    """SIGKILL `verify fetch` mid-run, run it again: every source ends with exactly one snapshot,
    no source stored before the kill is requested again, and only sources in flight at the
    kill (at most --concurrency of them) may be requested a second time."""
    fault = FaultSite(slow=0.2)
    try:
        urls = fault.add_slow_pages(24)
        add(run_cli, *urls)
        db_path = Path(os.environ["VERIFY_DB"])
        verify = [sys.executable, "-c", "from verify.cli import main; main()"]
        args = [
            *verify,
            "fetch",
            "--mode",
            "static",
            "--concurrency",
            "2",
            "--per-host",
            "2",
            "--allow-host",
            fault.netloc,
            "--db",
            str(db_path),
        ]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while len(_snapshot_sources(db_path)) < 6:  # wait until part of the job is stored
                assert proc.poll() is None, "fetch finished before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
        stored_before = set(_snapshot_sources(db_path))
        assert 6 <= len(stored_before) < 24
        hits_before = {p: n for p, n in fault.hits.items() if p.startswith("/slow/")}
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        conn = sqlite3.connect(db_path)
        per_source = dict(
            conn.execute("SELECT source_id, count(*) FROM snapshots GROUP BY source_id").fetchall()
        )
        urls_by_id = dict(conn.execute("SELECT id, url FROM sources").fetchall())
        conn.close()
        assert len(per_source) == 24 and set(per_source.values()) == {1}
        hits = {p: n for p, n in fault.hits.items() if p.startswith("/slow/")}
        assert len(hits) == 24 and max(hits.values()) <= 2
        for sid in stored_before:  # stored before the kill: never requested again
            path = urls_by_id[sid].removeprefix(fault.url(""))
            assert hits[path] == 1 == hits_before[path]
        twice = [p for p, n in hits.items() if n == 2]
        assert len(twice) <= 2  # in flight at the kill: at most --concurrency
        assert all(hits_before.get(p) == 1 for p in twice)
    finally:
        fault.close()


def _alive(procs: list) -> list:
    """The processes of `procs` still running (a zombie waiting for init to reap it is dead)."""
    import psutil

    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="process reparenting as on Linux")
@pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="verify fetch starts extraction processes on 2+ cores only"
)
def test_kill_9_of_fetch_leaves_no_worker_process(tmp_path: Path, run_cli) -> None:
    """Issue 9 item 8: kill -9 of `verify fetch` must not leave its extraction processes
    running (they used to live on under pid 1, two per killed run)."""
    import psutil

    from verify.capture.engine import PROCESS_EXTRACT_MIN

    fault = FaultSite(slow=0.1)
    try:
        add(run_cli, *fault.add_slow_pages(PROCESS_EXTRACT_MIN + 40))
        db_path = Path(os.environ["VERIFY_DB"])
        args = [sys.executable, "-c", "from verify.cli import main; main()", "fetch"]
        args += ["--mode", "static"]  # a subprocess: the conftest default does not reach it
        args += ["--per-host", "2", "--allow-host", fault.netloc, "--db", str(db_path)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children: list = []
        try:
            parent = psutil.Process(proc.pid)
            deadline = time.monotonic() + 60
            while not any("spawn_main" in " ".join(c.cmdline()) for c in children):
                assert proc.poll() is None, "fetch finished before its workers were seen"
                assert time.monotonic() < deadline, "no extraction process was started"
                time.sleep(0.05)
                try:
                    children = parent.children(recursive=True)
                except psutil.NoSuchProcess:
                    children = []
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            deadline = time.monotonic() + 20
            while _alive(children) and time.monotonic() < deadline:
                time.sleep(0.05)
            survivors = _alive(children)
            assert survivors == [], [" ".join(p.cmdline()) for p in survivors]
        finally:
            if proc.poll() is None:
                proc.kill()
            for p in _alive(children):  # ours: started by the fetch we ran
                p.kill()
    finally:
        fault.close()


def test_progress_bar_only_on_a_terminal() -> None:
    import io

    from verify.capture.engine import CaptureProgress
    from verify.cli.cmd_capture import _ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = _ProgressBar(stream)
        bar(CaptureProgress(3, 10, 2, 1, "http://example.com/", "timeout", 3))
        bar.finish()
    assert pipe.getvalue() == ""
    shown = tty.getvalue()
    assert "3/10 fetched 2 failed 1" in shown and "/s" in shown and "ETA" in shown
    assert shown.endswith("\r")  # the bar is wiped before the summary line


def test_fetch_by_article(run_cli, site, tmp_path: Path) -> None:
    site.routes["/src"] = Response(200, "<p>The UN mission has had 22 casualties this year.</p>")
    site.routes["/other"] = Response(200, "<p>other</p>")
    article = tmp_path / "story.html"
    article.write_text(
        "<html><body><article><h1>Siege</h1><p>Gunmen held 170 hostages at the hotel on Friday,"
        f' according to <a href="{site.url("/src")}">the police report</a>.</p></article></body></html>'
    )
    assert run_cli("ingest", str(article), "--json").exit_code == 0
    add(run_cli, site.url("/other"))
    result = run_cli("fetch", "--article", "1", "--json", "--allow-host", site.netloc)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["fetched"] == 1
    assert site.hits.get("/src") == 1 and "/other" not in site.hits
    missing = run_cli("fetch", "--article", "9")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no article 9")
