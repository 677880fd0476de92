"""The web UI's Capture button obeys the archive's capture settings (`capture_mode`,
`screenshots`, `recover`), as `verify fetch` does: both take their options from
capture_policy.capture_options. Real Chromium drives the page (Playwright); the app runs under
waitress on 127.0.0.1, port 0; the pages come from a local site and a local fake web archive."""

from __future__ import annotations

import time

import pytest
from browser_helpers import running
from conftest import LocalSite, Response
from fakearchive import FaultyArchive, page
from test_web_browser import sign_in

from verify import settings
from verify.ingest import claims
from verify.store import open_db
from verify.web import create_app

pytestmark = pytest.mark.browser

# the readable text exists only once a script has run: auto mode would render this page
SCRIPT_BUILT = (
    "<!doctype html><html><head><title>Built by a script</title></head><body>"
    '<div id="root"></div><script>document.getElementById("root").textContent ='
    ' "The ministry will send 650 soldiers north.";</script></body></html>'
)
RICH = (
    "<!doctype html><html><head><title>The toll</title></head><body><article><h1>The toll</h1>"
    + "<p>Officials said at least 22 people died when gunmen stormed the hotel.</p>" * 20
    + "</article></body></html>"
)


@pytest.fixture
def web(db_path, monkeypatch):
    site = LocalSite()
    site.routes["/robots.txt"] = Response(404, "", content_type="text/plain")
    site.routes["/app"] = Response(200, SCRIPT_BUILT)
    site.routes["/rich"] = Response(200, RICH)
    site.routes["/rich2"] = Response(200, RICH.replace("The toll", "The toll, again"))
    archive = FaultyArchive().start()
    archive.add(site.url("/gone"), "20260101000000", page("Archived", "Gunmen held 170 hostages."))
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
    try:
        with running(create_app(db_path)) as base:
            yield base, site
    finally:
        site.close()
        archive.close()


def click_capture(browser, base: str, claim_id: int) -> dict:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    sign_in(tab, base, "ana")
    tab.goto(f"{base}/claims/{claim_id}")
    tab.click("#capture-button")
    deadline = time.monotonic() + 30
    job = tab.request.get(f"{base}/claims/{claim_id}/capture").json()
    while job["state"] == "running" and time.monotonic() < deadline:
        tab.wait_for_timeout(100)
        job = tab.request.get(f"{base}/claims/{claim_id}/capture").json()
    context.close()
    return job


def snapshots_of(db_path, url: str) -> list[tuple]:
    db = open_db(db_path)
    try:
        return db.conn.execute(
            "SELECT s.mode, s.origin, b.screenshot_sha256 IS NOT NULL, s.text FROM snapshots s"
            " JOIN sources src ON src.id = s.source_id"
            " LEFT JOIN browser_captures b ON b.snapshot_id = s.id WHERE src.url = ? ORDER BY s.id",
            [url],
        ).fetchall()
    finally:
        db.close()


def test_capture_button_obeys_capture_mode_screenshots_and_recover(browser, web, db_path):  # noqa: F811
    base, site = web
    db = open_db(db_path)
    static_claim = claims.add_claim(
        db,
        "The ministry will send 650 soldiers north.",
        sources=[site.url("/app"), site.url("/gone")],
    )
    shots_off = claims.add_claim(db, "At least 22 people died.", sources=[site.url("/rich")])
    shots_on = claims.add_claim(db, "Gunmen stormed the hotel.", sources=[site.url("/rich2")])
    # capture_mode static (screenshots on, which only auto mode uses), recover on
    settings.set_value(db, "capture_mode", "static")
    settings.set_value(db, "screenshots", "on")
    settings.set_value(db, "recover", "on")
    db.close()

    job = click_capture(browser, base, static_claim)
    assert (job["state"], job["total"]) == ("done", 2), job
    assert "recovered 1 from web archives" in job["message"]
    [(mode, origin, shot, text)] = snapshots_of(db_path, site.url("/app"))
    assert (mode, origin, shot) == ("static", "live", 0)
    assert "650 soldiers" not in (text or "")  # the script never ran
    gone = snapshots_of(db_path, site.url("/gone"))
    assert [(m, o) for m, o, _, _ in gone] == [("static", "live"), ("static", "archive")]
    assert "170 hostages" in gone[1][3]

    # auto mode with screenshots off: a page with rich static text is not rendered
    db = open_db(db_path)
    settings.set_value(db, "capture_mode", "auto")
    settings.set_value(db, "screenshots", "off")
    settings.set_value(db, "recover", "off")
    db.close()
    assert click_capture(browser, base, shots_off)["state"] == "done"
    assert [r[:3] for r in snapshots_of(db_path, site.url("/rich"))] == [("static", "live", 0)]

    # ... and with screenshots on, the same kind of page is rendered, with its screenshot
    db = open_db(db_path)
    settings.set_value(db, "screenshots", "on")
    db.close()
    assert click_capture(browser, base, shots_on)["state"] == "done"
    assert [r[:3] for r in snapshots_of(db_path, site.url("/rich2"))] == [("browser", "live", 1)]
