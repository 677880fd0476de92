"""Shared fixtures: a fresh database per test, a CLI runner, and a real HTTP server on
127.0.0.1 (port 0) that serves whatever routes a test gives it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from verify import settings
from verify.cli import cli
from verify.store import open_db


@pytest.fixture(autouse=True)
def static_capture_by_default(request: pytest.FixtureRequest, monkeypatch) -> None:
    """Tests not marked `browser` capture in static mode unless they ask for another mode:
    the `capture_mode` setting defaults to static for them (the product's default, auto, would
    start Chromium for every short test page). Only this process's default changes: a test's
    database and `verify config` show nothing, and an explicit `--mode` or setting still wins.
    A CLI run in a subprocess does not see this: pass `--mode static` there."""
    if request.node.get_closest_marker("browser") is not None:
        return
    default = settings.SETTINGS["capture_mode"]
    monkeypatch.setitem(settings.SETTINGS, "capture_mode", replace(default, default="static"))


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
