"""Reading ClaimReview JSON-LD safely: JSON nested beyond any real feed is refused in one line,
and the other JSON-LD blocks of the same page still import."""

from __future__ import annotations

import json

from verify.review import known as claimreview

REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "claimReviewed": "The army will deploy 650 soldiers.",
    "reviewRating": {"@type": "Rating", "alternateName": "True"},
    "author": {"@type": "Organization", "name": "Desk"},
    "url": "https://desk.example/checks/1",
}
DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_json_is_one_clean_error(run_cli, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP, encoding="utf-8")
    result = run_cli("import-claimreview", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: JSON-LD in {path} nests deeper than 200 levels: not read"
    ]
    assert "RecursionError" not in result.stderr


def test_a_deep_block_leaves_the_other_blocks_of_the_page_importable(run_cli, tmp_path, db):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head>"
        f'<script type="application/ld+json">{DEEP}</script>'
        f'<script type="application/ld+json">{json.dumps(REVIEW)}</script>'
        "</head><body>x</body></html>",
        encoding="utf-8",
    )
    result = run_cli("import-claimreview", str(page), "--json")
    assert result.exit_code == 1  # a batch with a failed item
    assert json.loads(result.stdout)["added"] == 1
    assert "script block 1) nests deeper than 200 levels" in result.stderr
    stored = claimreview.list_reviews(db)
    assert [r["claim_text"] for r in stored] == [REVIEW["claimReviewed"]]


def test_json_depth_counts_brackets_outside_strings():
    assert claimreview.json_depth('{"a": ["[[[[", {"b": 1}]}') == 3
    assert claimreview.json_depth("[" * 500, limit=10) == 11
