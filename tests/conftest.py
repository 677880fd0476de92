"""Shared fixtures: a fresh database per test, a CLI runner, a real HTTP server on 127.0.0.1
(port 0) that serves whatever routes a test gives it, a fake web archive, the review web app in
process, a real Chromium for the tests marked `browser`, and small helpers that read tables."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_helpers import build_review_data, sign_in
from click.testing import CliRunner
from fakearchive import FaultyArchive

from verify import settings
from verify.capture import browser as browser_mod
from verify.cli import cli
from verify.review import accounts as users
from verify.store import open_db
from verify.web import create_app


@pytest.fixture(autouse=True)
def static_capture_by_default(request: pytest.FixtureRequest, monkeypatch) -> Iterator[None]:
    """Tests not marked `browser` capture in static mode unless they ask for another mode:
    the `capture_mode` setting defaults to static for them (the product's default, auto, would
    start Chromium for every short test page). Only this process's default changes: a test's
    database and `verify config` show nothing, and an explicit `--mode` or setting still wins.
    A CLI run in a subprocess does not see this: pass `--mode static` there.

    Such a test that starts Chromium in this process anyway fails, saying so: mark it
    `browser` or make it capture statically."""
    if request.node.get_closest_marker("browser") is not None:
        yield
        return
    default = settings.SETTINGS["capture_mode"]
    monkeypatch.setitem(settings.SETTINGS, "capture_mode", replace(default, default="static"))
    launches: list[str] = []
    launch = browser_mod.BrowserEngine._launch

    async def counted_launch(engine: browser_mod.BrowserEngine) -> None:
        launches.append(engine.executable)
        await launch(engine)

    monkeypatch.setattr(browser_mod.BrowserEngine, "_launch", counted_launch)
    yield
    if launches:
        pytest.fail(
            f"{request.node.nodeid} started Chromium {len(launches)} time(s) without the"
            " `browser` mark: mark it @pytest.mark.browser, or capture in static mode"
        )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "verify.db"


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    yield database
    database.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


@pytest.fixture
def run_cli(db_path: Path, monkeypatch) -> Callable[..., CliResult]:
    """run_cli("claims", "--json", input="...") -> CliResult, against this test's database."""
    monkeypatch.setenv("VERIFY_DB", str(db_path))
    monkeypatch.delenv("VERIFY_ALLOW_HOSTS", raising=False)

    def run(*args: str, input: str | bytes | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=True)
        return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)

    return run


# Inputs that are not http(s) URLs: each must be refused with one clear error.
NOT_HTTP_URLS = [
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/html,hi",
    "ftp://example.org/x",
    "not a url",
    "",
]


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"


Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalSite:
    """A threaded HTTP server on 127.0.0.1 with a route table. A route maps a path to a
    Response, or to a callable that gets the request handler and writes the reply itself."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Response | Handler] = {}
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                path = self.path
                with site.lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                route = site.routes.get(path) or site.routes.get(path.split("?", 1)[0])
                if route is None:
                    route = Response(404, b"not found", content_type="text/plain")
                if callable(route):
                    route(self)
                    return
                body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
                self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        self.server = ThreadingHTTPServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        # a short poll: shutdown() waits for the loop's next turn (0.5 s by default, per test)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[LocalSite]:
    server = LocalSite()
    yield server
    server.close()


# The team of the team tests: an admin, an editor and a reviewer, with their passwords.
PASSWORDS = {"boss": "admin-password", "ed": "editor-password", "rita": "reviewer-password"}


def add_team(db) -> None:
    """boss (admin), ed (editor) and rita (reviewer), with PASSWORDS."""
    users.add_user(db, "boss", "admin", PASSWORDS["boss"])
    users.add_user(db, "ed", "editor", PASSWORDS["ed"], actor="boss")
    users.add_user(db, "rita", "reviewer", PASSWORDS["rita"], actor="boss")


@pytest.fixture
def desk(db_path):
    """The review data of browser_helpers plus the team (add_team): (db, data)."""
    db = open_db(db_path)
    data = build_review_data(db)
    add_team(db)
    yield db, data
    db.close()


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch) -> None:
    """Hash passwords with small scrypt parameters (the stored hash says which), so creating
    accounts costs milliseconds; a test about the real parameters sets SCRYPT_N itself."""
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)


@pytest.fixture
def archive() -> Iterator[FaultyArchive]:
    """A fake web archive (Wayback-style CDX, Memento TimeMaps, Save Page Now) on 127.0.0.1."""
    fake = FaultyArchive().start()
    yield fake
    fake.close()


@pytest.fixture
def web(db_path: Path):
    """The review app in process with the standard review data, ana signed in:
    (client, csrf token, data, db)."""
    db = open_db(db_path)
    data = build_review_data(db)
    client = create_app(db_path).test_client()
    token = sign_in(client, "ana")
    yield client, token, data, db
    db.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module. Skips when Chromium is
    missing, except in CI (CI set), where the browser tests must run."""
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def row_counts(db_or_path, tables: Iterable[str]) -> dict[str, int]:
    """{table: number of rows}, from an open database or from a database file."""
    conn = sqlite3.connect(db_or_path) if isinstance(db_or_path, str | Path) else db_or_path.conn
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        if conn is not getattr(db_or_path, "conn", None):
            conn.close()


def table_rows(db, tables: Iterable[str], order_by: str = "1") -> list[list]:
    """Every row of each table, in a fixed order: compare before and after to prove that a
    refused action changed nothing."""
    return [db.conn.execute(f"SELECT * FROM {t} ORDER BY {order_by}").fetchall() for t in tables]
