"""Accounts (users) and their sign-in sessions (_sessions, keyed by the token's sha256)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from verify.store.db import row, rows

_USER_COLUMNS = "id, name, role, session_epoch, disabled_at, created_at, updated_at"


def has_accounts(db: Database) -> bool:
    return db.conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def get_user(db: Database, name: str, *, with_hash: bool = False) -> dict[str, Any] | None:
    """The account named `name` (its password_hash only when asked), or None."""
    cols = f"{_USER_COLUMNS}, password_hash" if with_hash else _USER_COLUMNS
    return row(db, f"SELECT {cols} FROM users WHERE name = ?", [name])


def list_users(db: Database) -> list[dict[str, Any]]:
    return rows(db, f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")


def add_user(db: Database, name: str, role: str, password_hash: str, at: str) -> None:
    db.conn.execute(
        "INSERT INTO users (name, role, password_hash, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [name, role, password_hash, at, at],
    )


_CHANGEABLE = ("password_hash", "disabled_at")


def change_user(db: Database, user_id: int, column: str, value: Any, at: str) -> None:
    """Set `column` (password_hash or disabled_at) of an account and end its sessions (the
    session epoch moves on)."""
    if column not in _CHANGEABLE:
        raise ValueError(f"not a changeable account column: {column}")
    db.conn.execute(
        f"UPDATE users SET {column} = ?, session_epoch = session_epoch + 1, updated_at = ?"
        " WHERE id = ?",
        [value, at, user_id],
    )


def active_admins(db: Database) -> int:
    return db.conn.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"
    ).fetchone()[0]


def add_session(
    db: Database,
    token_id: str,
    user_id: int,
    epoch: int,
    address: str | None,
    at: str,
    expires: str,
) -> None:
    db.conn.execute(
        "INSERT INTO _sessions (id, user_id, epoch, address, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [token_id, user_id, epoch, address, at, expires],
    )


def session_user(db: Database, token_id: str, at: str) -> dict[str, Any] | None:
    """(id, name, role) of the active account of a live session at `at`, or None."""
    found = db.conn.execute(
        "SELECT u.id, u.name, u.role FROM _sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = ? AND s.ended_at IS NULL AND s.expires_at > ? AND s.epoch = u.session_epoch"
        " AND u.disabled_at IS NULL",
        [token_id, at],
    ).fetchone()
    return None if found is None else {"id": found[0], "name": found[1], "role": found[2]}


def open_session_owner(db: Database, token_id: str) -> str | None:
    """The account name of a session not yet ended, or None."""
    found = db.conn.execute(
        "SELECT u.name FROM _sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = ? AND s.ended_at IS NULL",
        [token_id],
    ).fetchone()
    return found[0] if found else None


def end_session(db: Database, token_id: str, at: str) -> None:
    db.conn.execute("UPDATE _sessions SET ended_at = ? WHERE id = ?", [at, token_id])
