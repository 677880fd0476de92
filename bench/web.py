"""Benchmark of the review web UI: the queue page, a claim page and a snapshot page on the
1,000,000-claim database of bench/queue.py, served by waitress (as `verify serve` does) on
127.0.0.1 in a separate process, under 8 concurrent clients. For each page: p50 and p95 of the
server time (time inside the app, from the Server-Timing header the app sets on every response)
and of the latency the client observed, beside a baseline from the same run: the same pages on a
10,000-claim database.

    .venv/bin/python bench/web.py                       # builds bench/out/web-1000000.db once (minutes)
    .venv/bin/python bench/web.py --claims 100000       # a smaller run
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/web.py` puts bench/ first on sys.path, where queue.py (the review benchmark)
# would shadow the standard library's queue module that urllib3 needs.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402


def _load_queue_bench():
    """bench/queue.py, loaded under another name: `queue` is also a standard-library module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_queue", Path(__file__).resolve().parent / "queue.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OUT = HERE / "out"
TARGET_P95_MS = 100.0

SERVER = """
import logging, sys
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # 'Task queue depth' notes
from verify.web import create_app, make_server
app = create_app(sys.argv[1])
server = make_server(app, "127.0.0.1", 0, threads=int(sys.argv[2]))
print(server.effective_port, flush=True)
server.run()
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def ensure_db(path: Path, claims: int) -> Path:
    """Build the archive once; a `.done` marker tells a finished build from an interrupted one."""
    done = Path(str(path) + ".done")
    if not (path.exists() and done.exists()):
        print(f"building {path.name} ({claims:,} claims, {claims:,} snapshots)...", flush=True)
        _load_queue_bench().build_database(path, claims, claims)
        done.write_text("built by bench/web.py\n")
    return path


def start_server(db: Path, threads: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(db), str(threads)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(HERE.parent)})  # fmt: skip
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        proc.kill()
        raise SystemExit(f"the server did not start: {port!r}")
    return proc, f"http://127.0.0.1:{port}"


def signed_in(base: str, name: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = s.post(
        base + "/signin", data={"reviewer": name, "csrf_token": token}, allow_redirects=False
    )
    assert answer.status_code == 303, answer.status_code
    return s


def ids(db: Path, sql: str, n: int, seed: int) -> list[int]:
    conn = sqlite3.connect(db)
    top = conn.execute(sql).fetchone()[0]
    conn.close()
    rng = random.Random(seed)
    return [rng.randint(1, top) for _ in range(n)]


def measure(base: str, paths: list[str], clients: int) -> tuple[list[float], list[float]]:
    """GET every path, spread over `clients` threads each with its own signed-in session."""
    server: list[float] = []
    client: list[float] = []
    lock = threading.Lock()
    sessions = [signed_in(base, f"bench{i}") for i in range(clients)]
    chunks = [paths[i::clients] for i in range(clients)]
    barrier = threading.Barrier(clients)

    def work(session: requests.Session, mine: list[str]) -> None:
        barrier.wait()
        for path in mine:
            t0 = time.perf_counter()
            answer = session.get(base + path)
            elapsed = (time.perf_counter() - t0) * 1000
            assert answer.status_code == 200, (path, answer.status_code)
            app = float(answer.headers["Server-Timing"].split("dur=")[1])
            with lock:
                server.append(app)
                client.append(elapsed)

    threads = [
        threading.Thread(target=work, args=(s, c)) for s, c in zip(sessions, chunks, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return server, client


def run(
    db: Path, clients: int, requests_per_page: int, threads: int, seed: int
) -> dict[str, tuple[list[float], list[float]]]:
    claim_ids = ids(db, "SELECT max(id) FROM claims", requests_per_page, seed)
    snapshot_ids = ids(db, "SELECT max(id) FROM snapshots", requests_per_page, seed + 1)
    pages = {
        "queue page": ["/"] * requests_per_page,
        "claim page": [f"/claims/{i}" for i in claim_ids],
        "snapshot page": [f"/snapshots/{i}" for i in snapshot_ids],
    }
    proc, base = start_server(db, threads)
    try:
        results = {}
        for name, paths in pages.items():
            measure(base, paths[: clients * 3], clients)  # warm up: connections, caches, imports
            results[name] = measure(base, paths, clients)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database to measure (default: bench/out/web-CLAIMS.db, built once)",
    )
    ap.add_argument(
        "--claims",
        type=int,
        default=1_000_000,
        help="claims to build when there is no database yet",
    )
    ap.add_argument("--baseline-claims", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    ap.add_argument("--requests", type=int, default=400, help="requests per page")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; waitress threads {args.threads},"
          f" {args.clients} concurrent clients, {args.requests} requests per page")  # fmt: skip
    # the same synthetic archive as bench/queue.py (its build_database), cached under its own
    # name so this never reads a queue.db that the review benchmark is still building
    big = args.db if args.db is not None else ensure_db(OUT / f"web-{args.claims}.db", args.claims)
    small = ensure_db(OUT / f"web-{args.baseline_claims}.db", args.baseline_claims)
    n_big = sqlite3.connect(big).execute("SELECT count(*) FROM claims").fetchone()[0]
    n_small = sqlite3.connect(small).execute("SELECT count(*) FROM claims").fetchone()[0]
    print(f"database: {big} ({n_big:,} claims); baseline: {small.name} ({n_small:,} claims)\n")

    big_results = run(big, args.clients, args.requests, args.threads, args.seed)
    small_results = run(small, args.clients, args.requests, args.threads, args.seed)

    head = f"{'page':<15} {'':>10} {'server p50':>11} {'server p95':>11} {'client p50':>11} {'client p95':>11}"
    print(head)
    missed = 0
    for name in big_results:
        for label, (server, client) in (
            (f"{n_big:,}", big_results[name]),
            (f"{n_small:,}", small_results[name]),
        ):
            print(f"{name:<15} {label:>10} {pct(server, 50):>9.2f}ms {pct(server, 95):>9.2f}ms"
                  f" {pct(client, 50):>9.2f}ms {pct(client, 95):>9.2f}ms")  # fmt: skip
    print()
    for name, (server, client) in big_results.items():
        p95 = pct(server, 95)
        ok = p95 < TARGET_P95_MS
        missed += not ok
        print(f"target {name}: server p95 {p95:.2f} ms (client {pct(client, 95):.2f} ms, mean server"
              f" {statistics.fmean(server):.2f} ms) vs {TARGET_P95_MS:.0f} ms: {'met' if ok else 'MISSED'}")  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
