""" "Evidence changed" compares like with like (issue 19): a capture is compared with the previous
capture of the same mode, a capture with no text is not a change, and `verify fetch` names each
changed source and each claim whose evidence changed, in text and JSON."""

from __future__ import annotations

import json

from conftest import Response

from verify import store

PAGE = (
    "<html><head><title>Siege</title></head><body><article><h1>Siege report</h1><p>{}</p>"
    "<p>Seven people were wounded. The gunmen were not identified by the police on the first "
    "day, and the investigation is continuing with the help of foreign teams.</p></article>"
    "</body></html>"
)
SHELL = (
    '<html><head><title>Siege</title><script src="/app.js"></script></head>'
    '<body><div id="root"></div></body></html>'
)


def _decided_with_quote(run_cli, site) -> tuple[int, dict]:
    site.routes["/siege"] = Response(
        200, PAGE.format("21 people died in the attack."), content_type="text/html"
    )
    add = run_cli(
        "claim", "add", "At least 22 people died.", "--source", site.url("/siege"), "--json"
    )
    cid = json.loads(add.stdout)["id"]
    assert run_cli("fetch", "--mode", "static", "--allow-host", site.netloc).exit_code == 0
    got = run_cli(
        "assess", str(cid), site.url("/siege"), "--stance", "refutes", "--reviewer", "ana",
        "--quote", "21 people died in the attack", "--json",
    )  # fmt: skip
    assert got.exit_code == 0, got.stderr
    assert run_cli("verdict", str(cid), "false", "--reviewer", "ana").exit_code == 0
    return cid, json.loads(got.stdout)


def test_an_empty_static_capture_of_a_rendered_page_is_not_a_change(run_cli, site, db_path):
    cid, quoted = _decided_with_quote(run_cli, site)
    db = store.open_db(db_path)
    with store.immediate(db):  # the quote was made on a browser capture of the page
        db.conn.execute(
            "UPDATE snapshots SET mode = 'browser' WHERE id = ?", [quoted["snapshot_id"]]
        )
    site.routes["/siege"] = Response(200, SHELL, content_type="text/html")
    out = run_cli("fetch", "--refetch", "--mode", "static", "--allow-host", site.netloc, "--json")
    assert out.exit_code == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["reopened_claims"] == [] and summary["changed_sources"] == []
    claim = json.loads(run_cli("claim", "show", str(cid), "--json").stdout)
    assert claim["status"] == "decided" and claim["verdict"] == "false"
    assert not claim["evidence_changed_at"]


def test_fetch_names_changed_sources_and_reopened_claims(run_cli, site):
    cid, quoted = _decided_with_quote(run_cli, site)
    site.routes["/siege"] = Response(
        200, PAGE.format("22 people died in the attack."), content_type="text/html"
    )
    out = run_cli("fetch", "--refetch", "--mode", "static", "--allow-host", site.netloc, "--json")
    assert out.exit_code == 0, out.stderr
    summary = json.loads(out.stdout)
    (changed,) = summary["changed_sources"]
    assert changed["source_id"] == quoted["source_id"]
    assert changed["previous_id"] == quoted["snapshot_id"]
    assert changed["url"] == site.url("/siege")
    (reopened,) = summary["reopened_claims"]
    assert reopened == {
        "claim_id": cid,
        "source_id": quoted["source_id"],
        "snapshot_id": changed["snapshot_id"],
        "reopened": True,
    }
    text = run_cli("fetch", "--refetch", "--mode", "static", "--allow-host", site.netloc)
    assert "changed:" not in text.stderr  # nothing changed since
    site.routes["/siege"] = Response(
        200, PAGE.format("23 people died in the attack."), content_type="text/html"
    )
    again = run_cli("fetch", "--refetch", "--mode", "static", "--allow-host", site.netloc)
    assert f"changed: source {quoted['source_id']} {site.url('/siege')}" in again.stderr


def test_every_capture_hint_is_a_command_that_does_something(run_cli, site, db_path):
    db = store.open_db(db_path)
    add = run_cli("claim", "add", "At least 22 people died.", "--json")
    cid = json.loads(add.stdout)["id"]
    assert store.snapshots.capture_command(db, cid) == f"verify source add {cid} URL"
    site.routes["/app"] = Response(200, SHELL, content_type="text/html")
    assert run_cli("source", "add", str(cid), site.url("/app")).exit_code == 0
    assert store.snapshots.capture_command(db, cid) == f"verify fetch --claim {cid}"
    assert run_cli("fetch", "--mode", "static", "--allow-host", site.netloc).exit_code == 0
    # captured, but a script-built page has no text statically: a plain fetch would do nothing
    hint = f"verify fetch --claim {cid} --refetch --mode browser"
    assert store.snapshots.capture_command(db, cid) == hint
    out = run_cli(
        "assess", str(cid), site.url("/app"), "--stance", "supports", "--reviewer", "ana",
        "--quote", "22 people died",
    )  # fmt: skip
    assert out.exit_code == 1
    assert f"run `{hint}` first" in out.stderr
