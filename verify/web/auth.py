"""Signing in to the review UI, and who is asking on every request.

Two modes:
- with accounts (`verify user add`): the sign-in form's `reviewer` and `password` are checked
  against the account; the cookie holds a random session token (users.start_session), checked
  on every request (users.session_user), so signing out, a password change or disabling the
  account ends the session at once, and a copied cookie is refused after that. Each request's
  role (model.ROLES) is checked by the library function each form calls (users.authorize).
- without accounts (loopback, one user or a shared password): a name, and the shared password
  when one is set, as before.

Sign-in attempts are limited per client address (a budget of failures that only time gives
back) and per account name and client address together (growing delays), never per account
name alone, so no one can lock an owner out; behind a reverse proxy listed with
`--trusted-proxy` the client address is the one the proxy forwards (TrustedProxy).
With accounts, every sign-in, failure and sign-out is an event."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface

from verify.errors import ForbiddenError, InputError
from verify.review import accounts as users

# Pages anyone may read without signing in: the sign-in page, static files, and the archived
# copies cited by published reviews (ClaimReview archivedAt).
# web.archived_resource checks a signed token itself: a browser snapshot's rendered page lives in
# a sandboxed frame, whose requests carry no session cookie (see web/archived.py)
PUBLIC_ENDPOINTS = frozenset({"static", "web.signin", "team.archived", "web.archived_resource"})


# --------------------------------------------------------------------------- proxies


def parse_networks(values: Iterable[str]) -> tuple[Any, ...]:
    """`--trusted-proxy` values (addresses or CIDR networks) as ip networks."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise InputError(
                f"--trusted-proxy {value!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)"
            ) from None
    return tuple(out)


def _in(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in networks)


class TrustedProxy:
    """WSGI middleware: when the connection comes from a trusted proxy, take the client's
    address from X-Forwarded-For (the right-most address that is not itself a trusted proxy),
    the scheme from X-Forwarded-Proto and the host from X-Forwarded-Host. From anyone else
    these headers are ignored, so a client cannot claim another address or HTTPS."""

    def __init__(self, app: Any, networks: tuple[Any, ...]) -> None:
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        if self.networks and _in(peer, self.networks):
            forwarded = [
                a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
            ]
            for address in reversed(forwarded):
                if not _in(address, self.networks):
                    try:
                        ipaddress.ip_address(address.strip("[]"))
                    except ValueError:
                        break  # garbage: keep the proxy's address
                    environ["REMOTE_ADDR"] = address.strip("[]")
                    break
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
            if host:
                environ["HTTP_HOST"] = host
        else:
            for name in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST"):
                environ.pop(name, None)
        return self.app(environ, start_response)


class SessionCookies(SecureCookieSessionInterface):
    """The signed session cookie, HttpOnly and SameSite=Lax, and Secure when the request came
    over HTTPS (directly, or through a trusted proxy that says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request) and request.is_secure


# --------------------------------------------------------------------------- every request


def current_role() -> str | None:
    """The signed-in account's role, None without accounts."""
    user = g.get("user")
    return user["role"] if user else None


def gate() -> Any:
    """Before every request: find who is asking (a live session of an active account, or a
    name when there are no accounts), send the signed-out to the sign-in page, and refuse
    (403) a form the account's role may not post."""
    db = g.db
    g.user = None
    token = session.get("token")
    if token:
        user = users.session_user(db, token)
        if user is None:  # signed out, expired, password changed, disabled, or a replay
            session.clear()
        else:
            g.user = user
            if session.get("reviewer") != user["name"]:
                session["reviewer"] = user["name"]
    elif session.get("reviewer") and users.has_accounts(db):
        session.clear()  # a name-only session from before the first account
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not session.get("reviewer"):
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("web.signin", next=request.full_path.rstrip("?")))
        abort(403, "sign in first")
    # what a signed-in account may do is checked by the library function each form calls
    # (users.authorize, from the role model.TRANSITIONS gives the action), not here
    return None


# --------------------------------------------------------------------------- the forms


def safe_target(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`. Browsers drop tabs and newlines
    from a URL and read a backslash as a slash, so a target holding any of them (or any control
    character) is refused outright rather than checked and then normalised into `//evil`."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _target() -> str:
    return safe_target(request.values.get("next"), url_for("web.queue"))


def _limiters() -> tuple[Any, Any]:
    ext = current_app.extensions
    return ext["verify_signin_limiter"], ext["verify_pair_limiter"]


def _wait_message(wait: float, what: str) -> str:
    return f"Too many wrong passwords {what}: try again in {max(1, round(wait / 60))} minute(s)."


def signin() -> Any:
    """GET: the form. POST: check the name and password; on success a new session."""
    from verify.web.security import check_password, csrf_token

    target = _target()
    error, code = None, 200
    if request.method == "POST":
        db = g.db
        name = " ".join(request.form.get("reviewer", "").split())
        password = request.form.get("password", "")
        address = request.remote_addr or "unknown"
        by_address, by_pair = _limiters()
        with_accounts = users.has_accounts(db)
        limited = with_accounts or bool(current_app.config.get("VERIFY_AUTH"))
        account_key = name.casefold()
        wait_address = by_address.wait_seconds(address) if limited else 0
        wait_pair = by_pair.wait_seconds(account_key, address) if limited else 0
        if wait_address or wait_pair:
            error = _wait_message(
                max(wait_address, wait_pair),
                "from your address" if wait_address else "for this name from your address",
            )
            code = 429
        elif not name or len(name) > users.NAME_MAX:
            error = "Give your name (at most 80 characters): every action is recorded under it."
        elif with_accounts:
            try:
                user = users.authenticate(db, name, password)
            except ForbiddenError as exc:
                by_address.failed(address)
                by_pair.failed(account_key, address)
                reason = "disabled" if "disabled" in str(exc) else "wrong name or password"
                users.record_failure(db, name, address, reason)
                error = "Wrong name or password." if reason != "disabled" else f"{exc}."
                code = 401 if reason != "disabled" else 403
            else:
                by_pair.succeeded(account_key, address)
                token = users.start_session(db, user, address=address)
                session.clear()
                session.permanent = True
                session["token"] = token
                session["reviewer"] = user["name"]
                csrf_token()
                return redirect(target, 303)
        elif not check_password(password):
            by_address.failed(address)
            by_pair.failed(account_key, address)
            error = "Wrong password or token."
            code = 401
        else:
            by_pair.succeeded(account_key, address)
            session.clear()
            session["reviewer"] = name
            csrf_token()
            return redirect(target, 303)
    if error is not None and code == 200:
        code = 400
    accounts = users.has_accounts(g.db)
    shown = render_template(
        "signin.html",
        error=error,
        next=target,
        accounts=accounts,
        auth_required=accounts or bool(current_app.config.get("VERIFY_AUTH")),
    )
    return shown, code


def signout() -> Any:
    """End the session: with accounts its token is refused from now on, copies included."""
    token = session.get("token")
    if token:
        users.end_session(g.db, token)
    session.clear()
    return redirect(url_for("web.signin"), 303)


def install(app: Flask, trusted_proxies: tuple[Any, ...]) -> None:
    """Wire sign-in into the app: the proxy middleware, the cookie rules, the account limiter."""
    from datetime import timedelta

    from verify.web.security import PairDelay

    app.session_interface = SessionCookies()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=users.SESSION_HOURS)
    # the cookie expires with the session it carries, not 12 hours after each request (and
    # an unchanged session is not sent again with every response)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.config["VERIFY_TRUSTED_PROXIES"] = trusted_proxies
    app.extensions["verify_pair_limiter"] = PairDelay()
    if trusted_proxies:
        app.wsgi_app = TrustedProxy(app.wsgi_app, trusted_proxies)  # type: ignore[method-assign]
