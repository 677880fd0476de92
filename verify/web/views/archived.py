"""Routes that show a browser snapshot from the archive: its screenshot, the rendered page
rebuilt from the rendered DOM, and that page's images, stylesheets and fonts, each served only
for the snapshot that recorded it. Nothing here loads anything from the live web: the rendered
page is sandboxed, runs no script, and its CSP lets it load only this snapshot's resources.

The rendered page lives in a sandboxed iframe, whose requests carry no session cookie (an opaque
origin is cross-site for SameSite cookies). Its resource URLs therefore carry a token: an HMAC
of the snapshot and resource ids under the app's secret, handed out only inside a page a signed-
in reviewer opened."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Response, abort, current_app, g, request, session, url_for

from verify.capture import replay
from verify.errors import NotFoundError
from verify.web.views.review import bp

_SNIFF_SAFE = ("image/", "font/", "text/css", "audio/", "video/")


def resource_token(snapshot_id: int, resource_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = f"archived-resource:{snapshot_id}:{resource_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _resource_url(snapshot_id: int):
    def make(resource_id: int) -> str:
        return url_for(
            "web.archived_resource",
            snapshot_id=snapshot_id,
            resource_id=resource_id,
            t=resource_token(snapshot_id, resource_id),
        )

    return make


def _scope(snapshot_id: int) -> str:
    """The only place a replayed page may load from: this snapshot's resources."""
    return request.host_url.rstrip("/") + url_for("web.queue") + f"snapshots/{snapshot_id}/r/"


@bp.app_template_global("browser_capture")
def browser_capture_global(snapshot_id: int) -> dict[str, Any] | None:
    """For snapshot.html: the browser part of a snapshot (None for a static capture)."""
    return replay.browser_capture(g.db, snapshot_id)


@bp.get("/snapshots/<int:snapshot_id>/screenshot.png")
def screenshot(snapshot_id: int) -> Any:
    try:
        png = replay.screenshot(g.db, snapshot_id)
    except NotFoundError as exc:
        abort(404, str(exc))
    response = Response(png, content_type="image/png")
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/snapshots/<int:snapshot_id>/rendered")
def rendered(snapshot_id: int) -> Any:
    """The page as the browser rendered it, rebuilt from the archive alone."""
    try:
        html = replay.replay_html(g.db, snapshot_id, _resource_url(snapshot_id))
    except NotFoundError as exc:
        abort(404, str(exc))
    scope = _scope(snapshot_id)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = (
        f"sandbox; default-src 'none'; img-src data: {scope}; style-src 'unsafe-inline' {scope};"
        f" font-src data: {scope}; media-src {scope}; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.get("/snapshots/<int:snapshot_id>/r/<int:resource_id>")
def archived_resource(snapshot_id: int, resource_id: int) -> Any:
    """One archived subresource of this snapshot (a signed-in reviewer, or a valid token)."""
    token = request.args.get("t", "")
    if not session.get("reviewer") and not hmac.compare_digest(
        token.encode("utf-8", "replace"), resource_token(snapshot_id, resource_id).encode()
    ):
        abort(403)
    try:
        found, body = replay.resource(g.db, snapshot_id, resource_id)
    except NotFoundError as exc:
        abort(404, str(exc))
    ctype = (found["content_type"] or "").split(";", 1)[0].strip().lower()
    if replay.is_css(found["content_type"], found["url"]):
        text = body.decode("utf-8", errors="replace")
        css = replay.rewrite_css(g.db, snapshot_id, text, found["url"], _resource_url(snapshot_id))
        response = Response(css, content_type="text/css; charset=utf-8")
    elif ctype.startswith(_SNIFF_SAFE) and ctype != "image/svg+xml":
        response = Response(body, content_type=ctype)
    elif ctype == "image/svg+xml":
        response = Response(body, content_type=ctype)  # an <img> runs no script; CSP below
    else:
        response = Response(body, content_type="application/octet-stream")
    # no Cross-Origin-Resource-Policy: the sandboxed page asking for it has an opaque origin
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
