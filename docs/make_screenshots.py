"""Take the manual's screenshots: build the demo archive in a temporary directory, add a small
team, start `verify serve` on a free port, and photograph the queue, a claim, a snapshot, a
browser snapshot and the team pages with Chromium (Playwright driving /usr/bin/chromium, or
$VERIFY_CHROMIUM; no browser is downloaded). The PNGs go to docs/screenshots/.

Run it by hand after a change to the web UI, then commit the PNGs:

    .venv/bin/python docs/make_screenshots.py

The test suite never runs it (running the suite changes no tracked file)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-password-1"
TEAM = (("maria", "admin"), ("ben", "editor"), ("ana", "reviewer"))


def build(db_path: Path) -> dict[str, int]:
    """The demo archive plus accounts, an assignment and a comment; ids worth showing."""
    sys.path.insert(0, str(ROOT))
    from verify import store
    from verify.demo.run import run_demo
    from verify.review import accounts as users
    from verify.review import team

    run_demo(str(db_path))
    db = store.open_db(db_path)
    try:
        for name, role in TEAM:
            users.add_user(db, name, role, PASSWORD, actor=None if role == "admin" else "maria")
        claim = db.conn.execute(
            "SELECT c.id FROM claims c JOIN claim_sources cs ON cs.claim_id = c.id"
            " JOIN sources s ON s.id = cs.source_id WHERE s.url LIKE '%met-office%' LIMIT 1"
        ).fetchone()[0]
        team.assign(db, claim, "ana", "ben")
        team.comment(db, claim, "The Met Office figure is 52 mm: check the article's 38.", "ben")
        snapshot = db.conn.execute(
            "SELECT s.id FROM snapshots s JOIN claim_sources cs ON cs.source_id = s.source_id"
            " WHERE cs.claim_id = ? AND s.error IS NULL ORDER BY s.id DESC LIMIT 1",
            [claim],
        ).fetchone()[0]
        browser = db.conn.execute(
            "SELECT id FROM snapshots WHERE mode = 'browser' AND error IS NULL ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    found = {"claim": claim, "snapshot": snapshot}
    if browser:
        found["browser"] = browser[0]
    return found


def start_server(db_path: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from verify.cli import main; main()",
            "--db",
            str(db_path),
            "serve",
            "--port",
            "0",
        ],  # fmt: skip
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return process, f"http://127.0.0.1:{found.group(1)}"
        if not line and process.poll() is not None:
            break
    process.kill()
    raise SystemExit("verify serve did not start")


def shoot(base: str, ids: dict[str, int]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("VERIFY_CHROMIUM", "/usr/bin/chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    pages = [
        ("queue.png", "/", False),
        ("claim.png", f"/claims/{ids['claim']}", False),
        ("snapshot.png", f"/snapshots/{ids['snapshot']}?claim={ids['claim']}", False),
        ("team.png", "/team", False),
        ("mine.png", "/mine", False),
    ]
    if "browser" in ids:
        pages.append(("browser-snapshot.png", f"/snapshots/{ids['browser']}", False))
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/signin")
        page.fill("input[name=reviewer]", "ben")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        for name, path, full in pages:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            target = OUT / name
            page.screenshot(path=str(target), full_page=full)
            written.append(target)
        browser.close()
    return written


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "verify.db"
        ids = build(db_path)
        server, base = start_server(db_path)
        try:
            for path in shoot(base, ids):
                print(path.relative_to(ROOT))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
