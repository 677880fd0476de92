"""Aliases and lemmas in matching keys (verify.text.aliases, verify.text.lemmas, verify.text.matchkeys): "checked
before" sees paraphrases, and migration 0012 re-keys what an archive already stores."""

from __future__ import annotations

from review_helpers import make_article, make_claim

from verify import store
from verify.review import similar
from verify.text.aliases import fold_aliases
from verify.text.lemmas import lemma
from verify.text.matchkeys import match_keys, text_keys


def _decide(db, cid: int) -> None:
    with store.immediate(db):
        db.conn.execute(
            "UPDATE claims SET status = 'decided', verdict = 'true', decided_by = 'ana',"
            " decided_at = '2026-11-21T09:00:00.000000Z' WHERE id = ?",
            [cid],
        )


def test_lemmas_are_consistent() -> None:
    assert lemma("causes") == lemma("cause") == lemma("caused") == "cause"
    assert lemma("hostages") == "hostage"
    assert lemma("UN's") == "un"


def test_aliases_fold_to_one_term() -> None:
    assert fold_aliases("The Islamic State and Daesh") == "The ISIS and ISIS"
    assert fold_aliases("IS fighters") == "ISIS fighters"
    assert fold_aliases("this is it") == "this is it"  # lower-case "is" is a verb
    assert fold_aliases("carbon dioxide") == "co2"


def test_paraphrases_share_their_keys() -> None:
    a = set(text_keys("Germany will send 650 troops to Mali.").keys)
    b = set(text_keys("the deployment of 650 German soldiers to Mali").keys)
    assert {"n650", "germany", "soldier", "deploy", "mali"} <= a & b
    assert set(text_keys("ISIS was founded in 2014").keys) == set(
        text_keys("The Islamic State was founded in 2014.").keys
    )
    assert "n650" in match_keys("six hundred and fifty troops")


def test_checked_before_sees_aliases_and_paraphrases(db) -> None:
    first, second = make_article(db, "One."), make_article(db, "Two.", url="https://n.example/2")
    decided = make_claim(db, "The Islamic State was founded in 2014.", article_id=first)
    troops = make_claim(db, "The deployment of 650 German soldiers to Mali.", article_id=first)
    _decide(db, decided)
    _decide(db, troops)
    isis = make_claim(db, "ISIS was founded in 2014", article_id=second)
    germany = make_claim(db, "Germany will send 650 troops to Mali.", article_id=second)
    assert [m.id for m in similar.checked_before(db, isis)] == [decided]
    assert [m.id for m in similar.checked_before(db, germany)] == [troops]


def test_migration_0012_rekeys_an_existing_archive(db_path) -> None:
    db = store.open_db(db_path)
    cid = make_claim(db, "The Islamic State was founded in 2014.", article_id=make_article(db))
    _decide(db, cid)
    with store.immediate(db):  # as an archive keyed by the old rule would hold it
        db.conn.execute("DELETE FROM decided_claim_keys")
        db.conn.execute(
            "INSERT INTO decided_claim_keys (claim_id, keys) VALUES (?, 'islam state found y2014')",
            [cid],
        )
        db.conn.execute("DELETE FROM _migrations WHERE number = 12")
    db.conn.close()
    db = store.open_db(db_path)
    (keys,) = db.conn.execute("SELECT keys FROM decided_claim_keys").fetchone()
    assert keys == match_keys("The Islamic State was founded in 2014.")
    assert "isis" in keys.split()
    docs = dict(db.conn.execute("SELECT key, docs FROM decided_claim_key_docs"))
    assert docs.get("isis") == 1 and "islam" not in docs
