"""The review UI with accounts, in-process: sign-in per account, sessions that end, cookies,
limits per account and per address behind a trusted proxy, roles (403 and nothing changed),
approval by a second person, the team pages, the capture button, and the public archive."""

from __future__ import annotations

import time

from browser_helpers import csrf_from, sign_in
from conftest import PASSWORDS, LocalSite, Response, table_rows

from verify import settings, store
from verify.review import accounts as users
from verify.review import workflow as review
from verify.web import create_app


def client_for(app, name):
    client = app.test_client()
    token = sign_in(client, name, PASSWORDS[name])
    return client, token


def state(db) -> list:
    return table_rows(db, ("claims", "approvals", "claim_tags", "users", "verdicts", "assessments"))


def events(db, kind):
    return store.rows(db, "SELECT actor, detail FROM events WHERE kind = ? ORDER BY id", [kind])


def test_sign_in_per_account(db_path, desk):
    db, data = desk
    app = create_app(db_path)
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    assert 'name="reviewer"' in page and 'name="password"' in page
    token = csrf_from(page)

    def attempt(name, password):
        return client.post("/signin", data={"reviewer": name, "password": password,
                                            "csrf_token": token})  # fmt: skip

    wrong = attempt("rita", "editor-password")
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.get_data(as_text=True)
    assert attempt("ghost", "whatever-pass").status_code == 401
    assert client.get("/").status_code == 302
    failures = events(db, "sign_in_failed")
    assert len(failures) == 2 and '"name": "ghost"' in failures[1]["detail"]
    assert all("password" not in (f["detail"] or "").replace("wrong name or password", "")
               for f in failures)  # fmt: skip
    ok = attempt("rita", "reviewer-password")
    assert ok.status_code == 303
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    answer = client.get("/")
    assert "Set-Cookie" not in answer.headers  # the session is not re-sent with every page
    queue = answer.get_data(as_text=True)
    assert 'id="whoami">rita <span class="muted">(reviewer)' in queue
    assert [e["actor"] for e in events(db, "signed_in")] == ["rita"]
    # a disabled account cannot sign in, and its open session ends at once
    users.disable_user(db, "rita", actor="boss")
    assert client.get("/").status_code == 302
    token = csrf_from(client.get("/signin").get_data(as_text=True))  # the old session is gone
    refused = attempt("rita", "reviewer-password")
    assert refused.status_code == 403 and "disabled" in refused.get_data(as_text=True)


def test_sessions_end_and_cookies_cannot_be_replayed_or_forged(db_path, desk):
    db, data = desk
    app = create_app(db_path)
    client, token = client_for(app, "ed")
    stolen = client.get_cookie("verify_session").value
    thief = app.test_client()
    thief.set_cookie("verify_session", stolen)
    assert thief.get("/").status_code == 200  # a copied cookie works while the session lives
    client.post("/signout", data={"csrf_token": token})
    assert [e["actor"] for e in events(db, "signed_out")] == ["ed"]
    assert thief.get("/").status_code == 302  # ...and not after sign-out
    assert thief.post(f"/claims/{data.claims['died']}/comments",
                      data={"csrf_token": token, "text": "x"}).status_code == 403  # fmt: skip
    forged = app.test_client()
    forged.set_cookie("verify_session", stolen[:-3] + ("AAA" if stolen[-3:] != "AAA" else "BBB"))
    assert forged.get("/").status_code == 302
    # a password change ends every session of the account, the one that changed it too
    client, token = client_for(app, "ed")
    other, _ = client_for(app, "ed")
    wrong = client.post("/team/password", data={"current": "nope", "password": "new-password-1",
                                                 "csrf_token": token}, follow_redirects=True)  # fmt: skip
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    changed = client.post("/team/password", data={"current": "editor-password",
                                                   "password": "new-password-1",
                                                   "csrf_token": token})  # fmt: skip
    assert changed.status_code == 303 and changed.headers["Location"] == "/signin"
    assert client.get("/").status_code == 302 and other.get("/").status_code == 302
    assert users.authenticate(db, "ed", "new-password-1")["name"] == "ed"
    # a name-only session from before the accounts is refused too
    assert events(db, "comment") == []


def test_secure_cookie_and_client_address_only_from_a_trusted_proxy(db_path, desk):
    db, _ = desk
    app = create_app(db_path, trusted_proxies=["10.0.0.5"])
    limiter = app.extensions["verify_signin_limiter"]

    def sign_in_via(peer, **headers):
        client = app.test_client()
        page = client.get("/signin", environ_base={"REMOTE_ADDR": peer}, headers=headers)
        token = csrf_from(page.get_data(as_text=True))
        return client.post(
            "/signin",
            data={"reviewer": "ed", "password": "editor-password", "csrf_token": token},
            environ_base={"REMOTE_ADDR": peer},
            headers=headers,
        )

    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    via_proxy = sign_in_via("10.0.0.5", **proxied, Origin="https://localhost")
    assert via_proxy.status_code == 303 and "Secure" in via_proxy.headers["Set-Cookie"]
    direct = sign_in_via("198.51.100.1", **proxied)
    assert direct.status_code == 303 and "Secure" not in direct.headers["Set-Cookie"]
    addresses = [e["detail"] for e in events(db, "signed_in")]
    assert '"203.0.113.9"' in addresses[0] and '"198.51.100.1"' in addresses[1]
    # wrong passwords behind the proxy count per real client, not for the proxy as a whole
    client = app.test_client()
    token = csrf_from(client.get("/signin").get_data(as_text=True))
    for i in range(limiter.attempts):
        client.post("/signin", data={"reviewer": f"rita{i}", "password": "bad-password",
                                     "csrf_token": token},
                    environ_base={"REMOTE_ADDR": "10.0.0.5"},
                    headers={"X-Forwarded-For": "203.0.113.66"})  # fmt: skip
    assert limiter.wait_seconds("203.0.113.66") > 0
    assert limiter.wait_seconds("10.0.0.5") == 0


def test_guessing_at_an_account_never_locks_its_owner_out(db_path, desk):
    app = create_app(db_path)
    pairs = app.extensions["verify_pair_limiter"]

    def attempt(password, address):
        client = app.test_client()
        token = csrf_from(client.get("/signin").get_data(as_text=True))
        return client.post("/signin", data={"reviewer": "ed", "password": password,
                                            "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})  # fmt: skip

    for i in range(20):  # each from another address
        assert attempt("guess-password", f"198.51.100.{i + 1}").status_code == 401
    assert attempt("editor-password", "203.0.113.5").status_code == 303  # the owner, elsewhere
    # from one address the same name waits longer after each failure beyond the first few
    for _ in range(pairs.free):
        assert attempt("guess-password", "198.51.100.99").status_code == 401
    refused = attempt("editor-password", "198.51.100.99")
    assert refused.status_code == 429
    assert "for this name from your address" in refused.get_data(as_text=True)


def test_refused_actions_are_403_and_change_nothing(db_path, desk):
    db, data = desk
    cid = data.claims["soldiers"]
    review.give_verdict(db, cid, "true", "ed")
    app = create_app(db_path)
    rita, token = client_for(app, "rita")
    before = state(db)
    for url, form in (
        (f"/claims/{cid}/approve", {}),
        (f"/claims/{data.claims['died']}/assign", {"assignee": "rita"}),
        (f"/claims/{data.claims['died']}/priority", {"priority": "9"}),
        (f"/claims/{data.claims['died']}/tags", {"add": "mali"}),
        ("/team/users", {"name": "x", "role": "admin", "password": "xxxxxxxxxxxx"}),
        ("/team/users/ed/disable", {}),
        ("/team/settings", {"key": "require_approval", "value": "on"}),
    ):
        answer = rita.post(url, data={**form, "csrf_token": token})
        assert answer.status_code == 403, url
        assert "rita is a reviewer" in answer.get_data(as_text=True), url
    assert state(db) == before
    page = rita.get(f"/claims/{cid}").get_data(as_text=True)
    assert 'id="approve-button"' not in page and f'action="/claims/{cid}/assign"' not in page


def test_assignment_and_approval_by_a_second_person(db_path, desk):
    db, data = desk
    cid = data.claims["soldiers"]
    app = create_app(db_path)
    boss, boss_token = client_for(app, "boss")
    bad = boss.post("/team/settings", data={"key": "review_url", "value": "https://x.example/",
                                            "csrf_token": boss_token})  # fmt: skip
    assert bad.status_code == 303 and settings.get_value(db, "review_url") is None
    assert "must contain {id}" in boss.get("/team").get_data(as_text=True)
    boss.post("/team/settings", data={"key": "require_approval", "value": "on",
                                      "csrf_token": boss_token})  # fmt: skip
    assert settings.get_value(db, "require_approval") == "on"
    ed, ed_token = client_for(app, "ed")
    rita, rita_token = client_for(app, "rita")
    assert ed.post(f"/claims/{cid}/assign",
                   data={"assignee": "rita", "csrf_token": ed_token}).status_code == 303  # fmt: skip
    mine = rita.get("/mine").get_data(as_text=True)
    assert f'href="/claims/{cid}"' in mine
    assert rita.post("/next", data={"csrf_token": rita_token}).headers["Location"] == (
        f"/claims/{cid}"
    )
    rita.post(f"/claims/{cid}/verdict", data={"verdict": "mostly-true", "csrf_token": rita_token})
    page = rita.get(f"/claims/{cid}").get_data(as_text=True)
    assert "draft" in page and 'id="approve-button"' not in page  # not her own
    page = ed.get(f"/claims/{cid}").get_data(as_text=True)
    assert 'id="approve-button"' in page
    assert ed.post(f"/claims/{cid}/approve", data={"csrf_token": ed_token}).status_code == 303
    page = ed.get(f"/claims/{cid}").get_data(as_text=True)
    assert "approved</span> by <strong>ed</strong>" in page
    approvals = db.conn.execute("SELECT approver FROM approvals WHERE claim_id = ?", [cid])
    assert approvals.fetchall() == [("ed",)]
    # the team pages: find by tag and assignee, comments on the claim page
    ed.post(f"/claims/{cid}/tags", data={"add": "army, mali", "csrf_token": ed_token})
    ed.post(f"/claims/{cid}/comments", data={"text": "Well sourced.", "csrf_token": ed_token})
    found = ed.get("/find?tag=army&assignee=rita").get_data(as_text=True)
    assert f'href="/claims/{cid}"' in found
    assert f'href="/claims/{data.claims["died"]}"' not in found
    assert "Well sourced." in ed.get(f"/claims/{cid}").get_data(as_text=True)
    assert ed.get("/find?min_score=x").status_code == 400


def test_public_archive_serves_only_published_snapshots(db_path, desk):
    db, data = desk
    client = create_app(db_path).test_client()  # not signed in
    toll = data.snapshots["toll"]
    assert client.get(f"/archive/{toll}").status_code == 404  # its claim is not decided
    review.give_verdict(db, data.claims["died"], "true", "rita")
    answer = client.get(f"/archive/{toll}")
    assert answer.status_code == 200 and b"22 people were killed" in answer.data
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")
    assert client.get(f"/archive/{data.snapshots['army']}").status_code == 404
    assert client.get(f"/claims/{data.claims['died']}").status_code == 302  # the rest: private


def test_capture_button_fetches_pending_and_failed_sources(db_path, desk, monkeypatch):
    db, data = desk
    site = LocalSite()
    try:
        site.routes["/report"] = Response(
            200, "<html><body><p>650 soldiers go north.</p></body></html>"
        )
        site.routes["/robots.txt"] = Response(404, "", content_type="text/plain")
        monkeypatch.setenv("VERIFY_ALLOW_HOSTS", site.netloc)
        cid = data.claims["soldiers"]
        db.conn.execute(
            "UPDATE sources SET url = ?, host = ? WHERE id = ?",
            [site.url("/report"), site.netloc, data.sources["down"]],
        )
        app = create_app(db_path)
        rita, token = client_for(app, "rita")
        page = rita.get(f"/claims/{cid}").get_data(as_text=True)
        assert "Capture 1 pending/failed source" in page
        started = rita.post(f"/claims/{cid}/capture", data={"csrf_token": token},
                            headers={"Accept": "application/json"})  # fmt: skip
        assert started.status_code == 200 and started.json["total"] == 1
        job = started.json
        for _ in range(200):  # the capture runs in a background thread
            job = rita.get(f"/claims/{cid}/capture").json
            if job["state"] != "running":
                break
            time.sleep(0.05)
        assert job["state"] == "done" and job["fetched"] == 1, job
        assert site.hits.get("/report") == 1
        latest = db.conn.execute(
            "SELECT status, text FROM snapshots WHERE source_id = ? ORDER BY id DESC LIMIT 1",
            [data.sources["down"]],
        ).fetchone()
        assert latest[0] == 200 and "650 soldiers" in latest[1]
        assert "Capture 0 pending/failed sources" in rita.get(f"/claims/{cid}").get_data(
            as_text=True
        )
    finally:
        site.close()
