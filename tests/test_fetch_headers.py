"""Hostile response headers (issue 20, item 10): a response with more than 100 header lines is
recorded as the response it is (http.client's limit of 100 is raised), one beyond any sane
number is refused as unsupported with that reason, never as a broken connection; and a
`charset=utf-16` header over a UTF-8 body is not decoded as UTF-16."""

from __future__ import annotations

from conftest import LocalSite

from verify.capture.fetch import MAX_RESPONSE_HEADERS, FetchOptions, fetch_url
from verify.text import extract
from verify.text.extract.sniff import decode_bytes

BODY = "<html><head><title>Toll</title></head><body><p>At least 22 people died, Café owner says.</p></body></html>"


def _many_headers(count: int):
    def handler(h) -> None:
        body = BODY.encode("utf-8")
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        for i in range(count):
            h.send_header(f"X-Filler-{i}", "x")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


def test_more_than_100_headers_are_recorded(site: LocalSite) -> None:
    site.routes["/many"] = _many_headers(150)
    result = fetch_url(site.url("/many"), FetchOptions(allow_hosts=(site.netloc,), retries=0))
    assert result.error is None, result.error_message
    assert result.status == 200
    assert sum(1 for name, _ in result.headers if name.startswith("X-Filler-")) == 150
    assert b"At least 22 people died" in result.body


def test_beyond_the_header_limit_is_unsupported_not_reset(site: LocalSite) -> None:
    site.routes["/flood"] = _many_headers(MAX_RESPONSE_HEADERS + 50)
    result = fetch_url(site.url("/flood"), FetchOptions(allow_hosts=(site.netloc,), retries=0))
    assert result.error == "unsupported"
    assert result.error_message.startswith("the response has too many header lines")


def test_a_utf16_label_on_utf8_bytes_is_not_mojibake() -> None:
    text, charset = decode_bytes(BODY.encode("utf-8"), "text/html; charset=utf-16")
    assert charset == "utf-8" and "Café owner" in text
    found = extract.extract(BODY.encode("utf-8"), "text/html; charset=UTF-16", "https://x.example/")
    assert "At least 22 people died, Café owner says." in found.text
    # a real UTF-16 body under the same header is still read as UTF-16
    wide, charset = decode_bytes(BODY.encode("utf-16-le"), "text/html; charset=utf-16")
    assert charset == "utf-16-le" and "Café owner" in wide
    cjk = "日本語のテキストです。" * 3
    assert decode_bytes(cjk.encode("utf-16-le"), "text/plain; charset=utf-16")[0] == cjk
