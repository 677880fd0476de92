"""Accounts and roles: hashing, the CLI, and every actor name being an account once one
exists. Refusals are one `Error:` line and change nothing."""

from __future__ import annotations

import json

import pytest
from conftest import table_rows

from verify import model, settings
from verify.errors import ConflictError, ForbiddenError, InputError
from verify.review import accounts as users
from verify.review import workflow as review


def state(db) -> list:
    return table_rows(db, ("users", "claims", "events", "settings", "approvals", "claim_tags"))


def make_team(db) -> None:
    users.add_user(db, "boss", "admin", "admin-password")
    users.add_user(db, "ed", "editor", "editor-password", actor="boss")
    users.add_user(db, "rita", "reviewer", "reviewer-password", actor="boss")


def test_passwords_are_salted_scrypt_with_their_parameters(db, monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_N", 2**15)
    a, b = (
        users.hash_password("correct horse battery"),
        users.hash_password("correct horse battery"),
    )
    assert a != b  # salted
    scheme, n, r, p, salt, key = a.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")  # 32 MiB: memory-hard
    assert users.password_matches("correct horse battery", a)
    assert not users.password_matches("correct horse batterY", a)
    assert not users.password_matches("x", "plain-text")
    users.add_user(db, "boss", "admin", "correct horse battery")
    dump = "\n".join(db.conn.iterdump())
    assert "correct horse battery" not in dump  # never stored (nor in an event) in clear


def test_first_account_is_an_admin_then_admins_add_the_others(db):
    before = state(db)
    with pytest.raises(InputError, match="first account must be an admin"):
        users.add_user(db, "ed", "editor", "editor-password")
    with pytest.raises(InputError, match="at least 10"):
        users.add_user(db, "boss", "admin", "short")
    with pytest.raises(InputError, match="unknown role 'chief'"):
        users.add_user(db, "boss", "chief", "admin-password")
    assert state(db) == before
    make_team(db)
    before = state(db)
    with pytest.raises(ForbiddenError, match="ed is an editor: manage users needs an admin"):
        users.add_user(db, "x", "reviewer", "some-password", actor="ed")
    with pytest.raises(ConflictError, match="already exists"):
        users.add_user(db, "rita", "reviewer", "some-password", actor="boss")
    with pytest.raises(ConflictError, match="last active admin"):
        users.disable_user(db, "boss", actor="boss")
    assert state(db) == before
    assert [(u["name"], u["role"], u["active"]) for u in users.list_users(db)] == [
        ("boss", "admin", True),
        ("ed", "editor", True),
        ("rita", "reviewer", True),
    ]


def test_every_actor_must_be_an_active_account_once_one_exists(db):
    from verify.ingest import claims

    claim = claims.add_claim(db, "The bridge opened in 1932.")
    assert review.lease_next(db, "anyone")["id"] == claim  # no accounts: any name
    review.release(db, claim, "anyone")
    make_team(db)
    before = state(db)
    with pytest.raises(ForbiddenError, match="'anyone' is not an account here"):
        review.lease_next(db, "anyone")
    users.disable_user(db, "rita", actor="boss")
    before = state(db)
    with pytest.raises(ForbiddenError, match="account 'rita' is disabled"):
        review.lease_next(db, "rita")
    with pytest.raises(ForbiddenError, match="disabled"):
        users.authenticate(db, "rita", "reviewer-password")
    assert state(db) == before
    assert review.lease_next(db, "ed")["id"] == claim  # editors review too


def test_roles_come_from_the_transition_table():
    assert model.required_role("verdict") == "reviewer"
    assert model.required_role("approve") == "editor"
    assert model.required_role("manage_users") == "admin"
    claim = {"id": 1, "status": "decided", "verdict": "true", "lease_reviewer": None}
    at = "2026-11-23T12:00:00.000000Z"
    as_reviewer = model.allowed_actions(claim, "rita", at, role="reviewer")
    as_editor = model.allowed_actions(claim, "ed", at, role="editor")
    assert not as_reviewer["approve"] and as_editor["approve"]
    assert as_reviewer["verdict"] and as_reviewer["comment"] and not as_reviewer["tag"]
    with pytest.raises(
        ForbiddenError, match="rita is a reviewer: approve needs an editor or admin"
    ):
        model.check_transition(claim, "approve", "rita", at, role="reviewer")
    assert model.allowed_actions(claim, "anyone", at)["approve"]  # no accounts: no roles


def test_password_change_and_disable_end_sessions(db):
    make_team(db)
    user = users.authenticate(db, "rita", "reviewer-password")
    token = users.start_session(db, user, address="192.0.2.1")
    other = users.start_session(db, user, address="192.0.2.2")
    assert users.session_user(db, token)["name"] == "rita"
    users.end_session(db, token)  # sign-out ends this session only
    assert users.session_user(db, token) is None and users.session_user(db, other)
    users.set_password(db, "rita", "a-new-password", actor="rita")
    assert users.session_user(db, other) is None
    with pytest.raises(ForbiddenError, match="wrong name or password"):
        users.authenticate(db, "rita", "reviewer-password")
    user = users.authenticate(db, "rita", "a-new-password")
    token = users.start_session(db, user)
    users.disable_user(db, "rita", actor="boss")
    assert users.session_user(db, token) is None
    assert users.session_user(db, "forged-token") is None
    with pytest.raises(ForbiddenError, match="wrong name or password"):
        users.authenticate(db, "nobody", "whatever-password")


def test_settings_need_an_admin_once_accounts_exist(db):
    make_team(db)
    before = state(db)
    with pytest.raises(ForbiddenError, match="ed is an editor: settings needs an admin"):
        settings.set_value(db, "require_approval", "on", actor="ed")
    with pytest.raises(ForbiddenError, match="give your account name"):
        settings.set_value(db, "require_approval", "on")
    assert state(db) == before
    assert settings.set_value(db, "require_approval", "yes", actor="boss") == "on"


def test_cli_accounts(run_cli, db_path):
    first = run_cli("user", "add", "boss", "--role", "admin", "--password-stdin", input="pw\n")
    assert first.exit_code == 1
    assert first.stderr == "Error: the password is 2 characters: at least 10\n"
    no_stdin = run_cli("user", "add", "boss", "--role", "admin")
    assert no_stdin.exit_code == 2 and "--password-stdin" in no_stdin.stderr
    ok = run_cli("user", "add", "boss", "--role", "admin", "--password-stdin",
                 input="admin-password\n")  # fmt: skip
    assert ok.exit_code == 0 and ok.stdout == "Account boss added (admin).\n"
    args = ("--role", "reviewer", "--password-stdin")
    refused = run_cli("user", "add", "rita", *args, input="reviewer-password\n")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: give your account name (--reviewer NAME): this archive has accounts\n"
    )
    assert run_cli("user", "add", "rita", *args, "--reviewer", "boss",
                   input="reviewer-password\n").exit_code == 0  # fmt: skip
    listed = json.loads(run_cli("user", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [
        ("boss", "admin", True),
        ("rita", "reviewer", True),
    ]
    assert all("hash" not in json.dumps(u) for u in listed)
    changed = run_cli("user", "passwd", "rita", "--password-stdin", "--reviewer", "rita",
                      input="another-password\n")  # fmt: skip
    assert changed.exit_code == 0
    nope = run_cli("user", "disable", "boss", "--reviewer", "rita")
    assert nope.exit_code == 1 and nope.stderr == (
        "Error: rita is a reviewer: manage users needs an admin account\n"
    )
    assert run_cli("user", "disable", "rita", "--reviewer", "boss").exit_code == 0
    gone = run_cli("next", "--reviewer", "rita")
    assert gone.exit_code == 1 and gone.stderr == "Error: account 'rita' is disabled\n"
    unknown = run_cli("next", "--reviewer", "ghost")
    assert unknown.exit_code == 1 and unknown.stderr.count("\n") == 1
    assert "'ghost' is not an account here" in unknown.stderr
