"""The web UI's safety rules, shared by the app factory and the views: the policy for archived
pages, the CSRF token and its check, the shared password, and the sign-in limiter."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, request, session

from verify.errors import InputError


def archive_csp(archive_root: str) -> str:
    """The policy for archived pages: a sandbox with no scripts and no loads from the live web."""
    return f"sandbox; default-src 'none'; img-src data: {archive_root}; style-src 'unsafe-inline'"


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "*"})


def _host_name(value: str) -> str:
    """The name part of a Host header or netloc, lower case, without port or brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def check_public_url(value: str) -> str:
    """A `--public-url`: the http(s) address reviewers reach `verify serve` at."""
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InputError(
            f"--public-url must be an http(s) URL such as https://verify.example.org, not {value!r}"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class AllowedHosts:
    """The names the server answers to: the loopback names, the address it is bound to, and
    the host of each public URL. With a wildcard bind (0.0.0.0, ::) any IP address literal is
    accepted too: DNS rebinding needs a name, never an address. Any other Host gets 400, so a
    page on a name an attacker points at 127.0.0.1 cannot read or change the archive."""

    names: frozenset[str]
    any_address: bool = False

    @classmethod
    def for_server(cls, bind_host: str = "127.0.0.1", public_urls: Any = ()) -> AllowedHosts:
        names = set(LOOPBACK_NAMES)
        bind = _host_name(bind_host) if bind_host not in WILDCARD_BINDS else ""
        if bind:
            names.add(bind)
        for url in public_urls:
            hostname = urlsplit(check_public_url(url)).hostname
            if hostname:
                names.add(hostname.rstrip(".").lower())
        return cls(frozenset(names), any_address=bind_host.strip("[]") in WILDCARD_BINDS)

    def allows(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        name = _host_name(host_header)
        if name in self.names:
            return True
        if self.any_address:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False


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
    """Failed sign-ins per client address (the per-client budget): after `attempts` failures
    within `window` seconds, that address may not try again until the oldest of them is
    `window` seconds old. A successful sign-in, to any account, does not give the budget back:
    only time does. Behind a reverse proxy listed with `--trusted-proxy` the address is the
    real client's, so one client's guesses never lock out another."""

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


class PairDelay:
    """Growing delays per (account, client address) pair: after `free` failures in a row, each
    further failure doubles the wait before that client may try that account again (1 s, 2 s,
    4 s, ... up to `cap`). A success for the pair clears it; failures older than `forget`
    seconds are forgotten. Nothing here is keyed by the account alone, so no one can lock the
    owner of an account out by guessing at it from elsewhere."""

    def __init__(
        self, free: int = 3, cap: float = 900.0, forget: float = 86_400.0, clock: Any = None
    ) -> None:
        self.free = free
        self.cap = cap
        self.forget = forget
        self.clock = clock or time.monotonic
        self._pairs: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _delay(self, count: int) -> float:
        if count < self.free:
            return 0.0
        return float(min(self.cap, 2 ** min(count - self.free, 30)))

    def wait_seconds(self, account: str, address: str) -> float:
        with self._lock:
            entry = self._pairs.get((account, address))
            if entry is None:
                return 0.0
            count, last = entry
            now = self.clock()
            if now - last >= self.forget:
                del self._pairs[(account, address)]
                return 0.0
            return max(0.0, last + self._delay(count) - now)

    def failed(self, account: str, address: str) -> None:
        with self._lock:
            now = self.clock()
            count, last = self._pairs.get((account, address), (0, now))
            if now - last >= self.forget:
                count = 0
            self._pairs[(account, address)] = (count + 1, now)
            if len(self._pairs) > 20_000:  # a flood of pairs: forget the oldest half
                for key in list(self._pairs)[:10_000]:
                    del self._pairs[key]

    def succeeded(self, account: str, address: str) -> None:
        with self._lock:
            self._pairs.pop((account, address), None)


def check_password(given: str) -> bool:
    expected = current_app.config.get("VERIFY_AUTH")
    if not expected:
        return True
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))
