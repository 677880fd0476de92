"""The article's date (page, htmldate, or --published) and the article page kept as a
snapshot when it is ingested from a URL."""

from __future__ import annotations

import json

import pytest
from conftest import Response

from verify import store
from verify.capture.fetch import FetchOptions
from verify.errors import InputError
from verify.ingest.article import ingest_article

LOCAL = FetchOptions(allow_hosts=("127.0.0.1",), retries=0)
BODY = (
    "<article><h1>Siege</h1><p>Gunmen held 170 hostages at the hotel on Friday, officials said."
    ' <a href="http://example.org/report">The report</a> says at least 22 people died.</p></article>'
)


def test_the_date_comes_from_the_page_or_from_published(db):
    meta = f'<html><head><meta property="article:published_time" content="2015-11-23T08:00:00Z"></head><body>{BODY}</body></html>'
    first = ingest_article(db, "-", stdin=meta.encode())
    assert store.row(db, "SELECT published FROM articles WHERE id = ?", [first.article_id]) == {
        "published": "2015-11-23"
    }
    given = ingest_article(
        db, "-", stdin=meta.replace("Friday", "Saturday").encode(), published="2015-11-24"
    )
    row = store.row(db, "SELECT published FROM articles WHERE id = ?", [given.article_id])
    assert row == {"published": "2015-11-24"}
    # a date only in the text of the page: htmldate finds it
    dated = f"<html><head><title>Siege</title></head><body><p class='date'>Published: 20 November 2015</p>{BODY.replace('Friday', 'Sunday')}</body></html>"
    found = ingest_article(db, "-", stdin=dated.encode())
    row = store.row(db, "SELECT published FROM articles WHERE id = ?", [found.article_id])
    assert row == {"published": "2015-11-20"}


@pytest.mark.parametrize("bad", ["23/11/2015", "2015-13-01", "yesterday", "2015-11-2"])
def test_a_bad_published_date_changes_nothing(db, bad):
    with pytest.raises(InputError, match="give the date as YYYY-MM-DD"):
        ingest_article(db, "-", stdin=BODY.encode(), published=bad)
    assert store.row(db, "SELECT count(*) AS n FROM articles") == {"n": 0}


def test_ingesting_a_url_keeps_the_article_page_as_a_snapshot(db, site, run_cli, db_path):
    site.routes["/news/siege.html"] = Response(
        200, f"<html><head><title>Siege</title></head><body>{BODY}</body></html>"
    )
    result = run_cli(
        "ingest", site.url("/news/siege.html"), "--allow-host", "127.0.0.1",
        "--published", "2015-11-23", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    article_id = json.loads(result.stdout)["article_id"]
    fresh = store.open_db(db_path)
    article = store.row(fresh, "SELECT * FROM articles WHERE id = ?", [article_id])
    snap = store.row(fresh, "SELECT * FROM snapshots WHERE id = ?", [article["snapshot_id"]])
    source = store.row(fresh, "SELECT url FROM sources WHERE id = ?", [snap["source_id"]])
    fresh.close()
    assert article["published"] == "2015-11-23"
    assert snap["status"] == 200 and "170 hostages" in snap["text"] and snap["origin"] == "live"
    assert source["url"] == site.url("/news/siege.html")
    bad = run_cli("ingest", "-", "--published", "soon", input=BODY)
    assert bad.exit_code == 1
    assert bad.stderr == "Error: bad --published 'soon': give the date as YYYY-MM-DD\n"
