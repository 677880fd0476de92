"""verify watch: due sources re-checked on a local site, dead only after three failures at
least three days apart, refusals never dead, soft 404s counted, time injected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from conftest import Response

from verify import store
from verify.capture.engine import CaptureOptions, list_sources
from verify.capture.fetch import FetchOptions
from verify.ingest.claims import add_claim
from verify.review import workflow as review
from verify.store import find_source
from verify.webarchives.watch import WatchOptions, is_soft_404, watch

T0 = datetime(2026, 11, 1, tzinfo=UTC)
OPTS = WatchOptions(
    capture=CaptureOptions(
        concurrency=4, per_host=4, fetch=FetchOptions(allow_hosts=("127.0.0.1",), retries=0)
    )
)
PAGE = "<html><head><title>{}</title></head><body><article><p>{}</p></article></body></html>"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def states(db) -> dict[str, str]:
    return {s["url"].rsplit("/", 1)[1]: s["state"] for s in list_sources(db)}


def snapshot_count(db) -> int:
    return db.conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]


def test_dead_only_after_three_failures_days_apart(db, site):
    site.routes["/"] = Response(200, PAGE.format("Home", "Welcome to the home page."))
    site.routes["/ok"] = Response(200, PAGE.format("Report", "Gunmen held 170 hostages."))
    site.routes["/gone"] = Response(404, "not here")
    site.routes["/forbidden"] = Response(403, "no robots")
    site.routes["/moved"] = Response(302, "", headers={"Location": "/"})
    site.routes["/soft"] = Response(200, PAGE.format("Page not found", "Sorry."))
    for name in ("ok", "gone", "forbidden", "moved", "soft"):
        add_claim(db, f"Claim about {name} with 22 dead.", sources=[site.url("/" + name)])

    first = watch(db, at=day(0), options=OPTS)
    assert first.due == first.checked == 5
    assert states(db) == {
        "ok": "ok",
        "gone": "gone",
        "forbidden": "unknown",
        "moved": "ok",
        "soft": "ok",
    }
    soft = {c.url.rsplit("/", 1)[1]: c for c in first.checks}
    assert soft["moved"].soft_404 and soft["soft"].soft_404 and soft["moved"].after == "gone"

    # nothing is due a day later: nothing is fetched (cheap and idempotent for cron)
    count = snapshot_count(db)
    assert watch(db, at=day(1), options=OPTS).due == 0
    assert watch(db, at=day(1), options=OPTS).due == 0
    assert snapshot_count(db) == count

    # failing sources are due every 3 days, the working one weekly
    third = watch(db, at=day(3), options=OPTS)
    assert {c.url.rsplit("/", 1)[1] for c in third.checks} == {"gone", "forbidden", "moved", "soft"}
    sixth = watch(db, at=day(6), options=OPTS)
    assert sixth.dead == 3
    assert states(db) == {
        "ok": "ok",
        "gone": "dead",
        "forbidden": "unknown",
        "moved": "dead",
        "soft": "dead",
    }
    dead = {s["url"].rsplit("/", 1)[1] for s in list_sources(db, state="dead")}
    assert dead == {"gone", "moved", "soft"}
    forbidden = find_source(db, site.url("/forbidden"))
    row = store.row(db, "SELECT check_failures FROM sources WHERE id = ?", [forbidden["id"]])
    assert row["check_failures"] == 0  # refusals are never counted

    # each change of state is an event on every claim citing the source
    gone_id = find_source(db, site.url("/gone"))["id"]
    events = store.rows(
        db, "SELECT * FROM events WHERE kind = 'source_state' AND source_id = ?", [gone_id]
    )
    assert [json.loads(e["detail"])["to"] for e in events] == ["gone", "dead"]
    assert all(e["claim_id"] for e in events)

    # the page comes back: alive again, count reset
    site.routes["/gone"] = Response(200, PAGE.format("Back", "The page is back."))
    back = watch(db, at=day(9), options=OPTS)
    assert any(c.after == "ok" and c.before == "dead" for c in back.checks)
    assert states(db)["gone"] == "ok"


def test_failures_closer_than_three_days_count_once(db, site):
    add_claim(db, "Gunmen held 170 hostages.", sources=[site.url("/gone")])
    daily = WatchOptions(failing_days=1, capture=OPTS.capture)
    for n in range(6):
        watch(db, at=day(n), options=daily)
    src = store.row(db, "SELECT check_failures, dead_at FROM sources")
    assert src == {"check_failures": 2, "dead_at": None}  # days 0 and 3 counted, not 1, 2, 4, 5
    watch(db, at=day(6), options=daily)
    assert store.row(db, "SELECT dead_at FROM sources")["dead_at"].startswith("2026-11-07")


def test_a_decided_claim_whose_source_died_is_flagged(db, site):
    site.routes["/report"] = Response(200, PAGE.format("Report", "Gunmen held 170 hostages."))
    claim = add_claim(db, "Gunmen held 170 hostages.", sources=[site.url("/report")])
    watch(db, at=day(0), options=OPTS)
    review.lease_next(db, "ana")
    review.assess(db, claim, site.url("/report"), "supports", "ana", quote="170 hostages")
    review.give_verdict(db, claim, "true", "ana")
    site.routes["/report"] = Response(500, "broken")  # a failure that is not 'gone'
    for n in (7, 10):
        watch(db, at=day(n), options=OPTS)
        assert store.row(db, "SELECT status FROM claims")["status"] == "decided"
    last = watch(db, at=day(13), options=OPTS)
    assert last.dead == 1 and last.checks[0].flagged_claims == (claim,)
    row = store.row(db, "SELECT status, previous_verdict FROM claims")
    assert row == {"status": "queued", "previous_verdict": "true"}


def test_soft_404_rules():
    assert is_soft_404("http://a.test/x/y", "http://a.test/", None, True)
    assert is_soft_404("http://a.test/x", "http://a.test/errors/404.html", None, True)
    assert is_soft_404("http://a.test/x", "http://a.test/not-found?from=x", None, True)
    assert is_soft_404("http://a.test/x", "http://a.test/x", "Page Not Found | A", False)
    assert not is_soft_404("http://a.test/x", "http://a.test/y", "Hotel siege", True)
    assert not is_soft_404("http://a.test/", "http://a.test/", "Home", True)
    assert not is_soft_404("http://a.test/x", "http://a.test/404-reasons-to-travel", "Travel", True)
    assert not is_soft_404("http://a.test/x", None, "Top 10 reasons: 404 days at sea", False)
    assert is_soft_404("http://a.test/x", None, "404 - File or directory missing", False)


def test_cli_watch(run_cli, db_path, site):
    site.routes["/ok"] = Response(200, PAGE.format("Report", "Gunmen held 170 hostages."))
    db = store.open_db(db_path)
    add_claim(db, "Gunmen held 170 hostages.", sources=[site.url("/ok")])
    db.close()
    result = run_cli(
        "watch", "--allow-host", "127.0.0.1", "--now", "2026-11-01T00:00:00Z", "--json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["checked"] == 1 and data["sources"][0]["after"] == "ok"
    again = run_cli("watch", "--allow-host", "127.0.0.1", "--now", "2026-11-02T00:00:00Z")
    assert again.exit_code == 0 and again.stderr.strip() == "nothing is due"
    bad = run_cli("watch", "--now", "tomorrow")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: not an ISO-8601 time")
