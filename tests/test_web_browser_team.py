"""Real-browser tests of the team workflow (Playwright driving Debian's Chromium against the app
under waitress on 127.0.0.1, port 0): sign-in per account, a refused action, assignment, the
capture button with its progress, a verdict then the next claim in one keystroke, and approval
by a second person."""

from __future__ import annotations

import re

import pytest
from browser_helpers import build_review_data, running
from conftest import PASSWORDS, LocalSite, Response, add_team

from verify import settings
from verify.store import open_db
from verify.web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def team_server(db_path, monkeypatch):
    site = LocalSite()
    site.routes["/report"] = Response(
        200, "<html><body><p>The ministry will send 650 soldiers north.</p></body></html>"
    )
    site.routes["/robots.txt"] = Response(404, "", content_type="text/plain")
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", site.netloc)
    db = open_db(db_path)
    data = build_review_data(db)
    db.conn.execute(
        "UPDATE sources SET url = ?, host = ? WHERE id = ?",
        [site.url("/report"), site.netloc, data.sources["down"]],
    )
    add_team(db)
    settings.set_value(db, "require_approval", "on", actor="boss")
    db.close()
    try:
        with running(create_app(db_path)) as base:
            yield base, data, site
    finally:
        site.close()


def signed_in(browser, base: str, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/")
    assert "/signin" in page.url
    page.fill("input[name=reviewer]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")
    assert page.inner_text("#whoami").startswith(name)
    return page


def test_sign_in_assign_capture_decide_next_and_approve(browser, team_server, db_path):
    base, data, site = team_server
    cid = data.claims["soldiers"]

    # a wrong password is refused with a message, and nothing is signed in
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/signin")
    page.fill("input[name=reviewer]", "rita")
    page.fill("input[name=password]", "not-her-password")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "Wrong name or password" in page.inner_text(".flash-error")
    context.close()

    # an editor assigns the claim to rita
    ed = signed_in(browser, base, "ed")
    ed.goto(f"{base}/claims/{cid}")
    ed.select_option("#team select[name=assignee]", "rita")
    with ed.expect_navigation():
        ed.click("#team button:has-text('Assign')")
    assert ed.inner_text("#assignee") == "rita"

    # rita sees it under Mine; she may not assign (no form) and a forged approve is a 403 page
    rita = signed_in(browser, base, "rita")
    rita.click("nav a:has-text('Mine')")
    rita.wait_for_url(f"{base}/mine")
    assert rita.locator(f"a[href='/claims/{cid}']").count() >= 1
    rita.goto(f"{base}/claims/{cid}")
    assert rita.locator("#team select[name=assignee]").count() == 0
    with rita.expect_navigation():
        rita.evaluate(
            """(cid) => {
            const f = document.createElement("form");
            f.method = "post"; f.action = "/claims/" + cid + "/assign";
            const t = document.querySelector("input[name=csrf_token]").cloneNode();
            const a = document.createElement("input"); a.name = "assignee"; a.value = "rita";
            f.append(t, a); document.body.append(f); f.submit();
        }""",
            cid,
        )
    assert "403" in rita.inner_text("h1")
    assert "rita is a reviewer: assign needs an editor or admin account" in rita.inner_text("main")

    # the capture button fetches the failed source in the background, with progress
    rita.goto(f"{base}/claims/{cid}")
    assert "Capture 1 pending/failed source" in rita.inner_text("#capture-button")
    rita.click("#capture-button")
    # progress shows while it runs; when done the page reloads with the new capture
    rita.locator("#capture-button", has_text="Capture 0").wait_for(timeout=20_000)
    job = rita.request.get(f"{base}/claims/{cid}/capture").json()
    assert (job["state"], job["done"], job["total"], job["fetched"]) == ("done", 1, 1, 1)
    assert "done: 1 of 1" in rita.inner_text("#capture-status")
    assert site.hits.get("/report") == 1
    assert "650 soldiers north" in rita.inner_text(f"#source-{data.sources['down']}")

    # take the claim (assigned to her first), give a verdict, then the next claim with `n`
    with rita.expect_navigation():
        rita.keyboard.press("n")
    assert rita.url.endswith(f"/claims/{cid}") and "leased to rita" in rita.inner_text(".claimhead")
    rita.keyboard.press("1")  # true
    rita.keyboard.type("The ministry's statement says so")
    with rita.expect_navigation():
        rita.keyboard.press("Enter")
    assert rita.url.endswith("#history")
    assert "draft" in rita.inner_text("#approval")
    assert rita.locator("#approve-button").count() == 0  # not her own verdict
    with rita.expect_navigation():
        rita.keyboard.press("n")
    assert rita.url.endswith(f"/claims/{data.claims['died']}")

    # a second person approves
    ed.goto(f"{base}/claims/{cid}")
    with ed.expect_navigation():
        ed.click("#approve-button")
    assert re.search(r"approved\s+by ed", ed.inner_text("#approval"))
    db = open_db(db_path)
    assert db.conn.execute("SELECT approver FROM approvals").fetchall() == [("ed",)]
    db.close()
    ed.context.close()
    rita.context.close()
