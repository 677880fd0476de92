"""fetch_url against the local fault server: each misbehaviour ends as the right result."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest
from conftest import Response
from faultserver import FaultSite, gzip_bomb

from verify import USER_AGENT
from verify.capture.fetch import FetchOptions, RobotsCache, decode_payload, fetch_url, make_session

MB = 2**20


@pytest.fixture
def fault():
    server = FaultSite(drip_interval=0.2)
    yield server
    server.close()


def opts(fault: FaultSite, **kw) -> FetchOptions:
    waits = kw.pop("waits", None)
    base = {
        "allow_hosts": (fault.netloc,),
        "max_bytes": MB,
        "deadline": 3.0,
        "read_timeout": 3.0,
        "connect_timeout": 2.0,
        "sleep": (waits.append if waits is not None else (lambda s: None)),
    }
    base.update(kw)
    return FetchOptions(**base)


def test_ok_page_records_everything(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/ok"), opts(fault))
    assert result.ok and result.error is None
    assert result.status == 200 and result.http_version == "HTTP/1.1"
    assert result.final_url == fault.url("/ok")
    assert b"22 people died" in result.body and result.payload == result.body
    assert ("Content-Type", "text/html; charset=utf-8") in result.headers
    assert dict(result.request_headers)["User-Agent"] == USER_AGENT
    assert result.robots == "allowed" and result.attempts == 1
    assert result.fetched_at.endswith("Z") and result.elapsed_ms > 0


def test_redirect_chain_recorded(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/redirect"), opts(fault))
    assert result.ok and result.final_url == fault.url("/ok")
    (hop,) = result.redirects
    assert {k: hop[k] for k in ("url", "status", "location", "ip_address")} == {
        "url": fault.url("/redirect"),
        "status": 301,
        "location": "/ok",
        "ip_address": "127.0.0.1",
    }
    assert ["Location", "/ok"] in hop["headers"]  # the hop's headers as received
    assert result.ip_address == "127.0.0.1"  # the address the guard checked and we connected to


def test_slow_drip_is_cut_off_by_the_deadline(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/drip"), opts(fault, deadline=1.0, read_timeout=5.0))
    assert result.error == "timeout"
    assert "deadline" in result.error_message
    assert result.attempts == 1  # a deadline is not retried


def test_slow_headers_are_cut_off_by_the_deadline(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/drip-headers"), opts(fault, deadline=1.0, read_timeout=5.0))
    assert result.error == "timeout" and "deadline" in result.error_message
    assert result.status is None and result.attempts == 1


def test_reset_mid_body(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/reset"), opts(fault, retries=1))
    assert result.error == "reset", result.error_message
    assert result.attempts == 2 and fault.hits["/reset"] == 2


def test_redirect_loop(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/loop1"), opts(fault))
    assert result.error == "redirect_loop"
    assert [hop["location"] for hop in result.redirects] == ["/loop2", "/loop1"]


def test_too_many_redirects(fault: FaultSite) -> None:
    for i in range(12):
        fault.routes[f"/r{i}"] = Response(302, b"", headers={"Location": f"/r{i + 1}"})
    result = fetch_url(fault.url("/r0"), opts(fault, max_redirects=10))
    assert result.error == "redirect_loop" and "more than 10 redirects" in result.error_message
    assert len(result.redirects) == 11


@pytest.mark.parametrize(
    "path, address", [("/to-metadata", "169.254.169.254"), ("/to-private", "10.0.0.1")]
)
def test_redirect_to_refused_address(fault: FaultSite, path: str, address: str) -> None:
    result = fetch_url(fault.url(path), opts(fault))
    assert result.error == "blocked_address" and address in result.error_message
    assert len(result.redirects) == 1


def _peak_during(func):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("path", ["/huge", "/bomb"])
def test_memory_stays_bounded(fault: FaultSite, path: str) -> None:
    gzip_bomb()  # built (and cached) before measuring: the server's copy is not the client's
    result, peak = _peak_during(lambda: fetch_url(fault.url(path), opts(fault, deadline=20.0)))
    assert result.error == "too_large", result.error_message
    assert "cap" in result.error_message
    assert peak < MB + 30 * MB, f"peak {peak / MB:.1f} MB"


def test_declared_huge_body_refused_from_header(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/huge-declared"), opts(fault))
    assert result.error == "too_large" and "Content-Length 2147483648" in result.error_message


def test_429_retry_after_then_success(fault: FaultSite) -> None:
    waits: list[float] = []
    result = fetch_url(fault.url("/retry"), opts(fault, waits=waits))
    assert result.ok and result.status == 200 and result.attempts == 2
    assert waits == [7.0]
    assert b"170 hostages" in result.body


def test_retry_after_is_capped(fault: FaultSite) -> None:
    fault.routes["/later"] = Response(503, b"busy", headers={"Retry-After": "86400"})
    waits: list[float] = []
    result = fetch_url(fault.url("/later"), opts(fault, waits=waits, retries=2, retry_cap=30.0))
    assert result.error == "http_error" and result.status == 503
    assert waits == [30.0, 30.0] and result.attempts == 3


def test_500_retried_with_backoff_then_recorded(fault: FaultSite) -> None:
    waits: list[float] = []
    result = fetch_url(fault.url("/error500"), opts(fault, waits=waits, backoff=0.5))
    assert result.error == "http_error" and result.status == 500
    assert result.error_message == "HTTP 500 Internal Server Error"
    assert result.body == b"<p>server error</p>"  # the response is still recorded
    assert waits == [0.5, 1.0, 2.0] and result.attempts == 4 and fault.hits["/error500"] == 4


def test_404_not_retried(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/missing"), opts(fault))
    assert result.error == "http_error" and result.status == 404 and result.attempts == 1
    assert b"gone" in result.body


def test_robots_disallowed_and_ignored(fault: FaultSite) -> None:
    cache = RobotsCache()
    session = make_session()
    denied = fetch_url(fault.url("/private"), opts(fault), session, robots=cache)
    assert (
        denied.error == "robots" and denied.robots == "disallowed" and "/private" not in fault.hits
    )
    allowed = fetch_url(fault.url("/ok"), opts(fault), session, robots=cache)
    assert allowed.ok and allowed.robots == "allowed"
    assert fault.hits["/robots.txt"] == 1  # cached per host per run
    ignored = fetch_url(
        fault.url("/private"), opts(fault, ignore_robots=True), session, robots=cache
    )
    assert ignored.ok and ignored.robots == "ignored" and fault.hits["/private"] == 1


def test_robots_unavailable_is_recorded_and_allows(fault: FaultSite) -> None:
    fault.routes["/robots.txt"] = Response(503, b"down")
    result = fetch_url(fault.url("/ok"), opts(fault))
    assert result.ok and result.robots == "unavailable"


def test_refused_connection(fault: FaultSite) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    waits: list[float] = []
    result = fetch_url(
        f"http://127.0.0.1:{port}/",
        FetchOptions(allow_hosts=("127.0.0.1",), sleep=waits.append, retries=1),
    )
    assert result.error == "refused" and result.attempts == 2 and len(waits) == 1


def test_gzip_payload_kept_and_decoded(fault: FaultSite) -> None:
    text = b"<p>" + b"compressible text " * 2000 + b"</p>"
    fault.routes["/gz"] = Response(200, gzip.compress(text), headers={"Content-Encoding": "gzip"})
    result = fetch_url(fault.url("/gz"), opts(fault))
    assert result.ok and result.content_encoding == "gzip"
    assert result.payload == gzip.compress(text) or gzip.decompress(result.payload) == text
    assert result.body == text


@pytest.mark.parametrize("wrapped", [True, False])
def test_deflate_with_and_without_zlib_header(fault: FaultSite, wrapped: bool) -> None:
    text = b"deflated body " * 100
    comp = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    data = comp.compress(text) + comp.flush()
    fault.routes["/deflate"] = Response(200, data, headers={"Content-Encoding": "deflate"})
    result = fetch_url(fault.url("/deflate"), opts(fault))
    assert result.ok and result.body == text and result.payload == data
    assert decode_payload(data, "deflate") == text


def test_unknown_content_encoding_is_unsupported(fault: FaultSite) -> None:
    fault.routes["/br"] = Response(
        200, b"\x0b\x02\x80hello\x03", headers={"Content-Encoding": "br"}
    )
    result = fetch_url(fault.url("/br"), opts(fault))
    assert result.error == "unsupported" and "Content-Encoding" in result.error_message


def test_multi_member_gzip(fault: FaultSite) -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    assert decode_payload(data, "gzip") == b"first second"


def test_duplicate_headers_kept_as_received(fault: FaultSite) -> None:
    def two_cookies(h) -> None:
        h.send_response(200)
        h.send_header("Set-Cookie", "a=1")
        h.send_header("Set-Cookie", "b=2")
        h.send_header("X-Odd-Case", "v")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    fault.routes["/cookies"] = two_cookies
    result = fetch_url(fault.url("/cookies"), opts(fault))
    assert [v for k, v in result.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("X-Odd-Case", "v") in result.headers


def test_session_reuses_connections(fault: FaultSite) -> None:
    ports = []

    def client_port(h) -> None:
        ports.append(h.client_address[1])
        h.send_response(200)
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    fault.routes["/who"] = client_port
    session = make_session()
    cache = RobotsCache()
    for _ in range(3):
        assert fetch_url(
            fault.url("/who"), opts(fault, ignore_robots=True), session, robots=cache
        ).ok
    assert len(ports) == 3 and len(set(ports)) == 1


def test_request_headers_record_host(fault: FaultSite) -> None:
    result = fetch_url(fault.url("/ok"), opts(fault))
    assert ("Host", fault.netloc) in result.request_headers


def test_tls_error_kind(fault: FaultSite) -> None:
    # TLS spoken to a plain-HTTP server: the handshake fails
    result = fetch_url(f"https://{fault.netloc}/ok", opts(fault, retries=0))
    assert result.error == "tls", result.error_message


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory) -> tuple[str, str]:
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "2",
            "-subj",
            "/CN=pinned.test",
            "-addext",
            "subjectAltName=DNS:pinned.test",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_site(tls_cert):
    import ssl

    from conftest import LocalSite

    cert, key = tls_cert
    server = LocalSite()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    server.routes["/"] = Response(200, "<p>over TLS</p>")
    yield server
    server.close()


def test_https_to_pinned_address_keeps_name_verification(tls_site, tls_cert) -> None:
    cert, _ = tls_cert
    names = {"pinned.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]}
    resolver = lambda host, port: names[host]  # noqa: E731
    base = FetchOptions(
        resolver=resolver,
        ignore_robots=True,
        retries=0,
        ca_bundle=cert,
        allow_hosts=("pinned.test", "impostor.test"),
    )
    good = fetch_url(f"https://pinned.test:{tls_site.port}/", base)
    assert good.ok and good.body == b"<p>over TLS</p>", good.error_message
    # same address, another name: the certificate does not match it, refused
    wrong_name = fetch_url(f"https://impostor.test:{tls_site.port}/", base)
    assert wrong_name.error == "tls" and "impostor.test" in wrong_name.error_message, (
        wrong_name.error_message
    )
    # without the test CA the certificate is not trusted: verification is never switched off
    untrusted = fetch_url(
        f"https://pinned.test:{tls_site.port}/",
        FetchOptions(
            resolver=resolver, ignore_robots=True, retries=0, allow_hosts=("pinned.test",)
        ),
    )
    assert untrusted.error == "tls" and "certificate" in untrusted.error_message.lower()
