"""The web UI's safety rules, shared by the app factory and the views: the policy for archived
pages, the CSRF token and its check, the shared password, and the sign-in limiter."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, request, session


def archive_csp(archive_root: str) -> str:
    """The policy for archived pages: a sandbox with no scripts and no loads from the live web."""
    return f"sandbox; default-src 'none'; img-src data: {archive_root}; style-src 'unsafe-inline'"


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _same_origin(value: str) -> bool:
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def check_csrf() -> None:
    """Every state-changing request needs the session's token and, when the browser says where
    it comes from, our own origin. Anything else is refused with 403 before it changes anything."""
    origin = request.headers.get("Origin")
    if origin is not None and (origin == "null" or not _same_origin(origin)):
        abort(403, "cross-origin request refused")
    referer = request.headers.get("Referer")
    if origin is None and referer and not _same_origin(referer):
        abort(403, "cross-origin request refused")
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(str(expected), given):
        abort(403, "missing or stale form token: reload the page and try again")


class SignInLimiter:
    """Failed sign-ins per client address: after `attempts` failures within `window` seconds,
    that address may not try again until the oldest of them is `window` seconds old. Guessing
    the shared password from one machine then takes years, not minutes. (Behind a reverse
    proxy every client has the proxy's address, and the limit applies to all of them.)"""

    def __init__(self, attempts: int = 5, window: float = 600.0, clock: Any = None) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock or time.monotonic
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(address, []) if now - t < self.window]
        if kept:
            self._failures[address] = kept
        else:
            self._failures.pop(address, None)
        return kept

    def wait_seconds(self, address: str) -> float:
        """0 when the address may try now, else how long it must wait."""
        with self._lock:
            now = self.clock()
            recent = self._recent(address, now)
            if len(recent) < self.attempts:
                return 0.0
            return max(0.0, recent[-self.attempts] + self.window - now)

    def failed(self, address: str) -> None:
        with self._lock:
            now = self.clock()
            recent = self._recent(address, now)
            recent.append(now)
            self._failures[address] = recent
            if len(self._failures) > 10_000:  # a flood of addresses: forget the quietest
                for key in list(self._failures)[:5_000]:
                    del self._failures[key]

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


def check_password(given: str) -> bool:
    expected = current_app.config.get("VERIFY_AUTH")
    if not expected:
        return True
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))
