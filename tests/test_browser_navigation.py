"""A captured page cannot replace its own browser capture (issue 20, item 9): a navigation of
the page itself that the guard refuses (a script, a meta refresh or a form sent to a refused
address, another scheme, a POST) leaves the page as it was, with the refusal recorded, never
Chromium's error page (chrome-error://) as the stored DOM."""

from __future__ import annotations

import os
import socket

import pytest
from conftest import LocalSite, Response

from verify.capture.browser import BrowserEngine, BrowserOptions, find_chromium
from verify.capture.fetch import FetchOptions, fetch_url

pytestmark = pytest.mark.browser


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLOSED = _closed_port()
PAGES = {
    # path: (body, the refused URL recorded, its error kind)
    "/script": (
        "<script>location.href='http://10.0.0.1/x'</script>",
        "http://10.0.0.1/x",
        "blocked_address",
    ),
    "/meta": (
        '<meta http-equiv="refresh" content="0;url=http://10.0.0.2/x">',
        "http://10.0.0.2/x",
        "blocked_address",
    ),
    "/refused": (
        f"<script>location.href='http://127.0.0.1:{CLOSED}/x'</script>",
        f"http://127.0.0.1:{CLOSED}/x",
        "refused",
    ),
    "/form": (
        "<form method=post action='http://10.0.0.3/x' id=f></form>"
        "<script>document.getElementById('f').submit()</script>",
        "http://10.0.0.3/x",
        "unsupported",
    ),
    "/scheme": ("<script>location.href='ftp://10.0.0.4/x'</script>", None, None),
}


@pytest.fixture(scope="module")
def captures():
    if find_chromium() is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must run the browser tests")
        pytest.skip(message)
    site = LocalSite()
    for path, (script, _, _) in PAGES.items():
        site.routes[path] = Response(
            200, f"<html><head><title>Kept</title></head><body><p>Stay here {path}</p>{script}"
        )
    fetch = FetchOptions(allow_hosts=("127.0.0.1",), retries=0, deadline=8)
    engine = BrowserEngine(fetch, BrowserOptions(timeout=8, settle=1.5), per_host=4)
    try:
        out = {}
        for path in PAGES:
            url = site.url(path)
            out[path] = (url, engine.capture(url, fetch_url(url, fetch)))
        yield out
    finally:
        engine.close()
        site.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_a_refused_navigation_keeps_the_page(captures, path):
    url, result = captures[path]
    assert result.ok, result.error_message
    assert result.page_url == url
    dom = (result.dom or b"").decode("utf-8")
    assert f"Stay here {path}" in dom and "chrome-error" not in dom
    refused_url, kind = PAGES[path][1], PAGES[path][2]
    if refused_url is not None:
        assert [(r.url, r.error) for r in result.resources] == [(refused_url, kind)]
