"""Browser capture throughput: `verify fetch --mode browser` against one Chromium process per
page run sequentially (what per-URL capture tools do: launch, load, screenshot, exit), on the
same pages of a local site, in one run.

The site: 10 loopback hosts (127.0.0.2 ... 127.0.0.11), each a threaded HTTP/1.1 server that
answers every request after 50 ms. Every page is an application shell whose script builds the
article text and 10 images (distinct PNGs), so static capture sees no text and a browser is
needed. Nothing leaves loopback; every run has a time limit.

    .venv/bin/python bench/browser.py                  # 200 pages, both runs
    .venv/bin/python bench/browser.py --pages 50

Prints pages/s of each, the ratio, and the peak memory of verify's run: the summed RSS of all
its processes (verify, the Playwright driver, every Chromium process) sampled every 20 ms, and
the summed PSS (shared pages split between the processes sharing them). Targets: >= 5x the
per-page baseline, peak RSS < 1.5 GB at the default concurrency."""

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
import tempfile
import threading
import time
import zlib
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.capture import RssPoller, make_db, run_measured
from verify.capture.browser import find_chromium
from verify.store import open_db

VERIFY = str(Path(sys.executable).parent / "verify")


@cache
def png(index: int) -> bytes:
    """A distinct 64x48 PNG per index."""
    rgb = bytes(((index * 37) % 256, (index * 91) % 256, (index * 53) % 256))
    row = b"\x00" + rgb * 64
    raw = zlib.compress(row * 48)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (64).to_bytes(4, "big") + (48).to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@cache
def shell(index: int) -> bytes:
    """An app shell: the text and the 10 images come from the script."""
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Story "
        f"{index}</title></head><body><div id=root></div><script>"
        f"const n = {index}; const root = document.getElementById('root');"
        "let html = '<h1>Story ' + n + ': the council budget</h1>';"
        "for (let p = 0; p < 6; p++) { html += '<p>Paragraph ' + p + ' of story ' + n +"
        " ': the council approved a budget of ' + (n * 7 + p) + ' million after a long debate"
        " about housing, transport and schools in the district.</p>'; }"
        "for (let k = 0; k < 10; k++) { html += '<img src=\"/img/' + n + '-' + k + '.png\""
        " width=64 height=48>'; }"
        "root.innerHTML = html;</script></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.server.latency)  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        status, ctype, body = 404, "text/plain", b"not found"
        if path == "/robots.txt":
            status, ctype, body = 200, "text/plain", b"User-agent: *\nAllow: /\n"
        elif path.startswith("/p/") and path.endswith(".html"):
            status, ctype, body = 200, "text/html; charset=utf-8", shell(int(path[3:-5]))
        elif path.startswith("/img/") and path.endswith(".png"):
            n, k = path[5:-4].split("-")
            status, ctype, body = 200, "image/png", png(int(n) * 10 + int(k))
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.hits += 1  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Site:
    def __init__(self, hosts: int, latency: float) -> None:
        self.servers = []
        for i in range(hosts):
            server = ThreadingHTTPServer((f"127.0.0.{i + 2}", 0), _Handler)
            server.daemon_threads = True
            server.latency = latency  # type: ignore[attr-defined]
            server.lock = threading.Lock()  # type: ignore[attr-defined]
            server.hits = 0  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        self.hosts = [f"127.0.0.{i + 2}:{s.server_address[1]}" for i, s in enumerate(self.servers)]

    def urls(self, pages: int) -> list[str]:
        return [f"http://{self.hosts[i % len(self.hosts)]}/p/{i}.html" for i in range(pages)]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def run_verify(site: Site, urls: list[str], workdir: Path, timeout: float) -> dict:
    db_path = workdir / "verify-browser.db"
    make_db(db_path, urls)
    cmd = [VERIFY, "--db", str(db_path), "fetch", "--mode", "browser", "--json"]
    env = {**os.environ, "VERIFY_ALLOW_HOSTS": ",".join(site.hosts)}
    wall, code, out, err, cpu, _maxrss, peak = run_measured(cmd, timeout=timeout, env=env)
    db = open_db(db_path)
    ok = db.conn.execute(
        "SELECT count(*) FROM snapshots s JOIN browser_captures b ON b.snapshot_id = s.id"
        " WHERE s.error IS NULL AND b.screenshot_sha256 IS NOT NULL"
    ).fetchone()[0]
    images = db.conn.execute(
        "SELECT count(*) FROM snapshot_resources WHERE status = 200 AND resource_type = 'image'"
    ).fetchone()[0]
    texts = db.conn.execute(
        "SELECT count(*) FROM snapshots WHERE text LIKE '%the council approved a budget%'"
    ).fetchone()[0]
    db.close()
    return {
        "wall": wall,
        "code": code,
        "err": err.strip().splitlines()[-1:] if err.strip() else [],
        "summary": out.strip(),
        "cpu": cpu,
        "ok": ok,
        "images": images,
        "texts": texts,
        "peak_rss_mb": peak[0] / 2**20,
        "peak_pss_mb": peak[1] / 2**20,
        "largest_rss_mb": peak[2] / 2**20,
    }


def run_per_page(urls: list[str], chromium: str, workdir: Path) -> dict:
    """The baseline: a new Chromium process per page (launch, load, full-page screenshot,
    exit), one page after another, talking to the site directly."""
    from playwright.sync_api import sync_playwright

    poller = RssPoller(os.getpid())
    ok = 0
    args = ["--no-sandbox", "--disable-gpu"] if os.geteuid() == 0 else ["--disable-gpu"]
    started = time.perf_counter()
    with sync_playwright() as p:
        for i, url in enumerate(urls):
            browser = p.chromium.launch(executable_path=chromium, args=args)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url, wait_until="load", timeout=30_000)
                page.wait_for_load_state("networkidle", timeout=10_000)
                shot = page.screenshot(full_page=True, type="png")
                text = page.inner_text("body")
                (workdir / f"baseline-{i}.png").write_bytes(shot)
                if "the council approved a budget" in text:
                    ok += 1
            finally:
                browser.close()
    wall = time.perf_counter() - started
    peak = poller.stop()
    return {"wall": wall, "ok": ok, "peak_rss_mb": peak[0] / 2**20}


def main() -> int:
    parser = argparse.ArgumentParser(description="verify browser capture vs Chromium per page")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("Chromium not found (apt-get install chromium): nothing to measure")
        return 1
    site = Site(args.hosts, args.latency)
    urls = site.urls(args.pages)
    print(
        f"{args.pages} script-built pages with 10 images each on {args.hosts} loopback hosts,"
        f" {args.latency * 1000:.0f} ms per response; Chromium at {chromium}"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="verify-bench-browser-") as work:
            workdir = Path(work)
            v = run_verify(site, urls, workdir, args.timeout)
            v_rate = args.pages / v["wall"]
            print(
                f"verify fetch --mode browser: {v['wall']:.1f} s, {v_rate:.2f} pages/s,"
                f" {v['ok']}/{args.pages} with screenshot, {v['texts']} with the script-built"
                f" text, {v['images']} images archived; CPU {v['cpu']:.1f} s;"
                f" peak RSS {v['peak_rss_mb']:.0f} MB (PSS {v['peak_pss_mb']:.0f} MB,"
                f" largest process {v['largest_rss_mb']:.0f} MB); exit {v['code']} {v['err']}"
            )
            print(f"  summary: {v['summary']}")
            if args.no_baseline:
                return 0
            b = run_per_page(urls, chromium, workdir)
            b_rate = args.pages / b["wall"]
            print(
                f"one Chromium per page, sequential: {b['wall']:.1f} s, {b_rate:.2f} pages/s,"
                f" {b['ok']}/{args.pages} with the script-built text;"
                f" peak RSS {b['peak_rss_mb']:.0f} MB"
            )
            ratio = v_rate / b_rate
            print(
                json.dumps(
                    {
                        "verify_pages_per_s": round(v_rate, 2),
                        "per_page_chromium_pages_per_s": round(b_rate, 2),
                        "ratio": round(ratio, 2),
                        "target_ratio": 5,
                        "verify_peak_rss_mb": round(v["peak_rss_mb"]),
                        "target_rss_mb": 1536,
                    }
                )
            )
            print(
                f"ratio {ratio:.1f}x (target >= 5x: {'met' if ratio >= 5 else 'MISSED'});"
                f" peak RSS {v['peak_rss_mb']:.0f} MB (target < 1536 MB:"
                f" {'met' if v['peak_rss_mb'] < 1536 else 'MISSED'})"
            )
    finally:
        site.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
