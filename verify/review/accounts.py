"""Accounts, roles and web sessions.

Until the first account exists verify is single-user (or shared-password) as before: any name
is an actor and every action is allowed. Once any account exists, every actor name (the CLI's
`--reviewer`, the web sign-in) must be an active account, and its role (model.ROLES) decides
what it may do (model.TRANSITIONS and model.ROLE_ACTIONS).

Passwords are hashed with scrypt (memory-hard, from the standard library) under a random salt;
the hash is stored as `scrypt$n$r$p$salt$hash` so its parameters can be raised later without
breaking older hashes. The clear password is never stored, logged, or put in an event.

A web session is a random token in the (signed) cookie and its sha256 in `_sessions`. It is
valid while it has not ended (sign-out), has not expired, and its epoch equals the account's
`session_epoch`, which a password change or disabling the account increases: that ends every
session of the account at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from verify import clock, model, store
from verify.errors import ConflictError, ForbiddenError, InputError, NotFoundError

SCRYPT_N = 2**15  # 32 MiB of memory per hash (128 * r * n bytes); about 0.1 s on one core
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
SESSION_HOURS = 12
NAME_MAX = 80


# --------------------------------------------------------------------------- passwords


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n, dklen=KEY_BYTES
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, with its parameters: scrypt$n$r$p$salt$hash."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def password_matches(password: str, stored: str) -> bool:
    """Does `password` hash to `stored` (under the parameters and salt stored with it)?"""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY_HASH: str | None = None


def _burn_time(password: str) -> None:
    """Spend as long as a real check, so an unknown name is not faster than a wrong password."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    password_matches(password, _DUMMY_HASH)


def check_password_text(password: str) -> str:
    """A new password must be 10 to 1024 characters (the first line of --password-stdin)."""
    if not isinstance(password, str):
        raise InputError("a password is required")
    password = password.rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is {len(password)} characters: at least {MIN_PASSWORD}")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"the password is longer than {MAX_PASSWORD} characters")
    return password


# --------------------------------------------------------------------------- accounts


def check_name(name: str) -> str:
    """An account name: 1-80 characters, single spaces, no control characters."""
    clean = " ".join((name or "").split())
    if not clean:
        raise InputError("an account name is required")
    if len(clean) > NAME_MAX:
        raise InputError(f"an account name is at most {NAME_MAX} characters, not {len(clean)}")
    if any(ord(ch) < 32 for ch in clean):
        raise InputError("an account name must not contain control characters")
    return clean


def has_accounts(db: Database) -> bool:
    """Does any account exist? (Then every actor must be an active one.)"""
    return store.accounts.has_accounts(db)


def get_user(db: Database, name: str) -> dict[str, Any] | None:
    """The account named `name` (without its hash), or None."""
    return store.accounts.get_user(db, name)


def _user(db: Database, name: str) -> dict[str, Any]:
    found = get_user(db, check_name(name))
    if found is None:
        raise NotFoundError(f"no account {name!r}: see `verify user list`")
    return found


def list_users(db: Database) -> list[dict[str, Any]]:
    """Every account: id, name, role, active, disabled_at, created_at (never the hash)."""
    out = store.accounts.list_users(db)
    for u in out:
        u["active"] = u["disabled_at"] is None
        del u["session_epoch"]
    return out


def actor_role(db: Database, actor: str | None) -> str | None:
    """The role of the active account `actor`; None when there are no accounts at all.
    Raises ForbiddenError when accounts exist and `actor` is not an active one."""
    if not has_accounts(db):
        return None
    name = " ".join((actor or "").split())
    found = get_user(db, name) if name else None
    if found is None:
        raise ForbiddenError(
            f"{name!r} is not an account here: act under your own account (see `verify user list`)"
            if name
            else "give your account name (--reviewer NAME): this archive has accounts"
        )
    if found["disabled_at"] is not None:
        raise ForbiddenError(f"account {name!r} is disabled")
    return found["role"]


def authorize(db: Database, actor: str | None, action: str) -> str | None:
    """Check that `actor` may take `action` (model.TRANSITIONS or model.ROLE_ACTIONS): returns
    the actor's role (None without accounts), raises ForbiddenError otherwise."""
    role = actor_role(db, actor)
    model.check_role(role, action, actor)
    return role


def check_member(db: Database, name: str) -> str:
    """`name` as someone work can be given to: with accounts, an active account."""
    clean = check_name(name)
    if has_accounts(db):
        found = get_user(db, clean)
        if found is None:
            raise NotFoundError(f"no account {clean!r}: see `verify user list`")
        if found["disabled_at"] is not None:
            raise ConflictError(f"account {clean!r} is disabled")
    return clean


def add_user(
    db: Database, name: str, role: str, password: str, *, actor: str | None = None
) -> dict[str, Any]:
    """Create an account. The first account must be an admin (it manages the others) and
    needs no actor; after that only an admin may add accounts."""
    name = check_name(name)
    model.check_choice(role, model.ROLES, "role")
    password = check_password_text(password)
    at = clock.now()
    hashed = hash_password(password)
    with store.immediate(db):
        if has_accounts(db):
            authorize(db, actor, "manage_users")
        elif role != "admin":
            raise InputError(
                "the first account must be an admin (it adds the others):"
                f" `verify user add {name} --role admin --password-stdin`"
            )
        if get_user(db, name) is not None:
            raise ConflictError(f"account {name!r} already exists")
        store.accounts.add_user(db, name, role, hashed, at)
        store.add_event(
            db, "user_added", actor=actor or name, detail={"user": name, "role": role}, at=at
        )
    return _user(db, name)


def _may_manage(db: Database, actor: str | None, name: str) -> None:
    """An admin may change any account; anyone may change their own password."""
    if actor is not None and " ".join(actor.split()) == name:
        actor_role(db, actor)
        return
    authorize(db, actor, "manage_users")


def set_password(
    db: Database, name: str, password: str, *, actor: str | None = None
) -> dict[str, Any]:
    """Change an account's password (its own holder or an admin); ends all its sessions."""
    password = check_password_text(password)
    hashed = hash_password(password)
    at = clock.now()
    with store.immediate(db):
        user = _user(db, name)
        _may_manage(db, actor, user["name"])
        _end_sessions(db, user, "password_hash", hashed, "password", actor, at)
    return _user(db, user["name"])


def _end_sessions(
    db: Database, user: dict[str, Any], column: str, value: Any, change: str,
    actor: str | None, at: str,
) -> None:  # fmt: skip
    """Set one column of an account, end its sessions (the epoch moves on) and record it."""
    store.accounts.change_user(db, user["id"], column, value, at)
    store.add_event(
        db, "user_changed", actor=actor, detail={"user": user["name"], "change": change}, at=at
    )


def disable_user(db: Database, name: str, *, actor: str | None = None) -> dict[str, Any]:
    """Disable an account (admins only): it can no longer sign in or act, and every session
    it had ends. The last active admin cannot be disabled."""
    at = clock.now()
    with store.immediate(db):
        user = _user(db, name)
        authorize(db, actor, "manage_users")
        if user["disabled_at"] is not None:
            raise ConflictError(f"account {user['name']!r} is already disabled")
        if user["role"] == "admin":
            admins = store.accounts.active_admins(db)
            if admins <= 1:
                raise ConflictError(
                    f"{user['name']!r} is the last active admin: add another admin first"
                )
        _end_sessions(db, user, "disabled_at", at, "disabled", actor, at)
    return _user(db, user["name"])


def authenticate(db: Database, name: str, password: str) -> dict[str, Any]:
    """The active account `name` when `password` is its password; else ForbiddenError
    ("wrong name or password" for an unknown name as for a wrong password)."""
    clean = " ".join((name or "").split())
    row = store.accounts.get_user(db, clean, with_hash=True)
    if row is None:
        _burn_time(password or "")
        raise ForbiddenError("wrong name or password")
    if not password_matches(password or "", row.pop("password_hash")):
        raise ForbiddenError("wrong name or password")
    if row["disabled_at"] is not None:
        raise ForbiddenError(f"account {clean!r} is disabled: ask an admin")
    return row


# --------------------------------------------------------------------------- sessions


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    db: Database, user: dict[str, Any], *, address: str | None = None, hours: float = SESSION_HOURS
) -> str:
    """A new session for `user` (as returned by authenticate); returns the cookie's token and
    records a 'signed_in' event."""
    token = secrets.token_urlsafe(32)
    at = clock.now()
    expires = clock.format_time(clock.parse_time(at) + timedelta(hours=hours))
    with store.immediate(db):
        store.accounts.add_session(
            db, _token_id(token), user["id"], user["session_epoch"], address, at, expires
        )
        store.add_event(db, "signed_in", actor=user["name"], detail={"address": address}, at=at)
    return token


def session_user(
    db: Database, token: str | None, *, now: str | None = None
) -> dict[str, Any] | None:
    """The account a session token belongs to (id, name, role), or None when the token is
    unknown, ended, expired, from an older epoch (password changed) or the account disabled.
    One indexed read: this runs on every request."""
    if not token or not isinstance(token, str):
        return None
    return store.accounts.session_user(db, _token_id(token), now or clock.now())


def end_session(db: Database, token: str | None) -> None:
    """Sign out: the session's token is refused from now on (a copy of the cookie too)."""
    if not token:
        return
    at = clock.now()
    with store.immediate(db):
        owner = store.accounts.open_session_owner(db, _token_id(token))
        if owner is None:
            return
        store.accounts.end_session(db, _token_id(token), at)
        store.add_event(db, "signed_out", actor=owner, at=at)


def record_failure(db: Database, name: str, address: str | None, reason: str) -> None:
    """A 'sign_in_failed' event: the name tried, the address, why (never the password)."""
    with store.immediate(db):
        store.add_event(
            db,
            "sign_in_failed",
            actor=None,
            detail={
                "name": " ".join((name or "").split())[:NAME_MAX],
                "address": address,
                "reason": reason,
            },  # fmt: skip
        )
