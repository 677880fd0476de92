"""Has this been checked before? ClaimReview import (files, HTML, a local server) and
`verify similar` over known reviews and earlier claims."""

from __future__ import annotations

import json

import pytest
from browser_helpers import sign_in
from conftest import Response
from review_helpers import make_article, make_claim

from verify import store
from verify.errors import InputError, NotFoundError
from verify.review import known as claimreview
from verify.review import similar
from verify.text import matchkeys
from verify.web import create_app


def review(claim, url, rating="False", author="Africa Check", date="2015-11-25", **extra):
    node = {
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim,
        "author": {"@type": "Organization", "name": author},
        "datePublished": date,
        "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": rating},
    }
    node.update(extra)
    return node


BAMAKO = review(
    "Twenty-two people were killed when gunmen stormed the Radisson Blu hotel in Bamako.",
    "https://check.example/bamako",
    itemReviewed={"@type": "Claim", "author": {"@type": "Person", "name": "A minister"}},
)
JOBS = review(
    "Unemployment fell to 3.9 percent in May.",
    "https://check.example/jobs",
    rating="Correct",
    author="Full Fact",
    date="2019-06-10T08:00:00Z",
)
BRIDGE = review("The bridge opened in 1932.", "https://check.example/bridge", rating="True")
NO_TEXT = {"@type": "ClaimReview", "url": "https://check.example/empty", "author": {"name": "X"}}


def write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def count(db):
    return db.conn.execute("SELECT count(*) FROM known_reviews").fetchone()[0]


@pytest.mark.parametrize(
    "shape",
    [
        lambda: [BAMAKO, JOBS],
        lambda: {"@context": "https://schema.org", "@graph": [BAMAKO, {"@type": "WebPage"}, JOBS]},
        lambda: {
            "@type": "DataFeed",
            "dataFeedElement": [
                {"@type": "DataFeedItem", "item": [BAMAKO]},
                {"@type": "DataFeedItem", "item": JOBS},
            ],
        },
    ],
    ids=["list", "graph", "datafeed"],
)
def test_shapes_of_claimreview(db, tmp_path, shape):
    result = claimreview.import_claimreview(db, write(tmp_path, "r.json", shape()))
    assert (result.found, result.added, result.skipped) == (2, 2, 0)
    rows = {r["url"]: r for r in claimreview.list_reviews(db)}
    bamako = rows["https://check.example/bamako"]
    assert bamako["rating"] == "False" and bamako["publisher"] == "Africa Check"
    assert bamako["claimant"] == "A minister" and bamako["reviewed_at"] == "2015-11-25"
    assert (
        rows["https://check.example/jobs"]["claim_text"]
        == "Unemployment fell to 3.9 percent in May."
    )


def test_single_review_and_html_page(db, tmp_path):
    assert claimreview.import_claimreview(db, write(tmp_path, "one.json", BRIDGE)).added == 1
    page = (
        "<html><head><title>x</title><script type='application/ld+json'>"
        + json.dumps(BAMAKO)
        + '</script><script type="application/ld+json">'
        + json.dumps({"@graph": [JOBS]})
        + "</script></head><body>text</body></html>"
    )
    result = claimreview.import_claimreview(db, write(tmp_path, "page.html", page))
    assert (result.found, result.added) == (2, 2)
    assert count(db) == 3


def test_import_is_idempotent_and_updates_a_changed_rating(db, tmp_path):
    path = write(tmp_path, "r.json", [BAMAKO, JOBS])
    first = claimreview.import_claimreview(db, path)
    again = claimreview.import_claimreview(db, path)
    assert (first.added, again.added, again.unchanged, again.updated) == (2, 0, 2, 0)
    assert count(db) == 2
    docs = dict(db.conn.execute("SELECT key, docs FROM known_review_keys"))
    assert docs["n22"] == 1 and docs["bamako"] == 1  # counted once, not per import
    changed = dict(BAMAKO, reviewRating={"alternateName": "Mostly false"})
    third = claimreview.import_claimreview(db, write(tmp_path, "r2.json", [changed]))
    assert (third.added, third.updated) == (0, 1)
    assert {r["rating"] for r in claimreview.list_reviews(db)} == {"Mostly false", "Correct"}


def test_bad_input(db, tmp_path):
    with pytest.raises(InputError, match=r"malformed JSON-LD in .*bad.json: .* line 1"):
        claimreview.import_claimreview(db, write(tmp_path, "bad.json", '{"@type": "ClaimReview",'))
    with pytest.raises(InputError, match="no JSON-LD"):
        claimreview.import_claimreview(db, write(tmp_path, "p.html", "<html><p>hello</p></html>"))
    with pytest.raises(InputError, match="no ClaimReview"):
        claimreview.import_claimreview(db, write(tmp_path, "w.json", {"@type": "WebPage"}))
    with pytest.raises(InputError, match="no such file"):
        claimreview.import_claimreview(db, str(tmp_path / "missing.json"))
    assert count(db) == 0


def test_cli_counts_skipped_reviews_and_exits_1(run_cli, tmp_path, db):
    path = write(tmp_path, "r.json", [BAMAKO, NO_TEXT, JOBS])
    out = run_cli("import-claimreview", path, "--json")
    assert out.exit_code == 1
    assert json.loads(out.stdout)["added"] == 2 and json.loads(out.stdout)["skipped"] == 1
    assert out.stderr.strip() == (
        "Error: 1 of 3 reviews skipped: no claimReviewed text (the others are stored)"
    )
    assert count(db) == 2
    bad = run_cli("import-claimreview", write(tmp_path, "bad.json", "[{"))
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: malformed JSON-LD in ")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_import_from_a_local_server(run_cli, site, db):
    site.routes["/feed.json"] = Response(
        body=json.dumps([BAMAKO, JOBS]), content_type="application/ld+json"
    )
    blocked = run_cli("import-claimreview", site.url("/feed.json"))
    assert blocked.exit_code == 1 and "--allow-host" in blocked.stderr
    assert count(db) == 0
    ok = run_cli("import-claimreview", site.url("/feed.json"), "--allow-host", site.host)
    assert ok.exit_code == 0, ok.stderr
    assert "2 added" in ok.stdout and count(db) == 2
    site.routes["/gone.json"] = Response(404, b"no")
    gone = run_cli("import-claimreview", site.url("/gone.json"), "--allow-host", site.host)
    assert gone.exit_code == 1 and gone.stderr.startswith("Error: cannot fetch")


def test_keys_are_the_same_for_every_spelling():
    a = matchkeys.text_keys("At least twenty-two people died in Bamako.")
    b = matchkeys.text_keys("22 people were killed in BAMAKO")
    assert {"n22", "death", "bamako"} <= set(a.keys) & set(b.keys)
    assert "y2014" in matchkeys.text_keys("ISIS was founded in 2014.").keys
    assert "p3d9" in matchkeys.text_keys("Unemployment fell to 3.9%.").keys


def test_similar_finds_paraphrases_of_known_reviews(db, tmp_path, run_cli):
    claimreview.import_claimreview(db, write(tmp_path, "r.json", [BAMAKO, JOBS, BRIDGE]))
    cid = make_claim(db, "At least 22 people died in the attack on the hotel in Bamako.")
    found = similar.similar(db, cid)
    assert [m.id for m in found if m.kind == "review"][:1] == [1]
    top = found[0]
    assert top.verdict == "False" and top.by == "Africa Check" and top.date == "2015-11-25"
    assert top.reason["numbers"] == ["22"] and "Bamako" in top.reason["names"]
    assert "died" in top.reason["words"]
    assert top.summary() == "False, by Africa Check on 2015-11-25"
    assert all(m.url != "https://check.example/bridge" for m in found)
    jobs = make_claim(db, "Official figures show the unemployment rate dropped to 3.9% in May.")
    assert [m.url for m in similar.similar(db, jobs)] == ["https://check.example/jobs"]
    # the same event with another figure is still listed, lower, and says the numbers differ
    other = make_claim(
        db, "21 people were killed when gunmen stormed the Radisson Blu hotel in Bamako."
    )
    same = make_claim(
        db, "22 people were killed when gunmen stormed the Radisson Blu hotel in Bamako."
    )
    weaker, exact = similar.similar(db, other)[0], similar.similar(db, same)[0]
    assert weaker.id == exact.id == 1 and weaker.score < exact.score
    assert weaker.reason["numbers_differ"] == {"claim": ["21"], "match": ["22"]}
    assert "numbers_differ" not in exact.reason
    assert "numbers differ: 21 here, 22 there" in similar.reason_text(weaker.reason)
    assert similar.similar(db, make_claim(db, "Cats sleep a lot.")) == []
    out = run_cli("similar", str(cid), "--json")
    assert out.exit_code == 0
    rows = json.loads(out.stdout)
    assert rows[0]["type"] == "review" and rows[0]["checked"] is True
    assert {"score", "reason", "verdict", "by", "date", "url"} <= set(rows[0])
    text = run_cli("similar", str(cid)).stdout
    assert "was checked before" in text and "False, by Africa Check on 2015-11-25" in text
    assert "shares numbers 22" in text


def _decide(db, cid, verdict, reviewer="ana"):
    with store.immediate(db):
        db.conn.execute(
            "UPDATE claims SET status = 'decided', verdict = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            [verdict, reviewer, "2026-11-21T09:00:00.000000Z", cid],
        )


def test_earlier_claims_in_the_archive_decided_first(db):
    a1, a2, a3 = (make_article(db, f"Article {n}.", url=f"https://n.example/{n}") for n in range(3))
    undecided = make_claim(
        db, "Gunmen held 170 hostages at the Radisson Blu in Bamako.", article_id=a1
    )
    decided = make_claim(
        db, "The gunmen took one hundred and seventy hostages in Bamako.", article_id=a2
    )
    make_claim(
        db, "Gunmen held 170 hostages at the Radisson Blu.", article_id=a3, status="candidate"
    )
    _decide(db, decided, "true")
    cid = make_claim(db, "Attackers held 170 hostages at a hotel in Bamako, Mali.", article_id=a3)
    later = make_claim(db, "Gunmen held 170 hostages in Bamako.", article_id=a1)
    found = similar.similar(db, cid)
    ids = [m.id for m in found]
    assert ids[:2] == [decided, undecided]  # decided first, the candidate and later ones left out
    assert later not in ids
    assert found[0].status == "decided" and found[0].summary().startswith(
        "true, by ana on 2026-11-21"
    )
    assert found[0].reason["numbers"] == ["170"]
    assert [m.id for m in similar.checked_before(db, cid)] == [decided]
    with pytest.raises(NotFoundError):
        similar.similar(db, 999)


def test_unknown_claim_is_one_error_line(run_cli):
    out = run_cli("similar", "999")
    assert out.exit_code == 1
    assert out.stderr.strip().startswith("Error: no claim 999")


def test_claim_add_and_ingest_say_checked_before(run_cli, tmp_path, db):
    claimreview.import_claimreview(db, write(tmp_path, "r.json", [BAMAKO, JOBS]))
    out = run_cli("claim", "add", "22 people were killed at the hotel in Bamako.")
    assert out.exit_code == 0
    assert "Claim 1 was checked before: False, by Africa Check on 2015-11-25" in out.stderr
    article = tmp_path / "a.md"
    article.write_text(
        "# Jobs\n\nThe unemployment rate fell to 3.9 percent in May, the statistics office said.\n",
        encoding="utf-8",
    )
    ingested = run_cli("ingest", str(article), "--min-score", "0")
    assert ingested.exit_code == 0, ingested.stderr
    assert "was checked before: Correct, by Full Fact on 2019-06-10" in ingested.stderr


def test_claim_page_shows_checked_before(db_path, tmp_path):
    db = store.open_db(db_path)
    claimreview.import_claimreview(db, write(tmp_path, "r.json", [BAMAKO]))
    cid = make_claim(db, "At least 22 people died in the hotel attack in Bamako.")
    plain = make_claim(db, "Cats sleep a lot.")
    client = create_app(db_path).test_client()
    sign_in(client, "ana")
    page = client.get(f"/claims/{cid}").get_data(as_text=True)
    assert 'id="checked-before"' in page
    assert "Checked before:</strong> False, by Africa Check on 2015-11-25" in page
    assert "https://check.example/bamako" in page
    assert 'id="checked-before"' not in client.get(f"/claims/{plain}").get_data(as_text=True)
    db.close()


def test_claim_page_shows_a_decided_claim_of_another_article_and_drops_it_when_reopened(db_path):
    from verify.review import workflow as review

    db = store.open_db(db_path)
    a1, a2 = (make_article(db, f"Article {n}.", url=f"https://n.example/{n}") for n in range(2))
    old = make_claim(db, "Gunmen took 170 hostages at the Radisson Blu in Bamako.", article_id=a1)
    review.give_verdict(db, old, "true", "bo")
    new = make_claim(db, "One hundred and seventy hostages were held in Bamako.", article_id=a2)
    client = create_app(db_path).test_client()
    sign_in(client, "ana")
    page = client.get(f"/claims/{new}").get_data(as_text=True)
    assert "Checked before:</strong> true, by bo on" in page
    assert f'href="/claims/{old}">claim {old}</a>' in page
    assert "same numbers One hundred and seventy" in page
    with store.immediate(db):  # its evidence changed: back to the queue, no longer a check
        db.conn.execute("UPDATE claims SET status = 'queued' WHERE id = ?", [old])
    assert 'id="checked-before"' not in client.get(f"/claims/{new}").get_data(as_text=True)
    db.close()


def test_claim_page_marks_clashing_evidence(db_path):
    from review_helpers import make_snapshot, make_source

    db = store.open_db(db_path)
    cid = make_claim(db, "At least 22 people died in the attack on the hotel.")
    make_snapshot(
        db,
        make_source(db, cid, "https://wire.example/siege"),
        "Seven people were wounded. According to the ministry, 21 people died in the attack on the hotel.",
    )
    client = create_app(db_path).test_client()
    sign_in(client, "ana")
    page = client.get(f"/claims/{cid}").get_data(as_text=True)
    assert '<span class="badge clash"' in page
    assert "clash: claim 22, passage 21" in page
    assert 'class="evidence clash"' in page  # the passage in the snapshot text is marked too
    db.close()


def _index_state(db) -> tuple[dict[int, str], dict[str, int]]:
    """The decided claims' keys and key counts, checked against a recount."""
    keys = dict(db.conn.execute("SELECT claim_id, keys FROM decided_claim_keys"))
    docs = dict(db.conn.execute("SELECT key, docs FROM decided_claim_key_docs"))
    recount: dict[str, int] = {"": len(keys)} if keys else {}
    for text in keys.values():
        for k in text.split():
            recount[k] = recount.get(k, 0) + 1
    assert docs == recount
    db.conn.execute(
        "INSERT INTO decided_claim_keys_fts(decided_claim_keys_fts) VALUES ('integrity-check')"
    )
    return keys, docs


def test_decided_claims_keys_follow_the_claims_status_whoever_writes_it(db):
    from verify.review import workflow as review

    a1, a2 = (make_article(db, f"Article {n}.", url=f"https://n.example/{n}") for n in range(2))
    first = make_claim(db, "Gunmen held 170 hostages at the Radisson Blu in Bamako.", article_id=a1)
    other = make_claim(db, "Unemployment fell to 3.9 percent in May.", article_id=a1)
    assert _index_state(db) == ({}, {})
    review.give_verdict(db, first, "true", "ana")
    review.give_verdict(db, other, "false", "ana")
    keys, docs = _index_state(db)
    assert keys[first] == matchkeys.match_keys(
        "Gunmen held 170 hostages at the Radisson Blu in Bamako."
    )
    assert docs[""] == 2 and docs["n170"] == 1 and docs["bamako"] == 1
    # a claim asked about later finds the decided one, whatever the number's spelling
    later = make_claim(
        db, "Attackers held one hundred and seventy hostages at a Bamako hotel.", article_id=a2
    )
    found = similar.checked_before(db, later)
    assert [m.id for m in found] == [first]
    assert found[0].reason["numbers"] == ["one hundred and seventy"]
    # ... and the decided claim finds nothing of its own article, nor itself
    assert similar.checked_before(db, first) == []
    # the text of a decided claim edited: new keys; a claim that leaves decided: out
    with store.immediate(db):
        db.conn.execute(
            "UPDATE claims SET text = 'Gunmen held 171 hostages.' WHERE id = ?", [first]
        )
    keys, docs = _index_state(db)
    assert "n171" in keys[first].split() and "n170" not in docs
    with store.immediate(db):
        db.conn.execute("UPDATE claims SET status = 'queued' WHERE id = ?", [other])
    keys, docs = _index_state(db)
    assert list(keys) == [first] and docs[""] == 1 and "p3d9" not in docs
    # a claim inserted as decided (an import, a restore) is indexed too; a deleted one is not
    born = make_claim(db, "Bridges collapsed in 2014.", status="decided")
    assert list(_index_state(db)[0]) == [first, born]
    with store.immediate(db):
        db.conn.execute("DELETE FROM claims WHERE id = ?", [born])
    keys, docs = _index_state(db)
    assert list(keys) == [first] and "y2014" not in docs


def test_an_archive_from_before_the_decided_keys_gets_them_when_opened(db_path):
    db = store.open_db(db_path)
    with store.immediate(db):  # back to the schema of migration 0009
        for kind, name in db.conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'table')"
            " AND name LIKE '%decided_keys%' OR name LIKE 'decided_claim_key%'"
        ).fetchall():
            if kind == "trigger" or not name.startswith("decided_claim_keys_fts_"):
                db.conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
        db.conn.execute("DELETE FROM _migrations WHERE number = 10")
    decided = make_claim(db, "Twenty-two people died in Bamako.", status="decided")
    make_claim(db, "Cats sleep a lot.")
    db.close()
    db = store.open_db(db_path)
    keys, docs = _index_state(db)
    assert keys == {decided: matchkeys.match_keys("Twenty-two people died in Bamako.")}
    assert docs[""] == 1 and docs["n22"] == 1
    db.close()


def test_claims_written_from_another_sqlite_client_fail_and_change_nothing(db_path):
    import sqlite3

    db = store.open_db(db_path)
    cid = make_claim(db, "Twenty people died in Bamako.")
    db.close()
    raw = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.OperationalError, match="no such function: verify_match_keys"):
        raw.execute("UPDATE claims SET status = 'decided' WHERE id = ?", [cid])
    assert raw.execute("SELECT status FROM claims WHERE id = ?", [cid]).fetchone() == ("queued",)
    assert raw.execute("SELECT count(*) FROM decided_claim_keys").fetchone() == (0,)
    raw.execute("UPDATE claims SET priority = 3 WHERE id = ?", [cid])  # other columns: fine
    raw.commit()
    raw.close()
