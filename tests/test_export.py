import csv
import io
import json

import pytest
from review_helpers import make_article, make_claim, make_snapshot, make_source

from verify import store
from verify.errors import InputError
from verify.export import tables as ex
from verify.review import workflow as review

TEXT = "Officials said at least 22 people were killed in the siege."


def _world(db):
    art = make_article(
        db, "At least 22 people died.", title="Siege report", url="https://news.example/siege"
    )
    c1 = make_claim(db, "At least 22 people died.", article_id=art)
    c2 = make_claim(db, "The siege was unprecedented.", article_id=art)
    c3 = make_claim(db, "Nobody counted the hostages.", article_id=art)
    make_claim(db, "Below threshold opinion.", article_id=art, status="candidate")
    sid = make_source(db, c1, "https://wire.example/siege")
    snap = make_snapshot(db, sid, TEXT, title="Wire story")
    review.assess(
        db,
        c1,
        sid,
        "supports",
        "ana",
        quote="22 people were killed",
        now="2026-11-22T09:00:00.000000Z",
    )
    review.give_verdict(db, c1, "true", "ana", now="2026-11-22T09:00:00.000000Z")
    review.give_verdict(
        db, c1, "mostly-true", "ana", note="Toll revised to 21", now="2026-11-22T10:00:00.000000Z"
    )
    review.give_verdict(db, c2, "unverifiable", "bob", now="2026-11-22T11:00:00.000000Z")
    return art, c1, c2, c3, sid, snap


def _check_claim_review(item):
    """The ClaimReview structure the issue asks for: keys and types."""
    assert item["@context"] == "https://schema.org" and item["@type"] == "ClaimReview"
    assert isinstance(item["claimReviewed"], str) and item["claimReviewed"]
    assert isinstance(item["datePublished"], str) and len(item["datePublished"]) == 10
    author = item["author"]
    assert author["@type"] == "Organization" and isinstance(author["name"], str)
    rating = item["reviewRating"]
    assert rating["@type"] == "Rating" and rating["bestRating"] == 5 and rating["worstRating"] == 1
    assert isinstance(rating["alternateName"], str)
    if "ratingValue" in rating:
        assert isinstance(rating["ratingValue"], int) and 1 <= rating["ratingValue"] <= 5
    claim = item["itemReviewed"]
    assert claim["@type"] == "Claim" and isinstance(claim["datePublished"], str)
    for appearance in claim.get("appearance", []):
        assert appearance["@type"] == "CreativeWork" and isinstance(appearance["url"], str)
    for cite in item.get("citation", []):
        assert cite["@type"] == "CreativeWork" and cite["url"].startswith("http")


def test_claimreview_structure(db):
    art, c1, c2, c3, sid, snap = _world(db)
    store.set_setting(db, "review_url", "https://desk.example/checks/{id}")
    buf = io.StringIO()
    assert ex.export(db, "claimreview", buf, org="Fact Desk") == 2
    items = json.loads(buf.getvalue())
    assert len(items) == 2  # decided claims only
    for item in items:
        _check_claim_review(item)
    first = items[0]
    assert first["claimReviewed"] == "At least 22 people died."
    assert (
        first["reviewRating"]["ratingValue"] == 4
        and first["reviewRating"]["alternateName"] == "Mostly true"
    )
    assert first["reviewBody"] == "Toll revised to 21"
    assert first["datePublished"] == "2026-11-22"
    assert first["author"] == {"@type": "Organization", "name": "Fact Desk"}
    assert first["itemReviewed"]["appearance"] == [
        {"@type": "CreativeWork", "url": "https://news.example/siege", "headline": "Siege report"}
    ]
    assert first["itemReviewed"]["datePublished"] == "2026-11-20"
    cite = first["citation"][0]
    sha = db.conn.execute("SELECT sha256 FROM snapshots WHERE id = ?", [snap]).fetchone()[0]
    assert cite["url"] == "https://wire.example/siege" and cite["name"] == "Wire story"
    assert (
        cite["archivedAt"]["sha256"] == sha
        and cite["archivedAt"]["uploadDate"] == "2026-11-21T10:00:00.000000Z"
    )
    assert cite["archivedAt"]["contentUrl"] == "https://wire.example/siege"
    second = items[1]
    assert (
        "ratingValue" not in second["reviewRating"]
        and second["reviewRating"]["alternateName"] == "Unverifiable"
    )
    # events: one 'exported' per claim
    assert db.conn.execute("SELECT count(*) FROM events WHERE kind = 'exported'").fetchone()[0] == 2
    assert store.get_setting(db, "org") == "Fact Desk"


def test_claimreview_needs_org(db):
    _world(db)
    with pytest.raises(InputError, match="--org"):
        ex.export(db, "claimreview", io.StringIO())
    store.set_setting(db, "org", "Desk")
    store.set_setting(db, "review_url", "https://desk.example/checks/{id}")
    out = io.StringIO()
    ex.export(db, "claimreview", out)
    assert json.loads(out.getvalue())[0]["author"]["name"] == "Desk"


def test_csv_and_jsonl(db, tmp_path):
    art, c1, c2, c3, sid, snap = _world(db)
    path = tmp_path / "claims.csv"
    assert ex.export(db, "csv", path) == 3
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["claim_id"] for r in rows] == [str(c1), str(c2), str(c3)]
    assert tuple(rows[0]) == ex.CSV_COLUMNS
    assert rows[0]["stance"] == "supports" and rows[0]["quote"] == "22 people were killed"
    assert rows[0]["verdict"] == "mostly-true" and rows[0]["snapshot_id"] == str(snap)
    assert rows[2]["url"] == "" and rows[2]["status"] == "queued"
    buf = io.StringIO()
    ex.export(db, "jsonl", buf, article_id=art)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert [x["id"] for x in lines] == [c1, c2, c3]
    assert [v["verdict"] for v in lines[0]["verdicts"]] == ["true", "mostly-true"]
    src = lines[0]["sources"][0]
    (a,) = src["assessments"]
    assert (
        a["stance"] == "supports"
        and TEXT[a["quote_start"] : a["quote_end"]] == "22 people were killed"
        and a["snapshot_id"] == snap
    )
    assert src["snapshot"]["id"] == snap


def test_markdown_report_with_footnotes(db):
    art, c1, c2, c3, sid, snap = _world(db)
    buf = io.StringIO()
    ex.export(db, "markdown", buf, article_id=art)
    md = buf.getvalue()
    sha = db.conn.execute("SELECT sha256 FROM snapshots WHERE id = ?", [snap]).fetchone()[0]
    assert md.startswith("# Siege report\n")
    assert "1. At least 22 people died.[^1]" in md
    assert "**Verdict: Mostly true** by ana on 2026-11-22" in md
    assert "Note: Toll revised to 21" in md
    assert (
        f"[^1]: <https://wire.example/siege>: captured 2026-11-21T10:00:00.000000Z, HTTP 200, sha256 `{sha}`"
        in md
    )
    assert "Below threshold" not in md


def test_warc_export_calls_writer(db, tmp_path):
    art, *_ = _world(db)
    out = tmp_path / "a.warc.gz"
    n = ex.export(db, "warc", out, article_id=art)
    assert n == 1 and out.stat().st_size > 0
    assert (
        db.conn.execute(
            "SELECT count(*) FROM events WHERE kind = 'exported' AND article_id = ?", [art]
        ).fetchone()[0]
        == 1
    )


def test_unknown_format(db):
    with pytest.raises(InputError, match="unknown export format"):
        ex.export(db, "pdf", io.StringIO())
