"""The one definition of "the latest capture of a source" (its latest LIVE capture) and of "the
snapshot a reviewer sees" (store/snapshots.py), read the same way by every reader.

The reproduction of issue 18: a live capture that timed out, followed by a copy recovered from
a web archive, is a `failed` source on the claim page, in `verify sources`, in the queue; a
plain `verify fetch` selects it again and the web Capture button offers to capture it."""

from __future__ import annotations

import json

import pytest
from browser_helpers import sign_in
from fakearchive import REFERENCE_DATE, FakeArchive, page
from faultserver import FaultSite

from verify import store
from verify.capture import engine as capture
from verify.capture.engine import CaptureOptions
from verify.capture.fetch import FetchOptions
from verify.ingest.article import ingest_article
from verify.web import create_app
from verify.web.pages import queue_page
from verify.webarchives.mementos import wayback_archive
from verify.webarchives.recover import RecoverOptions, recover


@pytest.fixture
def slow_site():
    site = FaultSite(slow=2.0)
    yield site
    site.close()


@pytest.fixture
def web_archive():
    fake = FakeArchive().start()
    yield fake
    fake.close()


def timed_out_then_recovered(db, slow_site, web_archive) -> tuple[int, int]:
    """(claim id, source id) of a claim citing a page whose live capture timed out and of
    which a copy was then recovered from the fake web archive."""
    url = slow_site.add_slow_pages(1, "/news/siege-")[0]
    web_archive.add(url, "20151120093000", page("Siege", "Gunmen held 170 hostages."))
    html = (
        f'<html><head><meta property="article:published_time" content="{REFERENCE_DATE}">'
        "</head><body><article><p>Officials said gunmen held 170 hostages at the hotel,"
        f' <a href="{url}">the report</a> says.</p></article></body></html>'
    )
    ingest_article(db, "-", stdin=html.encode(), source_name="t")
    fetch = FetchOptions(
        allow_hosts=("127.0.0.1",), retries=0, deadline=0.5, read_timeout=0.3, sleep=lambda s: None
    )
    capture.capture(db, options=CaptureOptions(fetch=fetch))
    src = store.find_source(db, url)
    live = store.latest_live_snapshot(db, src["id"])
    assert live is not None and live["error"] == "timeout"
    local = FetchOptions(allow_hosts=("127.0.0.1",), retries=0, deadline=5.0, read_timeout=5.0)
    summary = recover(
        db, options=RecoverOptions(archives=(wayback_archive(web_archive.base),), fetch=local)
    )
    assert summary.recovered == 1
    (claim_id,) = [c["id"] for c in store.list_claims(db) if c["sources"] == [url]]
    return claim_id, src["id"]


def test_a_recovered_copy_leaves_a_timed_out_source_failed_everywhere(
    db, db_path, run_cli, slow_site, web_archive
):
    claim_id, source_id = timed_out_then_recovered(db, slow_site, web_archive)
    # the recovered copy is the snapshot a reviewer sees; the latest capture is the live one
    seen = store.reviewed_snapshot(db, source_id)
    latest = store.latest_live_snapshot(db, source_id)
    assert seen["origin"] == "archive" and latest["origin"] == "live"
    assert seen["id"] > latest["id"]

    # the claim page's reader
    (src,) = store.claim_sources(db, claim_id)
    assert src["state"] == "failed" and src["snapshot_id"] == latest["id"]
    assert src["reviewed_snapshot_id"] == seen["id"]

    # verify sources
    result = run_cli("sources", "--claim", str(claim_id), "--json")
    assert result.exit_code == 0, result.stderr
    assert [s["state"] for s in json.loads(result.stdout)] == ["failed"]

    # the queue: the source counts as failed, not captured
    (row,) = [c for c in queue_page(db) if c["id"] == claim_id]
    assert (row["sources"], row["captured"], row["failed"]) == (1, 0, 1)

    # the Capture button's selection and the web claim page
    assert store.sources.latest_captures(db, claim_id)[0]["state"] == "failed"
    client = create_app(db_path).test_client()
    sign_in(client, "ana")
    html = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "state-failed" in html
    assert "Capture 1 pending/failed source" in html

    # a plain `verify fetch` takes it again (and it times out again)
    fetch = FetchOptions(
        allow_hosts=("127.0.0.1",), retries=0, deadline=0.5, read_timeout=0.3, sleep=lambda s: None
    )
    again = capture.capture(db, options=CaptureOptions(fetch=fetch))
    assert again.total == 1 and again.failed == 1
