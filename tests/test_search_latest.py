"""Search tells the truth (issue 19): each source's latest capture is shown, and a match found
only in an older capture says the text is no longer in the latest one."""

from __future__ import annotations

from review_helpers import make_claim, make_snapshot, make_source

from verify.review import search


def test_search_shows_the_latest_capture_or_says_the_text_is_gone(db, run_cli) -> None:
    cid = make_claim(db, "At least 22 people died.")
    sid = make_source(db, cid, "https://wire.example/siege")
    old = make_snapshot(db, sid, "Officials said 21 people died in the hotel siege.")
    new = make_snapshot(
        db, sid, "Officials said 22 people died in the hotel siege.",
        fetched_at="2026-11-22T10:00:00.000000Z",
    )  # fmt: skip
    (both,) = search.search(db, "hotel siege", kinds=("snapshot",))
    assert (both["id"], both["in_latest"], both["latest_snapshot_id"]) == (new, True, new)
    (gone,) = search.search(db, "21 people", kinds=("snapshot",))
    assert (gone["id"], gone["in_latest"], gone["latest_snapshot_id"]) == (old, False, new)
    out = run_cli("search", '"21 people"')
    assert out.exit_code == 0
    assert f"no longer in the latest capture of this source (snapshot {new})" in out.stdout
