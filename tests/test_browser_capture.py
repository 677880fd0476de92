"""Browser capture (verify/browser.py) end to end on local servers: what a browser snapshot
keeps, the CLI over it, the replay in the review UI (zero requests to the original server), and
the faults: scripts that never stop, 1,000 images, requests and redirects to non-public
addresses, a page that is never network-idle, an image over the cap, dialogs and popups, and
Chromium killed mid-capture. One Chromium engine is shared by the module (and one Playwright
browser for the UI test)."""

from __future__ import annotations

import json
import os
import threading
import time
import zlib
from pathlib import Path

import psutil
import pytest
from conftest import LocalSite, Response

from verify.capture import engine as capture
from verify.capture import replay
from verify.capture.browser import BrowserEngine, BrowserOptions, find_chromium
from verify.capture.engine import CaptureOptions
from verify.capture.fetch import FetchOptions
from verify.ingest import claims
from verify.store import open_db

pytestmark = pytest.mark.browser


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (so naturalWidth is checkable)."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must run the browser tests")
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def tripwire():
    """A server on a non-public address no capture may ever reach (127.0.0.250)."""
    site = LocalSite("127.0.0.250")
    site.routes["/"] = Response(200, "<p>tripwire</p>")
    yield site
    site.close()


@pytest.fixture(scope="module")
def origin(tripwire):
    """The 'original server' of the captured pages."""
    site = LocalSite()
    trip = tripwire.url("")
    site.routes["/article"] = Response(
        200,
        f"""<!doctype html><html><head><title>App shell</title>
<link rel="stylesheet" href="/style.css"></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
<script>
const root = document.getElementById('root');
const p = 'The reservoir held 41 percent of its capacity on 1 September, the lowest level since 1976. ';
root.innerHTML = '<h1>Reservoir at record low</h1><p class="lede">' + p.repeat(8) + '</p>'
  + '<img id="chart" src="/img/chart.png" alt="chart"><div class="banner"></div>';
const img = new Image(); img.src = '{trip}/pixel-from-script.png';
fetch('{trip}/beacon').catch(() => {{}});
fetch('http://169.254.169.254/latest/meta-data/').catch(() => {{}});
alert('hello reader'); window.open('/popup');
</script>
<img src="{trip}/pixel.png" alt="tracker">
</body></html>""",
    )
    site.routes["/style.css"] = Response(
        200,
        "body { font-family: sans-serif; margin: 24px; } h1 { color: #1a4d8f; }"
        " .banner { width: 300px; height: 40px; background: url(/img/banner.png); }",
        content_type="text/css",
    )
    site.routes["/img/chart.png"] = Response(
        200, _png(240, 120, (30, 120, 200)), content_type="image/png"
    )
    site.routes["/img/banner.png"] = Response(
        200, _png(30, 40, (200, 60, 30)), content_type="image/png"
    )
    site.routes["/popup"] = Response(200, "<p>popup</p>")
    site.routes["/rich"] = Response(
        200,
        "<!doctype html><html><head><title>Rich</title></head><body><article><h1>Rich</h1>"
        + "".join(
            f"<p>On day {i} the council debated item {i * 7} of the budget, and approved"
            f" {i + 3} of its amendments after a long and careful debate.</p>"
            for i in range(30)
        )
        + "</article></body></html>",
    )
    yield site
    site.close()


@pytest.fixture(scope="module")
def engine(chromium, origin, tripwire):
    fetch = FetchOptions(allow_hosts=(origin.netloc,), retries=0, deadline=20)
    with BrowserEngine(fetch, BrowserOptions(timeout=20), per_host=4) as running:
        yield running


@pytest.fixture(scope="module")
def captured(tmp_path_factory, engine, origin):
    """One capture run shared by the tests that read it: the script-built page (auto picks the
    browser) and a rich static page (auto stays static)."""
    path = tmp_path_factory.mktemp("captured") / "verify.db"
    db = open_db(path)
    claims.add_claim(
        db,
        "The reservoir held 41 percent of its capacity.",
        sources=[origin.url("/article"), origin.url("/rich")],
    )
    options = CaptureOptions(mode="auto", engine=engine, fetch=engine.fetch_options, concurrency=4)
    summary = capture.capture(db, options=options)
    db.close()
    return path, summary


def _by_url(db, url: str) -> dict:
    for s in capture.list_snapshots(db):
        if s["url"] == url:
            return capture.get_snapshot(db, s["id"])
    raise AssertionError(f"no snapshot of {url}")


def test_browser_snapshot_keeps_what_the_reader_saw(captured, origin, tripwire) -> None:
    path, summary = captured
    assert summary.fetched == 2 and summary.failed == 0
    db = open_db(path)
    snap = _by_url(db, origin.url("/article"))
    assert snap["mode"] == "browser" and snap["error"] is None
    # the readable text comes from the rendered DOM: the static HTML had none of it
    assert "lowest level since 1976" in snap["text"]
    assert snap["title"] == "App shell"
    assert snap["screenshot"] is True and snap["resources"] >= 4
    prov = snap["provenance"]
    assert prov["browser"] == "Chromium" and prov["browser_version"]
    assert prov["viewport"]["width"] == 1280 and prov["mode"] == "auto"
    assert "thin" in prov["reason"] and prov["server_ips"] == ["127.0.0.1"]
    assert prov["started_at"] <= prov["ended_at"] and prov["user_agent"]
    assert prov["cut"].get("popups") == 1  # window.open was closed, alert() dismissed
    png = replay.screenshot(db, snap["id"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1280
    dom = replay.rendered_dom(db, snap["id"]).decode()
    assert "Reservoir at record low" in dom
    resources = {r["url"]: r for r in replay.list_resources(db, snap["id"])}
    chart = resources[origin.url("/img/chart.png")]
    assert chart["status"] == 200 and chart["resource_type"] == "image" and chart["sha256"]
    assert resources[origin.url("/img/banner.png")]["status"] == 200  # loaded by the stylesheet
    # non-public addresses: refused, recorded, never requested
    for url in (
        tripwire.url("/pixel.png"),
        tripwire.url("/pixel-from-script.png"),
        tripwire.url("/beacon"),
        "http://169.254.169.254/latest/meta-data/",
    ):
        assert resources[url]["error"] == "blocked_address", url
        assert resources[url]["sha256"] is None
    assert tripwire.hits == {}
    assert origin.hits.get("/popup") is None  # the popup's page was never fetched
    assert origin.hits["/article"] == 1  # the browser was served the static response
    # the payload of each subresource is stored once per digest
    n = db.conn.execute(
        "SELECT count(*) FROM payloads WHERE sha256 = ?", [chart["sha256"]]
    ).fetchone()[0]
    assert n == 1
    rich = _by_url(db, origin.url("/rich"))
    assert rich["mode"] == "static" and rich["screenshot"] is False and rich["resources"] == 0


def test_snapshot_cli_screenshot_resources_and_show(captured, origin, run_cli, tmp_path) -> None:
    path, _ = captured
    db = open_db(path)
    browser_id = _by_url(db, origin.url("/article"))["id"]
    static_id = _by_url(db, origin.url("/rich"))["id"]
    db.close()
    shown = run_cli("--db", str(path), "snapshot", "show", str(browser_id), "--json")
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["mode"] == "browser" and data["screenshot"] is True
    assert data["resources"] >= 4 and data["provenance"]["browser"] == "Chromium"
    plain = run_cli("--db", str(path), "snapshot", "show", str(browser_id))
    assert "mode: browser" in plain.stdout and "screenshot: yes" in plain.stdout
    out = tmp_path / "shot.png"
    wrote = run_cli("--db", str(path), "snapshot", "screenshot", str(browser_id), "-o", str(out))
    assert wrote.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"
    none = run_cli("--db", str(path), "snapshot", "screenshot", str(static_id), "-o", str(out))
    assert none.exit_code == 1
    assert none.stderr == (
        f"Error: snapshot {static_id} has no screenshot (capture it with `verify fetch --mode browser`)\n"
    )
    listed = run_cli("--db", str(path), "snapshot", "resources", str(browser_id), "--json")
    rows = json.loads(listed.stdout)
    assert any(r["error"] == "blocked_address" for r in rows)
    assert any(r["url"].endswith("/img/chart.png") and r["status"] == 200 for r in rows)
    text = run_cli("--db", str(path), "snapshot", "resources", str(browser_id))
    assert "blocked_address" in text.stdout and "/img/chart.png" in text.stdout


def test_replay_in_the_review_ui_makes_no_request_to_the_original(
    captured, origin, tripwire, chromium, tmp_path
) -> None:
    """Opening the browser snapshot in the review UI shows the screenshot and the rendered page
    with its images, and the original server sees ZERO requests."""
    from browser_helpers import running
    from playwright.sync_api import sync_playwright

    from verify.web import create_app

    path, _ = captured
    db = open_db(path)
    snap_id = _by_url(db, origin.url("/article"))["id"]
    db.close()
    with running(create_app(path)) as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(base + "/signin")
            page.fill("input[name=reviewer]", "ana")
            page.click("button[type=submit]")
            before = dict(origin.hits)
            page.goto(f"{base}/snapshots/{snap_id}")
            shot = page.locator(".browser-capture .shot img")
            shot.wait_for()
            page.wait_for_function(
                "document.querySelector('.browser-capture .shot img').naturalWidth > 0"
            )
            frame_el = page.locator("iframe.rendered")
            frame_el.wait_for()
            frame = frame_el.element_handle().content_frame()
            frame.wait_for_load_state("load")
            frame.wait_for_function(
                "document.getElementById('chart') && document.getElementById('chart').complete"
            )
            assert frame.evaluate("document.getElementById('chart').naturalWidth") == 240
            assert "Reservoir at record low" in frame.inner_text("body")
            # the stylesheet came from the archive too: its rule and its background image apply
            color = frame.evaluate("getComputedStyle(document.querySelector('h1')).color")
            assert color == "rgb(26, 77, 143)"
            # no script ran in the replay (the page's script would add a tracker image)
            assert frame.evaluate("document.scripts.length") == 0
            shot_path = tmp_path / "browser-snapshot.png"  # never into the tracked docs/
            page.locator(".browser-capture").screenshot(path=str(shot_path))
            time.sleep(0.3)  # anything late would arrive now
            assert origin.hits == before, "the replay reached the original server"
            assert tripwire.hits == {}
        finally:
            browser.close()


# --- faults --------------------------------------------------------------------------------


def _fault_site(tripwire: LocalSite) -> LocalSite:
    site = LocalSite()
    trip = tripwire.url("")
    site.routes["/loop"] = Response(
        200,
        "<!doctype html><title>Loop</title><h1>Before the loop</h1>"
        "<script>setTimeout(function () { while (true) {} }, 50);</script>",
    )
    site.routes["/busy"] = Response(
        200,
        "<!doctype html><title>Busy</title><h1>Never idle</h1>"
        "<script>setInterval(function () { fetch('/tick?' + Math.random()).catch(() => {}); },"
        " 150);</script>",
    )

    def tick(h) -> None:  # slow answers to frequent requests: always some in flight
        time.sleep(1.0)
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", "4")
        h.end_headers()
        h.wfile.write(b"tick")

    site.routes["/tick"] = tick
    site.routes["/many"] = Response(
        200,
        "<!doctype html><title>Many</title><h1>A thousand images</h1>"
        + "".join(f'<img src="/img/{i}.png">' for i in range(1000)),
    )
    small = _png(2, 2, (0, 0, 0))
    for i in range(1000):
        site.routes[f"/img/{i}.png"] = Response(200, small, content_type="image/png")
    site.routes["/jsredirect"] = Response(
        200,
        f"<!doctype html><title>Redirecting</title><h1>Stay here</h1>"
        f"<script>location.href = '{trip}/internal-admin';</script>",
    )

    def huge(h) -> None:
        h.close_connection = True
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        h.send_header("Content-Length", str(200 * 2**20))
        h.end_headers()
        try:
            h.wfile.write(b"\x89PNG" + bytes(2**20))
        except OSError:
            pass

    site.routes["/huge.png"] = huge
    site.routes["/bigimage"] = Response(
        200, '<!doctype html><title>Big</title><h1>Big image</h1><img src="/huge.png">'
    )
    site.routes["/dialogs"] = Response(
        200,
        "<!doctype html><title>Dialogs</title><h1>Dialogs</h1><script>alert('a');"
        "confirm('b'); prompt('c'); window.open('/popup'); window.open('/popup2');"
        "document.body.insertAdjacentHTML('beforeend', '<p>after dialogs</p>');</script>",
    )
    return site


def test_faults_each_end_as_a_kept_snapshot(tmp_path, chromium, tripwire) -> None:
    site = _fault_site(tripwire)
    try:
        db = open_db(tmp_path / "faults.db")
        pages = ["/busy", "/jsredirect", "/bigimage", "/dialogs"]
        claims.add_claim(db, "A claim with hostile sources.", sources=[site.url(p) for p in pages])
        fetch = FetchOptions(allow_hosts=(site.netloc,), retries=0, deadline=8, max_bytes=5 * 2**20)
        limits = BrowserOptions(timeout=6, max_resources=100, settle=1.0, pages=6)
        eng = BrowserEngine(fetch, limits, per_host=6)
        options = CaptureOptions(
            mode="browser", fetch=fetch, concurrency=6, per_host=6, browser=limits, engine=eng
        )
        try:
            summary = capture.capture(db, options=options)
            # a second batch: the endless script (it takes a whole core until it is stopped)
            # and the thousand images (a thousand route events) would starve the busy page
            claims.add_claim(
                db, "A claim with heavy sources.", sources=[site.url("/loop"), site.url("/many")]
            )
            heavy = capture.capture(db, options=options)
        finally:
            eng.close()
        assert heavy.total == 2 and heavy.failed == 0
        assert summary.total == 4 and summary.failed == 0, [
            (s["url"], s["error_message"]) for s in capture.list_snapshots(db)
        ]
        snaps = {
            s["url"].rsplit("/", 1)[1]: capture.get_snapshot(db, s["id"])
            for s in capture.list_snapshots(db)
        }
        cut = {k: s["provenance"]["cut"] for k, s in snaps.items()}
        # a script that never stops: stopped, and the page as it was is kept
        assert "script" in cut["loop"] and "Before the loop" in snaps["loop"]["text"]
        assert snaps["loop"]["screenshot"] is True
        # never network-idle: captured as it was when the settle time ran out
        assert "network_busy" in cut["busy"] and "Never idle" in snaps["busy"]["text"]
        # 1,000 images: 100 fetched (the configured cap); every later one the page asked for
        # in its time was cut and counted, never fetched
        assert snaps["many"]["resources"] == 100 and cut["many"]["resources"] >= 1
        assert sum(1 for p in site.hits if p.startswith("/img/")) == 100
        # a script redirect to a non-public address: refused, recorded, never requested; the
        # page stays where it was
        assert "Stay here" in snaps["jsredirect"]["text"]
        refused = replay.list_resources(db, snaps["jsredirect"]["id"])
        assert [r["error"] for r in refused] == ["blocked_address"]
        assert tripwire.hits == {}
        # an image declared at 200 MB: refused before its body
        big = replay.list_resources(db, snaps["bigimage"]["id"])
        assert big[0]["error"] == "too_large" and big[0]["sha256"] is None
        # dialogs dismissed, popups closed, the script carried on
        assert "after dialogs" in snaps["dialogs"]["text"] and cut["dialogs"]["popups"] == 2
        assert site.hits.get("/popup") is None and site.hits.get("/popup2") is None
    finally:
        site.close()


def _chromium_pids() -> set[int]:
    me = psutil.Process()
    return {c.pid for c in me.children(recursive=True) if "chrom" in (c.name() or "").lower()}


def test_chromium_killed_mid_capture(tmp_path, chromium) -> None:
    """Kill Chromium while it renders: that source fails with kind 'browser', the batch goes
    on (a new Chromium serves the rest), and no Chromium process is left behind."""
    site = LocalSite()
    started = threading.Event()

    def slow_image(h) -> None:
        started.set()
        time.sleep(2)
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        body = _png(2, 2, (0, 0, 0))
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    site.routes["/slow.png"] = slow_image
    site.routes["/victim"] = Response(
        200, '<title>Victim</title><h1>Victim</h1><img src="/slow.png">'
    )
    for i in range(3):
        site.routes[f"/after{i}"] = Response(200, f"<title>After {i}</title><h1>Page {i}</h1>")
    try:
        db = open_db(tmp_path / "kill.db")
        urls = [site.url("/victim")] + [site.url(f"/after{i}") for i in range(3)]
        claims.add_claim(db, "A claim.", sources=urls)
        fetch = FetchOptions(allow_hosts=(site.netloc,), retries=0, deadline=10)
        others = _chromium_pids()  # the module's shared engine
        with BrowserEngine(fetch, BrowserOptions(timeout=15, pages=1), per_host=2) as eng:

            def killer() -> None:
                if started.wait(20):
                    pid = eng.browser_pid()
                    if pid:
                        psutil.Process(pid).kill()

            thread = threading.Thread(target=killer)
            thread.start()
            options = CaptureOptions(mode="browser", engine=eng, fetch=fetch, concurrency=1)
            summary = capture.capture(db, options=options)
            thread.join()
            pids = _chromium_pids() - others
            assert pids  # the engine relaunched Chromium for the rest of the batch
        snaps = {s["url"]: s for s in capture.list_snapshots(db)}
        victim = snaps[site.url("/victim")]
        assert victim["error"] == "browser", victim
        assert summary.failed == 1 and summary.fetched == 3
        for i in range(3):
            assert snaps[site.url(f"/after{i}")]["error"] is None
        assert capture.list_sources(db)[0]["state"] == "failed"
        deadline = time.monotonic() + 10
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids):
            assert time.monotonic() < deadline, "Chromium left behind"
            time.sleep(0.1)
    finally:
        site.close()


def test_browser_mode_without_chromium_is_one_error_and_auto_stays_static(
    run_cli, site, monkeypatch, tmp_path
) -> None:
    site.routes["/thin"] = Response(200, "<title>Thin</title><p>Short.</p>")
    monkeypatch.setenv("VERIFY_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert run_cli("claim", "add", "A claim.", "--source", site.url("/thin")).exit_code == 0
    failed = run_cli("fetch", "--mode", "browser", "--allow-host", site.netloc)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: browser capture needs Chromium: VERIFY_CHROMIUM=")
    assert "apt-get install chromium" in failed.stderr and failed.stderr.count("\n") == 1
    assert run_cli("snapshots", "--json").stdout.strip() == "[]"  # nothing changed
    auto = run_cli("fetch", "--allow-host", site.netloc, "--json")
    assert auto.exit_code == 0
    assert auto.stderr.count("no Chromium found: auto mode captures statically") == 1
    snaps = json.loads(run_cli("snapshots", "--json").stdout)
    assert len(snaps) == 1 and snaps[0]["error"] is None


def test_config_capture_mode_and_screenshots(run_cli) -> None:
    assert run_cli("config", "capture_mode").stdout == "auto\n"
    assert run_cli("config", "capture_mode", "static").stdout == "static\n"
    bad = run_cli("config", "capture_mode", "fast")
    assert bad.exit_code == 1
    assert bad.stderr == "Error: unknown capture_mode 'fast': use one of static, browser, auto\n"
    assert run_cli("config", "screenshots", "on").stdout == "on\n"
    assert run_cli("config", "screenshots", "maybe").exit_code == 1


def test_migration_accepts_the_browser_error_kind_and_keeps_search(db) -> None:
    from verify import model

    sql = db.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'snapshots'").fetchone()[0]
    for kind in model.ERROR_KINDS:
        assert f"'{kind}'" in sql
    source = claims.ensure_source(db, "https://example.org/a")
    db.conn.execute(
        "INSERT INTO snapshots (source_id, requested_url, fetched_at, error, title, text)"
        " VALUES (?, 'https://example.org/a', '2026-11-29T00:00:00.000000Z', 'browser', 'T',"
        " 'a reservoir text')",
        [source],
    )
    assert (
        db.conn.execute(
            "SELECT count(*) FROM snapshots_fts WHERE snapshots_fts MATCH 'reservoir'"
        ).fetchone()[0]
        == 1
    )
    with pytest.raises(Exception, match="CHECK"):
        db.conn.execute(
            "INSERT INTO snapshots (source_id, requested_url, fetched_at, error)"
            " VALUES (?, 'x', 'y', 'nonsense')",
            [source],
        )
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_warc_and_wacz_exports_carry_the_browser_capture(
    captured, origin, run_cli, tmp_path
) -> None:
    import subprocess
    import sys
    import zipfile

    from warcio.archiveiterator import ArchiveIterator

    path, _ = captured
    warc_file = tmp_path / "out.warc.gz"
    done = run_cli("--db", str(path), "export", "--format", "warc", "-o", str(warc_file))
    assert done.exit_code == 0, done.stderr
    records = []
    with open(warc_file, "rb") as fh:
        for record in ArchiveIterator(fh):
            records.append(
                (
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI"),
                    dict(record.rec_headers.headers),
                    record.content_stream().read(),
                )
            )
    page = origin.url("/article")
    page_response = next(r for r in records if r[0] == "response" and r[1] == page)
    page_id = page_response[2]["WARC-Record-ID"]
    chart = next(r for r in records if r[1] == origin.url("/img/chart.png"))
    assert chart[0] == "response" and chart[3][:8] == b"\x89PNG\r\n\x1a\n"
    shot = next(r for r in records if r[1] == f"urn:verify:screenshot:{page}")
    assert shot[0] == "resource" and shot[2]["WARC-Concurrent-To"] == page_id
    assert shot[2]["Content-Type"] == "image/png" and shot[3][:4] == b"\x89PNG"
    dom = next(r for r in records if r[1] == f"urn:verify:dom:{page}")
    assert dom[0] == "resource" and b"Reservoir at record low" in dom[3]
    prov = next(r for r in records if r[0] == "metadata" and "WARC-Refers-To" in r[2])
    assert prov[2]["WARC-Refers-To"] == page_id
    meta = json.loads(prov[3])
    assert meta["browser"] == "Chromium"
    assert {r["error"] for r in meta["refused_requests"]} == {"blocked_address"}

    wacz_file = tmp_path / "out.wacz"
    done = run_cli("--db", str(path), "export", "--format", "wacz", "-o", str(wacz_file))
    assert done.exit_code == 0, done.stderr
    with zipfile.ZipFile(wacz_file) as zf:
        names = set(zf.namelist())
        assert {"archive/data.warc.gz", "indexes/index.cdxj", "pages/pages.jsonl",
                "datapackage.json", "datapackage-digest.json"} <= names  # fmt: skip
        assert zf.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        package = json.loads(zf.read("datapackage.json"))
        index = zf.read("indexes/index.cdxj").decode().splitlines()
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
    assert package["wacz_version"] == "1.1.1"
    assert all(r["hash"].startswith("sha256:") for r in package["resources"])
    assert index == sorted(index) and any("/img/chart.png" in line for line in index)
    assert pages[0]["format"] == "json-pages-1.0" and any(p.get("url") == page for p in pages)
    no_name = run_cli("--db", str(path), "export", "--format", "wacz")
    assert no_name.exit_code == 1
    assert (
        no_name.stderr == "Error: a WACZ export is a zip file: give it a name with -o FILE.wacz\n"
    )
    # Webrecorder's validator (the `wacz` package, in the test extras)
    tool = Path(sys.executable).with_name("wacz")
    checked = subprocess.run(
        [str(tool), "validate", "-f", str(wacz_file)], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
