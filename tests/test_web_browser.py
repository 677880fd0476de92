"""Real-browser tests: Playwright driving Debian's Chromium against the app under waitress on
127.0.0.1 (port 0). The review flow end to end, a hostile snapshot that must not run, and a
forged cross-origin POST. Screenshots go to the test's tmp_path: the suite changes no tracked
file (the docs' pictures come from a separate script)."""

from __future__ import annotations

import re

import pytest
from browser_helpers import build_review_data, running
from conftest import LocalSite, Response

from verify.store import open_db
from verify.web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def logger():
    """A local server that records every request the hostile page manages to make."""
    site = LocalSite()
    site.routes["/log"] = Response(200, b"logged", content_type="text/plain")
    yield site
    site.close()


@pytest.fixture
def server(db_path, logger):
    db = open_db(db_path)
    data = build_review_data(db, hostile_log_url=logger.url("/log"))
    db.close()
    with running(create_app(db_path)) as base:
        yield base, data


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()


def sign_in(page, base: str, name: str = "ana") -> None:
    page.goto(base + "/")
    assert "/signin" in page.url
    page.fill("input[name=reviewer]", name)
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")


def drag_select(page, container: str, phrase: str) -> None:
    """Select `phrase` inside `container` with a real mouse drag from its first to last letter."""
    box = page.evaluate(
        """([selector, phrase]) => {
            const root = document.querySelector(selector);
            root.scrollIntoView({block: "center"});
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let text = "", nodes = [];
            while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
            const at = text.indexOf(phrase);
            if (at < 0) return null;
            const locate = (offset) => {
                for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i][1] <= offset) return [nodes[i][0], offset - nodes[i][1]];
            };
            const range = document.createRange();
            const [sn, so] = locate(at), [en, eo] = locate(at + phrase.length - 1);
            range.setStart(sn, so); range.setEnd(sn, so + 1);
            const first = range.getBoundingClientRect();
            range.setStart(en, eo); range.setEnd(en, eo + 1);
            const last = range.getBoundingClientRect();
            return {x1: first.left + 1, y1: first.top + first.height / 2, x2: last.right - 0.5, y2: last.top + last.height / 2};
        }""",
        [container, phrase],
    )
    assert box, f"{phrase!r} not found in {container}"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()


def test_review_flow_sign_in_take_quote_assess_decide(page, server, db_path, tmp_path):
    base, data = server
    sign_in(page, base)
    shots = tmp_path  # never the tracked docs/screenshots/
    assert page.locator("table.queue tbody tr").count() == 3
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    page.keyboard.press("n")  # take the next claim
    page.wait_for_url(re.compile(rf"/claims/{data.claims['died']}$"))
    assert "leased to ana" in page.inner_text(".claimhead")

    # read the snapshot of the first source, then come back
    page.click(f"#source-{data.sources['toll']} a:has-text('latest snapshot')")
    page.wait_for_url(re.compile(r"/snapshots/\d+"))
    frame = page.frame_locator("iframe.archived")
    assert "Officials in Bamako" in frame.locator("body").inner_text()
    page.go_back()
    page.wait_for_url(re.compile(rf"/claims/{data.claims['died']}"))

    toll = f"#source-{data.sources['toll']}"
    drag_select(page, f"{toll} .snaptext", "at least 22 people were killed")
    assert page.input_value(f"{toll} input[name=quote]") == "at least 22 people were killed"
    page.keyboard.press("s")  # supports, on the source where the text was selected
    page.wait_for_load_state("load")
    mark = page.locator(f"{toll} .snaptext mark.quote")
    assert mark.first.inner_text() == "at least 22 people were killed"
    assert page.locator(f"{toll} .badge.stance-supports").count() >= 1

    page.keyboard.press("2")  # mostly-true, then a note and Enter
    assert page.evaluate("document.activeElement.name") == "note"
    page.keyboard.type("Toll later revised to 21")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#history$"))
    history = page.inner_text("#history")
    assert "verdict by ana" in history and "Toll later revised to 21" in history
    assert "assessed by ana" in history and "leased by ana" in history
    assert "mostly-true" in page.inner_text(".claimhead")
    page.screenshot(path=str(shots / "claim.png"), full_page=True)

    page.goto(f"{base}/snapshots/{data.snapshots['toll']}?claim={data.claims['died']}")
    page.wait_for_load_state("load")
    assert (
        page.locator(".snaptext mark.quote").first.inner_text() == "at least 22 people were killed"
    )
    page.screenshot(path=str(shots / "snapshot.png"), full_page=True)

    db = open_db(db_path)
    row = db.conn.execute(
        "SELECT verdict, decided_by, verdict_note FROM claims WHERE id = ?", [data.claims["died"]]
    ).fetchone()
    stance = db.conn.execute("SELECT stance, reviewer, quote_exact FROM assessments").fetchone()
    db.close()
    assert row == ("mostly-true", "ana", "Toll later revised to 21")
    assert stance == ("supports", "ana", "at least 22 people were killed")
    assert page.dialogs == []


def test_hostile_snapshot_runs_nothing(page, server, logger):
    base, data = server
    sign_in(page, base)
    finished: list[str] = []  # requests the browser completed (CSP-blocked ones fail)
    page.on("requestfinished", lambda r: finished.append(r.url))
    page.goto(f"{base}/snapshots/{data.snapshots['hostile']}")
    page.wait_for_load_state("load")
    frame = page.frame_locator("iframe.archived")
    assert frame.locator("h1").inner_text() == "Hostile page"  # the page was rendered...
    page.wait_for_timeout(300)  # give any stray script or handler a chance to fire
    # ...and nothing in it ran
    assert page.title().startswith("Snapshot")
    archived = next(f for f in page.frames if f.url.endswith("/raw"))
    assert archived.title() == "Hostile page"
    assert page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly; no 'pwned'
    assert page.evaluate("window.localStorage.length") == 0
    assert page.context.cookies() and all(c["name"] != "pwned" for c in page.context.cookies())
    assert page.dialogs == []
    assert logger.hits == {}, logger.hits
    assert not [u for u in finished if logger.netloc in u]
    assert any(u.endswith("/raw") for u in finished)


def test_forged_post_from_another_origin_is_refused(page, server, db_path):
    base, data = server
    sign_in(page, base)
    claim = data.claims["soldiers"]
    attacker = LocalSite()
    try:
        attacker.routes["/"] = Response(
            200,
            f"""<!doctype html><html><body>
<form id="f" method="post" action="{base}/claims/{claim}/verdict">
<input name="verdict" value="false"><input name="note" value="forged"></form>
<script>document.getElementById("f").submit();</script></body></html>""",
        )
        page.goto(attacker.url("/"))
        page.wait_for_url(re.compile(rf"/claims/{claim}/verdict$"))
        assert "403" in page.inner_text("main")
    finally:
        attacker.close()
    db = open_db(db_path)
    assert db.conn.execute("SELECT verdict FROM claims WHERE id = ?", [claim]).fetchone()[0] is None
    assert db.conn.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 0
    db.close()
