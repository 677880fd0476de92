"""One URL -> FetchResult: the bytes, headers and redirect chain the server sent, or why not.

No database here. Network failures never raise: FetchResult.error holds one of the fixed kinds
(timeout, dns, refused, reset, tls, too_large, redirect_loop, blocked_address, robots,
http_error, unsupported) and error_message a one-line reason.

Safety: every hop goes through netguard.check_url, and the connection is made to one of the
addresses that were checked (PinnedAdapter), with Host header, TLS SNI and certificate checks
still for the host name. Memory: the body is streamed, the received bytes and the decoded body
are both capped (max_bytes), gzip/deflate are decoded incrementally with a bounded output.
Time: connect and read timeouts per socket operation, plus a deadline per attempt enforced by a
watchdog thread that shuts the socket down, so a server dripping one byte a second is cut off."""

from __future__ import annotations

import email.utils
import heapq
import http.client
import itertools
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from verify import USER_AGENT, model
from verify.capture import netguard
from verify.clock import now
from verify.errors import FetchError, RedirectLoopError, RobotsError, TooLargeError

# http.client refuses a response with more than 100 header lines (`got more than 100
# headers`), which browsers accept; a page with 150 Set-Cookie lines is a page, not a broken
# connection. Beyond this many the response is recorded as unsupported, with that reason.
MAX_RESPONSE_HEADERS = 1000
http.client._MAXHEADERS = max(getattr(http.client, "_MAXHEADERS", 100), MAX_RESPONSE_HEADERS)  # type: ignore[attr-defined]

# the error kinds a plain HTTP fetch can end in: the vocabulary's, less the browser's own
ERROR_KINDS = tuple(kind for kind in model.ERROR_KINDS if kind != "browser")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TOKEN = "verify"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchOptions:
    allow_hosts: tuple[str, ...] = ()
    max_bytes: int = 20 * 2**20
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # seconds per attempt (all redirect hops and robots.txt included)
    retries: int = 3
    max_redirects: int = 10
    ignore_robots: bool = False
    user_agent: str = USER_AGENT
    resolver: Callable[[str, int], list[str]] | None = None
    backoff: float = 0.5  # first retry wait; doubles each retry
    retry_cap: float = 30.0  # longest wait, Retry-After included
    sleep: Callable[[float], None] | None = None  # injectable for tests (default time.sleep)
    ca_bundle: str | None = None  # extra trust anchors (intranets, tests); verification stays on


@dataclass(frozen=True)
class FetchResult:
    requested_url: str
    final_url: str | None = None
    redirects: tuple[dict, ...] = ()
    status: int | None = None
    http_version: str | None = None
    request_headers: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    payload: bytes | None = None  # as received (content-encoding intact, chunking removed)
    body: bytes | None = None  # decoded
    content_encoding: str | None = None
    content_type: str | None = None
    ip_address: str | None = None  # the server address the final response came from
    fetched_at: str = ""
    elapsed_ms: float = 0.0
    attempts: int = 1
    robots: str | None = None  # allowed | disallowed | ignored | unavailable
    error: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# --- the deadline watchdog ---------------------------------------------------------------


class _Attempt:
    """Per-attempt state shared with the pinned connections of this thread and the watchdog."""

    def __init__(self, deadline: float) -> None:
        self.deadline_at = time.monotonic() + deadline
        self.deadline = deadline
        self.connections: list[HTTPConnection] = []
        self.expired = False
        self.done = False
        self.lock = threading.Lock()
        self.last_response: requests.Response | None = None
        self.targets: dict[tuple[str, str], netguard.Target] = {}
        self.peer: str | None = None  # address of the connection of the latest request
        self.response_peer: str | None = None  # ...and of the response being read

    def register(self, conn: HTTPConnection) -> None:
        """Called when a request goes out on `conn`, and again when a new connection opens
        (inside the request): the connection is watched, and its address is the peer."""
        with self.lock:
            if conn not in self.connections:
                self.connections.append(conn)
            self.peer = getattr(conn, "_verify_address", None)
            expired = self.expired
        if expired:
            _shutdown(conn)

    def expire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.expired = True
            conns = list(self.connections)
        for conn in conns:
            _shutdown(conn)

    def check(self) -> None:
        if self.expired or time.monotonic() > self.deadline_at:
            self.expired = True
            raise FetchError(
                f"no complete response within the {self.deadline:g} s deadline", "timeout"
            )


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:  # the plain socket method: SSLSocket.shutdown would tear down TLS state under the reader
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _Watchdog:
    """One daemon thread that expires attempts whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Attempt]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, attempt: _Attempt) -> None:
        with self._cond:
            heapq.heappush(self._heap, (attempt.deadline_at, next(self._seq), attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="verify-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(30)
                    continue
                when = self._heap[0][0]
                wait = when - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, _, attempt = heapq.heappop(self._heap)
            attempt.expire()

    def abort_all(self) -> None:
        with self._cond:
            attempts = [entry[2] for entry in self._heap]
        for attempt in attempts:
            attempt.expire()


_watchdog = _Watchdog()


def abort_fetches() -> None:
    """Cut off every fetch in progress in this process (they end as 'timeout'): for a quick,
    clean stop on Ctrl-C."""
    _watchdog.abort_all()


_local = threading.local()


# --- pinned connections ------------------------------------------------------------------


def _current_attempt() -> _Attempt | None:
    return getattr(_local, "attempt", None)


def _pins() -> dict[tuple[str, int], tuple[str, ...]]:
    pins = getattr(_local, "pins", None)
    if pins is None:
        pins = _local.pins = {}
    return pins


class _PinnedMixin:
    """Connects only to an address netguard checked for this host in this thread."""

    _dns_host: str  # urllib3's connections set it; declared for the type checker

    def _new_conn(self) -> socket.socket:
        host = self.host.strip("[]").lower().rstrip(".")  # type: ignore[attr-defined]
        addresses = _pins().get((host, self.port))  # type: ignore[attr-defined]
        if not addresses:
            raise NewConnectionError(self, f"refused: {host} was not checked by netguard")  # type: ignore[arg-type]
        original = self._dns_host
        last: Exception | None = None
        try:
            for address in addresses:
                self._dns_host = address
                try:
                    sock = super()._new_conn()  # type: ignore[misc]
                except NewConnectionError as exc:
                    last = exc
                    continue
                self._verify_address = address
                break
            else:
                assert last is not None
                raise last
        finally:
            self._dns_host = original
        attempt = _current_attempt()
        if attempt is not None:
            attempt.register(self)  # type: ignore[arg-type]
        return sock

    def request(self, *args, **kwargs):
        attempt = _current_attempt()
        if attempt is not None:
            attempt.register(self)  # type: ignore[arg-type]
        return super().request(*args, **kwargs)  # type: ignore[misc]


class PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A requests transport whose connections go only to netguard-checked addresses."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PinnedHTTPPool,
            "https": _PinnedHTTPSPool,
        }


def make_session(options: FetchOptions | None = None) -> requests.Session:
    """A session for one worker thread: pinned connections, keep-alive, no proxies from the
    environment (a proxy would bypass the address check), TLS verification on."""
    options = options or FetchOptions()
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(pool_connections=256, pool_maxsize=4, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.clear()
    session.headers.update(
        {
            "User-Agent": options.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "keep-alive",
        }
    )
    return session


# --- robots.txt ----------------------------------------------------------------------------


class RobotsCache:
    """robots.txt per origin, fetched once per run (thread-safe; one fetch per origin)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._origins: dict[str, tuple[str, object]] = {}
        self._origin_locks: dict[str, threading.Lock] = {}

    def decide(
        self, url: str, session: requests.Session, options: FetchOptions, attempt: _Attempt
    ) -> str:
        """'allowed', 'disallowed' or 'unavailable' (robots.txt could not be read: allowed)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            lock = self._origin_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._origins:
                self._origins[origin] = self._load(origin, session, options, attempt)
        state, parser = self._origins[origin]
        if parser is None:
            return state
        return "allowed" if parser.can_fetch(url, ROBOTS_TOKEN) else "disallowed"  # type: ignore[attr-defined]

    def _load(
        self, origin: str, session: requests.Session, options: FetchOptions, attempt: _Attempt
    ) -> tuple[str, object]:
        from protego import Protego

        try:
            resp, payload, body, _hops = _follow(
                session,
                origin + "/robots.txt",
                options,
                attempt,
                max_bytes=ROBOTS_MAX_BYTES,
                robots=None,
                max_redirects=5,
            )
            resp.close()
        except FetchError as exc:
            if exc.kind == "timeout":
                raise
            return ("unavailable", None)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
            if attempt.expired:
                raise
            return ("unavailable", None)
        if resp.status_code >= 500:
            return ("unavailable", None)
        if resp.status_code >= 400:
            return ("allowed", None)  # no robots.txt: everything allowed
        text = body.decode("utf-8", errors="replace")
        return ("allowed", Protego.parse(text))


# --- body decoding -------------------------------------------------------------------------


class _Decoder:
    """Incremental Content-Encoding decoder with a bounded output."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        self.limit = limit
        self.out = bytearray()
        self.coding = codings[0] if codings else None
        if len(codings) > 1 or self.coding not in (None, "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported Content-Encoding: {encoding}", "unsupported")
        self._obj = self._new()

    def _new(self):
        if self.coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.coding == "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS)
        return None

    def feed(self, data: bytes) -> None:
        if self._obj is None:
            return
        while data:
            try:
                chunk = self._obj.decompress(data, min(self.limit - len(self.out) + 1, CHUNK * 4))
            except zlib.error as exc:
                raise FetchError(
                    f"cannot decode the {self.coding} body: {exc}", "unsupported"
                ) from exc
            self.out += chunk
            if len(self.out) > self.limit:
                raise TooLargeError(
                    f"decoded body larger than the {self.limit} byte cap (use --max-bytes)"
                )
            if self._obj.unconsumed_tail:
                data = self._obj.unconsumed_tail
            elif self._obj.eof and self._obj.unused_data and self.coding != "deflate":
                data = self._obj.unused_data  # another gzip member
                self._obj = self._new()
            else:
                data = b""

    def finish(self, payload: bytes) -> bytes:
        if self._obj is None:
            return payload
        try:
            tail = self._obj.flush()
        except zlib.error as exc:
            raise FetchError(f"cannot decode the {self.coding} body: {exc}", "unsupported") from exc
        self.out += tail
        if len(self.out) > self.limit:
            raise TooLargeError(
                f"decoded body larger than the {self.limit} byte cap (use --max-bytes)"
            )
        return bytes(self.out)


def decode_payload(payload: bytes, content_encoding: str | None, max_bytes: int = 2**31) -> bytes:
    """The decoded body of a stored payload (gzip/deflate undone), bounded by max_bytes."""
    decoder = _make_decoder(content_encoding, max_bytes)
    decoder.feed(payload)
    return decoder.finish(payload)


# --- the exchange --------------------------------------------------------------------------


def _read_body(resp: requests.Response, max_bytes: int, attempt: _Attempt) -> tuple[bytes, bytes]:
    length = resp.headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise TooLargeError(
            f"Content-Length {int(length)} is over the {max_bytes} byte cap (use --max-bytes)"
        )
    decoder = _make_decoder(resp.headers.get("Content-Encoding"), max_bytes)
    payload = bytearray()
    raw = resp.raw
    while True:
        attempt.check()
        chunk = raw.read1(CHUNK, decode_content=False)
        if not chunk:
            break
        payload += chunk
        if len(payload) > max_bytes:
            raise TooLargeError(f"response larger than the {max_bytes} byte cap (use --max-bytes)")
        decoder.feed(chunk)
    attempt.check()
    data = bytes(payload)
    del payload
    return data, decoder.finish(data)


class _DeflateProbe:
    """'deflate' is zlib-wrapped per the RFC, but some servers send raw deflate: decide on the
    first two bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = b""
        self.inner: _Decoder | None = None

    def feed(self, data: bytes) -> None:
        if self.inner is None:
            self.head += data
            if len(self.head) < 2:
                return
            data, self.head = self.head, b""
            self.inner = _Decoder("deflate", self.limit)
            b0, b1 = data[0], data[1]
            if not (b0 & 0x0F == 8 and ((b0 << 8) | b1) % 31 == 0):
                self.inner._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        self.inner.feed(data)

    def finish(self, payload: bytes) -> bytes:
        if self.inner is None:
            if payload:
                raise FetchError("cannot decode the deflate body: too short", "unsupported")
            return b""
        return self.inner.finish(payload)


def _make_decoder(encoding: str | None, limit: int) -> _Decoder | _DeflateProbe:
    decoder = _Decoder(encoding, limit)
    return _DeflateProbe(limit) if decoder.coding == "deflate" else decoder


def _check(url: str, options: FetchOptions, attempt: _Attempt) -> netguard.Target:
    """netguard.check_url, resolving each origin once per attempt (the addresses checked are
    the ones connected to, so reusing them within the attempt opens no rebinding window)."""
    parts = urlsplit(url)
    key = (parts.scheme.lower(), parts.netloc.lower())
    target = attempt.targets.get(key)
    if target is None:
        target = attempt.targets[key] = netguard.check_url(
            url, options.allow_hosts, options.resolver
        )
    return target


def _send(
    session: requests.Session, url: str, options: FetchOptions, attempt: _Attempt
) -> requests.Response:
    target = _check(url, options, attempt)
    _pins()[(target.host, target.port)] = target.addresses
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default_port else f"{host}:{target.port}"
    request = requests.Request(
        "GET", url, headers={"Host": host_header, "User-Agent": options.user_agent}
    )
    prepared = session.prepare_request(request)
    attempt.check()
    return session.send(
        prepared,
        stream=True,
        allow_redirects=False,
        verify=options.ca_bundle or True,
        timeout=(options.connect_timeout, options.read_timeout),
    )


def _follow(
    session: requests.Session,
    url: str,
    options: FetchOptions,
    attempt: _Attempt,
    *,
    max_bytes: int,
    robots: RobotsCache | None,
    max_redirects: int,
    hops: list[dict] | None = None,
    robots_state: list[str] | None = None,
) -> tuple[requests.Response, bytes, bytes, list[dict]]:
    """GET url, following redirects by hand (each hop checked, and robots.txt when given)."""
    hops = [] if hops is None else hops
    seen = {url}
    current = url
    while True:
        if robots is not None:
            _check(current, options, attempt)  # a refused host is refused before robots.txt
            decision = robots.decide(current, session, options, attempt)
            if decision == "disallowed":
                if robots_state is not None:
                    robots_state[0] = "disallowed"
                raise RobotsError(
                    f"robots.txt of {urlsplit(current).netloc} disallows {current[:120]} (use --ignore-robots)"
                )
            if robots_state is not None and robots_state[0] != "unavailable":
                robots_state[0] = decision
        attempt.peer = None
        resp = _send(session, current, options, attempt)
        peer = attempt.peer
        if attempt.expired:  # cut off while the headers were arriving: they are not whole
            resp.close()
            attempt.check()
        location = resp.headers.get("Location")
        if resp.status_code in REDIRECT_STATUSES and location:
            nxt = urljoin(current, location.strip())
            hops.append(
                {
                    "url": current,
                    "status": resp.status_code,
                    "location": location,
                    "headers": [list(pair) for pair in _headers_as_received(resp)],
                }
            )
            if peer:
                hops[-1]["ip_address"] = peer
            resp.close()
            if nxt in seen:
                raise RedirectLoopError(f"redirect loop: {nxt[:120]} was already visited")
            if len(hops) > max_redirects:
                raise RedirectLoopError(f"more than {max_redirects} redirects from {url[:120]}")
            seen.add(nxt)
            current = nxt
            continue
        attempt.response_peer = peer
        try:
            payload, body = _read_body(resp, max_bytes, attempt)
        except BaseException:
            attempt.last_response = resp  # status and headers are still worth recording
            resp.close()
            raise
        return resp, payload, body, hops


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack and len(seen) < 20:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(
            e
            for e in (item.__cause__, item.__context__, getattr(item, "reason", None))
            if isinstance(e, BaseException)
        )
        stack.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))


def _classify(exc: BaseException, attempt: _Attempt) -> tuple[str, str, bool]:
    """(kind, one-line message, retryable)."""
    if isinstance(exc, FetchError):
        return exc.kind, str(exc), False
    if attempt.expired:
        return "timeout", f"no complete response within the {attempt.deadline:g} s deadline", False
    chain = list(_chain(exc))
    text = " ".join(str(exc).split())[:200]
    for item in chain:
        if isinstance(
            item, (requests.exceptions.SSLError, ssl.SSLError, urllib3.exceptions.SSLError)
        ):
            return "tls", f"TLS error: {text}", False
    for item in chain:
        if isinstance(
            item, (requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError)
        ) and not isinstance(item, NewConnectionError):
            return "timeout", f"connect timeout: {text}", True
        if isinstance(
            item,
            (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, socket.timeout),
        ):
            return "timeout", f"read timeout: {text}", False
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return "refused", f"connection refused: {text}", True
        if isinstance(item, socket.gaierror):
            return "dns", f"cannot resolve: {text}", False
    for item in chain:
        if isinstance(item, NewConnectionError):
            return "refused", f"cannot connect: {text}", True
    for item in chain:
        if isinstance(item, http.client.HTTPException) and "headers" in str(item):
            return "unsupported", f"the response has too many header lines: {text}", False
    for item in chain:
        if isinstance(
            item,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema,
                UnicodeError,
                ValueError,
            ),
        ):
            return "unsupported", f"cannot request this URL: {text}", False
    return "reset", f"connection broken: {text}", True


def _retry_wait(resp_headers: dict | None, attempt_no: int, options: FetchOptions) -> float:
    wait = options.backoff * (2 ** (attempt_no - 1))
    if resp_headers:
        value = (resp_headers.get("Retry-After") or "").strip()
        if value.isdigit():
            wait = float(value)
        elif value:
            try:
                when = email.utils.parsedate_to_datetime(value)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                wait = max(0.0, (when - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError):
                pass
    return max(0.0, min(wait, options.retry_cap))


def _headers_as_received(resp: requests.Response) -> tuple[tuple[str, str], ...]:
    original = getattr(resp.raw, "_original_response", None)
    msg = getattr(original, "msg", None)
    if msg is not None:
        return tuple((str(k), str(v)) for k, v in msg.items())
    return tuple((str(k), str(v)) for k, v in resp.raw.headers.items())


def _response_fields(resp: requests.Response) -> dict:
    return {
        "final_url": resp.url,
        "status": resp.status_code,
        "http_version": _VERSIONS.get(getattr(resp.raw, "version", 0) or 0),
        "request_headers": tuple((str(k), str(v)) for k, v in resp.request.headers.items()),
        "headers": _headers_as_received(resp),
        "content_encoding": resp.headers.get("Content-Encoding"),
        "content_type": resp.headers.get("Content-Type"),
    }


_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}


def fetch_url(
    url: str,
    options: FetchOptions | None = None,
    session: requests.Session | None = None,
    *,
    robots: RobotsCache | None = None,
) -> FetchResult:
    """Fetch one URL safely. Never raises for network failures: see FetchResult.error.
    `session` should be one per thread (make_session); `robots` one per run (RobotsCache)."""
    options = options or FetchOptions()
    own_session = session is None
    session = session or make_session(options)
    robots_cache = robots if robots is not None else RobotsCache()
    sleep = options.sleep or time.sleep
    started = time.monotonic()
    attempt_no = 0
    try:
        while True:
            attempt_no += 1
            fields, retryable, wait_headers = _one_attempt(url, options, session, robots_cache)
            if not retryable or attempt_no > options.retries:
                break
            sleep(_retry_wait(wait_headers, attempt_no, options))
    finally:
        if own_session:
            session.close()
    return FetchResult(
        requested_url=url,
        attempts=attempt_no,
        elapsed_ms=round((time.monotonic() - started) * 1000, 3),
        **fields,
    )


def _one_attempt(
    url: str, options: FetchOptions, session: requests.Session, robots_cache: RobotsCache
) -> tuple[dict, bool, dict | None]:
    attempt = _Attempt(options.deadline)
    _local.attempt = attempt
    _watchdog.add(attempt)
    session.cookies.clear()
    hops: list[dict] = []
    robots_state: list = ["ignored" if options.ignore_robots else None]
    fields: dict = {"fetched_at": now(), "robots": robots_state[0]}
    try:
        resp, payload, body, hops = _follow(
            session,
            url,
            options,
            attempt,
            max_bytes=options.max_bytes,
            robots=None if options.ignore_robots else robots_cache,
            max_redirects=options.max_redirects,
            hops=hops,
            robots_state=robots_state,
        )
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a result
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        kind, message, retryable = _classify(exc, attempt)
        fields.update(
            redirects=tuple(hops), robots=robots_state[0], error=kind, error_message=message
        )
        if hops:
            fields["final_url"] = urljoin(hops[-1]["url"], hops[-1]["location"])
        if attempt.last_response is not None:
            fields.update(_response_fields(attempt.last_response))
            fields["ip_address"] = attempt.response_peer
        return fields, retryable, None
    finally:
        with attempt.lock:
            attempt.done = True
        _local.attempt = None
    status = resp.status_code
    fields.update(_response_fields(resp))
    fields.update(redirects=tuple(hops), payload=payload, body=body, robots=robots_state[0])
    fields["ip_address"] = attempt.response_peer
    resp.close()
    if status >= 400:
        reason = " ".join((resp.reason or "").split())
        fields.update(error="http_error", error_message=f"HTTP {status} {reason}".strip())
        return fields, status >= 500 or status == 429, dict(resp.headers)
    return fields, False, None


__all__ = [
    "ERROR_KINDS",
    "abort_fetches",
    "FetchOptions",
    "FetchResult",
    "PinnedAdapter",
    "RobotsCache",
    "decode_payload",
    "fetch_url",
    "make_session",
]
