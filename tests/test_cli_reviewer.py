"""Every command that changes the archive takes --reviewer (issue 21): `verify fetch`, `recover`,
`watch`, `save` and `import-claimreview` refuse to run without an account once accounts exist
(one `Error:` line, nothing written), attribute their events to the account when one is given,
and keep the process name as the actor when there are no accounts. The web Capture button
attributes its captures to the signed-in reviewer. Sources and the web archive are served from
127.0.0.1 (port 0)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from browser_helpers import sign_in
from conftest import LocalSite, Response
from fakearchive import archive_test_pages

from verify import model, store
from verify.ingest.claims import add_claim
from verify.review import accounts as users
from verify.store import open_db
from verify.web import create_app

PAGE = (
    "<html><head><title>Report</title></head><body><p>Gunmen held 170 hostages.</p></body></html>"
)
REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "claimReviewed": "The army will deploy 650 soldiers.",
    "reviewRating": {"@type": "Rating", "alternateName": "True"},
    "author": {"@type": "Organization", "name": "Desk"},
    "url": "https://desk.example/checks/1",
}
NO_ACCOUNT = "Error: give your account name (--reviewer NAME): this archive has accounts\n"
COMMANDS = ("fetch", "recover", "watch", "save", "import-claimreview")


def actors(db_path: Path, kind: str) -> list[str | None]:
    db = open_db(db_path)
    try:
        return [
            r["actor"] for r in store.rows(db, "SELECT actor FROM events WHERE kind = ?", [kind])
        ]
    finally:
        db.close()


def counts(db_path: Path) -> dict[str, int]:
    """Rows in every table a capture, recovery, watch, save or import could write."""
    db = open_db(db_path)
    try:
        tables = ("events", "snapshots", "known_reviews", "recoveries", "save_requests")
        return {t: db.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


@pytest.fixture
def desk(db_path: Path, site: LocalSite, archive, monkeypatch, tmp_path: Path) -> dict[str, str]:
    """A claim citing a live page and a gone page (archived by the fake archive), both captured
    once; the environment points at the fake archive and lets 127.0.0.1 through. Returns the
    arguments each command needs besides --reviewer."""
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    site.routes["/live"] = Response(200, PAGE)
    db = open_db(db_path)
    add_claim(db, "Gunmen held 170 hostages.", sources=[site.url("/live"), pages.closest])
    db.close()
    monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", "127.0.0.1")
    feed = tmp_path / "reviews.json"
    feed.write_text(json.dumps(REVIEW), encoding="utf-8")
    return {"feed": str(feed)}


def args_for(command: str, desk: dict[str, str]) -> list[str]:
    return {
        "fetch": ["fetch"],
        "recover": ["recover"],
        "watch": ["watch", "--now", "2026-11-01T00:00:00Z"],
        "save": ["save", "--source", "1"],
        "import-claimreview": ["import-claimreview", desk["feed"]],
    }[command]


def with_accounts(db_path: Path) -> None:
    db = open_db(db_path)
    users.add_user(db, "boss", "admin", "admin-password")
    users.add_user(db, "rita", "reviewer", "reviewer-password", actor="boss")
    db.close()


@pytest.mark.parametrize("command", COMMANDS)
def test_refused_without_an_account_once_accounts_exist(run_cli, db_path, desk, command):
    with_accounts(db_path)
    before = counts(db_path)
    nobody = run_cli(*args_for(command, desk))
    assert (nobody.exit_code, nobody.stdout, nobody.stderr) == (1, "", NO_ACCOUNT)
    ghost = run_cli(*args_for(command, desk), "--reviewer", "ghost")
    assert ghost.exit_code == 1
    assert ghost.stderr == (
        "Error: 'ghost' is not an account here: act under your own account"
        " (see `verify user list`)\n"
    )
    assert counts(db_path) == before  # nothing written


@pytest.mark.parametrize("command", COMMANDS)
def test_the_option_is_in_each_commands_help(run_cli, command):
    shown = run_cli(command, "--help")
    assert shown.exit_code == 0 and "--reviewer" in shown.stdout and "-r," in shown.stdout


def test_fetch_attributes_its_captures_to_the_account(run_cli, db_path, desk, monkeypatch):
    with_accounts(db_path)
    done = run_cli("fetch", "--reviewer", "rita")
    assert done.exit_code == 1, done.stderr  # the gone page failed: exit 1, the rest is stored
    assert actors(db_path, "fetched") == ["rita", "rita"]
    monkeypatch.setenv("VERIFY_REVIEWER", "boss")  # the environment gives the account too
    again = run_cli("fetch", "--refetch")
    assert again.exit_code == 1, again.stderr
    assert actors(db_path, "fetched") == ["rita", "rita", "boss", "boss"]


def test_fetch_with_recovery_attributes_the_recovered_memento(run_cli, db_path, desk):
    with_accounts(db_path)
    done = run_cli("fetch", "--recover", "-r", "rita")
    assert done.exit_code == 1, done.stderr
    assert actors(db_path, "recovered") == ["rita"]


def test_watch_recover_and_save_attribute_their_events(run_cli, db_path, desk):
    with_accounts(db_path)
    watched = run_cli("watch", "--now", "2026-11-01T00:00:00Z", "--reviewer", "boss")
    assert watched.exit_code == 0, watched.stderr
    assert actors(db_path, "source_state") == ["boss", "boss"]  # pending -> ok, pending -> gone
    assert actors(db_path, "fetched") == ["boss", "boss"]  # the watch's own captures
    recovered = run_cli("recover", "--reviewer", "rita", "--json")
    assert recovered.exit_code == 0, recovered.stderr
    assert json.loads(recovered.stdout)["recovered"] == 1
    assert actors(db_path, "recovered") == ["rita"]
    saved = run_cli("save", "--source", "1", "--reviewer", "rita", "--json")
    assert saved.exit_code == 0, saved.stderr
    assert json.loads(saved.stdout)["saved"] == 1
    assert actors(db_path, "saved") == ["rita"]


def test_import_claimreview_with_an_account(run_cli, db_path, desk):
    with_accounts(db_path)
    done = run_cli("import-claimreview", desk["feed"], "--reviewer", "rita")
    assert done.exit_code == 0, done.stderr
    assert counts(db_path)["known_reviews"] == 1


def test_without_accounts_the_process_is_the_actor(run_cli, db_path, desk):
    assert run_cli("watch", "--now", "2026-11-01T00:00:00Z").exit_code == 0
    assert actors(db_path, "source_state") == ["verify watch", "verify watch"]
    assert actors(db_path, "fetched") == ["verify fetch", "verify fetch"]  # as before
    assert run_cli("fetch", "--refetch").exit_code == 1  # the gone page failed again
    assert actors(db_path, "fetched")[2:] == ["verify fetch", "verify fetch"]
    assert run_cli("recover").exit_code == 0
    assert actors(db_path, "recovered") == ["verify recover"]
    assert run_cli("save", "--source", "1").exit_code == 0
    assert actors(db_path, "saved") == ["verify save"]
    imported = run_cli("import-claimreview", desk["feed"])
    assert imported.exit_code == 0 and counts(db_path)["known_reviews"] == 1


def test_without_accounts_a_given_reviewer_is_recorded(run_cli, db_path, desk):
    assert run_cli("fetch", "--reviewer", "  ana  ").exit_code == 1
    assert actors(db_path, "fetched") == ["ana", "ana"]


def test_each_needs_the_reviewer_role_in_the_one_table():
    for action in ("capture", "recover", "watch", "save", "import_claimreview"):
        assert model.ROLE_ACTIONS[action] == "reviewer"
        assert model.role_allows("reviewer", action)


def test_the_capture_button_attributes_captures_to_the_signed_in_reviewer(
    db_path, site: LocalSite, monkeypatch
):
    site.routes["/live"] = Response(200, PAGE)
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", site.netloc)
    db = open_db(db_path)
    claim_id = add_claim(db, "Gunmen held 170 hostages.", sources=[site.url("/live")])
    db.close()
    with_accounts(db_path)
    client = create_app(db_path).test_client()
    token = sign_in(client, "rita", "reviewer-password")
    started = client.post(f"/claims/{claim_id}/capture", data={"csrf_token": token},
                          headers={"Accept": "application/json"})  # fmt: skip
    assert started.status_code == 200 and started.json["total"] == 1
    job = started.json
    for _ in range(400):  # the capture runs in a background thread
        job = client.get(f"/claims/{claim_id}/capture").json
        if job["state"] != "running":
            break
        time.sleep(0.05)
    assert job["state"] == "done" and job["fetched"] == 1, job
    assert actors(db_path, "fetched") == ["rita"]
