"""Article ingest (files, stdin, URL) and sheet import, through the library."""

from __future__ import annotations

import json

import pytest
from conftest import row_counts

from verify import store
from verify.errors import BlockedAddressError, InputError, InvalidURLError, NotFoundError
from verify.ingest.article import import_sheet, ingest_article, promote_span

STORY = """<!doctype html>
<html><head><title>Harbour bridge reopens</title></head>
<body>
<nav><a href="https://news.example/">Home</a> <a href="https://news.example/world">World</a></nav>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The Harbour Bridge reopened on 3 March 2025 after 14 months of repairs costing $212 million,
according to <a href="https://city.example/reports/bridge?utm_source=feed#cost">the city's final report</a>.</p>
<p>I think it looks wonderful. Will drivers come back? Maybe they will.</p>
<p>Mayor Ana Ruiz said traffic was 9 percent lower than in 2023, citing figures from the
<a href="https://transport.example/stats/2024">transport office</a>.
It is a <a href="https://blog.example/opinion">lovely</a> day.</p>
</article>
<aside><a href="https://news.example/related">Related: other bridges</a></aside>
<footer><a href="https://news.example/about">About us</a></footer>
</body></html>
"""


def counts(db) -> dict[str, int]:
    return row_counts(
        db, ("articles", "claims", "sources", "claim_sources", "events", "article_links")
    )


def write(tmp_path, name: str, data: str | bytes):
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_html_article_sentences_links_and_offsets(db, tmp_path):
    path = write(tmp_path, "story.html", STORY)
    result = ingest_article(db, str(path), url="https://news.example/bridge")
    assert result.created
    article = store.get_article(db, result.article_id)
    assert article["title"]
    assert article["url"] == "https://news.example/bridge"
    text = article["text"]
    assert "Home" not in text and "About us" not in text and "other bridges" not in text
    every = store.list_claims(db, article_id=result.article_id, include_candidates=True)
    assert len(every) == result.sentences >= 6
    for claim in every:  # every sentence kept, with exact offsets
        assert text[claim["start"] : claim["end"]] == claim["text"]
    by_text = {c["text"]: c for c in every}
    cost = next(c for t, c in by_text.items() if "$212 million" in t)
    assert cost["status"] == "queued"
    assert cost["sources"] == ["https://city.example/reports/bridge"]
    mayor = next(c for t, c in by_text.items() if "Mayor Ana Ruiz" in t)
    assert mayor["sources"] == ["https://transport.example/stats/2024"]
    question = next(c for t, c in by_text.items() if t.startswith("Will drivers"))
    assert question["status"] == "candidate"
    # a link inside a candidate sentence is still attached to it
    lovely = next(c for t, c in by_text.items() if "lovely" in t)
    assert lovely["sources"] == ["https://blog.example/opinion"]
    # nav / aside / footer links are not sources
    urls = {r[0] for r in db.conn.execute("SELECT url FROM sources")}
    assert urls == {
        "https://city.example/reports/bridge",
        "https://transport.example/stats/2024",
        "https://blog.example/opinion",
    }
    links = article["links"]
    assert {link["anchor_text"] for link in links} >= {
        "the city's final report",
        "transport office",
    }
    for link in links:
        assert text[link["start"] : link["end"]] == link["anchor_text"]
    anchor = db.conn.execute(
        "SELECT anchor_text, origin FROM claim_sources WHERE claim_id = ?", [cost["id"]]
    ).fetchone()
    assert anchor == ("the city's final report", "article")
    # result.claims holds only the queued ones
    assert all(c["status"] == "queued" for c in result.claims)
    assert {c["id"] for c in result.claims} == {c["id"] for c in every if c["status"] == "queued"}


def test_reingest_same_text_adds_nothing(db, tmp_path):
    path = write(tmp_path, "story.html", STORY)
    first = ingest_article(db, str(path))
    before = counts(db)
    again = ingest_article(db, str(path))
    assert not again.created
    assert again.article_id == first.article_id
    assert [c["id"] for c in again.claims] == [c["id"] for c in first.claims]
    assert counts(db) == before


def test_min_score_controls_queue(db, tmp_path):
    path = write(tmp_path, "story.html", STORY)
    result = ingest_article(db, str(path), min_score=1.0)
    assert result.claims == []
    assert len(store.list_claims(db, status="candidate")) == result.sentences
    with pytest.raises(InputError, match="min-score"):
        ingest_article(db, "-", stdin=b"Other text with 5 numbers.", min_score=1.5)


def test_markdown_file_links(db, tmp_path):
    md = (
        "# Water prices\n\n"
        "Water bills rose 18 percent in 2024, [the regulator said](https://water.example/report).\n"
        "The rise was the largest since 1990.\n\n"
        "- What should families do? See <https://help.example/tips> for tips.\n"
    )
    result = ingest_article(db, str(write(tmp_path, "w.md", md)))
    article = store.get_article(db, result.article_id)
    assert "](" not in article["text"] and "# " not in article["text"]
    found = store.list_claims(db, include_candidates=True)
    rose = next(c for c in found if "18 percent" in c["text"])
    assert rose["sources"] == ["https://water.example/report"]
    assert db.conn.execute("SELECT html FROM articles").fetchone()[0] is None


def test_stdin_plain_text_and_encoding(db):
    text = "Le café a ouvert en 1932 à Paris, selon la mairie. Il a coûté 4 millions de francs.\n"
    result = ingest_article(db, "-", stdin=text.encode("cp1252"))
    article = store.get_article(db, result.article_id)
    assert "café" in article["text"] and "coûté" in article["text"]
    assert article["source_name"] == "-"
    utf16 = "The dam holds 12 billion litres, the agency said.".encode("utf-16")
    other = ingest_article(db, "-", stdin=utf16)
    assert "12 billion litres" in store.get_article(db, other.article_id)["text"]


def test_stdin_html_detected_by_content(db):
    html = b"<html><body><article><p>The port handled 4.2 million containers in 2023, <a href='https://port.example/2023'>officials said</a>.</p></article></body></html>"
    result = ingest_article(db, "-", stdin=html)
    article = store.get_article(db, result.article_id)
    assert "<p>" not in article["text"]
    assert article["has_html"]
    assert result.claims[0]["sources"] == ["https://port.example/2023"]


def test_invalid_link_is_skipped_not_fatal(db):
    html = (
        "<html><body><article><p>Rents rose 7 percent in 2024, <a href='http://user:pw@rent.example/'>the survey</a>"
        " found. Prices fell 2 percent, <a href='https://ok.example/prices'>data show</a>.</p></article></body></html>"
    )
    result = ingest_article(db, "-", stdin=html.encode())
    urls = [r[0] for r in db.conn.execute("SELECT url FROM sources")]
    assert urls == ["https://ok.example/prices"]
    assert len(result.skipped_links) == 1
    assert len(store.get_article(db, result.article_id)["links"]) == 1


def test_unparseable_link_is_skipped_not_fatal(db):
    html = (
        "<html><body><article><p>Rents rose 7 percent in 2024, <a href='http://[broken'>the survey</a> found."
        " Prices fell 2 percent, <a href='https://ok.example/prices'>data show</a>.</p></article></body></html>"
    )
    ingest_article(db, "-", stdin=html.encode())
    assert [r[0] for r in db.conn.execute("SELECT url FROM sources")] == [
        "https://ok.example/prices"
    ]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\t\n  ", "is empty"),
        ("bin.dat", b"\x00\x01\x02binary\x00" * 50, "binary"),
        ("pic.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary"),
        ("nothing.html", b"<html><body><script>var x = 1;</script></body></html>", "no readable"),
    ],
)
def test_bad_files_change_nothing(db, tmp_path, name, data, message):
    ingest_article(db, "-", stdin=b"An existing article says 3 things.")
    before = counts(db)
    with pytest.raises(InputError, match=message):
        ingest_article(db, str(write(tmp_path, name, data)))
    assert counts(db) == before


def test_missing_and_directory_and_bad_urls(db, tmp_path):
    before = counts(db)
    with pytest.raises(InputError, match="no such file"):
        ingest_article(db, str(tmp_path / "nope.html"))
    with pytest.raises(InputError, match="is a directory"):
        ingest_article(db, str(tmp_path))
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hi",
        "ftp://example.org/a",
    ):
        with pytest.raises(InvalidURLError, match="only http and https"):
            ingest_article(db, bad)
    with pytest.raises(InvalidURLError):
        ingest_article(db, "-", stdin=b"Text with 3 numbers.", url="not a url")
    with pytest.raises(InputError, match="stdin"):
        ingest_article(db, "-", stdin=None)
    assert counts(db) == before


def test_unreadable_file(db, tmp_path):
    import os

    path = write(tmp_path, "secret.txt", "The budget was 5 million.")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        before = counts(db)
        with pytest.raises(InputError, match="permission denied"):
            ingest_article(db, str(path))
        assert counts(db) == before
    finally:
        path.chmod(0o644)


def test_url_ingest_through_fetch(db, site):
    from conftest import Response

    from verify.capture.fetch import FetchOptions

    site.routes["/story"] = Response(200, STORY)
    before = counts(db)
    with pytest.raises(BlockedAddressError, match="allow-host"):
        ingest_article(db, site.url("/story"))
    assert counts(db) == before
    result = ingest_article(
        db, site.url("/story"), fetch_options=FetchOptions(allow_hosts=("127.0.0.1",))
    )
    article = store.get_article(db, result.article_id)
    assert article["url"] == site.url("/story")
    assert "$212 million" in article["text"]
    site.routes["/gone"] = Response(404, "gone")
    with pytest.raises(Exception, match="404|HTTP"):
        ingest_article(
            db, site.url("/gone"), fetch_options=FetchOptions(allow_hosts=("127.0.0.1",))
        )


def test_promote_candidate_sentence(db, tmp_path):
    result = ingest_article(db, str(write(tmp_path, "story.html", STORY)))
    question = next(
        c for c in store.list_claims(db, status="candidate") if c["text"].startswith("Will")
    )
    claim_id = promote_span(db, result.article_id, question["start"], question["end"])
    assert claim_id == question["id"]
    assert store.get_claim(db, claim_id)["status"] == "queued"


# --- import ----------------------------------------------------------------------------------


def test_import_csv_groups_rows_and_reports_bad_ones(db, tmp_path):
    sheet = write(
        tmp_path,
        "sheet.csv",
        "claim,url,priority\n"
        "The bridge opened in 1932.,https://example.org/history,2\n"
        "The bridge opened in 1932.,https://archive.example/bridge,\n"
        ",https://example.org/orphan,\n"
        "Bad link claim.,javascript:alert(1),\n"
        "Bad priority claim.,https://example.org/p,urgent\n"
        '"A claim, with a comma.",,1\n',
    )
    before = counts(db)
    result = import_sheet(db, sheet)
    assert [n for n, _ in result.errors] == [4, 5, 6]
    assert "missing claim" in result.errors[0][1]
    assert "javascript" in result.errors[1][1]
    assert "priority" in result.errors[2][1]
    assert result.added_claims == 2 and result.added_sources == 2
    found = store.list_claims(db)
    bridge = next(c for c in found if c["text"] == "The bridge opened in 1932.")
    assert bridge["sources"] == ["https://example.org/history", "https://archive.example/bridge"]
    assert bridge["status"] == "queued" and bridge["priority"] == 2
    assert (
        db.conn.execute("SELECT origin FROM claims WHERE id = ?", [bridge["id"]]).fetchone()[0]
        == "import"
    )
    assert "https://example.org/orphan" not in {
        r[0] for r in db.conn.execute("SELECT url FROM sources")
    }
    kinds = {r[0] for r in db.conn.execute("SELECT kind FROM events")}
    assert {"imported", "source_added"} <= kinds
    after = counts(db)
    assert after != before
    again = import_sheet(db, sheet)
    assert (again.added_claims, again.added_sources) == (0, 0)
    assert counts(db) == after


def test_import_jsonl(db, tmp_path):
    art = ingest_article(db, "-", stdin=b"Ships waited 9 days. It was calm. Why?")
    calm = next(c for c in store.list_claims(db, status="candidate") if c["text"] == "It was calm.")
    lines = [
        json.dumps(
            {
                "claim": "Tariffs doubled in 2019.",
                "urls": ["https://a.example/1", "https://b.example/2"],
            }
        ),
        "{not json",
        json.dumps(
            {"claim": "It was calm.", "url": "https://sea.example/", "article": art.article_id}
        ),
        json.dumps({"claim": "Unknown article.", "article": 999}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"claim": "Priority claim.", "priority": 5}),
    ]
    sheet = write(tmp_path, "sheet.jsonl", "\n".join(lines) + "\n")
    result = import_sheet(db, sheet)
    assert [n for n, _ in result.errors] == [2, 4, 5]
    assert "malformed JSON" in result.errors[0][1]
    assert "no article 999" in result.errors[1][1]
    assert result.added_claims == 2
    tariffs = next(c for c in store.list_claims(db) if c["text"].startswith("Tariffs"))
    assert tariffs["sources"] == ["https://a.example/1", "https://b.example/2"]
    promoted = store.get_claim(db, calm["id"])  # the candidate sentence a person chose is queued
    assert promoted["status"] == "queued" and promoted["sources"] == ["https://sea.example/"]
    assert next(c for c in store.list_claims(db) if c["text"] == "Priority claim.")["priority"] == 5
    before = counts(db)
    import_sheet(db, sheet)
    assert counts(db) == before


def test_import_file_errors(db, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_sheet(db, tmp_path / "none.csv")
    with pytest.raises(InputError, match="header"):
        import_sheet(
            db, write(tmp_path, "noheader.csv", "The bridge opened in 1932.,https://x.example/\n")
        )
    with pytest.raises(InputError, match="empty"):
        import_sheet(db, write(tmp_path, "empty.csv", ""))
    with pytest.raises(NotFoundError):
        store.get_article(db, 1)
