"""A small local web archive that speaks the Internet Archive's URL shapes, on 127.0.0.1 (port
0): for `verify demo` (a gone source brought back by `verify recover`) and as the base of the
test suite's fake archive (tests/fakearchive.py adds the faults).

- `/cdx/search/cdx?url=U&output=json[&fl=...][&filter=[!]field:regex][&limit=N]`: the CDX index;
- `/web/<14-digit timestamp>id_/<original URL>`: raw replay (archived status, headers and
  bytes; a timestamp with no capture redirects to the nearest one, as the Wayback Machine does;
  an archived redirect answers with a redirect to the memento of its target);
- `/web/timemap/link/<original URL>`: an RFC 7089 TimeMap in link format;
- `/save/<URL>`: Save Page Now (records a new memento of a page it is told the bytes of)."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from verify.webarchives.mementos import (
    http_date,
    parse_wayback_timestamp,
    sha1_base32,
    wayback_timestamp,
)


@dataclass
class Capture:
    """One archived capture of a URL."""

    original: str
    timestamp: str  # 14 digits
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None  # for an archived redirect: the URL it pointed to
    digest: str | None = None  # what the index claims (default: the true digest of body)

    @property
    def index_digest(self) -> str:
        return self.digest or sha1_base32(self.body)


def url_key(url: str) -> str:
    """How the fake index matches URLs: scheme, 'www.', default port and a trailing slash
    do not matter (a rough version of the Wayback Machine's SURT canonicalisation)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or ""
    return host + path + (f"?{parts.query}" if parts.query else "")


_REPLAY = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$")


@dataclass
class FakeArchive:
    """The archive's captures and its server. `latency` delays every answer (seconds)."""

    latency: float = 0.0
    captures: dict[str, list[Capture]] = field(default_factory=dict)
    # every request received: (method, path, headers with lower-case names)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    save_status: int = 200  # what Save Page Now answers (429: refusing)
    save_bodies: dict[str, bytes] = field(default_factory=dict)  # what a save archives, by URL

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.base = ""

    # ---------------------------------------------------------------- content

    def add(self, original: str, timestamp: str, body: bytes | str = b"", **kw: Any) -> Capture:
        if isinstance(body, str):
            body = body.encode("utf-8")
        cap = Capture(original, timestamp.ljust(14, "0"), body=body, **kw)
        with self.lock:
            self.captures.setdefault(url_key(original), []).append(cap)
            self.captures[url_key(original)].sort(key=lambda c: c.timestamp)
        return cap

    def of(self, url: str) -> list[Capture]:
        with self.lock:
            return list(self.captures.get(url_key(url), []))

    # ---------------------------------------------------------------- answers

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        """(status, headers, body) for one request (the test archive overrides this to add
        faults, then calls it)."""
        with self.lock:
            self.requests.append((method, path, headers))
        if self.latency:
            self.stopping.wait(self.latency)
        parts = urlsplit(path)
        if parts.path == "/cdx/search/cdx":
            return self.cdx(parse_qs(parts.query))
        if parts.path.startswith("/web/timemap/link/"):
            return self.timemap(path[len("/web/timemap/link/") :])
        if parts.path.startswith("/save/"):
            return self.save(path[len("/save/") :], headers)
        m = _REPLAY.match(path)
        if m:
            return self.replay(m[1], m[2] or "", m[3])
        return 404, {"Content-Type": "text/plain"}, b"not found\n"

    def cdx(self, query: dict[str, list[str]]) -> tuple[int, dict, bytes]:
        import json

        url = (query.get("url") or [""])[0]
        if not url:
            return 400, {"Content-Type": "text/plain"}, b"missing url\n"
        fields = (
            query.get("fl") or ["urlkey,timestamp,original,mimetype,statuscode,digest,length"]
        )[0]
        names = [f for f in fields.split(",") if f]
        rows = []
        for cap in self.of(url):
            values = {
                "urlkey": url_key(cap.original),
                "timestamp": cap.timestamp,
                "original": cap.original,
                "mimetype": cap.content_type.split(";")[0],
                "statuscode": str(cap.status),
                "digest": cap.index_digest,
                "length": str(len(cap.body)),
            }
            since = (query.get("from") or [""])[0]
            if since and cap.timestamp < since.ljust(14, "0"):
                continue
            if all(_keep(values, f) for f in query.get("filter", [])):
                rows.append([values.get(n, "-") for n in names])
        limit = (query.get("limit") or [""])[0]
        if limit.lstrip("-").isdigit():
            n = int(limit)
            rows = rows[:n] if n >= 0 else rows[n:]
        body = json.dumps([names, *rows] if rows else []).encode()
        return 200, {"Content-Type": "application/json"}, body

    def nearest(self, url: str, timestamp: str) -> Capture | None:
        caps = self.of(url)
        if not caps:
            return None
        want = parse_wayback_timestamp(timestamp)
        return min(caps, key=lambda c: abs(parse_wayback_timestamp(c.timestamp) - want))

    def replay(self, timestamp: str, mode: str, original: str) -> tuple[int, dict, bytes]:
        if re.match(r"^https?:/[^/]", original):
            original = original.replace(":/", "://", 1)
        cap = self.nearest(original, timestamp)
        if cap is None:
            return 404, {"Content-Type": "text/html"}, b"<title>Wayback Machine</title>not archived"
        if cap.timestamp != timestamp.ljust(14, "0") or url_key(cap.original) != url_key(original):
            where = f"{self.base}/web/{cap.timestamp}{mode}/{cap.original}"
            return 302, {"Location": where, "Content-Type": "text/plain"}, b""
        when = parse_wayback_timestamp(cap.timestamp)
        headers = {
            "Content-Type": cap.content_type,
            "Memento-Datetime": http_date(when),
            "Link": f'<{cap.original}>; rel="original"',
            "X-Archive-Orig-Date": http_date(when),
        }
        if cap.location:
            headers["Location"] = f"{self.base}/web/{cap.timestamp}{mode}/{cap.location}"
        return cap.status, headers, cap.body

    def timemap(self, original: str) -> tuple[int, dict, bytes]:
        caps = self.of(original)
        if not caps:
            return 404, {"Content-Type": "text/plain"}, b""
        lines = [f'<{original}>; rel="original"']
        lines.append(
            f'<{self.base}/web/timemap/link/{original}>; rel="self"; type="application/link-format"'
        )
        for cap in caps:
            when = http_date(parse_wayback_timestamp(cap.timestamp))
            lines.append(
                f'<{self.base}/web/{cap.timestamp}id_/{cap.original}>; rel="memento"; datetime="{when}"'
            )
        return 200, {"Content-Type": "application/link-format"}, ",\n".join(lines).encode() + b"\n"

    def save(self, url: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        if self.save_status != 200:
            return (
                self.save_status,
                {"Content-Type": "text/plain", "Retry-After": "60"},
                b"slow down\n",
            )
        stamp = wayback_timestamp(datetime.now(UTC))
        self.add(url, stamp, self.save_bodies.get(url, b"<title>saved</title>saved"))
        where = f"/web/{stamp}/{url}"
        return 200, {"Content-Location": where, "Content-Type": "text/html"}, b"saved\n"

    # ---------------------------------------------------------------- server

    def start(self) -> FakeArchive:
        archive = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one write per answer (headers and body together), sent at once: no Nagle or
            # delayed-ACK pauses that a real archive's server would not have
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                heads = {k.lower(): v for k, v in self.headers.items()}
                status, headers, body = archive.answer(self.command, self.path, heads)
                if status < 0:  # the test archive's "close without answering"
                    self.close_connection = True
                    return
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except OSError:
                    self.close_connection = True

            do_HEAD = do_GET
            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        # poll often: close() waits for the serving loop's next turn (0.5 s by default)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def close(self) -> None:
        self.stopping.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _keep(values: dict[str, str], spec: str) -> bool:
    negate = spec.startswith("!")
    name, _, pattern = spec.lstrip("!").partition(":")
    try:
        hit = re.fullmatch(pattern, values.get(name, "")) is not None
    except re.error:
        hit = False
    return hit != negate


@contextlib.contextmanager
def running(archive: FakeArchive | None = None) -> Iterator[FakeArchive]:
    archive = (archive or FakeArchive()).start()
    try:
        yield archive
    finally:
        archive.close()
