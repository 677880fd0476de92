"""The review web UI in-process (Flask test client): every page and every form."""

from __future__ import annotations

import gzip
import io
import re

from browser_helpers import SOURCE_HTML, build_review_data, csrf_from

from verify.review import workflow as review
from verify.store import open_db
from verify.web import create_app


def text_of(response) -> str:
    return response.get_data(as_text=True)


def counts(db) -> dict[str, int]:
    out = {
        t: db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("assessments", "verdicts", "events")
    }
    out["claims"] = db.conn.execute("SELECT * FROM claims ORDER BY id").fetchall()
    out["links"] = db.conn.execute("SELECT * FROM claim_sources ORDER BY id").fetchall()
    return out


# --- signing in ---------------------------------------------------------------------------


def test_pages_need_sign_in_and_sign_in_needs_a_name(db_path):
    db = open_db(db_path)
    build_review_data(db)
    client = create_app(db_path).test_client()
    answer = client.get("/claims/1")
    assert answer.status_code == 302 and answer.headers["Location"].startswith(
        "/signin?next=/claims/1"
    )
    page = client.get("/signin")
    token = csrf_from(text_of(page))
    assert 'name="reviewer"' in text_of(page)
    refused = client.post("/signin", data={"reviewer": "   ", "csrf_token": token})
    assert refused.status_code == 400 and "Give your name" in text_of(refused)
    ok = client.post(
        "/signin", data={"reviewer": " ana  maria ", "csrf_token": token, "next": "/claims/1"}
    )
    assert ok.status_code == 303 and ok.headers["Location"] == "/claims/1"
    assert "ana maria" in text_of(client.get("/"))
    client.post("/signout", data={"csrf_token": csrf_from(text_of(client.get("/")))})
    assert client.get("/").status_code == 302


def test_sign_in_never_redirects_off_site(db_path):
    client = create_app(db_path).test_client()
    token = csrf_from(text_of(client.get("/signin")))
    answer = client.post(
        "/signin", data={"reviewer": "ana", "csrf_token": token, "next": "//evil.example/x"}
    )
    assert answer.headers["Location"] == "/"


# --- queue --------------------------------------------------------------------------------


def test_queue_lists_claims_by_priority_with_capture_counts(web):
    client, _, data, _ = web
    html = text_of(client.get("/"))
    order = [int(m) for m in re.findall(r'<td class="num"><a href="/claims/(\d+)">', html)]
    assert order == [data.claims["died"], data.claims["soldiers"], data.claims["stormed"]]
    assert data.claims["question"] not in order  # candidates are not queued
    row = html[html.index(f'href="/claims/{data.claims["died"]}"') :]
    row = row[: row.index("</tr>")]
    # toll (ok, changed) and hostile captured, gone failed: 2 / 1 / 3
    assert re.search(
        r'title="captured">2</span> / <span class="bad" title="failed">1</span> / 3', row
    )
    assert "Siege in Bamako &lt;b&gt;analysis&lt;/b&gt;" in row


def test_queue_filters(web):
    client, _, data, _ = web
    html = text_of(client.get("/?status=candidate"))
    assert (
        f'/claims/{data.claims["question"]}"' in html
        and f'/claims/{data.claims["died"]}"' not in html
    )
    review.lease_next(web[3], "bob")
    html = text_of(client.get("/?reviewer=bob"))
    assert re.findall(r'<td class="num"><a href="/claims/(\d+)">', html) == [
        str(data.claims["died"])
    ]
    assert ">bob<" in html or "bob\n" in html or "bob</td>" in html
    assert "No claims here" in text_of(client.get("/?article=999"))
    assert client.get("/?status=bogus").status_code == 400
    assert client.get("/?article=abc").status_code == 400


def test_take_next_leases_to_the_signed_in_reviewer(web):
    client, token, data, db = web
    answer = client.post("/next", data={"csrf_token": token})
    assert (
        answer.status_code == 303 and answer.headers["Location"] == f"/claims/{data.claims['died']}"
    )
    status, reviewer = db.conn.execute(
        "SELECT status, lease_reviewer FROM claims WHERE id = ?", [data.claims["died"]]
    ).fetchone()
    assert (status, reviewer) == ("in_review", "ana")
    actor = db.conn.execute("SELECT actor FROM events WHERE kind = 'leased'").fetchone()[0]
    assert actor == "ana"
    page = text_of(client.get(f"/claims/{data.claims['died']}"))
    assert "leased to <strong>ana</strong>" in page and "release this claim" in page


def test_take_next_on_an_empty_queue_says_so(web):
    client, token, _, db = web
    db.conn.execute("UPDATE claims SET status = 'decided'")
    answer = client.post("/next", data={"csrf_token": token}, follow_redirects=True)
    assert "The queue is empty" in text_of(answer)


def test_release_returns_the_claim_to_the_queue(web):
    client, token, data, db = web
    client.post("/next", data={"csrf_token": token})
    answer = client.post(
        f"/claims/{data.claims['died']}/release", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Lease released" in text_of(answer)
    assert (
        db.conn.execute("SELECT status FROM claims WHERE id = ?", [data.claims["died"]]).fetchone()[
            0
        ]
        == "queued"
    )


# --- claim page ---------------------------------------------------------------------------


def test_claim_page_shows_context_sources_states_evidence_and_forms(web):
    client, _, data, _ = web
    html = text_of(client.get(f"/claims/{data.claims['died']}"))
    assert (
        '<mark class="claim">At least 22 people died in the siege, officials said.</mark>' in html
    )
    assert (
        "Gunmen stormed" not in html.split("context")[1].split("</blockquote>")[0]
    )  # only its paragraph
    for state in ("changed", "gone"):
        assert f'badge state-{state}"' in html
    assert "HTTP 404 Not Found" in html  # why it is gone
    # the evidence passage is highlighted in the snapshot text
    assert re.search(
        r'<mark class="evidence"[^>]*>Officials in Bamako said at least 22 people were killed', html
    )
    for field in (
        'name="stance" value="supports"',
        'name="stance" value="refutes"',
        'name="stance" value="unrelated"',
        'name="stance" value="unavailable"',
        'name="quote"',
        'name="verdict" value="mostly-true"',
        'name="note"',
    ):
        assert field in html
    html2 = text_of(client.get(f"/claims/{data.claims['soldiers']}"))
    assert (
        'badge state-failed"' in html2
        and "no answer within 20 s" in html2
        and 'badge state-ok"' in html2
    )


def test_assess_with_a_quote_records_it_under_the_reviewer_and_highlights_it(web):
    client, token, data, db = web
    cid, sid = data.claims["died"], data.sources["toll"]
    answer = client.post(
        f"/claims/{cid}/assess",
        data={
            "csrf_token": token,
            "source": str(sid),
            "stance": "supports",
            "quote": "at least  22 people\nwere killed",
        },
    )
    assert answer.status_code == 303
    row = db.conn.execute(
        "SELECT stance, reviewer, quote_exact, quote_start, snapshot_id FROM assessments WHERE claim_id = ?",
        [cid],
    ).fetchone()
    assert row[0:3] == ("supports", "ana", "at least 22 people were killed")
    assert row[4] == data.snapshots["toll"]
    html = text_of(client.get(f"/claims/{cid}"))
    assert re.search(
        r'<mark class="[^"]*quote stance-supports[^"]*"[^>]*>at least 22 people were killed</mark>',
        html,
    )
    assert "badge stance-supports" in html
    snap = text_of(client.get(f"/snapshots/{data.snapshots['toll']}"))
    assert re.search(
        r'<mark class="quote stance-supports"[^>]*>at least 22 people were killed</mark>', snap
    )


def test_assess_refuses_bad_input_and_changes_nothing(web):
    client, token, data, db = web
    cid = data.claims["died"]
    before = counts(db)
    bad = [
        {
            "source": str(data.sources["toll"]),
            "stance": "supports",
            "quote": "words that are not there",
        },
        {"source": str(data.sources["toll"]), "stance": "agrees"},
        {"source": "99999", "stance": "supports"},
        {"source": "", "stance": "supports"},
    ]
    for form in bad:
        answer = client.post(
            f"/claims/{cid}/assess", data={"csrf_token": token, **form}, follow_redirects=True
        )
        assert 'class="flash flash-error"' in text_of(answer), form
    assert counts(db) == before


def test_verdict_is_recorded_and_a_change_keeps_the_old_one_in_history(web):
    client, token, data, db = web
    cid = data.claims["soldiers"]
    client.post(
        f"/claims/{cid}/verdict",
        data={"csrf_token": token, "verdict": "mostly-true", "note": "650 confirmed"},
    )
    client.post(
        f"/claims/{cid}/verdict",
        data={"csrf_token": token, "verdict": "true", "note": "fully confirmed"},
    )
    verdict, by = db.conn.execute(
        "SELECT verdict, decided_by FROM claims WHERE id = ?", [cid]
    ).fetchone()
    assert (verdict, by) == ("true", "ana")
    html = text_of(client.get(f"/claims/{cid}"))
    history = html[html.index('id="history"') :]
    assert history.count("<strong>verdict</strong> by ana") == 2
    assert "old: mostly-true" in history and "650 confirmed" in history
    assert "<strong>fetched</strong>" in history  # the sources' captures are part of the story


def test_verdict_refuses_bad_rating_and_someone_elses_lease(web):
    client, token, data, db = web
    cid = data.claims["died"]
    assert review.lease_next(db, "bob")["id"] == cid
    before = counts(db)
    answer = client.post(
        f"/claims/{cid}/verdict",
        data={"csrf_token": token, "verdict": "pants-on-fire"},
        follow_redirects=True,
    )
    assert "Unknown verdict" in text_of(answer)
    answer = client.post(
        f"/claims/{cid}/verdict",
        data={"csrf_token": token, "verdict": "false"},
        follow_redirects=True,
    )
    assert "bob" in text_of(answer) and "flash-error" in text_of(answer)
    assert counts(db) == before
    assert "force" in text_of(client.get(f"/claims/{cid}"))
    client.post(
        f"/claims/{cid}/verdict", data={"csrf_token": token, "verdict": "false", "force": "1"}
    )
    assert db.conn.execute("SELECT forced, reviewer FROM verdicts").fetchone() == (1, "ana")


# --- article, snapshot, search ------------------------------------------------------------


def test_article_page_highlights_claims_in_place(web):
    client, _, data, _ = web
    html = text_of(client.get(f"/articles/{data.article_id}"))
    for key in ("died", "soldiers", "stormed"):
        assert re.search(rf'<a href="/claims/{data.claims[key]}" class="claim status-queued"', html)
    # a candidate is a quieter link, to its claim page, where it can be queued
    assert re.search(
        rf'<a href="/claims/{data.claims["question"]}" class="claim status-candidate"', html
    )
    assert "Is this the start of a new campaign?" in html
    assert "<h1>Siege in Bamako &lt;b&gt;analysis&lt;/b&gt;</h1>" in html


def test_snapshot_page_shows_capture_facts_frame_downloads_and_diff(web):
    client, _, data, db = web
    sid = data.snapshots["toll"]
    html = text_of(client.get(f"/snapshots/{sid}?claim={data.claims['died']}"))
    sha = db.conn.execute("SELECT sha256 FROM snapshots WHERE id = ?", [sid]).fetchone()[0]
    assert sha in html
    assert "2026-11-21T11:00:00.000000Z" in html
    assert "301 https://wire.example/old/toll → https://wire.example/a/toll" in html
    assert "<th>Server</th><td>test</td>" in html
    assert f'<iframe class="archived" sandbox="" src="/snapshots/{sid}/raw"' in html
    assert f'href="/snapshots/{sid}/payload"' in html and f'href="/snapshots/{sid}/warc"' in html
    assert re.search(
        r'<mark class="evidence"[^>]*>Officials in Bamako said at least 22 people were killed', html
    )
    # the diff against the previous capture: 20 became 22
    assert re.search(r'<span class="del">-[^<]*at least 20 people', html)
    assert re.search(r'<span class="add">\+[^<]*at least 22 people', html)


def test_failed_snapshot_page_has_no_frame(web):
    client, _, data, _ = web
    html = text_of(client.get(f"/snapshots/{data.snapshots['gone']}"))
    assert "HTTP 404 Not Found" in html and "<iframe" not in html
    assert client.get(f"/snapshots/{data.snapshots['gone']}/raw").status_code == 404
    assert client.get(f"/snapshots/{data.snapshots['gone']}/payload").status_code == 404


def test_payload_and_warc_downloads(web):
    client, _, data, _ = web
    sid = data.snapshots["toll"]
    payload = client.get(f"/snapshots/{sid}/payload")
    assert payload.data == SOURCE_HTML.encode()
    assert payload.headers["Content-Disposition"].startswith("attachment")
    raw = client.get(f"/snapshots/{sid}/raw")
    assert raw.data == SOURCE_HTML.encode() and raw.headers["Content-Type"].startswith("text/html")
    warc = client.get(f"/snapshots/{sid}/warc")
    assert warc.headers["Content-Type"] == "application/warc"
    from warcio.archiveiterator import ArchiveIterator

    records = list(ArchiveIterator(io.BytesIO(warc.data)))
    assert any(
        r.rec_type == "response"
        and r.rec_headers.get_header("WARC-Target-URI") == "https://wire.example/a/toll"
        for r in records
    )
    assert gzip.decompress(warc.data)  # a gzipped WARC


def test_gzip_payload_is_decoded_for_the_frame_but_downloaded_as_stored(web):
    client, _, data, db = web
    from verify.store import put_payload

    body = b"<p>compressed page</p>"
    stored = gzip.compress(body)
    sha = put_payload(db, stored)
    db.conn.execute(
        "UPDATE snapshots SET sha256 = ?, content_encoding = 'gzip' WHERE id = ?",
        [sha, data.snapshots["army"]],
    )
    assert client.get(f"/snapshots/{data.snapshots['army']}/raw").data == body
    assert client.get(f"/snapshots/{data.snapshots['army']}/payload").data == stored


def test_search_page_finds_claims_and_snapshot_texts(web):
    client, _, data, _ = web
    html = text_of(client.get("/search?q=soldiers"))
    assert f'href="/claims/{data.claims["soldiers"]}"' in html
    assert f'href="/snapshots/{data.snapshots["army"]}"' in html
    assert "<mark>soldiers</mark>" in html
    assert "No claim matches" in text_of(client.get("/search?q=zeppelin"))
    assert client.get("/search").status_code == 200


def test_unknown_ids_are_404(web):
    client, token, _, _ = web
    for url in (
        "/claims/999",
        "/snapshots/999",
        "/articles/999",
        "/snapshots/999/raw",
        "/snapshots/999/warc",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
    answer = client.post(
        "/claims/999/verdict", data={"csrf_token": token, "verdict": "true"}, follow_redirects=True
    )
    assert "no claim 999" in text_of(answer).lower() or "999" in text_of(answer)


def test_keyboard_shortcuts_are_listed_and_the_script_is_local(web):
    client, _, data, _ = web
    html = text_of(client.get(f"/claims/{data.claims['died']}"))
    for key in ("n", "s", "r", "u", "a", "1", "6", "/", "?"):
        assert f"<kbd>{key}</kbd>" in html
    assert '<script src="/static/app.js" defer></script>' in html
    assert "http://" not in re.sub(
        r'href="https?://[^"]*"', "", html.split("<main>")[0]
    )  # nothing from the web
    script = client.get("/static/app.js")
    assert script.status_code == 200 and b"requestSubmit" in script.data


def test_related_evidence_can_be_added_as_a_source(web):
    client, token, data, db = web
    cid = data.claims["stormed"]  # no sources of its own
    html = text_of(client.get(f"/claims/{cid}"))
    related = html[html.index("Related evidence already in the archive") :]
    assert "gunmen stormed the Radisson Blu hotel in Bamako" in related
    assert 'name="url" value="https://archive.example/a/bamako"' in related
    assert 'badge state-pending"' in html and "not fetched yet" in html
    before = counts(db)
    for url in ("not a url", "ftp://x.example/", ""):
        answer = client.post(
            f"/claims/{cid}/sources", data={"csrf_token": token, "url": url}, follow_redirects=True
        )
        assert "flash-error" in text_of(answer)
    assert counts(db) == before
    answer = client.post(
        f"/claims/{cid}/sources",
        data={"csrf_token": token, "url": "https://archive.example/a/bamako"},
    )
    assert answer.status_code == 303
    link = db.conn.execute(
        "SELECT source_id, origin FROM claim_sources WHERE claim_id = ? ORDER BY id DESC", [cid]
    ).fetchone()
    assert link == (data.sources["archive"], "manual")
    assert db.conn.execute(
        "SELECT actor FROM events WHERE claim_id = ? AND kind = 'source_added'", [cid]
    ).fetchone() == ("ana",)
    assert 'badge state-ok"' in text_of(client.get(f"/claims/{cid}"))


def test_dismiss_takes_a_claim_out_of_the_queue(web):
    client, token, data, db = web
    cid = data.claims["stormed"]
    answer = client.post(
        f"/claims/{cid}/dismiss", data={"csrf_token": token, "note": "a scene-setter"}
    )
    assert answer.status_code == 303
    assert db.conn.execute("SELECT status FROM claims WHERE id = ?", [cid]).fetchone() == (
        "dismissed",
    )
    assert f'/claims/{cid}"' not in text_of(client.get("/"))
    assert "<strong>dismissed</strong> by ana" in text_of(client.get(f"/claims/{cid}"))


def test_related_evidence_is_searched_on_request_when_the_claim_has_captures(web):
    client, _, data, _ = web
    cid = data.claims["soldiers"]  # it has captured text of its own
    html = text_of(client.get(f"/claims/{cid}"))
    assert f'href="/claims/{cid}?related=1#related"' in html
    assert "Related evidence already in the archive</h2>" not in html
    html = text_of(client.get(f"/claims/{cid}?related=1"))
    assert 'id="related"' in html


def test_a_forbidden_source_is_unknown_not_gone(web):
    client, _, data, db = web
    db.conn.execute(
        "UPDATE snapshots SET status = 403, error_message = 'HTTP 403 Forbidden' WHERE id = ?",
        [data.snapshots["gone"]],
    )
    html = text_of(client.get(f"/claims/{data.claims['died']}"))
    assert (
        'badge state-unknown" title="HTTP 403 Forbidden"' in html
        and 'badge state-gone"' not in html
    )


def test_a_candidate_can_be_queued_from_its_claim_page(web):
    client, token, data, db = web
    cid = data.claims["question"]
    page = text_of(client.get(f"/claims/{cid}"))
    assert "Queue this claim" in page and f'action="/claims/{cid}/queue"' in page
    assert f'/claims/{cid}"' not in text_of(client.get("/"))
    forged = client.post(f"/claims/{cid}/queue", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    status = "SELECT status FROM claims WHERE id = ?"
    assert db.conn.execute(status, [cid]).fetchone() == ("candidate",)
    answer = client.post(f"/claims/{cid}/queue", data={"csrf_token": token})
    assert answer.status_code == 303
    assert db.conn.execute(status, [cid]).fetchone() == ("queued",)
    assert f'/claims/{cid}"' in text_of(client.get("/"))
    page = text_of(client.get(f"/claims/{cid}"))
    assert "Queue this claim" not in page and "<strong>queued</strong> by ana" in page
    again = client.post(f"/claims/{cid}/queue", data={"csrf_token": token}, follow_redirects=True)
    assert "only those can be queued" in text_of(again)
