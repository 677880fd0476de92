"""`verify demo`: a sample article and its sample source pages, served by an in-process HTTP
server on 127.0.0.1 (port 0), ingested and captured into a demo database.

The sources are chosen to show every state a source can be in: pages that support a claim, one
that contradicts a number, a hostile page full of scripts and on* handlers, a page that 404s
(gone), a redirect, a PDF, a plain-text table, a dashboard that answers 503 (failed), and a
report that is updated between two captures (changed). The gone page is then brought back by
`verify recover` from a small web archive served locally too (verify/demo/webarchive.py), which
holds copies of it from before the article, and a 404 from after it was deleted."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from verify import store
from verify.ingest.article import ingest_article
from verify.store import find_source, get_article, list_claims, open_db

PLACEHOLDER = "http://demo.invalid"
ARTICLE_NAME = "demo: Port Calder water rationing"
RESERVOIR = "/reports/reservoir-levels.html"

# URL path -> (file in demo/data/sources, content type); other answers are in DemoSite.answer
ROUTES: dict[str, tuple[str, str]] = {
    "/council/minutes-2026-08-20.html": ("council-minutes.html", "text/html; charset=utf-8"),
    RESERVOIR: ("reservoir-levels.html", "text/html; charset=utf-8"),
    "/stats/consumption.txt": ("consumption.txt", "text/plain; charset=utf-8"),
    "/press/met-office-rainfall.html": ("met-office-rainfall.html", "text/html; charset=utf-8"),
    "/blog/hot-takes.html": ("hot-takes.html", "text/html; charset=utf-8"),
    "/plans/desalination.html": ("desalination-plan.html", "text/html; charset=utf-8"),
    "/docs/audit-2025.pdf": ("audit-2025.pdf", "application/pdf"),
}
REDIRECTS = {"/go/desalination-plan": "/plans/desalination.html"}
UNAVAILABLE = {"/data/live-dashboard"}  # 503: a failed capture
GONE = "/news/old-pipeline-story.html"  # 404 live; archived (demo_archive) before the article
DEMO_ARCHIVE = "the demo web archive"
# (timestamp, HTTP status) of the demo archive's captures of GONE
GONE_CAPTURES = (("20190314101500", 200), ("20240211083000", 200), ("20251001120000", 404))


def data_file(name: str) -> bytes:
    """The bytes of a bundled demo file (article.html or sources/<name>)."""
    return resources.files("verify.demo.data").joinpath(name).read_bytes()


class DemoSite:
    """The demo's source pages on 127.0.0.1, port 0, in a daemon thread. `updated` switches
    the reservoir report to its newer version (so a second capture sees a change)."""

    def __init__(self) -> None:
        self.updated = False
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = site.answer(self.path.split("?", 1)[0])
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path == "/news/lake-marren-rationing.html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.article_bytes()
        if path in REDIRECTS:
            return (
                302,
                {"Location": self.base + REDIRECTS[path], "Content-Type": "text/plain"},
                b"moved\n",
            )
        if path in UNAVAILABLE:
            return (
                503,
                {"Content-Type": "text/plain", "Retry-After": "3600"},
                b"dashboard temporarily unavailable\n",
            )
        if path in ROUTES:
            name, ctype = ROUTES[path]
            if path == RESERVOIR and self.updated:
                name = "reservoir-levels-updated.html"
            return 200, {"Content-Type": ctype}, data_file(f"sources/{name}")
        return (
            404,
            {"Content-Type": "text/html; charset=utf-8"},
            b"<html><body><h1>404 Not Found</h1></body></html>",
        )

    def article_bytes(self) -> bytes:
        return data_file("article.html").replace(PLACEHOLDER.encode(), self.base.encode())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def demo_site() -> Iterator[DemoSite]:
    site = DemoSite()
    try:
        yield site
    finally:
        site.close()


def run_demo(
    db_path: str, *, fetch: bool = True, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Build (or find) the demo database. Returns counts and the lines to print. Re-running on an
    existing demo database adds nothing."""
    say = progress or (lambda _msg: None)
    db = open_db(db_path)
    try:
        with demo_site() as site:
            say(f"serving the demo source pages on {site.base}")
            result = ingest_article(
                db,
                "-",
                stdin=site.article_bytes(),
                source_name=ARTICLE_NAME,
                url=f"{site.base}/news/lake-marren-rationing.html",
            )
            summary: dict[str, Any] = {"article_id": result.article_id, "created": result.created}
            captured = None
            if result.created and fetch:
                captured = _capture(db, site, result.article_id, say)
            summary["capture"] = captured
            summary["recover"] = None
            if captured is not None:
                summary["recover"] = _recover(db, site, result.article_id, say)
        article = get_article(db, result.article_id)
        claims = list_claims(db, article_id=result.article_id)
        candidates = article["claim_counts"].get("candidate", 0)
        sources = {
            u
            for c in list_claims(db, article_id=result.article_id, include_candidates=True)
            for u in c["sources"]
        }
        states = _states(db)
        summary.update(
            queued=len(claims), candidates=candidates, sources=len(sources), states=states
        )
    finally:
        db.close()
    lines = [f"Demo database: {db_path}"]
    if result.created:
        lines.append(f'Ingested article {result.article_id}: "{article["title"]}"')
    else:
        lines.append(f"Article {result.article_id} was already in {db_path}: nothing added")
    lines.append(
        f"  {len(claims)} queued claims, {candidates} other sentences kept as candidates,"
        f" {len(sources)} candidate sources from the article's links"
    )
    if summary["capture"]:
        cap = summary["capture"]
        lines.append(
            f"  captured sources: {cap['fetched']} fetched, {cap['failed']} failed,"
            f" {cap['changed']} changed on a second capture"
        )
    elif fetch and result.created:
        lines.append("  (source capture is not available in this build: run `verify fetch` later)")
    if summary.get("recover"):
        rec = summary["recover"]
        lines.append(
            f"  recovered the gone source {rec['source_id']} from the demo's web archive:"
            f" {rec['label']} (snapshot {rec['snapshot_id']})"
        )
    if states:
        lines.append("  source states: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    lines += [
        "",
        "Next:",
        f"  verify --db {db_path} claims                 # the check-worthy claims and their sources",
        f"  verify --db {db_path} queue                  # what awaits review, highest priority first",
        f"  verify --db {db_path} next --reviewer you    # lease a claim to review",
        f"  verify --db {db_path} serve                  # the review web UI on http://127.0.0.1:8000",
    ]
    if summary.get("recover"):
        lines.insert(
            -1,
            f"  verify --db {db_path} snapshot show {summary['recover']['snapshot_id']}"
            "       # the memento recovered from the web archive",
        )
    summary["lines"] = lines
    return summary


def _capture(
    db: Any, site: DemoSite, article_id: int, say: Callable[[str], None]
) -> dict[str, Any]:
    from verify.capture.engine import CaptureOptions, capture
    from verify.capture.fetch import FetchOptions

    fetch_options = FetchOptions(
        allow_hosts=("127.0.0.1",), retries=0, connect_timeout=5.0, read_timeout=5.0, deadline=10.0
    )
    # one at a time: snapshot ids then follow source ids, so the manual's worked example
    # (docs/workflow.md, which tests/test_docs.py runs) names the same snapshots on every run
    options = CaptureOptions(concurrency=1, per_host=1, fetch=fetch_options)
    say("capturing the article's sources ...")
    first = capture(db, article_id=article_id, options=options)
    # the water authority publishes a new weekly report: capture it again to show a change
    site.updated = True
    reservoir = find_source(db, site.base + RESERVOIR)["id"]
    second = capture(
        db,
        source_ids=[reservoir],
        options=CaptureOptions(concurrency=1, per_host=1, refetch=True, fetch=fetch_options),
    )
    return {
        "fetched": first.fetched + second.fetched,
        "failed": first.failed + second.failed,
        "changed": second.changed,
        "unchanged": first.unchanged + second.unchanged,
    }


def _recover(
    db: Any, site: DemoSite, article_id: int, say: Callable[[str], None]
) -> dict[str, Any] | None:
    """Serve the demo's web archive on 127.0.0.1 and recover the gone source from it."""
    from verify.capture.fetch import FetchOptions
    from verify.demo.webarchive import FakeArchive, running
    from verify.webarchives.mementos import wayback_archive
    from verify.webarchives.recover import RecoverOptions, archive_label, recover

    archive = FakeArchive()
    page = data_file("sources/old-pipeline-story.html")
    for stamp, status in GONE_CAPTURES:
        body = page if status == 200 else b"<html><title>404 Not Found</title></html>"
        archive.add(site.base + GONE, stamp, body, status=status)
    source_id = find_source(db, site.base + GONE)["id"]
    with running(archive):
        say(f"serving the demo's web archive on {archive.base}; recovering the gone source ...")
        summary = recover(
            db,
            source_ids=[source_id],
            options=RecoverOptions(
                archives=(wayback_archive(archive.base, DEMO_ARCHIVE),),
                fetch=FetchOptions(allow_hosts=("127.0.0.1",), retries=0, deadline=10.0),
            ),
        )
    done = [r for r in summary.results if r.outcome == "recovered"]
    if not done:
        return None
    assert done[0].snapshot_id is not None  # a recovered result names its snapshot
    row = store.captures.full_snapshot(db, done[0].snapshot_id)
    assert row is not None
    return {"source_id": source_id, "snapshot_id": row["id"], "label": archive_label(row)}


def _states(db: Any) -> dict[str, int]:
    from verify.capture.engine import list_sources

    out: dict[str, int] = {}
    for src in list_sources(db):
        out[src["state"]] = out.get(src["state"], 0) + 1
    return out
