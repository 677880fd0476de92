"""verify config: the archive's settings, checked before they are stored."""

from __future__ import annotations

import json

import pytest

from verify import settings, store
from verify.errors import InputError
from verify.export import tables as export
from verify.ingest.claims import add_claim
from verify.review import workflow as review


def test_lease_minutes_setting_drives_next(db):
    settings.set_value(db, "lease_minutes", " 45 ")
    assert settings.get_value(db, "lease_minutes") == "45"
    with store.immediate(db):
        add_claim(db, "The port handled 4.2 million tonnes in 2025.")
    got = review.lease_next(db, "ana", now="2026-11-23T10:00:00.000000Z")
    assert got["lease_expires_at"] == "2026-11-23T10:45:00.000000Z"


def test_org_setting_is_used_by_claimreview(db):
    settings.set_value(db, "org", "  Port Calder   Fact Desk ")
    assert export.resolve_org(db, None) == "Port Calder Fact Desk"


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("lease_minutes", "0", "between 1 and 10080"),
        ("lease_minutes", "ten", "whole number"),
        ("org", "   ", "must not be empty"),
        ("colour", "red", "unknown setting 'colour'"),
    ],
)
def test_bad_values_change_nothing(db, key, value, message):
    settings.set_value(db, "lease_minutes", "40")
    before = store.rows(db, "SELECT * FROM settings ORDER BY key")
    events = store.rows(db, "SELECT count(*) AS n FROM events")
    with pytest.raises(InputError, match=message):
        settings.set_value(db, key, value)
    assert store.rows(db, "SELECT * FROM settings ORDER BY key") == before
    assert store.rows(db, "SELECT count(*) AS n FROM events") == events


def test_unset_restores_default_and_is_in_the_history(db):
    settings.set_value(db, "lease_minutes", "5", actor="ed")
    settings.unset_value(db, "lease_minutes", actor="ed")
    assert settings.get_value(db, "lease_minutes") == "30"
    kinds = store.rows(db, "SELECT kind, actor, detail FROM events ORDER BY id")
    assert [k["kind"] for k in kinds] == ["setting_changed", "setting_changed"]
    assert json.loads(kinds[1]["detail"]) == {"key": "lease_minutes", "value": None}


def test_cli_config(run_cli):
    listed = run_cli("config", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == {
        "lease_minutes": None,
        "org": None,
        "org_url": None,
        "require_approval": None,
        "review_url": None,
        "archive_url": None,
        "capture_mode": None,
        "screenshots": None,
        "recover": None,
        "cluster": None,
        "archives": None,
        "watch_live_days": None,
        "watch_failing_days": None,
    }
    assert run_cli("config", "lease_minutes", "25").stdout == "25\n"
    assert run_cli("config", "lease_minutes").stdout == "25\n"
    shown = run_cli("config")
    assert "lease_minutes  25" in shown.stdout and "org            (unset)" in shown.stdout
    bad = run_cli("config", "lease_minutes", "soon")
    assert bad.exit_code == 1
    assert bad.stderr == "Error: lease_minutes must be a whole number of minutes, not 'soon'\n"
    assert run_cli("config", "lease_minutes").stdout == "25\n"
    assert run_cli("config", "lease_minutes", "--unset").stdout == "30\n"
    assert run_cli("config", "--unset").exit_code == 2
