"""Capture throughput: `verify fetch` against a sequential requests loop and ArchiveBox, on the
same pages of a local site (bench/site.py) spread over many loopback addresses, each answering
after 50 ms with ~60 KB news-like pages. Also the peak memory of `verify fetch` on a large run.

    .venv/bin/python bench/capture.py                      # 600 pages, memory run on 5,000
    .venv/bin/python bench/capture.py --pages 200 --memory-pages 0 --no-archivebox

Prints pages/s for each, the ratios (verify / sequential, verify / ArchiveBox), and the bound
max(pages x latency / concurrency, CPU seconds / cores) with verify's ratio to it. Targets:
>= 20x ArchiveBox, within 1.5x of the bound, peak RSS < 250 MB for 5,000 pages.

ArchiveBox is never a project dependency: bench/archivebox/setup.sh installs it into its own venv
(/tmp/archivebox-venv) and creates the unprivileged user it needs (it refuses to run as root).
Only its wget (with WARC), title and headers extractors run. When it is missing, the script
prints "ArchiveBox: not available (reason)" and measures the rest.

Only loopback addresses are contacted, and every run has a time limit.
"""

from __future__ import annotations

# ruff: noqa: E402
import sys
from pathlib import Path

# Run as `python bench/x.py`, Python puts bench/ first on the path, where bench/queue.py would
# shadow the standard library's queue module: use the project root instead.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import psutil
import requests

from bench.site import BenchSite, page
from verify.ingest.claims import add_claim
from verify.store import immediate, open_db

VERIFY = str(Path(sys.executable).parent / "verify")
PER_HOST = 2  # verify's default --per-host
DEFAULT_CONCURRENCY = 32  # verify's default --concurrency

ARCHIVEBOX_ENV = {
    "USE_COLOR": "False",
    "SHOW_PROGRESS": "False",
    "SAVE_WGET": "True",
    "SAVE_WARC": "True",
    "SAVE_TITLE": "True",
    "SAVE_HEADERS": "True",
    "SAVE_WGET_REQUISITES": "False",
    "SAVE_FAVICON": "False",
    "SAVE_PDF": "False",
    "SAVE_SCREENSHOT": "False",
    "SAVE_DOM": "False",
    "SAVE_SINGLEFILE": "False",
    "SAVE_READABILITY": "False",
    "SAVE_MERCURY": "False",
    "SAVE_HTMLTOTEXT": "False",
    "SAVE_GIT": "False",
    "SAVE_MEDIA": "False",
    "SAVE_ARCHIVE_DOT_ORG": "False",
    "USE_CHROME": "False",
    "USE_NODE": "False",
    "USE_YOUTUBEDL": "False",
    "USE_RIPGREP": "False",
    "USE_INDEXING_BACKEND": "False",
}


@dataclass
class Run:
    name: str
    pages: int
    seconds: float
    ok: int = 0
    cpu: float | None = None  # user + system seconds of the measured process (and children)
    peak_rss_mb: float | None = None  # summed over the process and its children
    peak_pss_mb: float | None = None
    largest_rss_mb: float | None = None  # the biggest single process
    # (not wait4's ru_maxrss: on Linux it keeps the pre-exec RSS of the forked bench process)
    concurrency: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


class RssPoller:
    """Peak memory of a process and its children (e.g. extraction workers), sampled every
    20 ms: the peak of the summed RSS (shared pages counted in every process) and of
    the summed PSS (shared pages split between the processes sharing them)."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        self.peak_pss = 0
        self.largest = 0
        self._stop = threading.Event()
        self._proc = psutil.Process(pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self._proc, *self._proc.children(recursive=True)]
            except psutil.Error:
                return
            rss = pss = 0
            for p in procs:
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
                self.largest = max(self.largest, info.rss)
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(0.02)

    def stop(self) -> tuple[int, int, int]:
        self._stop.set()
        self._thread.join()
        return self.peak, self.peak_pss, self.largest


def run_measured(cmd: list[str], *, timeout: float, env=None, stdin=None, cwd=None, user=None):
    """Run a command; returns (wall seconds, returncode, stdout, stderr, cpu seconds of it and
    its children, largest single-process max RSS from wait4, (peak summed RSS, peak summed
    PSS) polled over it and its children). Killed after `timeout`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        user=user,
        start_new_session=True,
    )
    poller = RssPoller(proc.pid)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True),
        threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True),
    ]
    for t in readers:
        t.start()
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, 9))
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = poller.stop()
    for t in readers:
        t.join(5)
    cpu = usage.ru_utime + usage.ru_stime
    return (
        wall,
        proc.returncode,
        b"".join(out_chunks).decode("utf-8", "replace"),
        b"".join(err_chunks).decode("utf-8", "replace"),
        cpu,
        usage.ru_maxrss * 1024,
        peak,
    )


def make_db(path: Path, urls: list[str]) -> None:
    """A fresh verify database with one claim per page citing it."""
    db = open_db(path)
    with immediate(db):
        for i, url in enumerate(urls):
            add_claim(db, f"Benchmark claim number {i} cites a local news page.", sources=[url])
    db.close()


def count_ok(path: Path) -> int:
    db = open_db(path)
    try:
        return db.conn.execute(
            "SELECT count(DISTINCT source_id) FROM snapshots WHERE status = 200 AND error IS NULL"
        ).fetchone()[0]
    finally:
        db.close()


def run_verify(
    site: BenchSite, urls: list[str], workdir: Path, concurrency: int | None, timeout: float
) -> Run:
    db_path = workdir / f"verify-{len(urls)}-{concurrency or 'default'}.db"
    make_db(db_path, urls)
    cmd = [VERIFY, "--db", str(db_path), "fetch", "--json"]
    for host in site.hosts:
        cmd += ["--allow-host", host]
    if concurrency is not None:
        cmd += ["--concurrency", str(concurrency)]
    env = {**os.environ, "VERIFY_ALLOW_HOSTS": ",".join(site.hosts)}
    wall, code, out, err, cpu, maxrss, peak = run_measured(cmd, timeout=timeout, env=env)
    ok = count_ok(db_path)
    note = (
        "" if code == 0 else f"exit {code}: {err.strip().splitlines()[-1] if err.strip() else ''}"
    )
    try:
        summary = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    except ValueError:
        summary = {"stdout": out[-200:]}
    db_path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    return Run(
        f"verify fetch (--concurrency {concurrency or f'{DEFAULT_CONCURRENCY}, default'})",
        len(urls),
        wall,
        ok=ok,
        cpu=cpu,
        peak_rss_mb=peak[0] / 2**20,
        peak_pss_mb=peak[1] / 2**20,
        largest_rss_mb=peak[2] / 2**20,
        concurrency=concurrency or DEFAULT_CONCURRENCY,
        note=note,
        extra={"summary": summary},
    )


def run_sequential(urls: list[str]) -> Run:
    """The plain baseline: one requests session, one page after another."""
    session = requests.Session()
    session.trust_env = False  # never through a proxy
    ok = 0
    cpu0 = time.process_time()
    start = time.perf_counter()
    for url in urls:
        resp = session.get(url, timeout=(5, 20))
        if resp.status_code == 200 and resp.content:
            ok += 1
    wall = time.perf_counter() - start
    session.close()
    return Run("sequential requests loop", len(urls), wall, ok=ok, cpu=time.process_time() - cpu0)


def archivebox_unavailable(binary: str, user: str) -> str | None:
    if not Path(binary).exists():
        return f"{binary} not found; run bench/archivebox/setup.sh"
    try:
        pwd.getpwnam(user)
    except KeyError:
        return f"no user {user!r} to run it as (it refuses root); run bench/archivebox/setup.sh"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != user:
        return f"must run as root (to switch to {user!r}) or as {user!r}"
    return None


def run_archivebox(urls: list[str], binary: str, user: str, timeout: float) -> Run | str:
    reason = archivebox_unavailable(binary, user)
    if reason:
        return reason
    info = pwd.getpwnam(user)
    data = Path(tempfile.mkdtemp(prefix="verify-bench-archivebox-"))
    as_user = None if os.geteuid() == info.pw_uid else user
    try:
        os.chown(data, info.pw_uid, info.pw_gid)
        env = {
            "PATH": f"{Path(binary).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": info.pw_dir,
            "LANG": "C.UTF-8",
            **ARCHIVEBOX_ENV,
        }
        init = subprocess.run(
            [binary, "init"],
            cwd=data,
            env=env,
            user=as_user,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if init.returncode != 0:
            return f"archivebox init failed: {(init.stderr or init.stdout).strip()[-200:]}"
        url_file = data / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n")
        with open(url_file, "rb") as fh:
            wall, code, out, err, cpu, maxrss, peak = run_measured(
                [binary, "add", "--depth=0"],
                timeout=timeout,
                env=env,
                stdin=fh,
                cwd=data,
                user=as_user,
            )
        ok = sum(1 for d in (data / "archive").glob("*") if any(d.glob("*/news/*.html")))
        note = "" if code == 0 else f"exit {code}"
        if code == -9:
            note = f"killed after {timeout:.0f} s"
        return Run(
            "ArchiveBox 0.7 add (wget+warc, title, headers)",
            len(urls),
            wall,
            ok=ok,
            cpu=cpu,
            peak_rss_mb=peak[0] / 2**20,
            note=note,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(data, ignore_errors=True)


def bound(run: Run, latency: float, hosts: int, cores: int) -> float:
    """max(pages x latency / concurrency, CPU seconds / cores); the concurrency that counts is
    what per-host politeness allows: min(--concurrency, hosts x per-host)."""
    effective = min(run.concurrency or DEFAULT_CONCURRENCY, hosts * PER_HOST)
    return max(run.pages * latency / effective, (run.cpu or 0.0) / cores)


def show(run: Run) -> str:
    parts = [f"{run.name:<48} {run.pages:>5} pages {run.seconds:8.2f} s {run.rate:8.1f} pages/s"]
    parts.append(f"ok {run.ok}")
    if run.cpu is not None:
        parts.append(f"cpu {run.cpu:.1f} s")
    if run.peak_rss_mb is not None:
        parts.append(f"peak rss {run.peak_rss_mb:.0f} MB")
    if run.peak_pss_mb is not None:
        parts.append(f"(pss {run.peak_pss_mb:.0f} MB, largest process {run.largest_rss_mb:.0f} MB)")
    if run.note:
        parts.append(run.note)
    return "  ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description="verify fetch vs a sequential loop vs ArchiveBox")
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--hosts", type=int, default=32, help="loopback addresses 127.0.0.2...")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--concurrency",
        default="16,64",
        help="extra --concurrency values to try besides the default",
    )
    parser.add_argument("--memory-pages", type=int, default=5000, help="0 to skip")
    parser.add_argument("--archivebox", default="/tmp/archivebox-venv/bin/archivebox")
    parser.add_argument("--archivebox-user", default="verifybench")
    parser.add_argument(
        "--archivebox-pages", type=int, default=None, help="pages for ArchiveBox (default: --pages)"
    )
    parser.add_argument("--no-archivebox", action="store_true")
    parser.add_argument("--no-sequential", action="store_true")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    print(
        f"capture benchmark: {args.pages} pages on {args.hosts} loopback hosts, "
        f"{args.latency * 1000:.0f} ms latency, {cores} cores, Python {sys.version.split()[0]}",
        flush=True,
    )
    runs: list[Run] = []
    with BenchSite(args.hosts, args.latency) as site, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        for i in range(max(args.pages, args.memory_pages)):
            page(i)  # generate every page before timing anything
        sizes = [len(page(i)) for i in range(args.pages)]
        print(
            f"site: pages generated in {time.perf_counter() - t0:.1f} s, "
            f"mean {sum(sizes) / len(sizes) / 1000:.1f} KB",
            flush=True,
        )
        urls = site.urls(args.pages)

        verify_runs = []
        for value in [None, *[int(v) for v in args.concurrency.split(",") if v.strip()]]:
            run = run_verify(site, urls, workdir, value, args.timeout)
            verify_runs.append(run)
            print(show(run), flush=True)
        runs += verify_runs

        sequential = None
        if not args.no_sequential:
            sequential = run_sequential(urls)
            runs.append(sequential)
            print(show(sequential), flush=True)

        archivebox = None
        if args.no_archivebox:
            print("ArchiveBox: not available (skipped with --no-archivebox)", flush=True)
        else:
            ab_urls = urls[: args.archivebox_pages] if args.archivebox_pages else urls
            result = run_archivebox(ab_urls, args.archivebox, args.archivebox_user, args.timeout)
            if isinstance(result, str):
                print(f"ArchiveBox: not available ({result})", flush=True)
            else:
                archivebox = result
                runs.append(archivebox)
                print(show(archivebox), flush=True)

        memory = None
        if args.memory_pages:
            memory = run_verify(site, site.urls(args.memory_pages), workdir, None, args.timeout)
            memory.name = "verify fetch, memory run (default concurrency)"
            print(show(memory), flush=True)

    default = verify_runs[0]
    best = max(verify_runs, key=lambda r: r.rate)
    print("\nsummary")
    if default.ok < default.pages:
        print(
            f"  WARNING: verify fetch stored {default.ok}/{default.pages} pages; "
            "the figures below do not count as met"
        )
    if sequential:
        print(
            f"  verify (default) / sequential: {default.rate / sequential.rate:.1f}x"
            f"   best verify / sequential: {best.rate / sequential.rate:.1f}x"
        )
    if archivebox:
        ratio = default.rate / archivebox.rate
        print(
            f"  verify (default) / ArchiveBox: {ratio:.1f}x (target >= 20x: "
            f"{judge(ratio >= 20, default, f'missed by {20 / ratio:.2f}x')})"
        )
    for run in verify_runs:
        limit = bound(run, args.latency, args.hosts, cores)
        ratio = run.seconds / limit
        print(
            f"  bound for {run.name}: {limit:.2f} s; measured {run.seconds:.2f} s = {ratio:.2f}x "
            f"the bound (target <= 1.5x: {judge(ratio <= 1.5, run, f'missed by {ratio / 1.5:.2f}x')})"
        )
    if memory:
        peak = memory.peak_rss_mb or 0
        print(
            f"  peak RSS of verify fetch (all its processes) on {memory.pages} pages: {peak:.0f} MB "
            f"(PSS {memory.peak_pss_mb:.0f} MB, largest process {memory.largest_rss_mb:.0f} MB) "
            f"(target < 250 MB: {judge(peak < 250, memory, f'missed by {peak - 250:.0f} MB')}); "
            f"ok {memory.ok}"
        )
    failed = [r for r in runs if r.ok < r.pages]
    if failed:
        print("  incomplete runs: " + "; ".join(f"{r.name}: {r.ok}/{r.pages}" for r in failed))
    return 1 if failed else 0


def judge(passed: bool, run: Run, missed: str) -> str:
    if run.ok < run.pages:
        return f"not counted, only {run.ok}/{run.pages} pages stored"
    return "met" if passed else missed


if __name__ == "__main__":
    sys.exit(main())
