"""Recovery throughput: `verify recover` on 500 gone sources against a sequential loop of CDX
look-up + raw replay fetch (requests, one after the other) on the same local fake web archive
(verify/demo_archive.py) answering every request after 50 ms.

    .venv/bin/python bench/recover.py                 # 500 sources, 50 ms
    .venv/bin/python bench/recover.py --sources 100 --latency 0.02

Prints sources/s for both, and the ratio (target: verify >= 8x the sequential loop). verify's
run includes everything the command does: selecting the sources and their reference dates, the
CDX request, choosing the memento, fetching it through the fetcher (network guard, caps),
extracting the readable text and storing the snapshot, its look-up record and the events; the
loop only fetches and parses. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

# ruff: noqa: E402
import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import json
import multiprocessing
import tempfile
import threading
import time
from datetime import UTC, datetime

import requests

from verify import clock, store
from verify.capture.fetch import FetchOptions
from verify.demo.webarchive import FakeArchive
from verify.ingest.claims import add_claim
from verify.webarchives.mementos import cdx_url, choose, parse_cdx, wayback_archive
from verify.webarchives.recover import RecoverOptions, recover

ORIGIN = "http://news.example"  # never contacted: the sources are gone, only the archive answers
PARAGRAPH = (
    "<p>Officials said on Friday that gunmen had held {n} hostages at the hotel for nine hours,"
    " and that at least {d} people died before security forces ended the siege. The government"
    " plans to deploy 650 soldiers to the region, the defence ministry said in a statement.</p>"
)


def page(i: int) -> str:
    body = "".join(PARAGRAPH.format(n=100 + i + k, d=20 + k) for k in range(25))
    return (
        f"<!doctype html><html><head><title>Report {i}</title></head><body><nav>Home News</nav>"
        f"<article><h1>Report {i}</h1>{body}</article><footer>Footer</footer></body></html>"
    )


def archive_pages(archive: FakeArchive, n: int) -> None:
    for i in range(n):
        url = f"{ORIGIN}/news/{i}.html"
        archive.add(url, "20140301000000", page(i))
        archive.add(url, "20151120093000", page(i))
        archive.add(url, "20170101000000", page(i))


def serve_archive(n: int, latency: float, bases: multiprocessing.Queue) -> None:
    """The fake archive in its own process (a real archive's CPU is not the client's)."""
    archive = FakeArchive(latency=latency)
    archive_pages(archive, n)
    archive.start()
    bases.put(archive.base)
    threading.Event().wait()


def build(db_path: str, n: int) -> list[str]:
    db = store.open_db(db_path)
    urls = [f"{ORIGIN}/news/{i}.html" for i in range(n)]
    for url in urls:
        add_claim(db, f"Gunmen held hostages ({url}).", sources=[url])
    with store.immediate(db):  # the live captures: every page is gone
        db.conn.execute(
            "INSERT INTO snapshots (source_id, requested_url, status, error, error_message, fetched_at)"
            " SELECT id, url, 404, 'http_error', 'HTTP 404 Not Found', ? FROM sources",
            [clock.now()],
        )
    db.close()
    return urls


def sequential(base: str, urls: list[str]) -> tuple[float, int]:
    ia = wayback_archive(base)
    reference = datetime(2015, 11, 23, tzinfo=UTC)
    session = requests.Session()
    session.trust_env = False
    ok = 0
    started = time.perf_counter()
    for url in urls:
        index = session.get(cdx_url(ia, url), timeout=30)
        found = choose(parse_cdx(index.content, ia), reference)
        if found:
            memento = session.get(found[0][0].url, timeout=30)
            ok += memento.status_code == 200 and len(memento.content) > 0
    elapsed = time.perf_counter() - started
    session.close()
    return elapsed, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--extract-processes",
        type=int,
        default=0,
        help="extraction processes (default 0, as `verify recover`: on 2 cores they cost more"
        " than they save)",
    )
    args = parser.parse_args()
    bases: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_archive, args=(args.sources, args.latency, bases), daemon=True
    )
    server.start()
    try:
        base = bases.get(timeout=120)
        with tempfile.TemporaryDirectory() as tmp:
            return run(args, base, str(Path(tmp) / "bench.db"))
    finally:
        server.terminate()
        server.join(10)


def run(args: argparse.Namespace, base: str, db_path: str) -> int:
    if True:
        urls = build(db_path, args.sources)
        print(
            f"{args.sources} gone sources, fake archive (own process) at {base} answering after"
            f" {args.latency * 1000:.0f} ms",
            flush=True,
        )
        seq_s, seq_ok = sequential(base, urls)
        print(
            f"sequential CDX + replay loop: {seq_ok}/{len(urls)} in {seq_s:.2f} s"
            f" ({len(urls) / seq_s:.1f} sources/s)",
            flush=True,
        )
        db = store.open_db(db_path)
        options = RecoverOptions(
            archives=(wayback_archive(base),),
            fetch=FetchOptions(allow_hosts=("127.0.0.1",), retries=0),
            extract_processes=args.extract_processes,
        )
        started = time.perf_counter()
        summary = recover(db, options=options)
        verify_s = time.perf_counter() - started
        db.close()
        print(
            f"verify recover (concurrency {options.concurrency}, {options.per_host} per archive,"
            f" {options.extract_processes} extraction processes):"
            f" {summary.recovered}/{len(urls)} in {verify_s:.2f} s"
            f" ({len(urls) / verify_s:.1f} sources/s)",
            flush=True,
        )
        ratio = seq_s / verify_s
        bound = len(urls) * 2 * args.latency / min(options.concurrency, options.per_host)
        print(
            f"\nsummary: verify / sequential = {ratio:.1f}x (target >= 8x:"
            f" {'met' if ratio >= 8 else 'missed'}); network bound"
            f" {bound:.2f} s, verify at {verify_s / bound:.2f}x of it"
        )
        if args.json:
            print(
                json.dumps(
                    {
                        "sources": len(urls),
                        "sequential_s": round(seq_s, 3),
                        "verify_s": round(verify_s, 3),
                        "ratio": round(ratio, 2),
                        "recovered": summary.recovered,
                    }
                )
            )
        return 0 if summary.recovered == len(urls) and seq_ok == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
