"""One URL -> BrowserResult: the page as headless Chromium rendered it, and everything it loaded.

No database here (capture.py stores the result). The browser never touches the network itself:

- every request the page makes (document, script, stylesheet, image, font, XHR, iframe) is
  intercepted by a route handler and answered from verify's own fetcher (fetch.fetch_url), so the
  network guard checks every hop after DNS, and the size caps, deadlines and a per-host limit
  apply to every resource; what the guard refuses is recorded and never requested;
- as a second wall, Chromium is started with a proxy that does not exist and a host resolver that
  resolves nothing, so a request that slipped past the route handler would fail, not leak; the
  background services (updates, sync, safe browsing, prefetch, DNS prefetch) are switched off;
- WebSockets are refused, service workers blocked, downloads refused, no permission granted,
  dialogs dismissed, popups closed; every capture gets a fresh context (a fresh profile).

One Chromium process serves many captures at once (a context each) from one asyncio thread;
`BrowserEngine.capture` is thread-safe and blocking, for capture.py's worker threads. Limits per
capture (BrowserOptions): time, resources, bytes; what was cut is recorded in `cut`, and a
capture that hit a limit keeps what it got. A crash (or a killed Chromium) is a result with
error 'browser'; the next capture starts a new Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from verify.capture.fetch import FetchOptions, FetchResult, fetch_url, make_session
from verify.clock import now
from verify.errors import VerifyError
from verify.text.extract.sniff import decode_bytes

CHROMIUM_ENV = "VERIFY_CHROMIUM"
ERROR_PAGE_PREFIX = "chrome-error:"  # Chromium's own error page (net::ERR_...)
INSTALL_HINT = "install it (apt-get install chromium) or set VERIFY_CHROMIUM=/path/to/chromium"

# Chromium keeps only the last --disable-features switch, so this list repeats the features
# Playwright itself disables (HTTPS upgrades, paint holding, storage partitioning, ... which it
# needs), then adds verify's: no speculative or background traffic, no site-per-process and
# no omnibox-popup renderer per window (each would cost a renderer process per capture).
_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "NetworkPrediction",
    "Translate",
    "AutofillServerCommunication",
    "InterestFeedContentSuggestions",
    "site-per-process",
    "IsolateOrigins",
    "SpareRendererForSitePerProcess",
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
)

# Chromium keeps only the last --enable-features switch too: Playwright's own (the screenshot
# surface its screenshots rely on, no account look-ups), then verify's: the network service runs
# in the browser process instead of a process of its own (with --in-process-gpu below, two
# processes fewer: less memory and fewer messages between processes for every request).
_ENABLED_FEATURES = (
    "CDPScreenshotNewSurface",
    "SkipListAccountsWithoutGaiaCookies",
    "NetworkServiceInProcess2",
)

# Switches that stop Chromium's own traffic (with the features above). The proxy and resolver
# rules are the second wall: every page request is answered by the route handler before it
# reaches the network stack.
CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-features=" + ",".join(_DISABLED_FEATURES),
    "--enable-features=" + ",".join(_ENABLED_FEATURES),
    "--disable-site-isolation-trials",
    "--dns-prefetch-disable",
    "--no-pings",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-quic",
    "--disable-gpu",
    "--in-process-gpu",  # software compositing in the browser process: no GPU process
    "--mute-audio",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--force-webrtc-ip-handling-policy",
)

# Response headers Chromium must not see on a body that fetch already decoded and de-chunked.
_DROP_HEADERS = frozenset(
    ("content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive")
)


class BrowserError(VerifyError):
    """Chromium is missing or cannot start."""


def find_chromium() -> str | None:
    """$VERIFY_CHROMIUM when set, else `chromium` (or `chromium-browser`) on PATH."""
    configured = os.environ.get(CHROMIUM_ENV, "").strip()
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    found = find_chromium()
    if found is None:
        configured = os.environ.get(CHROMIUM_ENV, "").strip()
        where = (
            f"{CHROMIUM_ENV}={configured} is not an executable file"
            if configured
            else ("no Chromium found on PATH")
        )
        raise BrowserError(f"browser capture needs Chromium: {where}; {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class BrowserOptions:
    timeout: float = 30.0  # seconds per capture, everything included
    max_resources: int = 500  # subresources fetched per capture
    max_bytes: int = 50 * 2**20  # bytes received per capture, all subresources together
    width: int = 1280
    height: int = 900  # the viewport; the screenshot is full-page, up to max_height
    max_height: int = 20_000
    screenshot: bool = True
    pages: int = 5  # captures rendered at once in the one Chromium
    # a page's subresource requests at once to one host, over all the captures in flight: what
    # a browser opens to one host (the sources themselves keep capture's per-host limit)
    per_host: int = 6
    settle: float = 2.0  # after `load`, wait at most this long for the network to go quiet
    quiet: float = 0.5  # ...where quiet means no request in flight for this long
    max_navigations: int = 3  # script-driven navigations followed (through the guard)
    executable: str | None = None  # default: find_chromium()


@dataclass(frozen=True)
class Resource:
    """One request the page made, as verify's fetcher answered it (or why not)."""

    url: str
    method: str
    resource_type: str
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = None
    content_encoding: str | None = None
    payload: bytes | None = None  # as received (content-encoding intact)
    ip_address: str | None = None
    fetched_at: str = ""
    error: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class BrowserResult:
    requested_url: str
    page_url: str | None = None  # where the page ended (a followed script navigation)
    dom: bytes | None = None  # the rendered DOM after scripts, UTF-8 HTML
    screenshot: bytes | None = None  # PNG
    screenshot_size: tuple[int, int] | None = None
    resources: tuple[Resource, ...] = ()
    provenance: dict = field(default_factory=dict)
    cut: dict = field(default_factory=dict)  # the limits hit and what they cut
    error: str | None = None  # 'browser' when Chromium failed
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Capture:
    """State of one capture: what was fetched, the budget left, what was cut."""

    def __init__(self, url: str, main: FetchResult, options: BrowserOptions) -> None:
        self.url = url
        self.main = main
        self.options = options
        self.started = time.monotonic()
        self.deadline = self.started + options.timeout
        self.resources: list[Resource] = []
        self.fetched = 0
        self.bytes = 0
        self.cut: dict = {}
        self.inflight = 0
        self.last_activity = time.monotonic()
        self.activity = asyncio.Event()  # set on every request start and end, and on a crash
        self.closed = False
        self.main_served = False
        self.navigations = 0
        self.page: Any = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def touch(self) -> None:
        """A request started or ended (or the page crashed): wake whoever waits for quiet."""
        self.last_activity = time.monotonic()
        self.activity.set()

    async def wait_activity(self, timeout: float | None) -> None:
        """Until the next touch(), or `timeout` seconds (None: no limit)."""
        self.activity.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.activity.wait(), timeout)

    def note_cut(self, key: str, value: object = 1) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.cut[key] = self.cut.get(key, 0) + value
        else:
            self.cut[key] = value


class BrowserEngine:
    """One Chromium (started on first use, restarted after a crash) serving captures from any
    thread. Use as a context manager, or call close(): no Chromium outlives it."""

    def __init__(
        self,
        fetch_options: FetchOptions | None = None,
        options: BrowserOptions | None = None,
        *,
        per_host: int | None = None,
        fetch_threads: int = 32,
    ) -> None:
        self.fetch_options = fetch_options or FetchOptions()
        self.options = options or BrowserOptions()
        self.executable = self.options.executable or require_chromium()
        # subresource requests at once to one host (default: BrowserOptions.per_host)
        self.per_host = max(1, self.options.per_host if per_host is None else per_host)
        # taken on the browser thread before a fetch is handed to a thread, so a request
        # waiting for its host never holds a thread that another host's request could use
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._local = threading.local()
        self._sessions: list = []
        import concurrent.futures as cf

        self._fetch_pool = cf.ThreadPoolExecutor(
            max_workers=max(2, fetch_threads), thread_name_prefix="verify-browser-fetch"
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="verify-browser", daemon=True
        )
        self._thread.start()
        self._playwright: Any = None
        self._browser: Any = None
        self._version: str | None = None
        self._pages: asyncio.Semaphore | None = None
        self._launch_lock: asyncio.Lock | None = None
        self._closed = False
        try:
            self._call(self._start(), timeout=60)
        except BaseException:
            self.close()
            raise

    # --- plumbing between the caller's threads and the browser thread ---

    def _call(self, coro, timeout: float | None = None):
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    async def _start(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise BrowserError(
                "browser capture needs the playwright package: pip install playwright"
                " (it drives the installed Chromium; no browser is downloaded)"
            ) from exc

        self._pages = asyncio.Semaphore(max(1, self.options.pages))
        self._launch_lock = asyncio.Lock()
        self._playwright = await async_playwright().start()
        await self._launch()

    async def _launch(self) -> None:
        args = list(CHROMIUM_ARGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run its sandbox as root
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, args=args, headless=True, timeout=30_000
            )
        except Exception as exc:  # noqa: BLE001 - any launch failure is one clear message
            first = " ".join(str(exc).split())[:200]
            raise BrowserError(
                f"cannot start Chromium at {self.executable}: {first}; {INSTALL_HINT}"
            ) from exc
        self._version = self._browser.version

    async def _ensure_browser(self) -> None:
        assert self._launch_lock is not None
        async with self._launch_lock:
            if self._browser is None or not self._browser.is_connected():
                if self._browser is not None:
                    try:
                        await self._browser.close()
                    except Exception:  # noqa: BLE001 - it is gone already
                        pass
                await self._launch()

    @property
    def version(self) -> str | None:
        return self._version

    def browser_pid(self) -> int | None:
        """The process id of the Chromium browser process (None when not running)."""
        try:
            import psutil
        except ImportError:
            return None
        me = psutil.Process()
        for child in me.children(recursive=True):
            try:
                cmdline = child.cmdline()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if (
                cmdline
                and "--remote-debugging-pipe" in cmdline
                and not any(a.startswith("--type=") for a in cmdline)
            ):
                return child.pid
        return None

    def capture(
        self, url: str, main: FetchResult, *, reason: str = "", mode: str = "browser"
    ) -> BrowserResult:
        """Render `url` whose main response `main` was already fetched (it is served to the
        browser from there, not fetched again). Blocking; safe from any thread."""
        if self._closed:
            raise BrowserError("the browser engine is closed")
        try:
            return self._call(
                self._capture(url, main, reason, mode), timeout=self.options.timeout + 60
            )
        except Exception as exc:  # noqa: BLE001 - the batch goes on; the failure is a result
            return BrowserResult(
                requested_url=url,
                error="browser",
                error_message=f"browser capture failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
            )

    def close(self) -> None:
        """Close Chromium and the browser thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._loop.is_running():
                self._call(self._stop(), timeout=30)
        except Exception:  # noqa: BLE001 - shutting down; the kill below is the fallback
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._fetch_pool.shutdown(wait=False, cancel_futures=True)
            for session in self._sessions:
                session.close()

    async def _stop(self) -> None:
        if self._browser is not None:
            try:
                await asyncio.wait_for(self._browser.close(), 15)
            except Exception:  # noqa: BLE001
                pass
        if self._playwright is not None:
            try:
                await asyncio.wait_for(self._playwright.stop(), 15)
            except Exception:  # noqa: BLE001
                pass

    def __enter__(self) -> BrowserEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- fetching for the browser (in the fetch pool's threads) ---

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = make_session(self.fetch_options)
            self._sessions.append(session)
        return session

    def _fetch(self, url: str, options: FetchOptions) -> FetchResult:
        return fetch_url(url, options, self._session())

    def _slot(self, url: str) -> asyncio.Semaphore:
        """The host's slots for subresource requests (on the browser thread only)."""
        host = (urlsplit(url).hostname or "").lower()
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = asyncio.Semaphore(self.per_host)
        return slot

    # --- one capture (on the browser thread) ---

    async def _capture(self, url: str, main: FetchResult, reason: str, mode: str) -> BrowserResult:
        assert self._pages is not None
        async with self._pages:
            await self._ensure_browser()
            state = _Capture(url, main, self.options)
            started_at = now()
            context = await self._browser.new_context(
                viewport={"width": self.options.width, "height": self.options.height},
                service_workers="block",
                accept_downloads=False,
                permissions=[],
                java_script_enabled=True,
            )
            crashed: list[str] = []
            try:
                result = await self._render(context, state, crashed)
            finally:
                state.closed = True
                try:
                    await asyncio.wait_for(context.close(), 10)
                except Exception:  # noqa: BLE001 - a dead browser closes nothing
                    pass
            provenance = {
                "browser": "Chromium",
                "browser_version": self._version,
                "executable": self.executable,
                "viewport": {"width": self.options.width, "height": self.options.height},
                "user_agent": result.pop("user_agent", None),
                "fetch_user_agent": self.fetch_options.user_agent,
                "started_at": started_at,
                "ended_at": now(),
                "server_ips": sorted(
                    {ip for ip in [main.ip_address, *(r.ip_address for r in state.resources)] if ip}
                ),
                "mode": mode,
                "reason": reason,
                "page_url": result.get("page_url"),
                "resources": len(state.resources),
                "refused": sum(1 for r in state.resources if r.error),
                "limits": {
                    "timeout": self.options.timeout,
                    "max_resources": self.options.max_resources,
                    "max_bytes": self.options.max_bytes,
                    "max_height": self.options.max_height,
                },
                "cut": dict(state.cut),
            }
            error = message = None
            if crashed or (not self._browser or not self._browser.is_connected()):
                error = "browser"
                message = crashed[0] if crashed else "Chromium stopped during the capture"
            elif result.get("failure"):
                error, message = "browser", result["failure"]
            return BrowserResult(
                requested_url=url,
                page_url=result.get("page_url"),
                dom=result.get("dom"),
                screenshot=result.get("screenshot"),
                screenshot_size=result.get("screenshot_size"),
                resources=tuple(state.resources),
                provenance=provenance,
                cut=dict(state.cut),
                error=error,
                error_message=message,
            )

    async def _render(self, context, state: _Capture, crashed: list[str]) -> dict:
        out: dict = {}
        await context.route("**/*", lambda route: self._handle(route, state))
        await context.route_web_socket("**/*", lambda ws: self._refuse_socket(ws, state))
        page = await context.new_page()
        state.page = page
        context.on("page", lambda popup: self._close_popup(popup, state))
        page.on("dialog", lambda dialog: asyncio.ensure_future(_dismiss(dialog)))
        page.on("crash", lambda _p: _crash(state, crashed, "the page crashed in Chromium"))
        page.on(
            "close", lambda _p: None if state.closed else _crash(state, crashed, "the page closed")
        )
        cdp = await context.new_cdp_session(page)
        reserve = min(5.0, self.options.timeout / 4)
        target = state.main.final_url or state.url
        try:
            # wait for the page's own load, not for a navigation a script may start (and that
            # the guard may refuse): commit, then the document's readyState
            budget = max(1.0, state.remaining() - reserve) * 1000
            await page.goto(target, wait_until="commit", timeout=budget)
            await _load_or_quiet(page, state, reserve, self.options.quiet)
        except Exception as exc:  # noqa: BLE001 - a slow or stuck page keeps what it has
            if crashed:
                return out
            if "Timeout" in type(exc).__name__ or "timeout" in str(exc).lower():
                state.note_cut(
                    "time", f"the load event did not come within {self.options.timeout:g} s"
                )
            else:
                state.note_cut("navigation", " ".join(str(exc).split())[:200])
        state.last_activity = time.monotonic()  # quiet is counted from the load event on
        # settle: wait for the network to be quiet, within `settle` and the deadline; woken by
        # each request's start and end, not by polling
        settle_until = min(time.monotonic() + self.options.settle, state.deadline - reserve)
        while not crashed:
            moment = time.monotonic()
            quiet_at = state.last_activity + self.options.quiet
            if state.inflight == 0 and moment >= quiet_at:
                break
            if moment >= settle_until:
                state.note_cut("network_busy", "the network never went quiet; captured as it was")
                break
            wait = settle_until - moment
            await state.wait_activity(wait if state.inflight else min(wait, quiet_at - moment))
        state.closed = True  # no more fetching: the page is captured as it is now
        if crashed:
            return out
        height = await _page_height(page, cdp, state)
        try:
            await cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
        except Exception:  # noqa: BLE001
            pass
        out["page_url"] = page.url
        try:
            dom = await asyncio.wait_for(page.content(), 10)
            out["dom"] = dom.encode("utf-8")
            if page.url.startswith(ERROR_PAGE_PREFIX):
                # a navigation Chromium refused by itself (before the guard saw it) left its
                # error page: keep the page as served instead, and say so
                text, _ = decode_bytes(state.main.body or b"", state.main.content_type)
                out["dom"] = text.encode("utf-8")
                out["page_url"] = target
                state.note_cut(
                    "navigation",
                    "a navigation refused by Chromium left an error page; kept the page as"
                    " served, before its scripts ran",
                )
        except Exception as exc:  # noqa: BLE001
            if crashed:
                return out
            out["failure"] = f"cannot read the rendered DOM: {' '.join(str(exc).split())[:200]}"
            return out
        if self.options.screenshot:
            shot_height = max(1, min(height or self.options.height, self.options.max_height))
            if height and height > self.options.max_height:
                state.note_cut(
                    "screenshot_height",
                    f"page is {height} px high; screenshot cut at {shot_height}",
                )
            try:
                png = await page.screenshot(
                    type="png",
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": self.options.width, "height": shot_height},
                    timeout=15_000,
                    animations="disabled",
                )
                out["screenshot"] = png
                out["screenshot_size"] = _png_size(png)
            except Exception as exc:  # noqa: BLE001
                if crashed:
                    return out
                state.note_cut("screenshot", " ".join(str(exc).split())[:200])
        try:
            out["user_agent"] = await asyncio.wait_for(page.evaluate("navigator.userAgent"), 3)
        except Exception:  # noqa: BLE001
            out["user_agent"] = None
        return out

    async def _close_popup(self, popup, state: _Capture) -> None:
        state.note_cut("popups", 1)
        try:
            await popup.close()
        except Exception:  # noqa: BLE001
            pass

    async def _refuse_socket(self, ws, state: _Capture) -> None:
        state.resources.append(
            Resource(
                url=ws.url,
                method="GET",
                resource_type="websocket",
                fetched_at=now(),
                error="unsupported",
                error_message="WebSockets are refused in browser capture",
            )
        )
        try:
            await ws.close(code=1008, reason="refused by verify")
        except Exception:  # noqa: BLE001
            pass

    async def _handle(self, route, state: _Capture) -> None:
        request = route.request
        url = request.url
        try:
            await self._answer(route, request, url, state)
        except Exception:  # noqa: BLE001 - a closed page or context, or an unexpected failure
            with contextlib.suppress(Exception):
                await route.abort("failed")  # never leave a request hanging

    async def _answer(self, route, request, url: str, state: _Capture) -> None:
        rtype = request.resource_type
        state.touch()
        is_main_nav = False
        try:
            is_main_nav = request.is_navigation_request() and request.frame == state.page.main_frame
        except Exception:  # noqa: BLE001
            is_main_nav = False
        if is_main_nav and not state.main_served:
            state.main_served = True
            await route.fulfill(
                status=state.main.status or 200,
                headers=_browser_headers(state.main.headers),
                body=state.main.body or b"",
            )
            return
        try:
            popup = request.frame.page != state.page
        except Exception:  # noqa: BLE001 - no frame: a popup's first navigation, or a worker
            popup = True
        if state.closed or popup:
            # a navigation of the page itself answers 204 (it stays where it was); an abort
            # would leave Chromium's error page in its place
            await (
                route.fulfill(status=204, body=b"")
                if is_main_nav and not popup
                else route.abort("blockedbyclient")
            )
            return

        def refuse(kind: str, message: str, status: int | None = None) -> Resource:
            resource = Resource(
                url=url,
                method=request.method,
                resource_type=rtype,
                status=status,
                fetched_at=now(),
                error=kind,
                error_message=message,
            )
            state.resources.append(resource)
            return resource

        if is_main_nav:  # a script (or meta refresh) moving the page elsewhere
            state.navigations += 1
            if state.navigations > self.options.max_navigations:
                refuse("unsupported", "navigation not followed: too many script navigations")
                await route.fulfill(status=204, body=b"")  # 204: the page stays where it was
                return
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            refuse("unsupported", f"{scheme}: requests are not fetched")
            await _refuse_request(route, is_main_nav)
            return
        if request.method not in ("GET", "HEAD"):
            refuse("unsupported", f"{request.method} requests are not sent (only GET)")
            await _refuse_request(route, is_main_nav)
            return
        if state.fetched >= self.options.max_resources:
            state.note_cut("resources", 1)
            await (
                route.fulfill(status=204, body=b"")
                if is_main_nav
                else route.abort("blockedbyclient")
            )
            return
        budget = self.options.max_bytes - state.bytes
        remaining = state.remaining()
        if budget <= 0 or remaining <= 0:
            state.note_cut("bytes" if budget <= 0 else "late_requests", 1)
            await (
                route.fulfill(status=204, body=b"")
                if is_main_nav
                else route.abort("blockedbyclient")
            )
            return
        state.fetched += 1
        state.inflight += 1  # waiting for a slot of its host counts: the page is loading
        state.touch()
        try:
            async with self._slot(url):
                if state.closed:  # captured while this request waited: never sent
                    await route.abort("blockedbyclient")
                    return
                options = replace(
                    self.fetch_options,
                    retries=0,
                    ignore_robots=True,  # page requisites, as a reader's browser loads them
                    max_bytes=min(self.fetch_options.max_bytes, budget),
                    deadline=max(1.0, min(self.fetch_options.deadline, state.remaining())),
                )
                result = await asyncio.get_running_loop().run_in_executor(
                    self._fetch_pool, self._fetch, url, options
                )
        finally:
            state.inflight -= 1
            state.touch()
        if result.payload is not None:
            state.bytes += len(result.payload)
        if result.error == "too_large" and budget < self.fetch_options.max_bytes:
            state.note_cut("bytes", 1)
        state.resources.append(
            Resource(
                url=url,
                method=request.method,
                resource_type=rtype,
                status=result.status,
                headers=result.headers,
                content_type=result.content_type,
                content_encoding=result.content_encoding,
                payload=result.payload,
                ip_address=result.ip_address,
                fetched_at=result.fetched_at or now(),
                error=result.error,
                error_message=result.error_message,
            )
        )
        if state.closed:
            await route.abort("blockedbyclient")
            return
        if result.body is None or (result.error and result.error != "http_error"):
            if is_main_nav:
                await route.fulfill(status=204, body=b"")  # refused: the page stays
            else:
                await route.abort(
                    "blockedbyclient" if result.error == "blocked_address" else "failed"
                )
            return
        await route.fulfill(
            status=result.status or 200, headers=_browser_headers(result.headers), body=result.body
        )


async def _refuse_request(route, is_main_nav: bool) -> None:
    """Refuse a request: a navigation of the page itself gets 204 No Content, so the page
    stays as it was (an aborted navigation would put Chromium's error page in its place)."""
    if is_main_nav:
        await route.fulfill(status=204, body=b"")
    else:
        await route.abort("blockedbyclient")


async def _load_or_quiet(page, state: _Capture, reserve: float, quiet: float) -> None:
    """Wait for the load event; or, when a script stopped the document loading (a navigation
    the guard refused does that), for the network to be quiet a while after DOMContentLoaded."""
    budget = max(1.0, state.remaining() - reserve) * 1000
    load = asyncio.ensure_future(page.wait_for_load_state("load", timeout=budget))
    since = time.monotonic()
    try:
        while not load.done():
            moment = time.monotonic()
            quiet_at = max(state.last_activity, since) + 2 * quiet
            if state.inflight == 0 and moment >= quiet_at:
                state.note_cut(
                    "load",
                    "no load event (a script stopped the loading?); taken when the network was quiet",
                )
                return
            # woken by the load event, a request's start or end, or when quiet would be reached
            state.activity.clear()
            active = asyncio.ensure_future(state.activity.wait())
            try:
                await asyncio.wait(
                    (load, active),
                    timeout=None if state.inflight else quiet_at - moment,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                active.cancel()
        load.result()  # a timeout is raised to the caller
    finally:
        if not load.done():
            load.cancel()
        with contextlib.suppress(BaseException):
            await load


def _crash(state: _Capture, crashed: list[str], message: str) -> None:
    crashed.append(message)
    state.activity.set()  # a wait for quiet ends at once


async def _dismiss(dialog) -> None:
    try:
        await dialog.dismiss()
    except Exception:  # noqa: BLE001
        pass


async def _page_height(page, cdp, state: _Capture) -> int | None:
    """The page's full height; a script still running (a loop) is stopped first."""
    script = "Math.max(document.documentElement ? document.documentElement.scrollHeight : 0, document.body ? document.body.scrollHeight : 0)"
    for attempt in range(2):
        try:
            return int(await asyncio.wait_for(page.evaluate(script), 2))
        except Exception:  # noqa: BLE001
            if attempt == 0:
                state.note_cut("script", "a script was still running at the end: stopped")
                try:
                    await cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
                    await cdp.send("Runtime.terminateExecution")
                except Exception:  # noqa: BLE001
                    pass
    return None


def _browser_headers(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in _DROP_HEADERS:
            continue
        out[key] = f"{out[key]}\n{value}" if key in out and key == "set-cookie" else value
    return out


def _png_size(png: bytes) -> tuple[int, int] | None:
    if len(png) >= 24 and png[:8] == b"\x89PNG\r\n\x1a\n":
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return None


__all__ = [
    "BrowserEngine",
    "BrowserError",
    "BrowserOptions",
    "BrowserResult",
    "CHROMIUM_ENV",
    "Resource",
    "find_chromium",
    "require_chromium",
]
