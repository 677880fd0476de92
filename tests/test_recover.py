"""verify recover: mementos from a local fake web archive (tests/fakearchive.py) become
snapshots of gone sources; archives that misbehave cost one recorded failure."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest
from fakearchive import REFERENCE_DATE, FaultyArchive, archive_test_pages
from warcio.archiveiterator import ArchiveIterator

from verify import clock, model, store
from verify.capture.engine import CaptureOptions, capture, list_sources
from verify.capture.fetch import FetchOptions
from verify.export.tables import export
from verify.ingest.article import ingest_article
from verify.ingest.claims import add_claim
from verify.review.evidence import evidence
from verify.review.search import search
from verify.store import find_source
from verify.webarchives.mementos import (
    Archive,
    BadAnswerError,
    parse_cdx,
    parse_timemap,
    wayback_archive,
)
from verify.webarchives.recover import RecoverOptions, archive_label, recover

LOCAL = FetchOptions(allow_hosts=("127.0.0.1",), retries=0, deadline=5.0, read_timeout=5.0)


def options(*archives: Archive, **kw) -> RecoverOptions:
    return RecoverOptions(archives=archives, fetch=kw.pop("fetch", LOCAL), **kw)


def article_citing(db, urls: list[str], published: str | None = REFERENCE_DATE) -> int:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    links = " ".join(
        f'<p>Officials said gunmen held {170 + i} hostages at the hotel, <a href="{u}">the report</a> says.</p>'
        for i, u in enumerate(urls)
    )
    html = f"<html><head><title>Siege</title>{meta}</head><body><article>{links}</article></body></html>"
    return ingest_article(db, "-", stdin=html.encode(), source_name="t").article_id


def go_gone(db) -> None:
    """Capture every source from the live site, where none of the pages exist any more."""
    capture(db, options=CaptureOptions(fetch=LOCAL, concurrency=4, per_host=4))


def snap_of(db, url: str) -> dict | None:
    sid = find_source(db, url)["id"]
    return store.reviewed_snapshot(db, sid)


def test_recover_takes_the_closest_200_before_the_article(db, site, archive):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    urls = [
        pages.closest,
        pages.only_404,
        pages.redirect,
        pages.only_after,
        pages.mismatch,
        pages.never,
    ]
    article_citing(db, urls)
    go_gone(db)
    assert {s["state"] for s in list_sources(db)} == {"gone"}

    summary = recover(db, options=options(wayback_archive(archive.base)))
    by_url = {r.url: r for r in summary.results}
    assert summary.recovered == 5 and summary.not_found == 1 and summary.failed == 0

    closest = snap_of(db, pages.closest)
    assert closest["origin"] == "archive" and closest["archive_name"] == "Internet Archive"
    assert closest["memento_datetime"].startswith("2015-11-20T09:30:00")
    assert closest["memento_relation"] == "before" and closest["reference_kind"] == "article"
    assert closest["original_url"] == pages.closest
    assert closest["memento_url"] == f"{archive.base}/web/20151120093000id_/{pages.closest}"
    assert "170 hostages" in closest["text"]
    assert archive_label(closest) == (
        "From the Internet Archive, captured 2015-11-20, 3 days before the article"
    )
    # the 404 memento is never taken: the 200 long after is, marked as after
    after = snap_of(db, pages.only_404)
    assert after["memento_relation"] == "after" and "came back" in after["text"]
    assert "after the article (no earlier copy was found)" in archive_label(after)
    # an archived redirect is followed to the memento it points to
    moved = snap_of(db, pages.redirect)
    assert "22 people died" in moved["text"] and moved["original_url"] == pages.redirect_target
    assert snap_of(db, pages.only_after)["memento_relation"] == "after"
    # a digest mismatch is recorded, both digests kept
    odd = snap_of(db, pages.mismatch)
    assert odd["digest_mismatch"] == 1 and odd["archive_digest"] == "A" * 32
    assert odd["memento_sha1"] != odd["archive_digest"]
    assert by_url[pages.never].outcome == "not_found"
    assert snap_of(db, pages.never) is None

    # the source is still gone (its live capture says so), with its recovered memento beside it
    listed = {s["url"]: s for s in list_sources(db)}
    assert listed[pages.closest]["state"] == "gone"
    assert listed[pages.closest]["recovered_snapshot_id"] == closest["id"]
    # search and history work on the memento
    hits = search(db, "170 hostages")
    assert any(h["type"] == "snapshot" and h["id"] == closest["id"] for h in hits)
    claim_id = store.row(
        db, "SELECT claim_id FROM claim_sources WHERE source_id = ?", [closest["source_id"]]
    )["claim_id"]
    passages = evidence(db, claim_id)
    assert passages and passages[0].snapshot_id == closest["id"]
    assert "170 hostages" in passages[0].passage
    events = store.rows(db, "SELECT * FROM events WHERE kind = 'recovered'")
    assert len(events) == 5 and all(e["claim_id"] for e in events)
    # ...and no event says the live page was fetched with a 200
    assert not store.rows(
        db, "SELECT id FROM events WHERE kind = 'fetched' AND snapshot_id = ?", [closest["id"]]
    )

    # a second run finds nothing to do and asks the archive nothing
    before = len(archive.requests)
    again = recover(db, options=options(wayback_archive(archive.base)))
    assert again.recovered == 0 and again.live == 5
    assert sum(r.outcome == "not_found" for r in again.results) == 1
    assert len(archive.requests) == before + 1  # only the never-archived source asked again
    anew = recover(db, options=options(wayback_archive(archive.base), again=True))
    assert anew.recovered == 5


def test_without_an_article_date_the_reference_is_when_verify_first_saw_the_source(
    db, site, archive
):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    add_claim(db, "Gunmen held 170 hostages.", sources=[pages.closest])
    go_gone(db)
    recover(db, options=options(wayback_archive(archive.base)))
    snap = snap_of(db, pages.closest)
    # seen today: the latest capture, long before today, is the closest before
    assert snap["memento_datetime"].startswith("2015-12-10")
    assert snap["reference_kind"] == "first_seen"
    assert "before verify first saw the source" in archive_label(snap)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("garbage", "bad_answer"),
        ("huge", "too_large"),
        ("timeout", "timeout"),
        ("error", "http_error"),
        ("drop", None),
        ("empty", None),
    ],
)
def test_a_misbehaving_archive_costs_one_recorded_failure(db, site, archive, fault, error):
    good = FaultyArchive().start()
    try:
        pages = archive_test_pages(good, site.url("").rstrip("/"))
        archive_test_pages(archive, site.url("").rstrip("/"))
        article_citing(db, [pages.closest, pages.mismatch])
        go_gone(db)
        archive.fault, archive.hang_seconds = fault, 3.0
        fast = FetchOptions(
            allow_hosts=("127.0.0.1",), retries=0, deadline=1.0, read_timeout=1.0,
            max_bytes=2**20,
        )  # fmt: skip
        bad = wayback_archive(archive.base)
        memento = Archive("Backup", "memento", f"{good.base}/web/timemap/link/")
        summary = recover(db, options=options(bad, memento, fetch=fast, index_max_bytes=2**20))
    finally:
        good.close()
    # both sources recovered from the second archive; the first archive's answer is recorded
    assert summary.recovered == 2 and summary.failed == 0
    rows = store.rows(db, "SELECT * FROM recoveries ORDER BY source_id, id")
    first = [r for r in rows if r["archive_name"] == "Internet Archive"]
    assert len(first) == 2
    if fault == "empty":
        assert {r["outcome"] for r in first} == {"not_found"}
    else:
        assert {r["outcome"] for r in first} == {"failed"}
        if error:
            assert {r["error"] for r in first} == {error}
    assert {r["archive_name"] for r in rows if r["outcome"] == "recovered"} == {"Backup"}
    snap = snap_of(db, pages.closest)
    assert snap["archive_name"] == "Backup", snap
    assert "170 hostages" in snap["text"], snap


def test_only_a_failing_archive_fails_the_source_and_the_batch_goes_on(db, site, archive):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    article_citing(db, [pages.closest, pages.only_after])
    go_gone(db)
    archive.fault, archive.fault_paths = (
        "garbage",
        (f"/cdx/search/cdx?url={quote(pages.closest, safe='')}",),
    )
    summary = recover(db, options=options(wayback_archive(archive.base)))
    outcomes = {r.url: r.outcome for r in summary.results}
    assert outcomes == {pages.closest: "failed", pages.only_after: "recovered"}
    failed = next(r for r in summary.results if r.outcome == "failed")
    assert "not JSON" in failed.message


def test_archive_urls_are_not_looked_up_in_an_archive(db, archive):
    url = f"{archive.base}/web/20151120093000/http://example.org/a"
    other = "https://web.archive.org/web/2015/http://example.org/b"
    add_claim(db, "Gunmen held 170 hostages.", sources=[url, other])
    for sid in (find_source(db, url)["id"], find_source(db, other)["id"]):
        _fake_gone(db, sid)
    summary = recover(db, options=options(wayback_archive(archive.base)))
    assert [r.outcome for r in summary.results] == ["skipped", "skipped"]
    assert archive.requests == []


def test_the_normalised_url_is_looked_up(db, site, archive):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    add_claim(
        db, "Gunmen held 170 hostages.", sources=[pages.closest + "?utm_source=tw&fbclid=x#top"]
    )
    go_gone(db)
    summary = recover(db, options=options(wayback_archive(archive.base)))
    assert summary.recovered == 1
    cdx = [p for _m, p, _h in archive.requests if p.startswith("/cdx/")]
    assert cdx and f"url={quote(pages.closest, safe='')}&" in cdx[0]


def _fake_gone(db, source_id: int) -> None:
    with store.immediate(db):
        db.conn.execute(
            "INSERT INTO snapshots (source_id, requested_url, status, error, fetched_at)"
            " SELECT id, url, 404, 'http_error', ? FROM sources WHERE id = ?",
            [clock.now(), source_id],
        )


def test_warc_export_says_where_a_memento_came_from(db, site, archive, tmp_path):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    article_citing(db, [pages.closest])
    go_gone(db)
    recover(db, options=options(wayback_archive(archive.base)))
    out = tmp_path / "out.warc.gz"
    export(db, "warc", str(out))
    mementos = [
        (r, r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(out.read_bytes()))
        if r.rec_headers.get_header("WARC-Source-URI")
    ]
    assert len(mementos) == 1
    rec, content = mementos[0]
    assert rec.rec_headers.get_header("WARC-Target-URI") == pages.closest
    assert rec.rec_headers.get_header("WARC-Date").startswith("2015-11-20T09:30:00")
    assert "20151120093000id_" in rec.rec_headers.get_header("WARC-Source-URI")
    assert b"170 hostages" in content


def test_parse_cdx_and_timemap():
    ia = wayback_archive("http://a.test")
    assert parse_cdx(b"", ia) == [] and parse_cdx(b"[]", ia) == []
    with pytest.raises(BadAnswerError, match="not JSON"):
        parse_cdx(b"<html>busy</html>", ia)
    with pytest.raises(BadAnswerError, match="another shape"):
        parse_cdx(b'{"a": 1}', ia)
    rows = [["timestamp", "original", "statuscode"], ["20151120", "http://x.test/", "200"], ["bad"]]
    (m,) = parse_cdx(json.dumps(rows).encode(), ia)
    assert m.url == "http://a.test/web/20151120id_/http://x.test/" and m.status == 200
    tm = (
        b'<http://x.test/a,b>; rel="original",\n'
        b'<http://m.test/tm>; rel="self"; type="application/link-format",\n'
        b'<http://m.test/1/http://x.test/a,b>; rel="first memento"; datetime="Fri, 20 Nov 2015 09:30:00 GMT",\n'
        b'<http://m.test/2/http://x.test/a,b>; rel="memento"; datetime="Sat, 21 Nov 2015 09:30:00 GMT"\n'
    )
    found = parse_timemap(tm, Archive("M", "memento", "http://m.test/tm/"))
    assert [f.url for f in found] == [
        "http://m.test/1/http://x.test/a,b",
        "http://m.test/2/http://x.test/a,b",
    ]
    assert found[0].original == "http://x.test/a,b"
    with pytest.raises(BadAnswerError):
        parse_timemap(b"garbage", Archive("M", "memento", "http://m.test/tm/"))


def test_cli_recover(run_cli, db_path, site, archive, monkeypatch):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    db = store.open_db(db_path)
    article_citing(db, [pages.closest])
    live = add_claim(db, "The hotel has 190 rooms.", sources=[site.url("/live.html")])
    from conftest import Response

    site.routes["/live.html"] = Response(200, "<title>Live</title><p>The hotel has 190 rooms.</p>")
    go_gone(db)
    live_source = find_source(db, site.url("/live.html"))["id"]
    db.close()
    monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", "127.0.0.1")
    # a live source: nothing to do, exit 0
    result = run_cli("recover", "--claim", str(live), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sources"][0]["outcome"] == "live"
    assert archive.requests == []
    result = run_cli("recover", "--source", "999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no source 999: see `verify sources`"
    result = run_cli("recover", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["recovered"] == 1 and data["live"] == 1
    assert live_source in {s["source_id"] for s in data["sources"]}
    result = run_cli("recover")
    assert result.exit_code == 0 and "nothing to do 2" in result.stderr


def test_the_review_pages_label_a_memento(db, db_path, site, archive):
    from browser_helpers import sign_in

    from verify.web import create_app

    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    article_citing(db, [pages.closest])
    go_gone(db)
    recover(db, options=options(wayback_archive(archive.base)))
    snap = snap_of(db, pages.closest)
    claim_id = db.conn.execute("SELECT claim_id FROM claim_sources").fetchone()[0]
    client = create_app(db_path).test_client()
    sign_in(client, "ana")
    label = "From the Internet Archive, captured 2015-11-20, 3 days before the article"
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert label in page and "170 hostages" in page
    assert "state-gone" in page  # the live source is still shown as gone
    page = client.get(f"/snapshots/{snap['id']}").get_data(as_text=True)
    assert label in page and "20151120093000id_" in page
    assert "archived 2015-11-20" in page  # in the list of the source's captures


def test_fetch_recover_and_the_recover_setting(run_cli, db_path, site, archive, monkeypatch):
    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    db = store.open_db(db_path)
    article_citing(db, [pages.closest])
    add_claim(db, "The hotel reopened.", sources=[pages.only_after])
    db.close()
    monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
    result = run_cli("fetch", "--allow-host", "127.0.0.1", "--claim", "1", "--recover")
    assert result.exit_code == 1  # the live fetch failed (404), which is still reported
    assert "recovered 1 from web archives" in result.stderr
    assert run_cli("config", "recover", "on").exit_code == 0
    result = run_cli("fetch", "--allow-host", "127.0.0.1")
    assert "recovered 1 from web archives" in result.stderr
    result = run_cli("sources", "--state", "gone")
    assert result.stdout.count("(memento: snapshot") == 2
    result = run_cli("sources", "--state", "nonsense")
    assert result.exit_code == 1 and result.stderr.startswith("Error: unknown source state")
    assert run_cli("config", "recover", "maybe").exit_code == 1


def test_the_new_columns_take_their_vocabulary_from_the_model(db):
    import re

    tables = dict(db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))

    def check(table: str, column: str) -> tuple[str, ...]:
        found = re.search(
            column + r"\s+TEXT[^,]*?CHECK\s*\(\s*" + column + r"\s+IN\s*\(([^)]*)\)", tables[table]
        )
        assert found, f"{table}.{column} has no CHECK"
        return tuple(v.strip().strip("'") for v in found.group(1).split(","))

    assert check("snapshots", "origin") == model.SNAPSHOT_ORIGINS
    assert check("snapshots", "memento_relation") == model.MEMENTO_RELATIONS
    assert check("snapshots", "reference_kind") == model.REFERENCE_KINDS
    assert check("recoveries", "outcome") == model.RECOVERY_OUTCOMES
    assert check("save_requests", "outcome") == model.SAVE_OUTCOMES
    assert "dead" in model.SOURCE_STATES and "dead" in model.EVIDENCE_LOST_STATES
    assert model.source_state(404, "http_error", None, True, dead=True) == "dead"


def test_requests_to_one_archive_respect_the_per_host_limit(db, site):
    import threading

    from fakearchive import FaultyArchive as Base

    class Counting(Base):
        def __post_init__(self) -> None:
            super().__post_init__()
            self.now_in = 0
            self.most = 0
            self.gauge = threading.Lock()

        def answer(self, method, path, headers):
            with self.gauge:
                self.now_in += 1
                self.most = max(self.most, self.now_in)
            try:
                return super().answer(method, path, headers)
            finally:
                with self.gauge:
                    self.now_in -= 1

    fake = Counting(latency=0.05).start()
    try:
        urls = [site.url(f"/gone/{i}.html") for i in range(8)]
        for url in urls:
            fake.add(url, "20151120000000", f"<title>{url}</title><p>Page {url} said 170.</p>")
        article_citing(db, urls)
        go_gone(db)
        summary = recover(
            db, options=options(wayback_archive(fake.base), concurrency=8, per_host=2)
        )
    finally:
        fake.close()
    assert summary.recovered == 8
    assert 1 <= fake.most <= 2


def test_cli_memento_archive_from_config_when_the_wayback_is_down(
    run_cli, db_path, site, archive, monkeypatch
):
    import socket

    pages = archive_test_pages(archive, site.url("").rstrip("/"))
    db = store.open_db(db_path)
    article_citing(db, [pages.closest])
    go_gone(db)
    db.close()
    with socket.socket() as s:  # a port nobody listens on: the archive is down
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("VERIFY_WAYBACK_URL", down)
    monkeypatch.setenv("VERIFY_ALLOW_HOSTS", "127.0.0.1")
    bad = run_cli("config", "archives", "no-url-here")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: bad archive 'no-url-here'")
    prefix = f"Backup={archive.base}/web/timemap/link/"
    assert run_cli("config", "archives", prefix).exit_code == 0
    result = run_cli("recover", "--json", "--timeout", "5")
    assert result.exit_code == 0, result.stderr
    (src,) = json.loads(result.stdout)["sources"]
    assert src["outcome"] == "recovered" and src["archive"] == "Backup"
    assert [(lk["archive"], lk["outcome"], lk["error"]) for lk in src["lookups"]] == [
        ("Internet Archive", "failed", "refused"),
        ("Backup", "recovered", None),
    ]
