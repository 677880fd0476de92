"""verify save: Save Page Now on the fake archive; a few requests a minute, long backoff on
refusals, sources with a recent copy left alone. Time and sleeping are injected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import Response

from verify import store
from verify.capture.engine import CaptureOptions, capture
from verify.capture.fetch import FetchOptions
from verify.ingest.claims import add_claim
from verify.webarchives.mementos import wayback_timestamp
from verify.webarchives.save import SaveOptions, save

LOCAL = FetchOptions(allow_hosts=("127.0.0.1",), retries=0, deadline=5.0)
PAGE = "<html><head><title>{0}</title></head><body><p>{0} says 170 hostages.</p></body></html>"


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.t += seconds


def live_sources(db, site, names) -> None:
    for name in names:
        site.routes[f"/{name}"] = Response(200, PAGE.format(name))
        add_claim(db, f"{name} says 170 hostages.", sources=[site.url(f"/{name}")])
    add_claim(db, "A gone page said 22 died.", sources=[site.url("/gone")])
    capture(db, options=CaptureOptions(fetch=LOCAL, concurrency=4, per_host=4))


def opts(archive, time_, **kw) -> SaveOptions:
    return SaveOptions(
        wayback_url=archive.base, fetch=LOCAL, clock=time_.clock, sleep=time_.sleep, **kw
    )


def test_save_asks_for_live_sources_without_a_recent_copy(db, site, archive):
    live_sources(db, site, ["a", "b", "c"])
    now = wayback_timestamp(datetime.now(UTC))
    archive.add(site.url("/c"), now, PAGE.format("c"))  # the archive has a fresh copy of c
    time_ = FakeTime()
    summary = save(db, options=opts(archive, time_, key="acc:sec"))
    outcomes = {r.url.rsplit("/", 1)[1]: r.outcome for r in summary.results}
    assert outcomes == {"a": "saved", "b": "saved", "c": "recent", "gone": "skipped"}
    saves = [(p, h) for _m, p, h in archive.requests if p.startswith("/save/")]
    assert [p for p, _h in saves] == [f"/save/{site.url('/a')}", f"/save/{site.url('/b')}"]
    assert {h.get("authorization") for _p, h in saves} == {"LOW acc:sec"}
    assert time_.waits == [15.0]  # 4 a minute: the second save waited its turn
    saved = next(r for r in summary.results if r.outcome == "saved")
    assert saved.memento_url.startswith(f"{archive.base}/web/")
    rows = store.rows(db, "SELECT outcome FROM save_requests")
    assert [r["outcome"] for r in rows] == ["saved", "saved"]
    # run again: verify asked for both recently, the archive has c: nothing is asked
    before = len(archive.requests)
    again = save(db, options=opts(archive, FakeTime()))
    assert again.saved == 0 and again.recent == 3
    assert not any(p.startswith("/save/") for _m, p, _h in archive.requests[before:])


def test_refusals_back_off_and_stop_the_run(db, site, archive):
    live_sources(db, site, ["a", "b", "c", "d"])
    archive.save_status = 429
    time_ = FakeTime()
    summary = save(db, options=opts(archive, time_))
    assert summary.refused == 3 and summary.stopped and summary.saved == 0
    assert [r.outcome for r in summary.results][:3] == ["refused"] * 3
    assert 300.0 in time_.waits and 600.0 in time_.waits  # long, doubling backoff
    assert sum(p.startswith("/save/") for _m, p, _h in archive.requests) == 3


def test_cli_save(run_cli, db_path, site, archive, monkeypatch):
    db = store.open_db(db_path)
    live_sources(db, site, ["a"])
    db.close()
    monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
    bad = run_cli("save", "--source", "999")
    assert bad.exit_code == 1 and bad.stderr.strip() == "Error: no source 999: see `verify sources`"
    result = run_cli("save", "--allow-host", "127.0.0.1", "--source", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["saved"] == 1
