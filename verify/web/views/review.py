"""The route table of the review UI. Views read through verify.web.pages and write only
through the library (verify.review.workflow, ...); the signed-in reviewer is the actor of every write."""

from __future__ import annotations

import gzip
import zlib
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from verify import model, store
from verify.capture import engine as capture
from verify.clock import now
from verify.errors import ForbiddenError, NotFoundError, VerifyError
from verify.export import warc as warc_mod
from verify.ingest import claims
from verify.review import evidence, similar
from verify.review import search as search_mod
from verify.review import workflow as review
from verify.store import get_payload
from verify.text import quotes
from verify.web import auth, pages
from verify.web.highlight import Span, highlight
from verify.web.security import archive_csp
from verify.webarchives.recover import archive_label

bp = Blueprint("web", __name__)

STANCE_KEYS = {"supports": "s", "refutes": "r", "unrelated": "u", "unavailable": "a"}
PAGE_SIZE = 50
MAX_DECODED = 50 * 2**20


MAX_INT = 2**53  # far beyond any id or page, and within SQLite's 64-bit integers


def _checked_int(name: str, value: str) -> int | None:
    if not value:
        return None
    try:
        number = int(value) if len(value) <= 20 else MAX_INT + 1
    except ValueError:
        abort(400, f"{name} must be a number")
    if abs(number) > MAX_INT:
        abort(400, f"{name} is too large")
    return number


def _int_form(name: str) -> int | None:
    return _checked_int(name, request.form.get(name, "").strip())


def _int_arg(name: str) -> int | None:
    return _checked_int(name, request.args.get(name, "").strip())


@bp.app_errorhandler(NotFoundError)
def _not_found(exc: NotFoundError) -> Any:
    return render_template("error.html", code=404, message=str(exc)), 404


@bp.app_errorhandler(403)
@bp.app_errorhandler(400)
@bp.app_errorhandler(404)
@bp.app_errorhandler(501)
def _http_error(exc: Any) -> Any:
    code = getattr(exc, "code", 500)
    return render_template(
        "error.html", code=code, message=getattr(exc, "description", str(exc))
    ), code


# --- signing in ---------------------------------------------------------------------------


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    return auth.signin()


@bp.post("/signout")
def signout() -> Any:
    return auth.signout()


def _reviewer() -> str:
    return session["reviewer"]


# --- queue --------------------------------------------------------------------------------


@bp.get("/")
def queue() -> Any:
    status = request.args.get("status", "").strip()
    if status and status != "all" and status not in model.STATUSES:
        abort(400, f"unknown status {status!r}")
    statuses = (
        model.QUEUE_STATUSES if not status else model.STATUSES if status == "all" else (status,)
    )
    reviewer = request.args.get("reviewer", "").strip() or None
    article_id = _int_arg("article")
    page = max(1, _int_arg("page") or 1)
    if page > MAX_INT // PAGE_SIZE:
        abort(400, "page is too large")
    claims = pages.queue_page(
        g.db,
        statuses=statuses,
        reviewer=reviewer,
        article_id=article_id,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    more = len(claims) > PAGE_SIZE
    filters = {"status": status, "reviewer": reviewer or "", "article": article_id or ""}
    return render_template(
        "queue.html",
        claims=claims[:PAGE_SIZE],
        page=page,
        more=more,
        filters=filters,
        statuses=model.STATUSES,
    )


@bp.post("/next")
def take_next() -> Any:
    try:
        leased = review.lease_next(g.db, _reviewer())
    except ForbiddenError as exc:
        abort(403, str(exc))
    except VerifyError as exc:
        flash(str(exc), "error")
        return redirect(url_for("web.queue"), 303)
    if not leased:
        flash("The queue is empty: nothing to take.", "info")
        return redirect(url_for("web.queue"), 303)
    return redirect(url_for("web.claim", claim_id=leased["id"]), 303)


# --- claim --------------------------------------------------------------------------------


def _passages(claim_id: int, *, related: bool = False) -> list[dict[str, Any]]:
    """Evidence passages of the claim's own snapshots (or, with related, of other sources'
    snapshots in the archive) as dicts."""
    finder = evidence.related_evidence if related else evidence.evidence
    found = finder(g.db, claim_id, limit=5 if related else 8)
    keys = ("snapshot_id", "source_id", "url", "passage", "score", "start", "end", "clash")
    return [
        {k: getattr(p, k, None) if not isinstance(p, dict) else p.get(k) for k in keys}
        for p in found
    ]


def _evidence_title(p: dict[str, Any]) -> str:
    title = "evidence" if p["score"] is None else f"evidence, score {p['score']:.2f}"
    if p["clash"]:
        reason = p["clash"].get("reason") or (
            f"the claim says {p['clash']['claim']}, this says {p['clash']['passage']}"
        )
        title += f"; clash: {reason}"
    return title


def _history(claim_id: int) -> list[dict[str, Any]]:
    return review.history(g.db, claim_id)


def _quote_spans(text: str, snapshot_id: int, found: list[dict[str, Any]]) -> list[Span]:
    """Highlights for assessments' quotes in one snapshot's text. A quote is shown where it
    was made (its own snapshot, at its stored offsets); a quote made on another snapshot of the
    same source is shown only where the same words occur here (quotes.locate: never a similar
    passage), and says which snapshot it was made on."""
    spans = []
    for a in found:
        sel = a["selector"]
        if not sel:
            continue
        where = None
        if a["snapshot_id"] == snapshot_id:
            lo, hi = sel["start"], sel["end"]
            if lo is not None and 0 <= lo < hi <= len(text):
                where = (lo, hi)
            label = f"{a['stance']}, quoted by {a['reviewer']}"
        else:
            where = quotes.locate(sel, text)
            label = (
                f"{a['stance']}, quoted by {a['reviewer']} on snapshot {a['snapshot_id']};"
                " the same words are here"
            )
        if where:
            spans.append(
                Span(
                    where[0],
                    where[1],
                    f"quote stance-{a['stance']}",
                    title=label,
                    anchor=f"q{a['id']}",
                )
            )
    return spans


@bp.get("/claims/<int:claim_id>")
def claim(claim_id: int) -> Any:
    db = g.db
    found = pages.claim(db, claim_id)
    sources = store.claim_sources(db, claim_id)
    passages = _passages(claim_id)
    for src in sources:
        src["why"] = pages.why(src)
        sid = src["reviewed_snapshot_id"]
        src["text_html"] = None
        src["archive_label"] = archive_label(store.snapshot_row(db, sid)) if sid else None
        if sid:
            text = pages.snapshot_text(db, sid)
            spans = [
                Span(
                    p["start"],
                    p["end"],
                    "evidence clash" if p["clash"] else "evidence",
                    title=_evidence_title(p),
                )
                for p in passages
                if p["snapshot_id"] == sid and p["start"] is not None
            ]
            spans += _quote_spans(text, sid, src["assessments"])
            src["text_html"] = highlight(text, spans) if text else None
    # related evidence is a full-text search over the whole archive: run it when asked, or
    # when the claim has no captured text of its own to read
    want_related = request.args.get("related") == "1" or not any(
        s["reviewed_snapshot_id"] for s in sources
    )
    related = _passages(claim_id, related=True) if want_related else None
    history = _history(claim_id)
    part = store.claims.get_claim_part(db, claim_id)
    if part is not None and found.get("start") is not None:
        offset = found["start"]
        part["written"] = found["text"][part["start"] - offset : part["end"] - offset]
    return render_template(
        "claim.html",
        claim=found,
        claim_part=part,
        checked_before=similar.checked_before(db, claim_id),
        context=pages.article_context(db, found),
        sources=sources,
        passages=passages,
        related=related,
        history=history,
        changes=[e for e in history if e["kind"] == "evidence_changed"],
        stances=model.STANCES,
        verdicts=model.VERDICTS,
        stance_keys=STANCE_KEYS,
        can=review.actions(db, claim_id, _reviewer()),
        holder=model.live_lease(found, now()),
    )


def _claim_action(claim_id: int, func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        func(g.db, claim_id, *args, **kwargs)
    except ForbiddenError as exc:  # the library's role check (users.authorize): a 403 page
        abort(403, str(exc))
    except VerifyError as exc:
        flash(str(exc), "error")
        return redirect(url_for("web.claim", claim_id=claim_id), 303)
    return None


def _force() -> bool:
    return request.form.get("force") in ("1", "on", "true")


@bp.post("/claims/<int:claim_id>/assess")
def assess(claim_id: int) -> Any:
    stance = request.form.get("stance", "")
    source = request.form.get("source", "").strip()
    quote = " ".join(request.form.get("quote", "").split()) or None
    if stance not in model.STANCES:
        flash(f"Unknown stance {stance!r}: choose one of {', '.join(model.STANCES)}.", "error")
        return redirect(url_for("web.claim", claim_id=claim_id), 303)
    if not source:
        flash("Choose the source the stance is about.", "error")
        return redirect(url_for("web.claim", claim_id=claim_id), 303)
    failed = _claim_action(
        claim_id,
        review.assess,
        source,
        stance,
        _reviewer(),
        quote=quote,
        snapshot_id=_int_form("snapshot"),
        force=_force(),
    )
    if failed:
        return failed
    flash(f"Marked source {source} as {stance}" + (" with a quote." if quote else "."), "ok")
    return redirect(url_for("web.claim", claim_id=claim_id, _anchor=f"source-{source}"), 303)


@bp.post("/claims/<int:claim_id>/assessments/<int:assessment_id>/remove")
def unassess(claim_id: int, assessment_id: int) -> Any:
    if store.get_assessment(g.db, assessment_id)["claim_id"] != claim_id:
        abort(404, f"assessment {assessment_id} is not an assessment of claim {claim_id}")
    try:
        review.unassess(g.db, assessment_id, _reviewer(), force=_force())
    except VerifyError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Assessment {assessment_id} removed.", "ok")
    return redirect(url_for("web.claim", claim_id=claim_id), 303)


@bp.post("/claims/<int:claim_id>/verdict")
def verdict(claim_id: int) -> Any:
    verdict = request.form.get("verdict", "")
    note = request.form.get("note", "").strip() or None
    if verdict not in model.VERDICTS:
        flash(f"Unknown verdict {verdict!r}: choose one of {', '.join(model.VERDICTS)}.", "error")
        return redirect(url_for("web.claim", claim_id=claim_id), 303)
    failed = _claim_action(
        claim_id, review.give_verdict, verdict, _reviewer(), note=note, force=_force()
    )
    if failed:
        return failed
    flash(f"Verdict recorded: {verdict}.", "ok")
    return redirect(url_for("web.claim", claim_id=claim_id, _anchor="history"), 303)


@bp.post("/claims/<int:claim_id>/sources")
def add_source(claim_id: int) -> Any:
    """Attach a candidate source (a URL typed in, or related evidence found in the archive)."""
    url = request.form.get("url", "").strip()
    note = request.form.get("note", "").strip() or None
    attach_source = claims.attach_source
    try:
        source_id = attach_source(
            g.db, claim_id, url, origin="manual", note=note, actor=_reviewer()
        )
    except ForbiddenError as exc:
        abort(403, str(exc))
    except VerifyError as exc:
        flash(str(exc), "error")
        return redirect(url_for("web.claim", claim_id=claim_id), 303)
    flash(f"Source added: {url}. Capture it with the Capture button below.", "ok")
    return redirect(url_for("web.claim", claim_id=claim_id, _anchor=f"source-{source_id}"), 303)


@bp.post("/claims/<int:claim_id>/dismiss")
def dismiss(claim_id: int) -> Any:
    note = request.form.get("note", "").strip() or None
    failed = _claim_action(claim_id, review.dismiss, _reviewer(), note=note, force=_force())
    if failed:
        return failed
    flash("Claim dismissed: it leaves the queue (the history keeps why).", "ok")
    return redirect(url_for("web.claim", claim_id=claim_id, _anchor="history"), 303)


@bp.post("/claims/<int:claim_id>/queue")
def requeue(claim_id: int) -> Any:
    failed = _claim_action(claim_id, review.requeue, _reviewer())
    if failed:
        return failed
    flash("Claim queued: it waits in the queue for a reviewer.", "ok")
    return redirect(url_for("web.claim", claim_id=claim_id), 303)


@bp.post("/claims/<int:claim_id>/release")
def release(claim_id: int) -> Any:
    failed = _claim_action(claim_id, review.release, _reviewer(), force=_force())
    if failed:
        return failed
    flash("Lease released: the claim is back in the queue.", "ok")
    return redirect(url_for("web.queue"), 303)


# --- article ------------------------------------------------------------------------------


@bp.get("/articles/<int:article_id>")
def article(article_id: int) -> Any:
    found = pages.article(g.db, article_id)
    claims = pages.article_claims(g.db, article_id)
    spans = [
        Span(
            c["start"],
            c["end"],
            f"claim status-{c['status']}",
            href=url_for("web.claim", claim_id=c["id"]),
            title=f"claim {c['id']}: {c['status']}, score {c['score']:.2f}"
            + (f", {c['verdict']}" if c["verdict"] else ""),
        )
        for c in claims
    ]
    return render_template(
        "article.html", article=found, claims=claims, text_html=highlight(found["text"], spans)
    )


# --- snapshot -----------------------------------------------------------------------------


def _decoded(snap: dict[str, Any]) -> bytes | None:
    """The snapshot's body with its Content-Encoding undone (None when it cannot be)."""
    if not snap.get("sha256"):
        return None
    try:
        data = get_payload(g.db, snap["sha256"])
    except NotFoundError:
        return None
    encoding = (snap.get("content_encoding") or "").strip().lower()
    try:
        if encoding in ("", "identity"):
            return data
        if encoding in ("gzip", "x-gzip"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return d.decompress(data, MAX_DECODED)
        if encoding == "deflate":
            try:
                return zlib.decompressobj().decompress(data, MAX_DECODED)
            except zlib.error:
                return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, MAX_DECODED)
        if encoding == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj().decompress(data)[:MAX_DECODED]
    except (zlib.error, gzip.BadGzipFile, ValueError, Exception):  # noqa: B014
        return None
    return None


def _kind(content_type: str | None) -> str:
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return "html"
    if ctype.startswith("text/") or ctype in ("application/json",):
        return "text"
    if ctype.startswith("image/") and ctype != "image/svg+xml":
        return "image"
    return "other"


@bp.get("/snapshots/<int:snapshot_id>")
def snapshot(snapshot_id: int) -> Any:
    db = g.db
    snap = store.get_snapshot(db, snapshot_id)
    claim_id = _int_arg("claim")
    text = snap["text"] or ""
    spans: list[Span] = []
    passages = []
    if claim_id is not None:
        passages = [
            p
            for p in _passages(claim_id)
            if p["snapshot_id"] == snapshot_id and p["start"] is not None
        ]
        spans += [
            Span(p["start"], p["end"], "evidence", anchor=f"e{i}") for i, p in enumerate(passages)
        ]
    found = store.list_assessments(db, source_id=snap["source_id"])
    spans += _quote_spans(text, snapshot_id, found)
    diff = _diff(snap) if snap["previous_id"] else None
    return render_template(
        "snapshot.html",
        snap=snap,
        text_html=highlight(text, spans),
        claim_id=claim_id,
        passages=passages,
        assessments=found,
        kind=_kind(snap["content_type"]),
        captures=pages.source_captures(db, snap["source_id"]),
        citing=_citing_here(pages.citing_claims(db, snap["source_id"]), found, snapshot_id, text),
        diff=diff,
        has_warc=True,
        archive_label=archive_label(snap),
    )


def _citing_here(
    citing: list[dict[str, Any]], found: list[dict[str, Any]], snapshot_id: int, text: str
) -> list[dict[str, Any]]:
    """The claims citing a source, each with the stances that hold on this capture
    (`stances_here`: made on it, made without a quote, or quoting words that are in it) and how
    many of its quotes are not in this capture (`quotes_gone`)."""
    for c in citing:
        here: list[str] = []
        gone = 0
        for a in found:
            if a["claim_id"] != c["id"]:
                continue
            sel = a["selector"]
            holds = a["snapshot_id"] == snapshot_id or not sel or quotes.locate(sel, text)
            if holds:
                if a["stance"] not in here:
                    here.append(a["stance"])
            else:
                gone += 1
        c["stances_here"] = here
        c["quotes_gone"] = gone
    return citing


def _diff(snap: dict[str, Any]) -> str:
    """Unified diff of the readable text against the previous capture (capture.diff_snapshots)."""
    try:
        return capture.diff_snapshots(g.db, snap["previous_id"], snap["id"])
    except VerifyError as exc:
        return f"(no diff: {exc})"


@bp.get("/snapshots/<int:snapshot_id>/raw")
def raw_snapshot(snapshot_id: int) -> Any:
    """The archived page itself, for the sandboxed iframe: no scripts, nothing from the live web."""
    snap = store.get_snapshot(g.db, snapshot_id)
    body = _decoded(snap)
    if body is None:
        abort(404, "this snapshot has no stored body to show")
    kind = _kind(snap["content_type"])
    if kind == "html":
        ctype = "text/html; charset=" + (snap["charset"] or "utf-8")
    elif kind == "text":
        ctype = "text/plain; charset=" + (snap["charset"] or "utf-8")
    elif kind == "image":
        ctype = snap["content_type"].split(";", 1)[0].strip()
    else:
        ctype = "application/octet-stream"
    response = Response(body, content_type=ctype)
    root = request.host_url.rstrip("/") + url_for("web.queue") + "snapshots/"
    response.headers["Content-Security-Policy"] = archive_csp(root) + "; frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if kind == "other":
        response.headers["Content-Disposition"] = (
            f'attachment; filename="snapshot-{snapshot_id}.bin"'
        )
    return response


@bp.get("/snapshots/<int:snapshot_id>/payload")
def payload(snapshot_id: int) -> Any:
    """The payload bytes exactly as stored (Content-Encoding intact), as a download."""
    snap = store.get_snapshot(g.db, snapshot_id)
    if not snap["sha256"]:
        abort(404, "this snapshot has no payload (the fetch failed)")
    data = get_payload(g.db, snap["sha256"])
    name = f"snapshot-{snapshot_id}" + (
        f".{snap['content_encoding']}" if snap["content_encoding"] else ""
    )
    response = Response(data, content_type="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.get("/snapshots/<int:snapshot_id>/warc")
def warc(snapshot_id: int) -> Any:
    store.get_snapshot(g.db, snapshot_id)  # 404 for an unknown id
    record = warc_mod.warc_record(g.db, snapshot_id)
    response = Response(record, content_type="application/warc")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="snapshot-{snapshot_id}.warc.gz"'
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- search -------------------------------------------------------------------------------


def _snippet(text: str | None) -> Any:
    from markupsafe import Markup, escape

    escaped = str(escape(text or ""))
    return Markup(escaped.replace("\x02", "<mark>").replace("\x03", "</mark>"))


@bp.get("/search")
def search() -> Any:
    q = request.args.get("q", "").strip()
    results: dict[str, list[dict[str, Any]]] = {"claims": [], "snapshots": []}
    error = None
    if q:
        try:
            found = search_mod.search(g.db, q, limit=40, mark=("\x02", "\x03"))
        except VerifyError as exc:
            found, error = [], str(exc)
        for item in found:
            item["snippet_html"] = _snippet(item.get("snippet"))
            if item.get("type") == "snapshot":
                item["host"] = urlsplit(item.get("url") or "").netloc
                results["snapshots"].append(item)
            else:
                results["claims"].append(item)
    return render_template("search.html", q=q, results=results, error=error)


@bp.app_template_filter("short")
def _short(text: str | None, size: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


@bp.app_template_filter("when")
def _when(stamp: str | None) -> str:
    return (stamp or "")[:16].replace("T", " ")
