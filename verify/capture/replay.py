"""A browser snapshot read back: its screenshot, subresources, provenance, and the rendered DOM
rewritten so that it shows from the archive alone.

`replay_html` turns the rendered DOM into a page whose images, stylesheets and fonts point at
the snapshot's own archived resources (through a URL the caller builds, e.g. a web route), with
every script, event handler, refresh, frame and noscript block removed and every other URL
blanked: shown in a sandbox under a CSP with no scripts, it cannot reach the live web."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from sqlite_utils import Database

from verify import store
from verify.capture.fetch import decode_payload
from verify.errors import NotFoundError

MAX_DECODED = 64 * 2**20

ResourceURL = Callable[[int], str]  # resource id -> the URL the archived page should use


def browser_capture(db: Database, snapshot_id: int) -> dict[str, Any] | None:
    """The browser part of a snapshot (None for a static one), JSON fields parsed."""
    found = store.captures.browser_capture(db, snapshot_id)
    if found is None:
        return None
    found["provenance"] = json.loads(found["provenance"]) if found["provenance"] else {}
    found["cut"] = json.loads(found["cut"]) if found["cut"] else {}
    return found


def summary(db: Database, snapshot_id: int) -> dict[str, Any]:
    """What `snapshot show --json` adds: screenshot (bool), resources (count), provenance."""
    found = browser_capture(db, snapshot_id)
    count = store.captures.resource_count(db, snapshot_id)
    return {
        "screenshot": bool(found and found["screenshot_sha256"]),
        "resources": count,
        "provenance": found["provenance"] if found else None,
    }


def _exists(db: Database, snapshot_id: int) -> None:
    if not store.captures.snapshot_exists(db, snapshot_id):
        raise NotFoundError(f"no snapshot with id {snapshot_id} (see `verify snapshots`)")


def screenshot(db: Database, snapshot_id: int) -> bytes:
    """The PNG screenshot of a browser snapshot (NotFoundError when it has none)."""
    _exists(db, snapshot_id)
    found = browser_capture(db, snapshot_id)
    if not found or not found["screenshot_sha256"]:
        raise NotFoundError(
            f"snapshot {snapshot_id} has no screenshot (capture it with `verify fetch --mode browser`)"
        )
    return store.get_payload(db, found["screenshot_sha256"])


def rendered_dom(db: Database, snapshot_id: int) -> bytes:
    """The rendered DOM of a browser snapshot, UTF-8 HTML (NotFoundError when none)."""
    _exists(db, snapshot_id)
    found = browser_capture(db, snapshot_id)
    if not found or not found["dom_sha256"]:
        raise NotFoundError(f"snapshot {snapshot_id} has no rendered DOM (not a browser capture)")
    return store.get_payload(db, found["dom_sha256"])


def list_resources(db: Database, snapshot_id: int, *, headers: bool = False) -> list[dict]:
    """Every request the snapshot's page made, in order (no payloads)."""
    _exists(db, snapshot_id)
    found = store.captures.resources(db, snapshot_id, headers=headers)
    if headers:
        for r in found:
            r["headers"] = json.loads(r["headers"]) if r["headers"] else []
    return found


def resource(db: Database, snapshot_id: int, resource_id: int) -> tuple[dict, bytes]:
    """One archived subresource of a snapshot and its decoded body."""
    found = store.captures.resource(db, snapshot_id, resource_id)
    if found is None or not found["sha256"]:
        raise NotFoundError(f"snapshot {snapshot_id} has no archived resource {resource_id}")
    payload = store.get_payload(db, found["sha256"])
    return found, decode_payload(payload, found["content_encoding"], MAX_DECODED)


def _resource_index(db: Database, snapshot_id: int) -> dict[str, int]:
    """Absolute URL (fragment dropped) -> id of the first archived resource with a body."""
    index: dict[str, int] = {}
    for rid, url in store.captures.archived_resources(db, snapshot_id):
        index.setdefault(url.split("#", 1)[0], rid)
    return index


_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"""@import\s+(['"])(.*?)\1""", re.IGNORECASE)


class _Rewriter:
    def __init__(self, index: dict[str, int], make_url: ResourceURL) -> None:
        self.index = index
        self.make_url = make_url

    def url(self, value: str, base: str) -> str:
        """The archive URL for `value` (relative to base), or '' when it is not archived."""
        value = (value or "").strip()
        if not value or value.startswith("#"):
            return value
        if value.lower().startswith("data:"):
            return value
        try:
            absolute = urljoin(base, value).split("#", 1)[0]
        except ValueError:
            return ""
        rid = self.index.get(absolute)
        return self.make_url(rid) if rid is not None else ""

    def css(self, text: str, base: str) -> str:
        def sub_url(m: re.Match[str]) -> str:
            return f'url("{self.url(m.group(2), base)}")'

        def sub_import(m: re.Match[str]) -> str:
            return f'@import "{self.url(m.group(2), base)}"'

        return _CSS_URL.sub(sub_url, _CSS_IMPORT.sub(sub_import, text))

    def srcset(self, value: str, base: str) -> str:
        parts = []
        for candidate in value.split(","):
            bits = candidate.strip().split()
            if not bits:
                continue
            url = self.url(bits[0], base)
            if url:
                parts.append(" ".join([url, *bits[1:]]))
        return ", ".join(parts)


_DROP_TAGS = (
    "script",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "portal",
)
_URL_ATTRS = (
    "src",
    "href",
    "poster",
    "background",
    "data",
    "action",
    "formaction",
    "cite",
    "longdesc",
    "ping",
    "manifest",
    "xlink:href",
)
_LOAD_LINKS = ("stylesheet", "icon", "shortcut icon", "apple-touch-icon")


def rewrite_css(db: Database, snapshot_id: int, css: str, base: str, make_url: ResourceURL) -> str:
    """An archived stylesheet with its url() and @import pointing into the archive."""
    return _Rewriter(_resource_index(db, snapshot_id), make_url).css(css, base)


def replay_html(db: Database, snapshot_id: int, make_url: ResourceURL) -> str:
    """The rendered DOM, rewritten to show from the archive alone (see the module doc)."""
    found = browser_capture(db, snapshot_id)
    if not found or not found["dom_sha256"]:
        raise NotFoundError(f"snapshot {snapshot_id} has no rendered DOM (not a browser capture)")
    dom = store.get_payload(db, found["dom_sha256"]).decode("utf-8", errors="replace")
    page_url = found["page_url"] or ""
    rewriter = _Rewriter(_resource_index(db, snapshot_id), make_url)
    root = lxml.html.document_fromstring(dom)
    base = page_url
    for el in root.iter("base"):
        href = el.get("href")
        if href:
            base = urljoin(page_url, href)
            break
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
    for el in list(root.iter("meta")):
        if (el.get("http-equiv") or "").strip().lower() in (
            "refresh",
            "set-cookie",
            "content-security-policy",
        ):
            el.drop_tree()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in list(el.attrib):
            lname = name.lower()
            value = el.attrib[name]
            if lname.startswith("on"):
                del el.attrib[name]
            elif lname in ("srcset", "imagesrcset"):
                el.attrib[name] = rewriter.srcset(value, base)
            elif lname == "style":
                el.attrib[name] = rewriter.css(value, base)
            elif lname in _URL_ATTRS:
                if el.tag == "a" and lname == "href":
                    # links are shown, not followed: keep the original address readable
                    el.attrib["data-href"] = urljoin(base, value) if value else value
                    del el.attrib[name]
                elif el.tag == "link" and (el.get("rel") or "").lower() not in _LOAD_LINKS:
                    del el.attrib[name]
                else:
                    el.attrib[name] = rewriter.url(value, base)
        if el.tag == "style" and el.text:
            el.text = rewriter.css(el.text, base)
    html = lxml.html.tostring(root, encoding="unicode", method="html", doctype="<!DOCTYPE html>")
    return html


def is_css(content_type: str | None, url: str) -> bool:
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    return ctype == "text/css" or (not ctype and urlsplit(url).path.lower().endswith(".css"))
