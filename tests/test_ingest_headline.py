"""A plain-text or Markdown article's headline becomes its title and is not also scored and
stored as claim 1 (issue 21); the article's text, and so every claim's offsets, stay as read."""

from __future__ import annotations

from verify.ingest import article as ingest

BODY = (
    "The city council voted on Tuesday to cut the water budget by 40 percent, officials said."
    "\n\nThe reservoir holds 12 million cubic metres."
)


def stored(db, article_id: int) -> tuple[str | None, str, list[tuple[str, int, int]]]:
    title, text = db.conn.execute(
        "SELECT title, text FROM articles WHERE id = ?", [article_id]
    ).fetchone()
    claims = db.conn.execute(
        'SELECT text, start, "end" FROM claims WHERE article_id = ? ORDER BY id', [article_id]
    ).fetchall()
    return title, text, [tuple(c) for c in claims]


def test_a_plain_text_headline_is_the_title_not_claim_1(db):
    headline = "Council cuts water budget by 40 percent"
    result = ingest.ingest_article(db, "-", stdin=f"{headline}\n\n{BODY}\n".encode())
    title, text, claims = stored(db, result.article_id)
    assert title == headline
    assert [c[0] for c in claims] == [
        "The city council voted on Tuesday to cut the water budget by 40 percent, officials said.",
        "The reservoir holds 12 million cubic metres.",
    ]
    assert result.sentences == 2
    assert all(text[start:end] == quote for quote, start, end in claims)  # offsets still hold


def test_a_markdown_headline_is_the_title_not_claim_1(db, tmp_path):
    story = tmp_path / "story.md"
    story.write_text(f"# Council cuts water budget by 40 percent\n\n{BODY}\n", encoding="utf-8")
    result = ingest.ingest_article(db, str(story))
    title, text, claims = stored(db, result.article_id)
    assert title == "Council cuts water budget by 40 percent"
    assert len(claims) == 2 and claims[0][0].startswith("The city council voted")
    assert all(text[start:end] == quote for quote, start, end in claims)


def test_without_a_headline_the_first_sentence_is_still_a_claim(db):
    result = ingest.ingest_article(db, "-", stdin=f"{BODY}\n".encode())
    title, _text, claims = stored(db, result.article_id)
    assert title is None and len(claims) == 2


def test_a_link_in_the_headline_attaches_to_no_claim(db):
    text = f"# Budget cut: [the vote](https://council.example/vote)\n\n{BODY}\n"
    result = ingest.ingest_article(db, "-", stdin=text.encode())
    _title, _text, claims = stored(db, result.article_id)
    assert len(claims) == 2 and result.links == 1  # the link is kept as the article's
    linked = db.conn.execute("SELECT COUNT(*) FROM claim_sources").fetchone()[0]
    assert linked == 0


def test_headline_end():
    assert ingest.headline_end("Pools close\n\nThe city said so.", "Pools close") == 11
    assert ingest.headline_end("\n  Pools close \n\nMore.", "Pools close") == 14
    assert ingest.headline_end("The city said so.\n\nMore.", "Pools close") == 0
    assert ingest.headline_end("Pools close\n\nMore.", None) == 0
