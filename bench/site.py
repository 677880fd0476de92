"""A local news site for benchmarks, spread over many loopback addresses.

127.0.0.2, 127.0.0.3, ... are all loopback on Linux, so each address is its own host as far as
per-host politeness is concerned. Every address gets a threaded HTTP/1.1 server (keep-alive) that
answers every request after a fixed latency (default 50 ms) with a generated, varied, news-like
HTML page of about 60 KB, and a robots.txt that allows everything. Nothing leaves loopback.

    from bench.site import BenchSite
    with BenchSite(hosts=20) as site:
        urls = site.urls(600)

or `python bench/site.py --hosts 20 --pages 600` to serve and print the URLs until Ctrl-C.
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
import random
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = (
    "council minister budget report percent million billion election vote court ruling "
    "hospital schools police climate energy prices inflation housing rent transport railway "
    "statement spokesperson official figures data survey study university researchers "
    "published according government opposition parliament committee inquiry audit contract "
    "company shares market workers union strike agreement deal export import tariff "
    "region city district mayor residents community funding cuts increase decrease year "
    "month week announced confirmed denied said told reporters interview analysis"
).split()
PLACES = ["Lisbon", "Dublin", "Lyon", "Leipzig", "Turin", "Ghent", "Porto", "Krakow", "Aarhus"]
SECTIONS = ["Politics", "Economy", "Health", "Climate", "World", "Local", "Science", "Sport"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 24))]
    if rng.random() < 0.5:
        words.insert(rng.randint(0, len(words)), f"{rng.randint(2, 98)}.{rng.randint(0, 9)}%")
    if rng.random() < 0.4:
        words.insert(rng.randint(0, len(words)), rng.choice(PLACES))
    if rng.random() < 0.3:
        words.insert(rng.randint(0, len(words)), str(rng.randint(1990, 2026)))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


@cache
def page(index: int, size: int = 60_000) -> bytes:
    """The HTML of page `index`: a header with navigation, an article (headline, byline, dated,
    paragraphs with a few outbound links), a sidebar of related links, a footer with scripts.
    Deterministic per index; about `size` bytes."""
    rng = random.Random(index)
    section = rng.choice(SECTIONS)
    title = _sentence(rng)[:90].rstrip(".")
    nav = "".join(f'<li><a href="/section/{s.lower()}">{s}</a></li>' for s in SECTIONS)
    related = "".join(
        f'<li><a href="/news/{rng.randint(0, 99999)}.html">{_sentence(rng)[:70]}</a></li>'
        for _ in range(12)
    )
    head = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title} | The Loopback Herald</title>"
        f'<link rel=canonical href="/news/{index}.html">'
        f'<meta property="article:published_time" content="2026-{rng.randint(1, 11):02d}-'
        f'{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z">'
        "<style>body{font-family:serif;max-width:40em;margin:auto}nav li{display:inline}</style>"
        f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<p class=kicker>{section}</p><h1>{title}</h1>"
        f"<p class=byline>By {rng.choice(['A. Costa', 'B. Murphy', 'C. Weber', 'D. Rossi'])}</p>"
    )
    tail = (
        f"</article></main><aside><h2>Related</h2><ul>{related}</ul></aside>"
        "<footer><p>&copy; 2026 The Loopback Herald</p>"
        "<script>window.dataLayer=window.dataLayer||[];function t(){dataLayer.push(arguments)}</script>"
        "</footer></body></html>"
    )
    parts = [head]
    length = len(head) + len(tail)
    while length < size:
        sentences = [_sentence(rng) for _ in range(rng.randint(3, 7))]
        if rng.random() < 0.3:
            k = rng.randrange(len(sentences))
            sentences[k] = (
                f'<a href="https://source{rng.randint(1, 50)}.example/report/{rng.randint(1, 9999)}">'
                f"{sentences[k]}</a>"
            )
        paragraph = "<p>" + " ".join(sentences) + "</p>\n"
        parts.append(paragraph)
        length += len(paragraph)
    parts.append(tail)
    return "".join(parts).encode("utf-8")


ROBOTS = b"User-agent: *\nAllow: /\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as production servers do on keep-alive connections
    server: _Server

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.server.latency)
        path = self.path.split("?", 1)[0]
        status, ctype = 200, "text/html; charset=utf-8"
        if path == "/robots.txt":
            body, ctype = ROBOTS, "text/plain"
        elif path.startswith("/news/") and path.endswith(".html"):
            try:
                body = page(int(path[6:-5]), self.server.page_size)
            except ValueError:
                status, body, ctype = 404, b"not found", "text/plain"
        else:
            status, body, ctype = 404, b"not found", "text/plain"
        with self.server.lock:
            self.server.hits += 1
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=60")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], latency: float, page_size: int) -> None:
        super().__init__(address, _Handler)
        self.latency = latency
        self.page_size = page_size
        self.lock = threading.Lock()
        self.hits = 0


class BenchSite:
    """Servers on 127.0.0.2 .. 127.0.0.(hosts+1), all loopback, each on its own port 0."""

    def __init__(self, hosts: int = 20, latency: float = 0.05, page_size: int = 60_000) -> None:
        if not 1 <= hosts <= 250:
            raise ValueError("hosts must be between 1 and 250")
        self.latency = latency
        self.servers: list[_Server] = []
        self.threads: list[threading.Thread] = []
        for n in range(hosts):
            server = _Server((f"127.0.0.{n + 2}", 0), latency, page_size)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self.servers.append(server)
            self.threads.append(thread)

    @property
    def hosts(self) -> list[str]:
        return [s.server_address[0] for s in self.servers]

    @property
    def netlocs(self) -> list[str]:
        return [f"{s.server_address[0]}:{s.server_address[1]}" for s in self.servers]

    @property
    def hits(self) -> int:
        return sum(s.hits for s in self.servers)

    def urls(self, pages: int, offset: int = 0) -> list[str]:
        """`pages` distinct article URLs, spread round-robin over the hosts."""
        netlocs = self.netlocs
        return [f"http://{netlocs[i % len(netlocs)]}/news/{i + offset}.html" for i in range(pages)]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> BenchSite:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    with BenchSite(args.hosts, args.latency) as site:
        print("\n".join(site.urls(args.pages)), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
