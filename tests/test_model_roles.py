"""Roles come from the transition table (model.TRANSITIONS[...].role) and are checked in one
place, the library (users.authorize through the workflow functions): the CLI and the web UI
refuse a reviewer an editor's transition with the same one-line message, and nothing changes."""

from __future__ import annotations

import html

import pytest
from browser_helpers import sign_in
from conftest import PASSWORDS

from verify import model
from verify.errors import ForbiddenError
from verify.review import accounts as users
from verify.review import workflow as review
from verify.web import create_app


def approvals(db) -> list:
    return db.conn.execute("SELECT * FROM approvals").fetchall()


def test_the_role_an_action_needs_is_in_the_transition_table():
    assert model.TRANSITIONS["approve"].role == "editor"
    assert model.required_role("approve") == "editor"
    assert model.TRANSITIONS["promote"].role == "reviewer"


def test_a_reviewer_is_refused_an_editors_transition_by_cli_and_web_alike(db_path, desk, run_cli):
    db, data = desk
    cid = data.claims["soldiers"]
    review.give_verdict(db, cid, "true", "ed")
    with pytest.raises(ForbiddenError) as refused:
        users.authorize(db, "rita", "approve")
    message = str(refused.value)
    assert message == "rita is a reviewer: approve needs an editor or admin account"

    out = run_cli("approve", str(cid), "--reviewer", "rita")
    assert out.exit_code == 1
    assert out.stderr.strip() == f"Error: {message}"
    assert approvals(db) == []

    client = create_app(db_path).test_client()
    token = sign_in(client, "rita", PASSWORDS["rita"])
    answer = client.post(f"/claims/{cid}/approve", data={"csrf_token": token})
    assert answer.status_code == 403
    assert message in html.unescape(answer.get_data(as_text=True))
    assert approvals(db) == []

    # an editor passes the same check
    assert users.authorize(db, "ed", "approve") == "editor"
