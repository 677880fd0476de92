"""The team's pages and forms: "mine", finding claims by tag/status/article/assignee/score,
the team panel on a claim (assignment, priority, tags, claimant, comments, approval, skip, the
capture button), the accounts page for admins, and the public read-only archived copies that
published reviews cite (ClaimReview archivedAt). Writes go through verify.review.team / verify.review.accounts;
a role too low for an action is a 403 page and changes nothing."""

from __future__ import annotations

import threading
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from verify import model, settings
from verify.capture import engine as capture
from verify.capture import policy as capture_policy
from verify.clock import parse_time
from verify.errors import ForbiddenError, NotFoundError, VerifyError
from verify.review import accounts as users
from verify.review import team
from verify.store import open_db
from verify.web.auth import current_role
from verify.web.security import archive_csp

bp = Blueprint("team", __name__)


def _me() -> str:
    return session["reviewer"]


def _back(claim_id: int, anchor: str = "team") -> Any:
    return redirect(url_for("web.claim", claim_id=claim_id, _anchor=anchor), 303)


def _run(back: Any, func: Any, *args: Any, ok: str, done: Any = None, **kwargs: Any) -> Any:
    """Run one library write from a form: ForbiddenError is a 403 page, any other refusal a
    message on the page `back()` returns to; nothing changes either way. On success, `ok` is
    flashed and `done()` (default `back()`) answers."""
    try:
        func(g.db, *args, **kwargs)
    except ForbiddenError as exc:
        abort(403, str(exc))
    except VerifyError as exc:
        flash(str(exc), "error")
        return back()
    flash(ok, "ok")
    return (done or back)()


def _do(claim_id: int, func: Any, *args: Any, ok: str, **kwargs: Any) -> Any:
    """One library write for the claim page, answered with the claim page."""
    return _run(lambda: _back(claim_id), func, *args, ok=ok, **kwargs)


def _to_accounts() -> Any:
    return redirect(url_for("team.accounts"), 303)


# --------------------------------------------------------------------------- the panel


def team_info(claim_id: int) -> dict[str, Any]:
    """What the team panel of a claim page shows (a template global)."""
    db = g.db
    claim = team.get_claim(db, claim_id)
    role = current_role()
    me = session.get("reviewer")
    approval = claim["approval"]
    return {
        "claim": claim,
        "comments": team.comments(db, claim_id),
        "members": [u["name"] for u in users.list_users(db) if u["active"]],
        "required": team.approval_required(db),
        "can": {
            action: model.role_allows(role, action)
            for action in ("approve", "assign", "prioritise", "tag", "comment", "claimant", "skip")
        },
        "may_approve": bool(
            approval
            and claim["status"] == "decided"
            and approval["approved_by"] is None
            and approval["decided_by"] != me
            and model.role_allows(role, "approve")
        ),
        "holder": model.live_lease(claim, _now()),
        "job": _job(claim_id),
        "to_capture": len(team.sources_to_capture(db, claim_id)),
    }


def _now() -> str:
    from verify.clock import now

    return now()


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"team_info": team_info}


# --------------------------------------------------------------------------- lists


@bp.get("/mine")
def mine() -> Any:
    found = team.mine(g.db, _me())
    return render_template("team_list.html", title="Mine", claims=found, filters=None)


@bp.get("/find")
def find() -> Any:
    args = request.args
    filters = {k: args.get(k, "").strip() for k in ("tag", "status", "article", "assignee")}
    scores: dict[str, float] = {}
    for key in ("min_score", "max_score"):
        raw = args.get(key, "").strip()
        filters[key] = raw
        if raw:
            try:
                scores[key] = float(raw)
            except ValueError:
                abort(400, f"{key.replace('_', ' ')} must be a number between 0 and 1")
    try:
        found = team.find_claims(
            g.db,
            tag=filters["tag"] or None,
            status=filters["status"] or None,
            article=filters["article"] or None,
            assignee=filters["assignee"] or None,
            min_score=scores.get("min_score"),
            max_score=scores.get("max_score"),
            limit=100,
        )
    except VerifyError as exc:
        abort(400, str(exc))
    return render_template(
        "team_list.html",
        title="Find claims",
        claims=found,
        filters=filters,
        statuses=model.STATUSES,
        tags=team.all_tags(g.db),
    )


# --------------------------------------------------------------------------- claim forms


@bp.post("/claims/<int:claim_id>/approve")
def approve(claim_id: int) -> Any:
    return _do(claim_id, team.approve, claim_id, _me(), ok="Verdict approved: it can be published.")


@bp.post("/claims/<int:claim_id>/assign")
def assign(claim_id: int) -> Any:
    name = request.form.get("assignee", "").strip() or None
    ok = f"Assigned to {name}." if name else "Assignment removed."
    return _do(claim_id, team.assign, claim_id, name, _me(), ok=ok)


@bp.post("/claims/<int:claim_id>/priority")
def priority(claim_id: int) -> Any:
    value = request.form.get("priority", "").strip()
    return _do(claim_id, team.set_priority, claim_id, value, _me(), ok=f"Priority {value}.")


@bp.post("/claims/<int:claim_id>/tags")
def tags(claim_id: int) -> Any:
    add = [t for t in request.form.get("add", "").replace(",", " ").split() if t]
    remove = [t for t in request.form.getlist("remove") if t]
    return _do(claim_id, team.tag, claim_id, add, _me(), remove=remove, ok="Tags saved.")


@bp.post("/claims/<int:claim_id>/comments")
def comment(claim_id: int) -> Any:
    text = request.form.get("text", "")
    return _do(claim_id, team.comment, claim_id, text, _me(), ok="Comment added.")


@bp.post("/claims/<int:claim_id>/claimant")
def claimant(claim_id: int) -> Any:
    name = request.form.get("claimant", "")
    return _do(claim_id, team.set_claimant, claim_id, name, _me(), ok="Claimant saved.")


@bp.post("/claims/<int:claim_id>/skip")
def skip(claim_id: int) -> Any:
    return _run(
        lambda: _back(claim_id),
        team.skip,
        _me(),
        claim_id,
        ok="Skipped: the claim is back in the queue for the others.",
        done=lambda: redirect(url_for("web.queue"), 303),
    )


# --------------------------------------------------------------------------- capture button


_JOBS_LOCK = threading.Lock()


def _jobs() -> dict[int, dict[str, Any]]:
    return current_app.extensions.setdefault("verify_capture_jobs", {})


def _job(claim_id: int) -> dict[str, Any] | None:
    with _JOBS_LOCK:
        job = _jobs().get(claim_id)
        return dict(job) if job else None


def _run_capture(
    db_path: str, job: dict[str, Any], source_ids: list[int], actor: str | None
) -> None:
    db = open_db(db_path, migrate=False)

    def progress(p: capture.CaptureProgress) -> None:
        with _JOBS_LOCK:
            job.update(done=p.done, fetched=p.fetched, failed=p.failed, url=p.url)

    try:
        # the archive's capture settings (mode, screenshots, recover) apply, as in `verify fetch`;
        # extraction stays in this process's threads (a claim has few sources)
        # the signed-in reviewer (checked by sources_to_capture) is the captures' actor
        options = capture_policy.capture_options(
            db, refetch=True, concurrency=8, extract_processes=0, actor=actor
        )
        report = capture_policy.run_capture(db, options, source_ids=source_ids, progress=progress)
        summary = report.capture
    except VerifyError as exc:
        with _JOBS_LOCK:
            job.update(state="error", message=str(exc))
    except Exception as exc:  # a background thread must report, never die silently
        with _JOBS_LOCK:
            job.update(state="error", message=f"{type(exc).__name__}: {exc}")
    else:
        with _JOBS_LOCK:
            named = [f"source {c['source_id']} changed" for c in summary.changed_sources]
            named += [
                f"claim {c['claim_id']}'s evidence changed"
                + (" (reopened)" if c["reopened"] else "")
                for c in summary.reopened_claims
            ]
            job.update(
                state="done",
                done=summary.total,
                fetched=summary.fetched,
                failed=summary.failed,
                changed_sources=list(summary.changed_sources),
                reopened_claims=list(summary.reopened_claims),
                message=f"{summary.fetched} captured, {summary.failed} failed"
                + (": " + "; ".join(named) if named else "")
                + (
                    f"; recovered {report.recovery.recovered} from web archives"
                    if report.recovery is not None
                    else ""
                ),
            )
    finally:
        db.close()


@bp.post("/claims/<int:claim_id>/capture")
def start_capture(claim_id: int) -> Any:
    """Fetch the claim's pending and failed sources in a background thread."""
    try:
        ids = team.sources_to_capture(g.db, claim_id, actor=_me())
    except ForbiddenError as exc:
        abort(403, str(exc))
    wants_json = request.accept_mimetypes.best == "application/json"
    with _JOBS_LOCK:
        jobs = _jobs()
        running = jobs.get(claim_id)
        if running and running["state"] == "running":
            job = running
        elif not ids:
            job = None
        else:
            job = {"state": "running", "total": len(ids), "done": 0, "fetched": 0, "failed": 0,
                   "url": None, "message": None, "by": _me()}  # fmt: skip
            jobs[claim_id] = job
            db_path = current_app.config["VERIFY_DB"]
            threading.Thread(
                target=_run_capture, args=(db_path, job, ids, _me()), daemon=True, name="capture"
            ).start()
    if wants_json:
        return jsonify(dict(job) if job else {"state": "idle", "total": 0})
    if job is None:
        flash("Nothing to capture: every source has a good capture.", "info")
    else:
        flash(f"Capturing {job['total']} source(s) in the background.", "ok")
    return _back(claim_id)


@bp.get("/claims/<int:claim_id>/capture")
def capture_status(claim_id: int) -> Any:
    job = _job(claim_id)
    return jsonify(job or {"state": "idle", "total": 0})


# --------------------------------------------------------------------------- accounts


@bp.get("/team")
def accounts() -> Any:
    return render_template(
        "team_accounts.html",
        accounts=users.list_users(g.db),
        roles=model.ROLES,
        admin=model.role_allows(current_role(), "manage_users") and current_role() is not None,
        settings=[s for s in settings.list_settings(g.db) if s["key"] in PUBLISHING],
    )


PUBLISHING = ("require_approval", "review_url", "org", "org_url", "archive_url", "lease_minutes")


@bp.post("/team/settings")
def change_setting() -> Any:
    """An admin changes one setting (an empty value forgets it: its default applies)."""
    key = request.form.get("key", "")
    value = request.form.get("value", "").strip()
    if key not in PUBLISHING:
        abort(400, f"unknown setting {key!r}")
    if value:
        return _run(_to_accounts, settings.set_value, key, value, actor=_me(), ok=f"{key} saved.")
    return _run(_to_accounts, settings.unset_value, key, actor=_me(), ok=f"{key} saved.")


@bp.post("/team/users")
def add_account() -> Any:
    form = request.form
    return _run(_to_accounts, users.add_user, form.get("name", ""), form.get("role", ""),
                form.get("password", ""), actor=_me(),
                ok=f"Account {' '.join(form.get('name', '').split())} added.")  # fmt: skip


@bp.post("/team/users/<name>/disable")
def disable_account(name: str) -> Any:
    return _run(_to_accounts, users.disable_user, name, actor=_me(),
                ok=f"Account {name} disabled: its sessions have ended.")  # fmt: skip


@bp.post("/team/password")
def change_password() -> Any:
    """Change your own password: needs the current one; ends every session, this one too."""
    me = _me()
    try:
        users.authenticate(g.db, me, request.form.get("current", ""))
    except ForbiddenError:
        flash("The current password is wrong.", "error")
        return _to_accounts()
    try:
        users.set_password(g.db, me, request.form.get("password", ""), actor=me)
    except VerifyError as exc:
        flash(str(exc), "error")
        return _to_accounts()
    session.clear()
    return redirect(url_for("web.signin"), 303)


# --------------------------------------------------------------------------- public archive


@bp.get("/archive/<int:snapshot_id>")
def archived(snapshot_id: int) -> Any:
    """The archived copy a published review cites, read-only and without signing in: only
    snapshots of sources of decided claims, served inert (sandboxed, nothing from the web)."""
    try:
        snap = team.published_snapshot(g.db, snapshot_id)
        body = capture.snapshot_body(g.db, snapshot_id)
    except NotFoundError:
        abort(404, "no published archived copy with this number")
    ctype = (snap["content_type"] or "application/octet-stream").split(";", 1)[0].strip().lower()
    if ctype.startswith("text/") or ctype in ("application/xhtml+xml", "application/json"):
        ctype = f"{'text/html' if 'html' in ctype else 'text/plain'}; charset={snap['charset'] or 'utf-8'}"
    elif (
        not (ctype.startswith("image/") and ctype != "image/svg+xml") and ctype != "application/pdf"
    ):
        ctype = "application/octet-stream"
    response = Response(body, content_type=ctype)
    root = request.host_url.rstrip("/") + url_for("team.archived", snapshot_id=0)[:-1]
    response.headers["Content-Security-Policy"] = archive_csp(root)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Link"] = f'<{snap["final_url"] or snap["requested_url"]}>; rel="original"'
    fetched = parse_time(snap["fetched_at"])
    response.headers["Memento-Datetime"] = fetched.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response
