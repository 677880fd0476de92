"""Benchmark of the review workflow at scale: a database of 1,000,000 claims and 1,000,000
snapshots (synthetic text, small payloads), then `next` (lease_next) with 1 and 8 concurrent
reviewers, the queue's first page, search and evidence, each as p50/p99 in milliseconds, beside
a baseline measured in the same run: the same calls on a 10,000-claim database, and naive
un-indexed queries on the big one.

    .venv/bin/python bench/queue.py            # build bench/out/queue.db (a few minutes), measure
    .venv/bin/python bench/queue.py --reuse    # reuse the database built before
    .venv/bin/python bench/queue.py --claims 100000 --snapshots 100000   # a smaller run

The web benchmark imports build_database(path, claims=..., snapshots=...) to get the same data.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
from pathlib import Path

# this file is named like the stdlib's `queue` (which multiprocessing imports): keep its folder
# off the import path, and put the project root on it
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from verify import clock, store  # noqa: E402
from verify.review import evidence, search  # noqa: E402
from verify.review import workflow as review  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_DB = OUT / "queue.db"
CHUNK = 50_000
T_BASE = 1_700_000_000  # seconds; claims are spread over a year from here
VOCAB_SIZE = 20_000
NAMES = ["Bamako", "Mali", "Paris", "Radisson", "MINUSMA", "Keita", "Sahel", "Niger", "Dakar", "Lagos",
         "Annan", "Guterres", "Touareg", "Timbuktu", "Gao", "Kidal", "Mopti", "Sevare", "Ansar", "Dine"]  # fmt: skip
STATUSES = ["queued"] * 70 + ["candidate"] * 10 + ["decided"] * 15 + ["dismissed"] * 5


def _vocab(rng: random.Random) -> tuple[list[str], list[float]]:
    syll = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "ba", "de", "fu", "go", "hi", "ja", "ko",
            "la", "ma", "no", "pe", "qui", "ri", "so", "tu", "va", "we", "xa", "yo", "ze", "ar", "en", "ol"]  # fmt: skip
    words: set[str] = set()
    while len(words) < VOCAB_SIZE:
        words.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    cum, total = [], 0.0
    for rank in range(len(ordered)):
        total += 1.0 / (rank + 1)
        cum.append(total)
    return ordered, cum


def _sentence(rng: random.Random, vocab: list[str], cum: list[float], n: int) -> str:
    words = rng.choices(vocab, cum_weights=cum, k=n)
    words[rng.randrange(n)] = rng.choice(NAMES)
    words[rng.randrange(n)] = str(rng.randint(2, 5000))
    return " ".join(words).capitalize() + "."


def _iso(seconds: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        + f".{int(seconds * 1e6) % 1_000_000:06d}Z"
    )


def build_database(path: str | os.PathLike, claims: int = 1_000_000, snapshots: int = 1_000_000, *, seed: int = 7,
                   quiet: bool = False) -> dict[str, float]:  # fmt: skip
    """Build a synthetic archive at `path` (replacing it). Returns timings in seconds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    rng = random.Random(seed)
    vocab, cum = _vocab(rng)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    db = store.open_db(path)
    conn = db.conn
    conn.execute(
        "PRAGMA journal_mode=OFF"
    )  # a bulk load into a new file: no rollback journal, no WAL
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("PRAGMA temp_store=MEMORY")
    # bulk load without per-row FTS triggers and secondary indexes, rebuilt at the end
    saved = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN"
        " ('claims', 'snapshots', 'sources', 'claim_sources') AND type IN ('trigger', 'index')"
    ).fetchall()
    for kind, name, _ in saved:
        conn.execute(f"DROP {kind.upper()} {name}")
    n_articles = max(1, claims // 1000)
    n_sources = max(1, snapshots // 2)
    now = clock.now()

    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO articles (id, title, url, source_name, text, content_sha256, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                i,
                f"Report {i}",
                f"https://news.example/{i}",
                f"https://news.example/{i}",
                "Synthetic article.",
                f"sha{i}",
                _iso(T_BASE + i * 30),
            )
            for i in range(1, n_articles + 1)
        ),  # fmt: skip
    )

    def claim_rows():
        for i in range(1, claims + 1):
            status = STATUSES[i % len(STATUSES)]
            created = _iso(T_BASE + rng.random() * 365 * 86400)
            verdict = "mostly-true" if status == "decided" else None
            yield (i, 1 + (i - 1) % n_articles, _sentence(rng, vocab, cum, rng.randint(10, 20)), rng.random(),
                   status, rng.choice((0, 0, 0, 1, 1, 2, 3)), verdict, created, created)  # fmt: skip

    it = claim_rows()
    while True:
        batch = [r for _, r in zip(range(CHUNK), it, strict=False)]
        if not batch:
            break
        conn.executemany(
            "INSERT INTO claims (id, article_id, text, score, status, priority, verdict, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    conn.executemany(
        "INSERT INTO sources (id, url, host, created_at) VALUES (?, ?, ?, ?)",
        (
            (i, f"https://site{i % 5000}.example/page/{i}", f"site{i % 5000}.example", now)
            for i in range(1, n_sources + 1)
        ),
    )
    conn.executemany(
        "INSERT INTO claim_sources (claim_id, source_id, origin, created_at) VALUES (?, ?, 'article', ?)",
        ((i, 1 + (i - 1) % n_sources, now) for i in range(1, claims + 1)),
    )
    payloads = [
        store.put_payload(db, f"<html><p>payload {k}</p></html>".encode()) for k in range(1000)
    ]
    conn.execute("COMMIT")
    timings["claims"] = time.perf_counter() - t

    t = time.perf_counter()
    conn.execute("BEGIN")

    def snapshot_rows():
        for i in range(1, snapshots + 1):
            source = 1 + (i - 1) % n_sources
            text = " ".join(_sentence(rng, vocab, cum, rng.randint(8, 16)) for _ in range(3))
            yield (i, source, f"https://site{source % 5000}.example/page/{source}", 200, payloads[i % 1000], 40,
                   "text/html", f"Page {source}", text, _iso(T_BASE + i))  # fmt: skip

    it = snapshot_rows()
    while True:
        batch = [r for _, r in zip(range(CHUNK), it, strict=False)]
        if not batch:
            break
        conn.executemany(
            "INSERT INTO snapshots (id, source_id, requested_url, status, sha256, size, content_type, title, text,"
            " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    conn.execute("COMMIT")
    timings["snapshots"] = time.perf_counter() - t

    t = time.perf_counter()
    conn.execute("BEGIN")
    for kind, _, sql in saved:
        if kind == "index":
            conn.execute(sql)
    conn.execute("COMMIT")
    timings["indexes"] = time.perf_counter() - t

    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO claims_fts(claims_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO snapshots_fts(snapshots_fts) VALUES ('rebuild')")
    # the decided claims' match keys, which the claims triggers set aside above would have kept
    conn.execute(
        "INSERT INTO decided_claim_keys (claim_id, keys)"
        " SELECT id, verify_match_keys(text) FROM claims WHERE status = 'decided'"
    )
    for kind, _, sql in saved:
        if kind == "trigger":
            conn.execute(sql)
    conn.execute("COMMIT")
    timings["fts"] = time.perf_counter() - t
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    db.close()
    timings["total"] = time.perf_counter() - t_all
    if not quiet:
        print(f"built {path.name}: {claims:,} claims, {snapshots:,} snapshots in {timings['total']:.1f} s "
              + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total"), flush=True)  # fmt: skip
    return timings


# --------------------------------------------------------------------------- measuring


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _fmt(values: list[float]) -> str:
    return f"p50 {_pct(values, 50):7.2f} ms  p99 {_pct(values, 99):7.2f} ms  (n={len(values)})"


def _timed(fn, repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _reset_leases(path: Path) -> None:
    db = store.open_db(path)
    with store.immediate(db):
        db.conn.execute(
            "UPDATE claims SET status = 'queued', lease_reviewer = NULL, lease_expires_at = NULL"
            " WHERE status = 'in_review'"
        )
    db.close()


def _lease_worker(args: tuple[str, int, int, object, object, bool]) -> list[float]:
    path, worker, calls, barrier, results, burst = args
    db = store.open_db(path)
    review.lease_next(
        db, f"warm-{worker}"
    )  # untimed: a new connection's first write loads the schema
    barrier.wait()
    out = []
    for k in range(calls):
        if burst:  # every round, all reviewers ask at the same instant
            barrier.wait()
        t = time.perf_counter()
        got = review.lease_next(db, f"w{worker}-{k}")
        out.append((time.perf_counter() - t) * 1000)
        assert got is not None
    db.close()
    results.put((worker, out))
    return out


def measure_leases(path: Path, reviewers: int, calls: int, *, burst: bool = False) -> list[float]:
    """lease_next latencies with `reviewers` concurrent processes, each its own connection;
    every call is a new reviewer name, so every call leases a new claim. burst=False: each
    process calls in a tight loop (the write lock saturated); burst=True: rounds in which all
    processes ask at the same instant (a barrier before every call)."""
    _reset_leases(path)
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(reviewers)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_lease_worker, args=((str(path), w, calls, barrier, results, burst),))
        for w in range(reviewers)
    ]
    for p in procs:
        p.start()
    latencies: list[float] = []
    for _ in procs:
        latencies.extend(results.get()[1])
    for p in procs:
        p.join()
    _reset_leases(path)
    return latencies


def warm_cache(path: Path) -> float:
    """Read the database file once so every figure is a warm-cache figure (seconds taken)."""
    t = time.perf_counter()
    with open(path, "rb") as fh:
        while fh.read(8 * 2**20):
            pass
    return time.perf_counter() - t


def measure_reads(path: Path, repeat: int) -> dict[str, list[float]]:
    """Each read operation is run once untimed (warm-up), then `repeat` times timed."""
    db = store.open_db(path)
    rng = random.Random(3)
    out: dict[str, list[float]] = {}
    out["queue first page"] = _timed(lambda: review.queue(db, limit=50), repeat)
    out["queue page 20 (offset 950)"] = _timed(
        lambda: review.queue(db, limit=50, offset=950), max(5, repeat // 5)
    )
    # search words of medium frequency (ranks 50..2000 of the Zipf vocabulary), names and phrases
    vocab, _ = _vocab(random.Random(7))
    queries = [vocab[rng.randint(50, 2000)] for _ in range(10)] + ["Bamako", "MINUSMA 2000",
               f'"{vocab[3]} {vocab[5]}"', f"{vocab[60][:4]}*"]  # fmt: skip
    qi = iter(range(10**9))
    out["search (mixed queries)"] = _timed(
        lambda: search.search(db, queries[next(qi) % len(queries)]), repeat
    )
    out["search (most common word)"] = _timed(
        lambda: search.search(db, vocab[0]), max(5, repeat // 10)
    )
    n_claims = db.conn.execute("SELECT max(id) FROM claims").fetchone()[0]
    cids = [rng.randint(1, n_claims) for _ in range(repeat)]
    ci = iter(cids + cids)
    out["evidence (one claim)"] = _timed(lambda: evidence.evidence(db, next(ci)), repeat)
    ci2 = iter(cids + cids)
    out["related evidence (FTS)"] = _timed(
        lambda: evidence.related_evidence(db, next(ci2)), max(5, repeat // 5)
    )
    cid = cids[0]
    out["history (one claim)"] = _timed(lambda: review.history(db, cid), repeat)
    db.close()
    return out


def measure_long_evidence(folder: Path, repeat: int, sources: int = 5, kb: int = 50) -> list[float]:
    """evidence() for one claim whose `sources` snapshots each hold `kb` KB of text (news pages
    are 5-50 KB of readable text; the synthetic snapshots above are ~300 bytes)."""
    path = folder / "queue-evidence.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    rng = random.Random(5)
    vocab, cum = _vocab(rng)
    db = store.open_db(path)
    now = clock.now()
    with store.immediate(db):
        cid = db.conn.execute(
            "INSERT INTO claims (text, score, status, created_at, updated_at) VALUES (?, 0.9, 'queued', ?, ?)",
            [
                "At least 22 people died in Bamako on Friday, officials said, and 3,000 fled.",
                now,
                now,
            ],
        ).lastrowid
        for k in range(sources):
            sid = db.conn.execute(
                "INSERT INTO sources (url, host, created_at) VALUES (?, 'e.example', ?)",
                [f"https://e.example/{k}", now],
            ).lastrowid
            db.conn.execute(
                "INSERT INTO claim_sources (claim_id, source_id, origin, created_at) VALUES (?, ?, 'manual', ?)",
                [cid, sid, now],
            )
            parts, size = [], 0
            while size < kb * 1000:
                sentence = _sentence(rng, vocab, cum, rng.randint(10, 25))
                parts.append(sentence + ("\n\n" if rng.random() < 0.2 else " "))
                size += len(sentence) + 1
            db.conn.execute(
                "INSERT INTO snapshots (source_id, requested_url, status, text, fetched_at) VALUES (?, ?, 200, ?, ?)",
                [sid, f"https://e.example/{k}", "".join(parts), now],
            )
    out = _timed(lambda: evidence.evidence(db, cid), repeat)
    db.close()
    return out


def measure_naive(path: Path, repeat: int) -> dict[str, list[float]]:
    """The same questions asked without the indexes (what a naive implementation would do)."""
    db = store.open_db(path)
    out = {}
    out["naive queue page (NOT INDEXED)"] = _timed(
        lambda: db.conn.execute(
            "SELECT * FROM claims NOT INDEXED WHERE status IN ('queued', 'in_review')"
            " ORDER BY priority DESC, created_at, score DESC, id LIMIT 50"
        ).fetchall(),
        repeat,
    )
    word = _vocab(random.Random(7))[0][1500]  # a word of the "search (mixed queries)" kind
    out["naive search (LIKE, claims + snapshots)"] = _timed(
        lambda: (
            db.conn.execute(
                "SELECT id FROM claims WHERE text LIKE ? LIMIT 20", [f"%{word}%"]
            ).fetchall(),
            db.conn.execute(
                "SELECT id FROM snapshots WHERE text LIKE ? LIMIT 20", [f"%{word}%"]
            ).fetchall(),
        ),
        repeat,
    )
    out["naive search (LIKE, a word in no row)"] = _timed(
        lambda: (
            db.conn.execute("SELECT id FROM claims WHERE text LIKE '%zzyzx%' LIMIT 20").fetchall(),
            db.conn.execute(
                "SELECT id FROM snapshots WHERE text LIKE '%zzyzx%' LIMIT 20"
            ).fetchall(),
        ),
        max(2, repeat // 2),
    )
    out["FTS search, a word in no row"] = _timed(lambda: search.search(db, "zzyzx"), repeat)
    db.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--snapshots", type=int, default=1_000_000)
    ap.add_argument("--baseline-claims", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=200, help="lease_next calls per reviewer")
    ap.add_argument("--repeat", type=int, default=100)
    args = ap.parse_args(argv)

    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    if not (args.reuse and args.db.exists()):
        build_database(args.db, args.claims, args.snapshots)
    else:
        print(f"reusing {args.db}")
    small = args.db.with_name("queue-baseline.db")
    if not (args.reuse and small.exists()):
        build_database(small, args.baseline_claims, args.baseline_claims)

    print(f"warming the page cache: read {args.db.name} in {warm_cache(args.db):.1f} s")
    warm_cache(small)
    big_n = store.open_db(args.db).conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    rows: list[tuple[str, list[float], list[float] | None]] = []
    for label, reviewers, burst in (("next, 1 reviewer", 1, False),
                                    ("next, 8 reviewers at once", 8, True),
                                    ("next, 8 reviewers saturating", 8, False)):  # fmt: skip
        calls = args.calls if reviewers == 1 else max(20, args.calls // 4)
        big = measure_leases(args.db, reviewers, calls, burst=burst)
        base = measure_leases(small, reviewers, calls, burst=burst)
        rows.append((label, big, base))
    big_reads = measure_reads(args.db, args.repeat)
    small_reads = measure_reads(small, args.repeat)
    for name, values in big_reads.items():
        rows.append((name, values, small_reads.get(name)))
    rows.append(
        ("evidence (5 sources x 50 KB text)", measure_long_evidence(args.db.parent, 20), None)
    )
    for name, values in measure_naive(args.db, 5).items():
        rows.append((name + (" [baseline]" if name.startswith("naive") else ""), values, None))

    print(
        f"\n{'operation':<38} {big_n:>9,} claims{'':<33} | {args.baseline_claims:,}-claim baseline"
    )
    for name, values, base in rows:
        tail = _fmt(base) if base else ""
        print(f"{name:<38} {_fmt(values)} | {tail}")
    targets = {"next, 1 reviewer": 20, "next, 8 reviewers at once": 20, "next, 8 reviewers saturating": 20,
               "queue first page": 100, "search (mixed queries)": 100}  # fmt: skip
    print()
    for name, values, _ in rows:
        if name in targets:
            got = _pct(values, 99)
            print(
                f"target {name}: p99 {got:.2f} ms vs {targets[name]} ms: {'met' if got < targets[name] else 'MISSED'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
