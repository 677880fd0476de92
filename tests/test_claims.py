"""The claim store: add_claim, attach_source, get_claim, list_claims, find_source, promote_span."""

from __future__ import annotations

import pytest
from conftest import NOT_HTTP_URLS, row_counts

from verify import store
from verify.clock import now
from verify.errors import InputError, InvalidURLError, NotFoundError
from verify.ingest import claims


def counts(db) -> dict[str, int]:
    return row_counts(
        db, ("articles", "claims", "sources", "claim_sources", "events", "article_links")
    )


def make_article(
    db, text: str = "The bridge opened in 1932. It is lovely. Traffic rose 12 percent."
) -> int:
    cur = db.conn.execute(
        "INSERT INTO articles (title, text, content_sha256, ingested_at) VALUES ('t', ?, 'x', ?)",
        [text, now()],
    )
    return cur.lastrowid


def test_add_claim_is_queued_with_sources_and_events(db):
    cid = claims.add_claim(
        db,
        "  The bridge opened\nin 1932. ",
        sources=["HTTPS://Example.org:443/history?utm_source=x#top", "https://example.org/history"],
        priority=3,
        actor="ana",
    )
    claim = store.get_claim(db, cid)
    assert claim["text"] == "The bridge opened in 1932."
    assert claim["status"] == "queued"
    assert claim["priority"] == 3
    assert claim["origin"] == "manual"
    assert claim["sources"] == ["https://example.org/history"]
    assert 0.0 <= claim["score"] <= 1.0
    kinds = [
        r[0]
        for r in db.conn.execute("SELECT kind FROM events WHERE claim_id = ? ORDER BY id", [cid])
    ]
    assert kinds == ["claim_added", "source_added"]
    for key in (
        "id",
        "article_id",
        "text",
        "score",
        "status",
        "verdict",
        "priority",
        "sources",
        "start",
        "end",
        "created_at",
        "lease_reviewer",
        "lease_expires_at",
    ):
        assert key in claim


@pytest.mark.parametrize("bad", NOT_HTTP_URLS)
def test_add_claim_bad_url_changes_nothing(db, bad):
    before = counts(db)
    with pytest.raises(InvalidURLError):
        claims.add_claim(db, "The bridge opened in 1932.", sources=["https://ok.example/", bad])
    assert counts(db) == before


def test_add_claim_bad_inputs(db):
    before = counts(db)
    with pytest.raises(InputError, match="empty claim"):
        claims.add_claim(db, "   ")
    with pytest.raises(NotFoundError, match="no article 42"):
        claims.add_claim(db, "A claim.", article_id=42)
    with pytest.raises(InputError, match="bad priority"):
        claims.add_claim(db, "A claim.", priority="high")
    assert counts(db) == before


def test_attach_source_once_per_url(db):
    cid = claims.add_claim(db, "Unemployment fell to 3.9 percent in May.")
    sid = claims.attach_source(db, cid, "https://stats.example/may", note="official")
    again = claims.attach_source(db, cid, "https://STATS.example/may?fbclid=abc")
    assert sid == again
    assert store.get_claim(db, cid)["sources"] == ["https://stats.example/may"]
    src = store.claim_sources(db, cid)
    assert src[0]["note"] == "official" and src[0]["origin"] == "manual"
    assert (
        db.conn.execute("SELECT count(*) FROM events WHERE kind='source_added'").fetchone()[0] == 1
    )


def test_attach_source_unknown_claim_and_bad_url(db):
    before = counts(db)
    with pytest.raises(NotFoundError, match="no claim 99"):
        claims.attach_source(db, 99, "https://example.org/")
    cid = claims.add_claim(db, "A claim.")
    before = counts(db)
    with pytest.raises(InvalidURLError):
        claims.attach_source(db, cid, "javascript:alert(1)")
    assert counts(db) == before


def test_source_shared_between_claims(db):
    a = claims.add_claim(db, "Claim A.", sources=["https://example.org/x"])
    b = claims.add_claim(db, "Claim B.", sources=["https://example.org/x/"])
    c = claims.add_claim(db, "Claim C.", sources=["https://example.org/x"])
    assert db.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 2  # /x and /x/ differ
    assert store.get_claim(db, a)["sources"] == store.get_claim(db, c)["sources"]
    assert store.get_claim(db, b)["sources"] == ["https://example.org/x/"]


def test_find_source_by_id_and_url(db):
    cid = claims.add_claim(db, "Claim.", sources=["https://example.org/a?utm_medium=x"])
    src = store.find_source(db, "https://EXAMPLE.org/a")
    assert src["url"] == "https://example.org/a"
    assert store.find_source(db, src["id"])["url"] == src["url"]
    assert store.find_source(db, str(src["id"]))["id"] == src["id"]
    with pytest.raises(NotFoundError):
        store.find_source(db, 12345)
    with pytest.raises(NotFoundError):
        store.find_source(db, "https://example.org/other")
    assert cid


def test_get_claim_unknown(db):
    with pytest.raises(NotFoundError, match="no claim 7"):
        store.get_claim(db, 7)


def test_list_claims_filters(db):
    art = make_article(db)
    db.conn.execute(
        'INSERT INTO claims (article_id, text, start, "end", score, status, created_at, updated_at)'
        " VALUES (?, 'It is lovely.', 27, 40, 0.1, 'candidate', ?, ?)",
        [art, now(), now()],
    )
    queued = claims.add_claim(db, "The bridge opened in 1932.", article_id=art)
    loose = claims.add_claim(db, "Elsewhere 5 people.")
    assert [c["id"] for c in store.list_claims(db)] == [queued, loose]
    assert len(store.list_claims(db, include_candidates=True)) == 3
    assert [c["text"] for c in store.list_claims(db, status="candidate")] == ["It is lovely."]
    assert [c["id"] for c in store.list_claims(db, article_id=art)] == [queued]
    assert len(store.list_claims(db, limit=1)) == 1
    with pytest.raises(InputError, match="unknown status"):
        store.list_claims(db, status="bogus")
    with pytest.raises(NotFoundError):
        store.list_claims(db, article_id=999)


def test_promote_span(db):
    text = "The bridge opened in 1932. It is lovely. Traffic rose 12 percent."
    art = make_article(db, text)
    db.conn.execute(
        'INSERT INTO article_links (article_id, url, raw_url, anchor_text, start, "end") VALUES (?, ?, ?, ?, ?, ?)',
        [art, "https://example.org/traffic", "https://example.org/traffic", "rose", 49, 53],
    )
    start = text.index("Traffic")
    cid = claims.promote_span(db, art, start - 1, len(text))
    claim = store.get_claim(db, cid)
    assert claim["text"] == "Traffic rose 12 percent."
    assert (claim["start"], claim["end"]) == (start, len(text))
    assert claim["status"] == "queued"
    assert claim["sources"] == ["https://example.org/traffic"]
    assert claims.promote_span(db, art, start, len(text)) == cid
    before = counts(db)
    with pytest.raises(InputError, match="bad span"):
        claims.promote_span(db, art, 10, 5000)
    with pytest.raises(InputError, match="white space"):
        claims.promote_span(db, art, 26, 27)
    with pytest.raises(NotFoundError):
        claims.promote_span(db, 999, 0, 3)
    assert counts(db) == before


def test_get_article(db):
    art = make_article(db)
    claims.add_claim(db, "The bridge opened in 1932.", article_id=art)
    found = store.get_article(db, art)
    assert found["text"].startswith("The bridge")
    assert found["claim_counts"] == {
        "candidate": 0,
        "queued": 1,
        "in_review": 0,
        "decided": 0,
        "dismissed": 0,
    }
    with pytest.raises(NotFoundError):
        store.get_article(db, 5)
