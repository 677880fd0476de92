"""The app factory and everything around the routes: database per thread, sign-in, CSRF,
security headers, server timing, and the waitress server."""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, request, session
from flask.templating import Environment
from sqlite_utils import Database
from werkzeug.routing import IntegerConverter

from verify.errors import AuthError, InputError
from verify.store import get_setting, immediate, open_db, set_setting
from verify.store.db import tune_for_reads
from verify.text.checkworthy import DEFAULT_MIN_SCORE
from verify.web.security import AllowedHosts, SignInLimiter, check_csrf, csrf_token
from verify.web.views import archived  # noqa: F401 - registers the browser snapshot routes on bp
from verify.web.views.review import bp
from verify.web.views.team import bp as team_bp

SECRET_SETTING = "web_secret_key"
MMAP_BYTES = 4 * 2**30
TOKEN_ENV = "VERIFY_WEB_TOKEN"
PASSWORD_ENV = "VERIFY_WEB_PASSWORD"
SECRET_ENV = "VERIFY_WEB_SECRET"
SWITCH_INTERVAL = 0.001  # seconds; see make_server
# Worker threads of `verify serve`. The pages are CPU work under one interpreter lock: every
# thread beyond two makes each request wait its turn on the lock inside the app instead of in
# waitress's queue, and the handing over of the lock costs the whole server throughput
# (bench/web.py, 8 clients on 2 cores, claim page client p95: 175 ms with 8 threads, about 95 ms
# with 4, 83 with 3, 80 with 2). A slow request (a related-evidence search over a big archive)
# holds one of the two while the other serves everyone else; `verify serve --threads N` gives
# more.
THREADS = 2

APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _RowsEnvironment(Environment):
    """Templates read query rows (dicts) as `c.status`. Jinja tries the attribute first and
    finds a dict's key only after a caught AttributeError, which was a third of the time of a
    50-row queue page. For a name that is not an attribute of dict the outcome is the same
    either way, so such names go to the key at once."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def load_auth(auth_file: str | os.PathLike | None = None) -> str | None:
    """The shared secret reviewers must give to sign in: the contents of `auth_file`, else
    $VERIFY_WEB_TOKEN, else $VERIFY_WEB_PASSWORD, else None (no authentication)."""
    if auth_file is not None:
        path = Path(auth_file)
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(f"cannot read auth file {path}: {exc.strerror}") from exc
        if not secret:
            raise InputError(f"auth file {path} is empty: put a password or token in it")
        return secret
    for name in (TOKEN_ENV, PASSWORD_ENV):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth: str | None, has_accounts: bool = False) -> None:
    """Refuse to listen beyond this machine without accounts (the shared password is for
    loopback and single-user use)."""
    if not is_loopback(host) and not has_accounts:
        raise AuthError(
            f"refusing to serve on {host} without accounts: add one with"
            " `verify user add NAME --role admin --password-stdin` (or bind 127.0.0.1)"
        )


def has_accounts_at(db_path: str | os.PathLike) -> bool:
    """Does the archive at `db_path` have accounts? (False when it does not exist yet.)"""
    from verify.review.accounts import has_accounts

    if not Path(db_path).exists():
        return False
    db = open_db(db_path)
    try:
        return has_accounts(db)
    finally:
        db.close()


class _IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond SQLite's 64-bit integers matches no route
    (404) instead of failing in the query (500)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = 2**63 - 1, signed: bool = False) -> None:  # fmt: skip
        super().__init__(map, fixed_digits, min, max, signed)


class _Connections(threading.local):
    db: Database | None = None


def create_app(
    db_path: str | os.PathLike,
    *,
    auth: str | None = None,
    secret_key: str | None = None,
    trusted_proxies: tuple[str, ...] | list[str] = (),
    bind_host: str = "127.0.0.1",
    public_urls: tuple[str, ...] | list[str] = (),
) -> Flask:
    """The review UI over the archive at `db_path`. With accounts (`verify user add`) reviewers
    sign in with their account; without, `auth` is the password/token they must give (None: a
    name is enough, for 127.0.0.1). `trusted_proxies`: addresses or networks of reverse
    proxies whose X-Forwarded-For/-Proto/-Host are believed. The app answers only to the
    loopback names, `bind_host`, and the hosts of `public_urls` and of the `archive_url`
    setting (security.AllowedHosts); any other Host header gets 400."""
    from verify.web import auth as auth_mod

    networks = auth_mod.parse_networks(trusted_proxies)
    db_path = str(db_path)
    first = open_db(db_path)  # creates and migrates once
    archive_url = get_setting(first, "archive_url")
    allowed = AllowedHosts.for_server(
        bind_host, [*public_urls, *([archive_url] if archive_url else [])]
    )
    key = secret_key or os.environ.get(SECRET_ENV)
    if not key:
        key = get_setting(first, SECRET_SETTING)
        if not key:
            with immediate(first):
                key = get_setting(first, SECRET_SETTING)
                if not key:
                    key = secrets.token_hex(32)
                    set_setting(first, SECRET_SETTING, key)
    first.close()

    app = Flask(__name__)
    app.url_map.converters["int"] = _IdConverter
    app.jinja_environment = _RowsEnvironment
    app.config.update(
        SECRET_KEY=key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="verify_session",
        MAX_CONTENT_LENGTH=1 * 2**20,
        VERIFY_DB=db_path,
        VERIFY_AUTH=auth,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    connections = _Connections()

    def get_db() -> Database:
        if connections.db is None:
            db = open_db(db_path, migrate=False)
            # reads go through the OS page cache shared by every worker thread's connection
            tune_for_reads(db, MMAP_BYTES)
            connections.db = db
        return connections.db

    app.extensions["verify_db"] = get_db
    app.extensions["verify_signin_limiter"] = SignInLimiter()
    auth_mod.install(app, networks)

    @app.before_request
    def _before() -> Any:
        g.started = time.perf_counter()
        if not allowed.allows(request.environ.get("HTTP_HOST")):
            abort(400, "unknown host: this server answers only to the names it was given")
        g.db = get_db()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            check_csrf()
        return auth_mod.gate()

    @app.after_request
    def _after(response: Any) -> Any:
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = APP_CSP
            response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.register_blueprint(bp)
    app.register_blueprint(team_bp)

    @app.context_processor
    def _context() -> dict[str, Any]:
        return {
            "reviewer": session.get("reviewer"),
            "csrf_token": csrf_token(),
            "auth_required": bool(auth),
            "role": auth_mod.current_role(),
            "queue_threshold": DEFAULT_MIN_SCORE,
        }

    return app


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS) -> Any:
    """A waitress server (not yet running); `.effective_port` is the bound port, `.run()` serves.

    waitress drops X-Forwarded-* headers unless its own `trusted_proxy` is set, which takes one
    address only; with `--trusted-proxy` it keeps them and verify's TrustedProxy middleware
    (which takes networks) believes them from the listed proxies only and drops them from
    anyone else.

    The worker threads share one interpreter lock, and a request gives it up at every SQLite
    call; with Python's default 5 ms switch interval a thread coming back from a query can wait
    that long for the lock, several times per page. A 1 ms interval keeps those waits short
    under concurrent requests (the process serves only the UI)."""
    import waitress

    sys.setswitchinterval(SWITCH_INTERVAL)

    trusted = bool(app.config.get("VERIFY_TRUSTED_PROXIES"))
    return waitress.create_server(
        app, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=not trusted
    )


def serve(
    db_path: str | os.PathLike,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = THREADS,
    auth: str | None = None,
    announce: Any = None,
    trusted_proxies: tuple[str, ...] = (),
    public_urls: tuple[str, ...] = (),
) -> None:
    """Run the review UI under waitress until interrupted. Refuses a non-loopback address
    without accounts (AuthError)."""
    check_bind(host, auth, has_accounts_at(db_path))
    app = create_app(
        db_path,
        auth=auth,
        trusted_proxies=trusted_proxies,
        bind_host=host,
        public_urls=public_urls,
    )
    server = make_server(app, host, port, threads)
    if announce is not None:
        shown = f"[{host}]" if ":" in host else host
        announce(
            f"verify: serving the review UI on http://{shown}:{server.effective_port}/ (Ctrl-C stops)"
        )
    try:
        server.run()
    finally:
        server.close()
