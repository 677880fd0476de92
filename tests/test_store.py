import sqlite3

import pytest

from verify.errors import InputError
from verify.store import add_event, get_payload, open_db, put_payload


def test_migrations_apply_once_and_wal(db_path):
    db = open_db(db_path)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {
        "articles",
        "claims",
        "sources",
        "claim_sources",
        "snapshots",
        "payloads",
        "events",
    } <= set(db.table_names())
    n = db.conn.execute("SELECT count(*) FROM _migrations").fetchone()[0]
    db.close()
    db2 = open_db(db_path)
    assert db2.conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == n


def test_payload_stored_once(db):
    a = put_payload(db, b"hello" * 1000)
    b = put_payload(db, b"hello" * 1000)
    assert a == b
    assert db.conn.execute("SELECT count(*) FROM payloads").fetchone()[0] == 1
    stored = db.conn.execute("SELECT length(data) FROM payloads").fetchone()[0]
    assert stored < 5000
    assert get_payload(db, a) == b"hello" * 1000


def test_events_are_append_only(db):
    event_id = add_event(db, "ingested", article_id=1, actor="ana")
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE events SET actor = 'mallory' WHERE id = ?", [event_id])
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("DELETE FROM events")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_db(tmp_path / "nope" / "verify.db")


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not a verify database"):
        open_db(path)
