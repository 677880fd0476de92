"""The archive's settings table: one text value per key."""

from __future__ import annotations

from sqlite_utils import Database


def get_setting(db: Database, key: str, default: str | None = None) -> str | None:
    row = db.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_setting(db: Database, key: str, value: str) -> None:
    db.conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def delete_setting(db: Database, key: str) -> None:
    db.conn.execute("DELETE FROM settings WHERE key = ?", [key])
