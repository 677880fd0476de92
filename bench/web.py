"""Benchmark of the review web UI: the queue page, a claim page and a snapshot page on the
1,000,000-claim database of bench/queue.py, served by waitress (as `verify serve` does) on
127.0.0.1 in a separate process, under 8 concurrent clients. For each page: p50 and p95 of the
server time (time inside the app, from the Server-Timing header the app sets on every response)
and of the latency the client observed, beside a baseline from the same run: the same pages on a
10,000-claim database. The target (p95 under 100 ms) is judged on the client's latency, which
counts the wait in the server's queue too.

With --signed-in every client signs in with its own account (the archive gets accounts
bench0..N, password-checked with scrypt at sign-in) and every request checks its session
against the database (issue 13). The baselines are then both 10,000-claim runs, name-only and
signed-in, so the cost of the session check is measured in the same run.

    .venv/bin/python bench/web.py                       # builds bench/out/web-1000000.db once (minutes)
    .venv/bin/python bench/web.py --claims 100000       # a smaller run
    .venv/bin/python bench/web.py --signed-in           # accounts and sessions checked per request
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

from verify.web.app import THREADS  # noqa: E402


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


def signed_in(base: str, name: str, password: str | None = None) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"reviewer": name, "csrf_token": token}
    if password is not None:
        form["password"] = password
    answer = s.post(base + "/signin", data=form, allow_redirects=False)
    assert answer.status_code == 303, answer.status_code
    return s


def add_accounts(path: Path, clients: int) -> dict[str, str]:
    """Accounts bench0..bench{clients-1} (reviewers) in the archive, with their passwords."""
    from verify.review import accounts as users
    from verify.store import open_db

    db = open_db(path)
    try:
        if users.get_user(db, "benchadmin") is None:
            users.add_user(db, "benchadmin", "admin", "bench-admin-password")
        names = {f"bench{i}": f"bench-password-{i}" for i in range(clients)}
        for name, password in names.items():
            if users.get_user(db, name) is None:
                users.add_user(db, name, "reviewer", password, actor="benchadmin")
        return names
    finally:
        db.close()


def has_accounts(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("SELECT 1 FROM users LIMIT 1").fetchone())
    except sqlite3.OperationalError:  # built before accounts existed
        return False
    finally:
        conn.close()


def ids(db: Path, sql: str, n: int, seed: int) -> list[int]:
    conn = sqlite3.connect(db)
    top = conn.execute(sql).fetchone()[0]
    conn.close()
    rng = random.Random(seed)
    return [rng.randint(1, top) for _ in range(n)]


def measure(
    base: str, paths: list[str], clients: int, passwords: dict[str, str] | None = None
) -> tuple[list[float], list[float]]:
    """GET every path, spread over `clients` threads each with its own signed-in session."""
    server: list[float] = []
    client: list[float] = []
    lock = threading.Lock()
    sessions = [
        signed_in(base, f"bench{i}", (passwords or {}).get(f"bench{i}")) for i in range(clients)
    ]
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
    db: Path,
    clients: int,
    requests_per_page: int,
    threads: int,
    seed: int,
    passwords: dict[str, str] | None = None,
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
            # warm up: connections, caches, imports
            measure(base, paths[: clients * 3], clients, passwords)
            results[name] = measure(base, paths, clients, passwords)
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
    ap.add_argument(
        "--threads",
        type=int,
        default=THREADS,
        help="waitress worker threads (default: verify serve's)",
    )
    ap.add_argument("--requests", type=int, default=400, help="requests per page")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--signed-in",
        action="store_true",
        help="accounts and per-request session checks (implied when the database has accounts)",
    )
    ap.add_argument(
        "--record", action="store_true", help="write the run to bench/results (bench/record.py)"
    )
    ap.add_argument(
        "--note", default="", help="a note kept with --record (e.g. the machine's load)"
    )
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

    signed = args.signed_in or has_accounts(big)
    runs: list[tuple[str, dict]] = []
    if signed:
        print(f"signed-in run: {args.clients} accounts, the session checked on every request\n")
        small_signed = OUT / f"web-{args.baseline_claims}-accounts.db"
        if not small_signed.exists():  # a consistent copy (the backup API reads the WAL too)
            with sqlite3.connect(small) as src, sqlite3.connect(small_signed) as dst:
                src.backup(dst)
        big_pw = add_accounts(big, args.clients)
        small_pw = add_accounts(small_signed, args.clients)
        big_results = run(big, args.clients, args.requests, args.threads, args.seed, big_pw)
        runs.append((f"{n_big:,} signed", big_results))
        runs.append((f"{n_small:,} signed", run(small_signed, args.clients, args.requests,
                                                 args.threads, args.seed, small_pw)))  # fmt: skip
        runs.append((f"{n_small:,} name", run(small, args.clients, args.requests, args.threads,
                                               args.seed)))  # fmt: skip
    else:
        big_results = run(big, args.clients, args.requests, args.threads, args.seed)
        runs.append((f"{n_big:,}", big_results))
        runs.append((f"{n_small:,}", run(small, args.clients, args.requests, args.threads,
                                          args.seed)))  # fmt: skip

    head = f"{'page':<15} {'':>15} {'server p50':>11} {'server p95':>11} {'client p50':>11} {'client p95':>11}"
    print(head)
    missed = 0
    for name in big_results:
        for label, results in runs:
            server, client = results[name]
            print(f"{name:<15} {label:>15} {pct(server, 50):>9.2f}ms {pct(server, 95):>9.2f}ms"
                  f" {pct(client, 50):>9.2f}ms {pct(client, 95):>9.2f}ms")  # fmt: skip
    if signed:
        print()
        for name in big_results:
            with_session = statistics.fmean(runs[1][1][name][0])
            name_only = statistics.fmean(runs[2][1][name][0])
            print(f"session check, {name}: mean server {with_session:.2f} ms signed in vs"
                  f" {name_only:.2f} ms name-only on {n_small:,} claims"
                  f" ({with_session / name_only:.2f}x)")  # fmt: skip
    print()
    # judged on what a reviewer waits for: the client's time, which also counts the wait in
    # waitress's queue (the server time alone would look better with fewer threads)
    for name, (server, client) in big_results.items():
        p95 = pct(client, 95)
        ok = p95 < TARGET_P95_MS
        missed += not ok
        print(f"target {name}: client p95 {p95:.2f} ms (server p95 {pct(server, 95):.2f} ms, mean"
              f" client {statistics.fmean(client):.2f} ms) vs {TARGET_P95_MS:.0f} ms: {'met' if ok else 'MISSED'}")  # fmt: skip
    if args.record:
        _record(args, runs, n_big, signed, missed)
    return 1 if missed else 0


def _record(args: argparse.Namespace, runs: list[tuple[str, dict]], n_big: int, signed: bool,
            missed: int) -> None:  # fmt: skip
    """The run to bench/results/web-WHEN.json: client p95 per page on the big archive, the
    same-run baselines beside it, server p95 in `extra`."""
    import importlib.util

    # bench/ is kept off sys.path (queue.py would shadow the stdlib), so load record.py by path
    spec = importlib.util.spec_from_file_location("bench_record", HERE / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    record = module.record

    # the big archive's rows keep the plain page names (the history table follows "queue page");
    # each is compared with the same page on the first baseline archive of the run
    rows = []
    for i, (label, results) in enumerate(runs):
        for name, (server, client) in results.items():
            row: dict = {"label": name if i == 0 else f"{name} ({label})",
                         "value": round(pct(client, 95), 1),
                         "extra": {"server p95 ms": round(pct(server, 95), 1),
                                   "client p50 ms": round(pct(client, 50), 1),
                                   "server p50 ms": round(pct(server, 50), 1)}}  # fmt: skip
            if i == 0 and len(runs) > 1:
                row["vs"] = f"{name} ({runs[1][0]})"
            if i > 0:
                row["baseline"] = True
            rows.append(row)
    try:
        load = os.getloadavg()
        load_note = f" Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}."
    except OSError:
        load_note = ""
    path = record(
        "web",
        f"Web UI ({n_big:,} claims, {args.clients} {'signed-in ' if signed else ''}clients)",
        "client p95 ms",
        rows,
        command="python bench/web.py"
        + (" --signed-in" if signed else "")
        + (f" --claims {args.claims}" if args.db is None and args.claims != 1_000_000 else ""),
        higher_is_better=False,
        target=f"p95 < {TARGET_P95_MS:.0f} ms at {args.clients} clients ({'met' if not missed else 'missed'})",
        notes=f"waitress {args.threads} threads, {args.requests} requests per page.{load_note}"
        + (f" {args.note}" if args.note else ""),
    )
    print(f"recorded {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    sys.exit(main())
