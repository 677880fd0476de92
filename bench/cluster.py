"""Capture on a Dask cluster against a local `verify fetch`, on the bench site (bench/site.py:
pages served from many loopback addresses after a fixed latency), in one run:

    .venv/bin/python bench/cluster.py
    .venv/bin/python bench/cluster.py --pages 32 --cpu-pages 120 --browser-pages 0

1. latency-bound (8 KB pages answered after 2 s, 32 hosts): `verify fetch` (local threads,
   concurrency 16) as the same-run baseline, then `verify fetch --cluster` with 1, 2 and 4
   `dask worker` processes on this machine (THREADS threads each, concurrency THREADS x workers);
2. CPU (the standard 60 KB pages, 50 ms): local against 4 workers of 4 threads and against 2
   workers of 8 threads, at equal concurrency (16), interleaved, the median of 3 trials;
   CPU seconds summed over every process involved (verify and its children; the scheduler and
   the workers for the cluster, whose idle CPU is measured too);
3. browser mode through the 4 workers: pages/s, CPU, and how much the archive grows per
   capture (screenshots, DOM, subresources), beside the static figure;
plus the round trip of an empty Dask task. Prints the figures and the targets (cluster CPU/page
<= 1.15x local at equal concurrency; 4 workers >= 3x one worker), writes bench/out/cluster.json.
Only loopback addresses are contacted."""

from __future__ import annotations

# ruff: noqa: E402
import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import tempfile
import time

import psutil

from bench.capture import count_ok, make_db, run_measured
from bench.site import BenchSite
from verify.capture.cluster import ENGINE_CONFIG

VERIFY = str(Path(sys.executable).parent / "verify")
DASK = str(Path(sys.executable).parent / "dask")
THREADS = 4  # threads per worker (and per worker's share of --concurrency)
LATENCY_HOSTS = (
    32  # hosts of the latency-bound runs: 2 pages each (per-host limits stay out of the way)
)


def cpu_of(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def engine_env(config: dict) -> dict[str, str]:
    """Dask settings as the environment variables `dask scheduler` and `dask worker` read."""
    return {
        "DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
        for key, value in config.items()
    }


class Engine:
    def __init__(self, tmp: Path, config: dict) -> None:
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **engine_env(config)}
        self.procs: list[subprocess.Popen] = []
        file = tmp / "scheduler.json"
        self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(file)], "scheduler")  # fmt: skip
        self.address = ""
        deadline = time.monotonic() + 60
        while not self.address and time.monotonic() < deadline:
            try:
                self.address = json.loads(file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        if not self.address:
            raise SystemExit("the Dask scheduler did not start")
        self.workers = 0

    def _start(self, args: list[str], name: str) -> None:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115
        self.procs.append(
            subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        )

    def grow(self, workers: int, threads: int = THREADS) -> None:
        import distributed

        while self.workers < workers:
            self._start([DASK, "worker", self.address, "--host", "127.0.0.1", "--nthreads",
                         str(threads), "--no-nanny", "--no-dashboard"],
                        f"worker{self.workers}")  # fmt: skip
            self.workers += 1
        with distributed.Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=60)

    def processes(self) -> list[psutil.Process]:
        return [psutil.Process(p.pid) for p in self.procs if p.poll() is None]

    def round_trip(self, tasks: int = 200) -> float:
        """Median seconds from submit to result of an empty task (one at a time)."""
        import distributed

        with distributed.Client(self.address, set_as_default=False) as client:
            times = []
            for n in range(tasks):
                start = time.perf_counter()
                client.submit(int, n, pure=False).result()
                times.append(time.perf_counter() - start)
        return statistics.median(times)

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def archive_bytes(path: Path) -> int:
    """The archive's size on disk, its write-ahead log folded in."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size


def fetch(
    site: BenchSite,
    tmp: Path,
    name: str,
    pages: int,
    offset: int,
    args: list[str],
    mode: str = "static",
) -> dict:
    db = tmp / f"{name.replace(' ', '-')}-{offset}.db"
    make_db(db, site.urls(pages, offset))
    empty = archive_bytes(db)
    env = {**os.environ, "VERIFY_ALLOW_HOSTS": ",".join(site.hosts), "VERIFY_DB": str(db)}
    cmd = [VERIFY, "fetch", "--mode", mode, "--json", *args]
    wall, code, out, err, cpu, _, _ = run_measured(cmd, timeout=600, env=env)
    ok = count_ok(db)
    inside = re.search(r" in ([0-9.]+) s \(", err)  # the command's own timing, imports excluded
    seconds = float(inside.group(1)) if inside else wall
    return {"name": name, "pages": pages, "ok": ok, "wall_seconds": wall, "seconds": seconds,
            "exit": code, "verify_cpu": cpu, "rate": pages / seconds, "mode": mode,
            "archive_bytes_per_capture": (archive_bytes(db) - empty) / pages,
            "stderr": err.strip()[-300:]}  # fmt: skip


def phase(
    site: BenchSite, tmp: Path, engine: Engine, pages: int, offset: int, workers: tuple[int, ...]
) -> list[dict]:
    """The latency-bound runs: local at concurrency THREADS x 4, then the cluster with each
    number of workers (concurrency THREADS x workers); CPU summed over every process involved."""
    local = fetch(site, tmp, "local", pages, offset, ["--concurrency", str(THREADS * 4)])
    local.update(cpu=local["verify_cpu"], concurrency=THREADS * 4, workers=0)
    local["cpu_per_page_ms"] = 1000 * local["cpu"] / local["pages"]
    runs = [local]
    for n, count in enumerate(workers, start=1):
        engine.grow(count)
        runs.append(cluster_run(site, tmp, engine, f"cluster {count} worker(s)", pages,
                                offset + n * pages, THREADS * count))  # fmt: skip
    return runs


def cluster_run(
    site: BenchSite, tmp: Path, engine: Engine, name: str, pages: int, offset: int, concurrency: int
) -> dict:
    """One `verify fetch --cluster` run, CPU summed over the coordinator and the engine."""
    procs = engine.processes()
    before = cpu_of(procs)
    run = fetch(site, tmp, name, pages, offset,
                ["--cluster", engine.address, "--concurrency", str(concurrency)])  # fmt: skip
    run["engine_cpu"] = cpu_of(procs) - before
    run.update(cpu=run["verify_cpu"] + run["engine_cpu"], workers=engine.workers,
               concurrency=concurrency)  # fmt: skip
    run["cpu_per_page_ms"] = 1000 * run["cpu"] / run["pages"]
    return run


def median_run(runs: list[dict]) -> dict:
    """The run with the median CPU per page (of an odd number of trials)."""
    ordered = sorted(runs, key=lambda run: run["cpu_per_page_ms"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["trials_cpu_per_page_ms"] = [round(run["cpu_per_page_ms"], 1) for run in runs]
    return chosen


def show(title: str, runs: list[dict]) -> None:
    print(title)
    for run in runs:
        engine = (
            f" (engine {1000 * run['engine_cpu'] / run['pages']:.1f})" if run["workers"] else ""
        )
        print(f"  {run['name']:<20} concurrency {run['concurrency']:>3}: {run['rate']:6.1f} pages/s"
              f"  ({run['ok']}/{run['pages']} ok, {run['seconds']:.1f} s; wall with start-up"
              f" {run['wall_seconds']:.1f} s)  CPU {run['cpu_per_page_ms']:.1f} ms/page{engine}")  # fmt: skip


def keep(args: argparse.Namespace, results: dict, scaling: list, cpu_runs: list) -> None:
    """The run to bench/results/cluster-cpu-WHEN.json and cluster-scaling-WHEN.json."""
    from bench.record import record

    idle = f"idle engine {1000 * results['engine_idle_cpu_per_second']:.0f} ms CPU/s"
    record(
        "cluster-cpu",
        f"Cluster CPU per page at equal concurrency (16), {args.cpu_pages} pages of 60 KB",
        "ms CPU/page",
        [
            {
                "label": run["name"],
                "value": round(run["cpu_per_page_ms"], 1),
                "extra": {"pages/s": round(run["rate"], 1)},
            }
            for run in cpu_runs
        ],  # fmt: skip
        command="python bench/cluster.py --record",
        higher_is_better=False,
        target="cluster <= 1.15x local",
        notes=f"all processes' CPU (coordinator, scheduler, workers); {idle}; Dask settings"
        f" {results['engine_config'] or 'defaults'}",
    )
    record(
        "cluster-scaling",
        f"Cluster throughput, latency-bound ({args.pages} pages of 8 KB, {args.latency:g} s)",
        "pages/s",
        [
            {
                "label": run["name"],
                "value": round(run["rate"], 2),
                "extra": {"concurrency": run["concurrency"]},
            }
            for run in scaling
        ],  # fmt: skip
        command="python bench/cluster.py --record",
        target="4 workers >= 3x 1 worker",
        compare_to="cluster 1 worker(s)",
        notes=f"{THREADS} threads per worker; local verify fetch at concurrency 16 for reference",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=64, help="pages per latency-bound run")
    parser.add_argument("--latency", type=float, default=2.0, help="latency-bound runs' latency")
    parser.add_argument("--cpu-pages", type=int, default=240, help="pages per CPU run")
    parser.add_argument(
        "--browser-pages", type=int, default=40, help="browser captures measured (0: none)"
    )
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="start the engine with Dask's own defaults, not docs/cluster.md's settings",
    )
    parser.add_argument(
        "--trials", type=int, default=3, help="CPU runs of each kind (the median is kept)"
    )
    parser.add_argument(
        "--record", action="store_true", help="keep the run in bench/results (bench/record.py)"
    )
    args = parser.parse_args()
    config = {} if args.dask_defaults else ENGINE_CONFIG
    results: dict = {"threads_per_worker": THREADS, "engine_config": config, "cores": os.cpu_count(),
                     "load_average_at_start": os.getloadavg()}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        engine = Engine(tmp, config)
        try:
            # 1. latency-bound: small pages (8 KB) answered after `latency` seconds
            with BenchSite(LATENCY_HOSTS, args.latency, page_size=8_000) as site:
                scaling = phase(site, tmp, engine, args.pages, 0, (1, 2, 4))
            # 2. CPU: the standard bench pages (60 KB, 50 ms), equal concurrency (16)
            procs = engine.processes()
            before, start = cpu_of(procs), time.perf_counter()
            time.sleep(5)
            idle = (cpu_of(procs) - before) / (time.perf_counter() - start)
            with BenchSite(20, 0.05) as site:
                # the same concurrency from one worker process per core (Dask's own default
                # shape): 2 workers of 8 threads, on a second engine, warmed up first
                wide = Engine(tmp / "wide", config)
                try:
                    wide.grow(2, threads=8)
                    fetch(site, tmp, "warm-up", 40, 30_000,
                          ["--cluster", wide.address, "--concurrency", "16"])  # fmt: skip
                    trials = []
                    for trial in range(args.trials):  # interleaved, the median kept
                        base = 100_000 * (trial + 1)
                        local = fetch(site, tmp, "local", args.cpu_pages, base,
                                      ["--concurrency", "16"])  # fmt: skip
                        local.update(cpu=local["verify_cpu"], concurrency=16, workers=0)
                        local["cpu_per_page_ms"] = 1000 * local["cpu"] / local["pages"]
                        trials.append([
                            local,
                            cluster_run(site, tmp, engine, "cluster 4 worker(s)",
                                        args.cpu_pages, base + args.cpu_pages, 16),
                            cluster_run(site, tmp, wide, "cluster 2 x 8 threads",
                                        args.cpu_pages, base + 2 * args.cpu_pages, 16),
                        ])  # fmt: skip
                        print("CPU trial", trial + 1, ", ".join(
                            f"{r['name']} {r['cpu_per_page_ms']:.1f} ms/page" for r in trials[-1]
                        ), flush=True)  # fmt: skip
                finally:
                    wide.stop()
                cpu_runs = [median_run([t[i] for t in trials]) for i in range(3)]
                browser = None
                if args.browser_pages:  # 3. browser mode through the 4 workers: archive size
                    procs = engine.processes()
                    before = cpu_of(procs)
                    browser = fetch(site, tmp, "cluster browser", args.browser_pages, 20_000,
                                    ["--cluster", engine.address, "--concurrency", "8"],
                                    mode="browser")  # fmt: skip
                    browser["engine_cpu"] = cpu_of(procs) - before
                    browser["cpu_per_page_ms"] = (
                        1000 * (browser["verify_cpu"] + browser["engine_cpu"]) / browser["pages"]
                    )
            results["empty_task_round_trip_ms"] = engine.round_trip() * 1000
        finally:
            engine.stop()
    results["latency_bound"] = {"pages": args.pages, "latency": args.latency, "hosts": LATENCY_HOSTS,
                                "page_size": 8_000, "runs": scaling}  # fmt: skip
    results["cpu"] = {"pages": args.cpu_pages, "latency": 0.05, "hosts": 20,
                      "page_size": 60_000, "runs": cpu_runs}  # fmt: skip
    results["engine_idle_cpu_per_second"] = idle
    results["browser"] = browser
    results["static_archive_mb_per_1000"] = cpu_runs[0]["archive_bytes_per_capture"] / 1000
    local, four, two = cpu_runs
    results["cpu_ratio_cluster_vs_local"] = four["cpu_per_page_ms"] / local["cpu_per_page_ms"]
    results["overhead_cpu_ms_per_task"] = four["cpu_per_page_ms"] - local["cpu_per_page_ms"]
    results["cpu_ratio_2x8_vs_local"] = two["cpu_per_page_ms"] / local["cpu_per_page_ms"]
    results["speedup_4_vs_1_worker"] = scaling[3]["rate"] / scaling[1]["rate"]

    print(f"{os.cpu_count()} cores (load average at start {results['load_average_at_start'][0]:.1f});"
          f" {THREADS} threads per worker; every run on a fresh archive")  # fmt: skip
    show(
        f"latency-bound: {args.pages} pages of 8 KB, {args.latency:g} s latency, {LATENCY_HOSTS} hosts",
        scaling,
    )
    show(f"CPU: {args.cpu_pages} pages of 60 KB, 50 ms latency, 20 hosts; the median of"
         f" {args.trials} interleaved trials", cpu_runs)  # fmt: skip
    print(f"baseline (same run): local verify fetch {scaling[0]['rate']:.1f} pages/s latency-bound,"
          f" {local['rate']:.1f} pages/s and {local['cpu_per_page_ms']:.1f} ms CPU/page on the CPU run")  # fmt: skip
    print(f"cluster CPU/page at equal concurrency (16): 4 workers x 4 threads"
          f" {results['cpu_ratio_cluster_vs_local']:.2f}x local, 2 workers x 8 threads"
          f" {results['cpu_ratio_2x8_vs_local']:.2f}x local (target <= 1.15x);"
          f" extra {results['overhead_cpu_ms_per_task']:.1f} ms CPU per page with 4 workers;"
          f" an idle engine (scheduler + 4 workers) burns {1000 * idle:.0f} ms CPU per second")  # fmt: skip
    print(
        f"4 workers vs 1 worker, latency-bound: {results['speedup_4_vs_1_worker']:.2f}x (target >= 3x)"
    )
    print(f"archive growth per 1,000 static captures (60 KB pages):"
          f" {results['static_archive_mb_per_1000']:.1f} MB")  # fmt: skip
    if browser:
        print(f"browser mode through the cluster: {browser['ok']}/{browser['pages']} ok,"
              f" {browser['rate']:.1f} pages/s, CPU {browser['cpu_per_page_ms']:.0f} ms/page;"
              f" archive growth per 1,000 browser captures:"
              f" {browser['archive_bytes_per_capture'] / 1000:.1f} MB")  # fmt: skip
    print(f"empty task round trip: {results['empty_task_round_trip_ms']:.1f} ms (median)")
    out = _BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "cluster.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / 'cluster.json'}")
    if args.record:
        keep(args, results, scaling, cpu_runs)
    runs = scaling + cpu_runs + ([browser] if browser else [])
    return 0 if all(r["ok"] == r["pages"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
