"""The first hour of a newsroom with verify (issue 21): each friction a newcomer met, fixed.
CLI through CliRunner, the web UI in-process, sources served from 127.0.0.1 (port 0)."""

from __future__ import annotations

import json
import socket

import pytest
from browser_helpers import csrf_from, sign_in
from conftest import LocalSite, Response
from review_helpers import make_article, make_claim, make_snapshot, make_source

from verify import store
from verify.capture import replay
from verify.ingest import article as ingest
from verify.ingest import claims
from verify.review import accounts as users
from verify.review import team
from verify.review import workflow as review
from verify.store import open_db
from verify.web import create_app

PAGE = "<html><head><title>Report</title></head><body><main><p>{}</p></main></body></html>"


def actors(db_path, kind: str) -> list[str | None]:
    db = open_db(db_path)
    try:
        return [
            r["actor"] for r in store.rows(db, "SELECT actor FROM events WHERE kind = ?", [kind])
        ]
    finally:
        db.close()


def count(db_path, table: str) -> int:
    db = open_db(db_path)
    try:
        return db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


# --------------------------------------------------------------------------- --reviewer


def test_claim_add_and_source_add_record_the_reviewer(run_cli, db_path):
    added = run_cli("claim", "add", "The bridge opened in 1932.", "--reviewer", "ana", "--json")
    assert added.exit_code == 0, added.stderr
    claim_id = json.loads(added.stdout)["id"]
    attached = run_cli("source", "add", str(claim_id), "https://example.org/a", "-r", "ben")
    assert attached.exit_code == 0, attached.stderr
    assert actors(db_path, "claim_added") == ["ana"]
    assert actors(db_path, "source_added") == ["ben"]


def test_with_accounts_adding_needs_an_account(run_cli, db_path):
    made = run_cli("user", "add", "boss", "--role", "admin", "--password-stdin",
                   input="admin-password\n")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    nobody = run_cli("claim", "add", "The bridge opened in 1932.")
    assert nobody.exit_code == 1
    assert nobody.stderr == (
        "Error: give your account name (--reviewer NAME): this archive has accounts\n"
    )
    ghost = run_cli("claim", "add", "The bridge opened in 1932.", "--reviewer", "ghost")
    assert ghost.exit_code == 1 and "'ghost' is not an account here" in ghost.stderr
    assert count(db_path, "claims") == 0
    ok = run_cli("claim", "add", "The bridge opened in 1932.", "--reviewer", "boss")
    assert ok.exit_code == 0, ok.stderr
    refused = run_cli("source", "add", "1", "https://example.org/a")
    assert refused.exit_code == 1 and count(db_path, "claim_sources") == 0
    done = run_cli("source", "add", "1", "https://example.org/a", "--reviewer", "boss")
    assert done.exit_code == 0 and actors(db_path, "source_added") == ["boss"]


def test_import_and_ingest_take_the_reviewer(run_cli, db_path, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("claim,url\nThe bridge opened in 1932.,https://example.org/a\n")
    done = run_cli("import", str(sheet), "--reviewer", "rita")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == (
        "Imported 1 new claim and 1 new claim source from 1 row (0 bad rows skipped)\n"
    )
    assert set(actors(db_path, "imported")) == {"rita"}
    story = tmp_path / "story.txt"
    story.write_text("The port handled 4.2 million containers in 2023, officials said.\n")
    ingested = run_cli("ingest", str(story), "--reviewer", "rita")
    assert ingested.exit_code == 0, ingested.stderr
    assert set(actors(db_path, "ingested")) == {"rita"}


# --------------------------------------------------------------------------- serve


def test_serve_on_a_busy_port_suggests_another(run_cli):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        result = run_cli("serve", "--port", str(port))
    finally:
        busy.close()
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: port {port} on 127.0.0.1 is already in use (another `verify serve`?):"
        f" pick another with --port, e.g. --port {port + 1}"
    )
    assert "internal error" not in result.stderr


# --------------------------------------------------------------------------- ingest


def test_a_plain_text_headline_becomes_the_title(db):
    text = "Council votes to cut water use\n\nThe council voted 7 to 2 on Tuesday to cut use.\n"
    result = ingest.ingest_article(db, "-", stdin=text.encode())
    title = db.conn.execute("SELECT title FROM articles WHERE id = ?", [result.article_id])
    assert title.fetchone()[0] == "Council votes to cut water use"
    plain = "The council voted 7 to 2 on Tuesday.\n\nIt meets again in May.\n"
    again = ingest.ingest_article(db, "-", stdin=plain.encode())
    title = db.conn.execute("SELECT title FROM articles WHERE id = ?", [again.article_id])
    assert title.fetchone()[0] is None  # a sentence is not a headline


def test_plain_headline_rules():
    assert ingest.plain_headline("Pools close\n\nThe city said so.") == "Pools close"
    assert ingest.plain_headline("The city said so.\n\nMore.") is None
    assert ingest.plain_headline("Only a headline") is None  # nothing follows
    assert ingest.plain_headline("Two\nlines\n\nText.") is None


def test_reingest_prints_one_line_and_no_table(run_cli, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("The port handled 4.2 million containers in 2023, officials said.\n")
    first = run_cli("ingest", str(story))
    assert first.exit_code == 0 and first.stdout.startswith(
        "Article 1: 1 sentence, 1 queued claim, 0 body links, 0 candidate sources\n"
    )
    again = run_cli("ingest", str(story))
    assert again.exit_code == 0 and again.stdout == ""
    assert again.stderr == (
        "already ingested as article 1: nothing added (its claims: `verify claims --article 1`)\n"
    )


def test_export_of_one_item_is_singular(run_cli, tmp_path):
    assert run_cli("claim", "add", "The bridge opened in 1932.").exit_code == 0
    out = tmp_path / "claims.csv"
    done = run_cli("export", "--format", "csv", "-o", str(out))
    assert done.exit_code == 0 and done.stderr == f"Wrote 1 item to {out}.\n"


# --------------------------------------------------------------------------- blocked addresses


def test_fetch_names_allow_host_once_for_blocked_sources(run_cli, site: LocalSite):
    site.routes["/a"] = Response(200, PAGE.format("One."))
    site.routes["/b"] = Response(200, PAGE.format("Two."))
    run_cli("claim", "add", "The bridge opened in 1932.", "--source", site.url("/a"),
            "--source", site.url("/b"))  # fmt: skip
    refused = run_cli("fetch")
    assert refused.exit_code == 1
    hints = [line for line in refused.stderr.splitlines() if "--allow-host" in line]
    assert hints == [
        "2 sources refused: 127.0.0.1 is a local or private address; to fetch it, run again"
        " with --allow-host 127.0.0.1 (or VERIFY_ALLOW_HOSTS)"
    ]
    allowed = run_cli("fetch", "--allow-host", "127.0.0.1")
    assert allowed.exit_code == 0 and "--allow-host" not in allowed.stderr


def test_ingest_of_a_blocked_url_names_allow_host_once(run_cli, site: LocalSite):
    site.routes["/story"] = Response(200, PAGE.format("The port handled 4 ships in 2023."))
    refused = run_cli("ingest", site.url("/story"))
    assert refused.exit_code == 1
    assert refused.stderr.count("--allow-host") == 1 and len(refused.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- history


def test_history_leaves_out_fetches_from_before_the_claim(db):
    first = make_claim(db, "The bridge opened in 1932.", created_at="2026-11-20T10:00:00.000000Z")
    source_id = make_source(db, first, "https://example.org/bridge")
    with store.immediate(db):
        store.add_event(db, "fetched", source_id=source_id, actor="verify fetch",
                        at="2026-11-20T11:00:00.000000Z")  # fmt: skip
    later = claims.add_claim(db, "The bridge is 400 metres long.",
                             sources=["https://example.org/bridge"])  # fmt: skip
    with store.immediate(db):
        store.add_event(db, "fetched", source_id=source_id, actor="verify fetch",
                        at="2099-01-01T00:00:00.000000Z")  # fmt: skip
    kinds_first = [e["kind"] for e in review.history(db, first)]
    kinds_later = [e["kind"] for e in review.history(db, later)]
    assert kinds_first.count("fetched") == 2
    assert kinds_later.count("fetched") == 1  # the fetch made after it existed only


# --------------------------------------------------------------------------- the web UI


@pytest.fixture
def web(db_path):
    db = open_db(db_path)
    article = make_article(db, "A story. The bridge opened in 1932. It is long.")
    yield db, article
    db.close()


def signed_in(db_path, name: str = "ana"):
    client = create_app(db_path).test_client()
    token = sign_in(client, name)
    return client, token


def test_queue_explains_sources_and_shows_the_right_reviewer(db_path, web):
    db, article = web
    assigned = make_claim(db, "The bridge opened in 1932.", article_id=article)
    requeued = make_claim(db, "The bridge is 400 metres long.", article_id=article)
    team.assign(db, assigned, "rita", "ed")
    db.conn.execute(
        "UPDATE claims SET decided_by = 'ben', previous_verdict = 'false' WHERE id = ?", [requeued]
    )
    db.conn.commit()
    client, _ = signed_in(db_path)
    page = client.get("/").get_data(as_text=True)
    assert 'id="sources-legend"' in page and "captured / failed / all" in page
    cells = page.split('<td class="reviewer">')[1:]
    shown = {c.split("</td>")[0] for c in cells}
    assert 'rita <span class="muted">(assigned)</span>' in shown
    assert not any("ben" in c for c in shown)


def test_team_panel_after_a_verdict_is_cleared(db_path, web):
    db, article = web
    claim_id = make_claim(db, "The bridge opened in 1932.", article_id=article)
    review.give_verdict(db, claim_id, "false", "ben")
    client, _ = signed_in(db_path)
    assert "Verdict by" in client.get(f"/claims/{claim_id}").get_data(as_text=True)
    db.conn.execute(
        "UPDATE claims SET status = 'queued', verdict = NULL, previous_verdict = 'false'"
        " WHERE id = ?",
        [claim_id],
    )
    db.conn.commit()
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Verdict by" not in page and 'id="approval"' not in page


def test_comments_without_a_number_when_there_are_none(db_path, web):
    db, article = web
    claim_id = make_claim(db, "The bridge opened in 1932.", article_id=article)
    client, _ = signed_in(db_path)
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert '<p class="muted" id="comments">No comments yet.</p>' in page
    assert '<ol class="comments"' not in page and "<h3>Comments</h3>" in page
    team.comment(db, claim_id, "Call the council.", "ana")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "<h3>Comments (1)</h3>" in page and "No comments yet." not in page


def test_adding_a_source_points_to_the_capture_button(db_path, web):
    db, article = web
    claim_id = make_claim(db, "The bridge opened in 1932.", article_id=article)
    client, token = signed_in(db_path)
    answer = client.post(f"/claims/{claim_id}/sources",
                         data={"url": "https://example.org/x", "csrf_token": token},
                         follow_redirects=True)  # fmt: skip
    page = answer.get_data(as_text=True)
    assert "Capture it with the Capture button below." in page
    assert "verify fetch --claim" not in page


def test_unchanged_badge_only_when_the_text_is_the_same(db_path, web):
    db, _ = web
    claim_id = make_claim(db, "The bridge opened in 1932.")
    source_id = make_source(db, claim_id, "https://example.org/bridge")
    make_snapshot(db, source_id, "The bridge opened in 1932.")
    same = make_snapshot(db, source_id, "The bridge opened in 1932.",
                         fetched_at="2026-11-22T10:00:00.000000Z")  # fmt: skip
    moved = make_snapshot(db, source_id, "The bridge opened in 1932.\nIt was repainted.",
                          fetched_at="2026-11-23T10:00:00.000000Z")  # fmt: skip
    for snapshot_id in (same, moved):
        db.conn.execute(
            "UPDATE snapshots SET changed = 0, previous_id = ? WHERE id = ?",
            [snapshot_id - 1, snapshot_id],
        )
    db.conn.commit()
    client, _ = signed_in(db_path)
    page_same = client.get(f"/snapshots/{same}").get_data(as_text=True)
    page_moved = client.get(f"/snapshots/{moved}").get_data(as_text=True)
    assert '<span class="badge">unchanged</span>' in page_same
    assert '<span class="badge">unchanged</span>' not in page_moved
    assert "same payload, text differs" in page_moved and "It was repainted." in page_moved


def test_cited_by_counts_quotes_missing_from_this_capture(db_path, web):
    db, _ = web
    claim_id = make_claim(db, "The bridge opened in 1932.")
    source_id = make_source(db, claim_id, "https://example.org/bridge")
    first = make_snapshot(db, source_id, "The bridge opened in 1932, the city says.")
    review.assess(db, claim_id, source_id, "supports", "ana",
                  quote="The bridge opened in 1932", snapshot_id=first)  # fmt: skip
    second = make_snapshot(db, source_id, "The bridge page was rewritten.",
                           fetched_at="2026-11-22T10:00:00.000000Z")  # fmt: skip
    client, _ = signed_in(db_path)
    on_first = client.get(f"/snapshots/{first}").get_data(as_text=True)
    on_second = client.get(f"/snapshots/{second}").get_data(as_text=True)
    cited_first = on_first.split("<h2>Cited by</h2>")[1].split("</section>")[0]
    cited_second = on_second.split("<h2>Cited by</h2>")[1].split("</section>")[0]
    assert "stance-supports" in cited_first and "not in this capture" not in cited_first
    assert "stance-supports" not in cited_second
    assert "(1 quote not in this capture)" in cited_second


def test_a_browser_capture_shows_no_blank_static_frame(db_path, web, monkeypatch):
    db, _ = web
    claim_id = make_claim(db, "The bridge opened in 1932.")
    source_id = make_source(db, claim_id, "https://example.org/app")
    snap = make_snapshot(db, source_id, "The bridge opened in 1932.")
    static_page = make_snapshot(db, source_id, "Static page.",
                                fetched_at="2026-11-22T10:00:00.000000Z")  # fmt: skip
    capture = {
        "provenance": {"viewport": {"width": 1280}},
        "screenshot_sha256": "ab" * 32,
        "screenshot_width": 1280,
        "screenshot_height": 900,
        "dom_sha256": "cd" * 32,
        "cut": {},
    }
    monkeypatch.setattr(replay, "browser_capture",
                        lambda db, snapshot_id: capture if snapshot_id == snap else None)  # fmt: skip
    client, _ = signed_in(db_path)
    rendered = client.get(f"/snapshots/{snap}").get_data(as_text=True)
    assert "What the reader saw" in rendered and "The archived page" not in rendered
    assert "The archived page" in client.get(f"/snapshots/{static_page}").get_data(as_text=True)
    css = client.get("/static/style.css").get_data(as_text=True)
    assert "grid-template-columns: minmax(0, 1fr);" in css  # the screenshot gets the full width


def test_a_wrong_password_is_401(db_path, web):
    db, _ = web
    users.add_user(db, "boss", "admin", "admin-password")
    client = create_app(db_path).test_client()
    token = csrf_from(client.get("/signin").get_data(as_text=True))
    wrong = client.post("/signin", data={"reviewer": "boss", "password": "nope-nope-nope",
                                         "csrf_token": token})  # fmt: skip
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.get_data(as_text=True)


def test_export_records_the_reviewer_and_needs_an_account_once_there_are_some(
    run_cli, db_path, tmp_path
):
    assert run_cli("claim", "add", "The bridge opened in 1932.").exit_code == 0
    out = tmp_path / "claims.csv"
    done = run_cli("export", "--format", "csv", "-o", str(out), "--reviewer", "ana")
    assert done.exit_code == 0 and actors(db_path, "exported") == ["ana"]
    run_cli("user", "add", "boss", "--role", "admin", "--password-stdin", input="admin-password\n")
    refused = run_cli("export", "--format", "csv", "-o", str(out))
    assert refused.exit_code == 1 and refused.stderr == (
        "Error: give your account name (--reviewer NAME): this archive has accounts\n"
    )
    assert actors(db_path, "exported") == ["ana"]
