"""`verify demo`: the bundled article and source pages, served on 127.0.0.1, ingested (and
captured when the capture part is present); re-running adds nothing."""

from __future__ import annotations

import sqlite3

from conftest import row_counts

from verify.demo.run import ROUTES, demo_site, run_demo


def counts(path) -> dict[str, int]:
    return row_counts(
        path, ("articles", "claims", "sources", "claim_sources", "snapshots", "events")
    )


def test_demo_site_serves_every_kind_of_page():
    import requests

    with demo_site() as site:
        s = requests.Session()
        s.trust_env = False
        for path, (_name, ctype) in ROUTES.items():
            r = s.get(site.base + path, timeout=5)
            assert r.status_code == 200 and r.headers["Content-Type"] == ctype
        assert s.get(site.base + "/news/old-pipeline-story.html", timeout=5).status_code == 404
        assert s.get(site.base + "/data/live-dashboard", timeout=5).status_code == 503
        hop = s.get(site.base + "/go/desalination-plan", timeout=5, allow_redirects=False)
        assert hop.status_code == 302 and hop.headers["Location"].endswith(
            "/plans/desalination.html"
        )
        assert s.get(site.base + "/docs/audit-2025.pdf", timeout=5).content.startswith(b"%PDF-")
        article = s.get(site.base + "/news/lake-marren-rationing.html", timeout=5).text
        assert "demo.invalid" not in article and site.base in article
        first = s.get(site.base + "/reports/reservoir-levels.html", timeout=5).text
        site.updated = True
        assert s.get(site.base + "/reports/reservoir-levels.html", timeout=5).text != first


def test_demo_builds_database_and_is_idempotent(run_cli, tmp_path):
    path = tmp_path / "demo.db"
    res = run_cli("demo", "--db", str(path))
    assert res.exit_code == 0, res.stderr
    assert (
        "verify --db" in res.stdout
        and "next --reviewer you" in res.stdout
        and "serve" in res.stdout
    )
    first = counts(path)
    assert first["articles"] == 1
    assert first["claims"] >= 25
    assert first["sources"] >= 9
    conn = sqlite3.connect(path)
    queued = conn.execute("SELECT count(*) FROM claims WHERE status = 'queued'").fetchone()[0]
    urls = [r[0] for r in conn.execute("SELECT url FROM sources")]
    conn.close()
    assert 10 <= queued < first["claims"]
    assert all(u.startswith("http://127.0.0.1:") for u in urls)
    again = run_cli("demo", "--db", str(path))
    assert again.exit_code == 0
    assert "nothing added" in again.stdout
    assert counts(path) == first


def test_demo_capture_states(tmp_path):
    summary = run_demo(str(tmp_path / "demo.db"))
    assert summary["capture"] is not None
    states = summary["states"]
    assert states.get("ok", 0) + states.get("changed", 0) >= 6
    assert states.get("gone") == 1
    assert states.get("failed") == 1
    assert states.get("changed") == 1
    assert counts(tmp_path / "demo.db")["snapshots"] >= 10


def test_demo_recovers_the_gone_source_from_its_web_archive(tmp_path):
    summary = run_demo(str(tmp_path / "demo.db"))
    rec = summary["recover"]
    assert rec is not None
    assert rec["label"] == (
        "From the demo web archive, captured 2024-02-11, 925 days before the article"
    )
    assert any("recovered the gone source" in line for line in summary["lines"])
    conn = sqlite3.connect(tmp_path / "demo.db")
    text, origin = conn.execute(
        "SELECT text, origin FROM snapshots WHERE id = ?", [rec["snapshot_id"]]
    ).fetchone()
    conn.close()
    assert origin == "archive" and "twice the €48 million budget" in text
    assert summary["states"].get("gone") == 1  # the live page is still gone
