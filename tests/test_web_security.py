"""Safety of the web UI: headers, escaping, CSRF, sessions, authentication and binding."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from browser_helpers import csrf_from, sign_in
from conftest import table_rows

from verify import store
from verify.errors import AuthError, InputError
from verify.store import open_db
from verify.web import check_bind, create_app, load_auth

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def state(db) -> list:
    tables = ("claims", "claim_sources", "assessments", "verdicts", "events")
    return table_rows(db, tables, order_by="rowid")


def test_app_pages_have_a_strict_policy(web):
    client, _, data, _ = web
    for url in (
        "/",
        f"/claims/{data.claims['died']}",
        f"/snapshots/{data.snapshots['toll']}",
        "/search?q=x",
        f"/articles/{data.article_id}",
        "/signin",
    ):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp, url
        assert "frame-ancestors 'none'" in csp and headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_archived_html_is_served_sandboxed_without_scripts(web):
    client, _, data, _ = web
    answer = client.get(f"/snapshots/{data.snapshots['hostile']}/raw")
    csp = answer.headers["Content-Security-Policy"]
    directives = [d.strip() for d in csp.split(";")]
    assert directives[0] == "sandbox"  # no allow-scripts, no allow-same-origin
    assert "default-src 'none'" in directives
    assert "style-src 'unsafe-inline'" in directives
    img = next(d for d in directives if d.startswith("img-src"))
    assert img.split()[1] == "data:" and all(
        src.startswith("http://localhost/snapshots/") for src in img.split()[2:]
    )
    assert not any(
        d.startswith("script-src") for d in directives
    )  # falls back to default-src 'none'
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    page = client.get(f"/snapshots/{data.snapshots['hostile']}").get_data(as_text=True)
    assert re.search(r'<iframe class="archived" sandbox="" src="/snapshots/\d+/raw"', page)
    # the hostile markup is only in the raw route, never inline in an app page
    assert "onload=" not in page and "<script>" not in page.split("<main>")[1]


def test_non_html_payloads_are_never_rendered_as_pages(web):
    client, _, data, db = web
    sha = store.put_payload(db, b"<script>alert(1)</script>")
    db.conn.execute(
        "UPDATE snapshots SET sha256 = ?, content_type = 'application/x-whatever' WHERE id = ?",
        [sha, data.snapshots["army"]],
    )
    answer = client.get(f"/snapshots/{data.snapshots['army']}/raw")
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment")


def test_claim_text_titles_and_notes_are_escaped_everywhere(web):
    client, token, data, db = web
    cid = data.claims["died"]
    db.conn.execute("UPDATE claims SET text = ? WHERE id = ?", [EVIL + " 22 people died", cid])
    db.conn.execute("UPDATE articles SET title = ?", [EVIL])
    db.conn.execute(
        "UPDATE snapshots SET title = ?, text = text || ? WHERE id = ?",
        [EVIL, " " + EVIL, data.snapshots["toll"]],
    )
    db.conn.execute(
        "UPDATE claim_sources SET note = ?, anchor_text = ? WHERE claim_id = ?", [EVIL, EVIL, cid]
    )
    client.post(
        f"/claims/{cid}/verdict", data={"csrf_token": token, "verdict": "false", "note": EVIL}
    )
    client.post(
        f"/claims/{cid}/assess",
        data={
            "csrf_token": token,
            "source": str(data.sources["toll"]),
            "stance": "refutes",
            "quote": 'alert("x")',
        },
    )
    assert db.conn.execute("SELECT count(*) FROM assessments").fetchone()[0] == 1
    pages = [
        "/?status=all",
        f"/claims/{cid}",
        f"/articles/{data.article_id}",
        f"/snapshots/{data.snapshots['toll']}",
        "/search?q=alert",
        "/search?q=" + EVIL,
    ]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
    claim_page = client.get(f"/claims/{cid}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in claim_page


def _forged(client, url, form, **headers):
    return client.post(url, data=form, headers=headers)


def test_forged_posts_are_refused_and_change_nothing(web):
    client, token, data, db = web
    cid = data.claims["died"]
    before = state(db)
    verdict = {"verdict": "false", "note": "forged"}
    attempts = [
        _forged(client, f"/claims/{cid}/verdict", verdict),  # no token
        _forged(client, f"/claims/{cid}/verdict", {**verdict, "csrf_token": "guess"}),
        _forged(
            client,
            f"/claims/{cid}/verdict",
            {**verdict, "csrf_token": token},
            Origin="http://evil.example",
        ),
        _forged(client, f"/claims/{cid}/verdict", {**verdict, "csrf_token": token}, Origin="null"),
        _forged(
            client,
            f"/claims/{cid}/verdict",
            {**verdict, "csrf_token": token},
            Referer="http://evil.example/page",
        ),
        _forged(client, "/next", {"csrf_token": token}, Origin="http://localhost.evil.example"),
        _forged(client, f"/claims/{cid}/assess", {"source": "1", "stance": "supports"}),
    ]
    assert [a.status_code for a in attempts] == [403] * len(attempts)
    assert state(db) == before
    # another browser (another session) cannot reuse ana's token
    other = create_app(db.conn.execute("PRAGMA database_list").fetchone()[2]).test_client()
    sign_in(other, "mallory")
    assert (
        other.post(f"/claims/{cid}/verdict", data={**verdict, "csrf_token": token}).status_code
        == 403
    )
    assert state(db) == before
    # the same form with the session's token from our own origin works
    ok = client.post(
        f"/claims/{cid}/verdict",
        data={**verdict, "csrf_token": token},
        headers={"Origin": "http://localhost"},
    )
    assert ok.status_code == 303 and state(db) != before


def test_posts_without_a_session_are_refused(web, db_path):
    _, _, data, db = web
    before = state(db)
    anonymous = create_app(db_path).test_client()
    token = csrf_from(anonymous.get("/signin").get_data(as_text=True))  # a token, but no name
    assert anonymous.post("/next", data={"csrf_token": token}).status_code == 403
    assert state(db) == before


def test_session_cookie_flags_and_a_secret_per_database(db_path, monkeypatch):
    monkeypatch.delenv("VERIFY_WEB_SECRET", raising=False)
    app = create_app(db_path)
    client = app.test_client()
    answer = client.get("/signin")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    db = open_db(db_path)
    secret = store.get_setting(db, "web_secret_key")
    assert secret == app.config["SECRET_KEY"] and len(secret) >= 32
    assert create_app(db_path).config["SECRET_KEY"] == secret  # stable: sessions survive a restart
    monkeypatch.setenv("VERIFY_WEB_SECRET", "from-the-environment")
    assert create_app(db_path).config["SECRET_KEY"] == "from-the-environment"
    db.close()


def test_with_auth_sign_in_needs_the_password(db_path):
    client = create_app(db_path, auth="correct horse").test_client()
    page = client.get("/signin").get_data(as_text=True)
    assert 'name="password"' in page
    token = csrf_from(page)
    assert client.post("/signin", data={"reviewer": "ana", "csrf_token": token}).status_code == 401
    wrong = client.post(
        "/signin", data={"reviewer": "ana", "password": "battery", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "Wrong password" in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302
    right = client.post(
        "/signin", data={"reviewer": "ana", "password": "correct horse", "csrf_token": token}
    )
    assert right.status_code == 303 and client.get("/").status_code == 200


def test_load_auth_and_check_bind(tmp_path, monkeypatch):
    monkeypatch.delenv("VERIFY_WEB_TOKEN", raising=False)
    monkeypatch.delenv("VERIFY_WEB_PASSWORD", raising=False)
    assert load_auth() is None
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1"):
        check_bind(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org"):
        with pytest.raises(AuthError, match="refusing to serve"):
            check_bind(host, None)
    # beyond this machine only with accounts: a shared password is for loopback use
    with pytest.raises(AuthError, match="without accounts"):
        check_bind("0.0.0.0", "token")
    check_bind("0.0.0.0", None, has_accounts=True)
    monkeypatch.setenv("VERIFY_WEB_PASSWORD", "pw")
    assert load_auth() == "pw"
    monkeypatch.setenv("VERIFY_WEB_TOKEN", "tok")
    assert load_auth() == "tok"
    secret = tmp_path / "auth"
    secret.write_text("from-file\n")
    assert load_auth(secret) == "from-file"
    secret.write_text("  \n")
    with pytest.raises(InputError, match="empty"):
        load_auth(secret)
    with pytest.raises(InputError, match="cannot read"):
        load_auth(tmp_path / "missing")


def test_serve_refuses_a_public_address_without_auth(run_cli, db_path, monkeypatch):
    monkeypatch.delenv("VERIFY_WEB_TOKEN", raising=False)
    monkeypatch.delenv("VERIFY_WEB_PASSWORD", raising=False)
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: refusing to serve on 0.0.0.0 without accounts: add one with"
        " `verify user add NAME --role admin --password-stdin` (or bind 127.0.0.1)"
    ]
    assert not db_path.exists()  # refused before creating anything


def test_serve_runs_waitress_on_loopback(tmp_path):
    """`verify serve` as a real process: waitress answers on 127.0.0.1 with the app."""
    env = {**os.environ, "VERIFY_DB": str(tmp_path / "v.db")}
    env.pop("VERIFY_WEB_TOKEN", None)
    env.pop("VERIFY_WEB_PASSWORD", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from verify.cli import main; main()",
            "serve",
            "--port",
            "0",
            "--threads",
            "2",
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{match.group(1)}/signin", timeout=5
                ) as answer:
                    body = answer.read().decode()
                    server = answer.headers["Server"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert "Sign in" in body and server == "waitress"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_wrong_passwords_are_limited_per_address(db_path):
    app = create_app(db_path, auth="correct horse")
    limiter = app.extensions["verify_signin_limiter"]
    clock = [1000.0]
    limiter.clock = lambda: clock[0]
    client = app.test_client()
    token = csrf_from(client.get("/signin").get_data(as_text=True))

    def attempt(password, address="198.51.100.7", name="ana"):
        return client.post(
            "/signin",
            data={"reviewer": name, "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": address},
        )

    for i in range(limiter.attempts):  # under several names: the budget is the address's
        assert attempt("guess", name=f"ana{i}").status_code == 401
    refused = attempt("correct horse")  # even the right password waits now
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    assert attempt("correct horse", address="203.0.113.9").status_code == 303  # another address
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    clock[0] += limiter.window + 1
    token = csrf_from(client.get("/signin").get_data(as_text=True))
    assert attempt("correct horse").status_code == 303


def test_no_limit_without_a_password(db_path):
    app = create_app(db_path)
    client = app.test_client()
    token = csrf_from(client.get("/signin").get_data(as_text=True))
    for _ in range(8):  # empty names fail, but there is no password to guess
        assert client.post("/signin", data={"reviewer": "", "csrf_token": token}).status_code == 400
    assert client.post("/signin", data={"reviewer": "ana", "csrf_token": token}).status_code == 303


def test_serve_help_states_the_default_thread_count(run_cli):
    from verify.web.app import THREADS

    out = run_cli("serve", "--help")
    assert out.exit_code == 0
    assert f"(default {THREADS}:" in " ".join(out.stdout.split())
