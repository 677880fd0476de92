import pytest
from review_helpers import make_claim, make_snapshot, make_source

from verify.errors import InputError
from verify.review import search as s


def _data(db):
    c1 = make_claim(db, "UN peacekeeping casualties are the highest of any mission.")
    c2 = make_claim(db, "The government plans to deploy 650 soldiers.")
    src = make_source(db, c1, "https://un.example/report")
    make_snapshot(
        db,
        src,
        "Peacekeepers in Mali suffered more casualties than any other UN mission.",
        title="UN report",
    )
    newer = make_snapshot(
        db,
        src,
        "Peacekeepers in Mali suffered more casualties than any other UN mission, updated.",
        title="UN report",
    )
    return c1, c2, src, newer


def test_search_claims_and_snapshots_with_snippets(db):
    c1, c2, src, newer = _data(db)
    found = s.search(db, "peacekeeping casualties")
    types = {(r["type"], r["id"]) for r in found}
    assert ("claim", c1) in types
    snaps = [r for r in found if r["type"] == "snapshot"]
    assert len(snaps) == 1  # one per source
    assert snaps[0]["url"] == "https://un.example/report" and snaps[0]["title"] == "UN report"
    claim = [r for r in found if r["type"] == "claim"][0]
    assert "[casualties]" in claim["snippet"]
    assert claim["text"].startswith("UN peacekeeping")
    assert all(isinstance(r["score"], float) for r in found)
    assert [r["score"] for r in found] == sorted((r["score"] for r in found), reverse=True)


def test_search_syntax_never_breaks(db):
    _data(db)
    for q in [
        '"unclosed',
        "AND OR NOT",
        "casualties)",
        "col:umn",
        "a*b",
        "NEAR(x y)",
        "^start",
        "-",
        "'",
        "650*",
    ]:
        try:
            s.search(db, q)
        except InputError:
            pass  # nothing searchable is fine, a crash is not
    assert [r["type"] for r in s.search(db, "650")] == ["claim"]


def test_phrases_and_prefix(db):
    c1, c2, *_ = _data(db)
    assert {r["id"] for r in s.search(db, '"deploy 650"', kinds=("claim",))} == {c2}
    assert s.search(db, '"650 deploy"', kinds=("claim",)) == []
    assert {r["id"] for r in s.search(db, "peacekeep*", kinds=("claim",))} == {c1}
    # AND first, OR when AND finds nothing
    assert {r["id"] for r in s.search(db, "soldiers casualties", kinds=("claim",))} == {c1, c2}


def test_parse_query_quotes_everything_but_operators():
    assert s.parse_query('peace "two words" pre* OR x:y "OR" or') == [
        '"peace"',
        '"two words"',
        '"pre"*',
        "OR",
        '"x:y"',
        '"OR"',
        '"or"',
    ]
    assert s.fts_query('say "hi') == '"say" "hi"'
    with pytest.raises(InputError):
        s.search(None, "  ()  ")


def test_search_sees_new_rows_at_once(db):
    with pytest.raises(InputError):
        s.search(db, "zebra", limit=0)
    assert s.search(db, "zebra") == []
    cid = make_claim(db, "A zebra crossed the road.")
    assert [r["id"] for r in s.search(db, "zebra")] == [cid]


def test_queries_under_the_window_are_ranked(db):
    for i in range(5):
        make_claim(db, f"Common word number {i}.")
    assert len(s.search(db, "common", kinds=("claim",))) == 5
    assert all(r["score"] is not None for r in s.search(db, "common"))


def test_very_common_queries_list_newest_matches_unscored(db, monkeypatch):
    ids = [make_claim(db, f"Common word number {i}.") for i in range(5)]
    rare = make_claim(db, "A rare common word.")
    monkeypatch.setattr(s, "RANK_WINDOW", 3)
    found = s.search(db, "common", kinds=("claim",), limit=3)
    assert [r["id"] for r in found] == [rare, ids[4], ids[3]]
    assert all(r["score"] is None for r in found)
    assert "[Common]" in found[1]["snippet"]
    # a query under the window is still ranked by bm25
    ranked = s.search(db, "rare", kinds=("claim",))
    assert [r["id"] for r in ranked] == [rare] and ranked[0]["score"] > 0


def _operators(db):
    a = make_claim(db, "Turnout was 61 percent.")
    b = make_claim(db, "The dam holds 3 billion litres.")
    c = make_claim(db, "Turnout or dam levels rose.")
    return a, b, c


def _ids(db, query):
    return {r["id"] for r in s.search(db, query, kinds=("claim",))}


def test_or_and_not_are_operators_as_in_fts5(db):
    """Issue 9 item 6: OR, AND and NOT in upper case are FTS5 operators, not words."""
    a, b, c = _operators(db)
    assert _ids(db, "turnout OR dam") == {a, b, c}
    assert _ids(db, "turnout AND dam") == {c}
    assert _ids(db, "turnout NOT dam") == {a}
    assert _ids(db, '"dam holds" OR percent') == {a, b}
    assert _ids(db, "turnout or dam") == {c}  # lower case: the word "or"
    assert _ids(db, '"or"') == {c}  # quoted: the word too


def test_misplaced_operators_are_ignored(db):
    a, b, c = _operators(db)
    assert _ids(db, "OR turnout NOT") == {a, c}
    assert _ids(db, "turnout OR AND dam") == {a, b, c}
    assert s.parse_query("NOT a OR OR b AND") == ['"a"', "OR", '"b"']
    with pytest.raises(InputError):
        s.search(db, "AND OR NOT")
