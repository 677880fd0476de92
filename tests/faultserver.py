"""A local fault server for the capture tests: a LocalSite (127.0.0.1, port 0, threaded) whose
routes misbehave in the ways real sources do. Nothing here holds a big body in memory: the
2 GiB body is generated on the fly and the gzip bomb is compressed from a stream of zeros."""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from functools import cache

from conftest import LocalSite, Response

GIB = 2**30


@cache
def gzip_bomb(decoded_size: int = 512 * 2**20) -> bytes:
    """gzip of `decoded_size` zero bytes (about 1/1000 of it on the wire)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(2**20)
    parts = [comp.compress(zeros) for _ in range(decoded_size // len(zeros))]
    parts.append(comp.flush())
    return b"".join(parts)


def tiny_pdf(text: str = "The council approved 650 new posts in March.") -> bytes:
    """A valid one-page PDF whose page shows `text` (Helvetica)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


SCRIPT_PAGE = """<!doctype html><html><head><title>Scripts everywhere</title>
<script>var tracker = "SECRET_TRACKER_CODE"; document.write("injected");</script>
<style>.x { color: red } /* STYLE_RULE */</style></head>
<body onload="alert('ONLOAD_HANDLER')">
<script src="/ad.js"></script>
<article><h1>Budget vote</h1>
<p onclick="steal()">The assembly passed the budget by 61 votes to 40 on Tuesday.</p>
<p>Officials said spending on schools rises by four percent next year.</p>
<img src="x" onerror="alert('ONERROR_HANDLER')">
<script>window.EVIL_INLINE = 1;</script>
</article>
<noscript>NOSCRIPT_TEXT</noscript>
</body></html>"""

LATIN1_PAGE = (
    "<html><head><title>Caf\u00e9 cr\u00e8me</title></head><body><article>"
    "<p>Le caf\u00e9 de la gare a ferm\u00e9 en ao\u00fbt apr\u00e8s trente ann\u00e9es.</p>"
    "</article></body></html>"
).encode("latin-1")


class FaultSite(LocalSite):
    """LocalSite with the fault routes installed, server-side hit counts (`hits`, from
    LocalSite) and the highest number of requests served at once (`max_active`)."""

    def __init__(
        self, host: str = "127.0.0.1", *, drip_interval: float = 0.2, slow: float = 0.15
    ) -> None:
        super().__init__(host)
        self.server.handle_error = lambda request, client_address: None  # resets are the point
        self.drip_interval = drip_interval
        self.slow = slow
        self.active = 0
        self.max_active = 0
        self.stop = threading.Event()
        r = self.routes
        r["/robots.txt"] = Response(
            200, "User-agent: *\nDisallow: /private\n", content_type="text/plain"
        )
        r["/ok"] = Response(
            200,
            "<html><head><title>OK page</title></head><body><article><p>"
            "The minister said 22 people died in the attack.</p></article></body></html>",
        )
        r["/private"] = Response(200, "<p>not for robots</p>")
        r["/drip"] = self._drip
        r["/reset"] = self._reset
        r["/drip-headers"] = self._drip_headers
        r["/loop1"] = Response(302, b"", headers={"Location": "/loop2"})
        r["/loop2"] = Response(302, b"", headers={"Location": "/loop1"})
        r["/to-metadata"] = Response(
            302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"}
        )
        r["/to-private"] = Response(301, b"", headers={"Location": "http://10.0.0.1/admin"})
        r["/redirect"] = Response(301, b"", headers={"Location": "/ok"})
        r["/huge"] = self._huge
        r["/huge-declared"] = self._huge_declared
        r["/bomb"] = self._bomb
        r["/retry"] = self._retry
        r["/error500"] = Response(500, "<p>server error</p>")
        r["/missing"] = Response(404, "<html><title>Not here</title><p>gone</p></html>")
        r["/gone"] = Response(410, "<p>gone</p>")
        r["/forbidden"] = Response(403, "<p>no</p>")
        r["/latin1"] = Response(200, LATIN1_PAGE, content_type="text/html")
        r["/pdf"] = Response(200, tiny_pdf(), content_type="application/pdf")
        r["/binary"] = Response(200, bytes(range(256)) * 40, content_type="image/png")
        r["/scripts"] = Response(200, SCRIPT_PAGE)
        r["/json"] = Response(
            200, '{"deaths": 22, "source": "ministry"}', content_type="application/json"
        )
        self._retry_count = 0

    # route handlers: each gets the BaseHTTPRequestHandler and writes the reply itself

    def _drip(self, h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        try:
            for _ in range(100000):
                if self.stop.wait(self.drip_interval):
                    return
                h.wfile.write(b"x")
                h.wfile.flush()
        except OSError:
            return

    def _drip_headers(self, h) -> None:
        """A status line, then header bytes one at a time: no read ever times out."""
        try:
            h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(100000):
                if self.stop.wait(self.drip_interval):
                    return
                h.wfile.write(b"a")
                h.wfile.flush()
        except OSError:
            return

    def _reset(self, h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"<p>" + b"a" * 5000)
        h.wfile.flush()
        # SO_LINGER 0: close sends a TCP RST instead of FIN
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    def _stream_zeros(self, h) -> None:
        chunk = b"0" * 65536
        try:
            for _ in range(2 * GIB // len(chunk)):
                h.wfile.write(chunk)
        except OSError:
            pass
        h.close_connection = True

    def _huge(self, h) -> None:
        """2 GiB with no Content-Length (ends when the connection closes)."""
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Connection", "close")
        h.end_headers()
        self._stream_zeros(h)

    def _huge_declared(self, h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(2 * GIB))
        h.end_headers()
        self._stream_zeros(h)

    def _bomb(self, h) -> None:
        body = gzip_bomb()
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            h.wfile.write(body)
        except OSError:
            pass

    def _retry(self, h) -> None:
        with self.lock:
            self._retry_count += 1
            first = self._retry_count == 1
        if first:
            body = b"slow down"
            h.send_response(429)
            h.send_header("Retry-After", "7")
        else:
            body = b"<html><title>Retried</title><p>Second time lucky: 170 hostages were freed.</p></html>"
            h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def slow_page(self, h) -> None:
        """A news-like page after `slow` seconds; counts simultaneous requests."""
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.slow)
            body = (
                f"<html><head><title>Page {h.path}</title></head><body><article>"
                f"<p>Report {h.path}: officials counted 650 soldiers.</p></article></body></html>"
            ).encode()
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        finally:
            with self.lock:
                self.active -= 1

    def add_slow_pages(self, count: int, prefix: str = "/slow/") -> list[str]:
        urls = []
        for i in range(count):
            path = f"{prefix}{i}"
            self.routes[path] = self.slow_page
            urls.append(self.url(path))
        return urls

    def close(self) -> None:
        self.stop.set()
        super().close()
