"""WARC export: records written from snapshot rows read back byte for byte, with digests and
dates that warcio's own checker accepts."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from verify import USER_AGENT, clock, store
from verify.errors import NotFoundError
from verify.export.warc import http_protocol, response_headers, warc_date, warc_record, write_warc
from verify.ingest.claims import ensure_source

WARCIO = str(Path(sys.executable).parent / "warcio")

PAGE = (
    b"<!doctype html><html><head><title>Budget 2026</title></head><body>"
    b"<p>The council spent 4.2 million euros on roads in 2025.</p></body></html>"
)


def add_snapshot(
    db,
    url: str,
    *,
    final_url: str | None = None,
    body: bytes | None = PAGE,
    status: int | None = 200,
    headers: list | None = None,
    request_headers: list | None = None,
    redirects: list | None = None,
    fetched_at: str = "2026-11-23T10:15:30.123456Z",
    error: str | None = None,
    error_message: str | None = None,
    http_version: str | None = "HTTP/1.1",
) -> int:
    """A snapshot row and its payload, as capture writes them."""
    with store.immediate(db):
        source_id = ensure_source(db, url)
        sha = store.put_payload(db, body) if body is not None else None
        if headers is None and status is not None:
            headers = [
                ["Date", "Mon, 23 Nov 2026 10:15:30 GMT"],
                ["Server", "nginx/1.24"],
                ["Content-Type", "text/html; charset=utf-8"],
                ["Content-Length", str(len(body or b""))],
                ["Set-Cookie", "a=1; Path=/"],
                ["Set-Cookie", "b=2; Path=/"],
            ]
        cur = db.conn.execute(
            "INSERT INTO snapshots (source_id, requested_url, final_url, redirects, status,"
            " http_version, request_headers, headers, sha256, size, body_sha256, content_type,"
            " title, text, fetched_at, elapsed_ms, attempts, robots, error, error_message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source_id,
                url,
                final_url or (url if status is not None else None),
                json.dumps(redirects or []),
                status,
                http_version if status is not None else None,
                json.dumps(request_headers) if request_headers is not None else None,
                json.dumps(headers) if headers is not None else None,
                sha,
                len(body) if body is not None else None,
                sha,
                "text/html" if status else None,
                "Budget 2026" if status else None,
                "The council spent 4.2 million euros on roads in 2025." if status else None,
                fetched_at,
                52.5,
                1,
                "allowed",
                error,
                error_message,
            ],
        )
    return cur.lastrowid


def read_records(data: bytes) -> list[dict]:
    """Every record with its headers and full content stream, digests checked on the way."""
    out = []
    for record in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
        out.append(
            {
                "type": record.rec_type,
                "warc": dict(record.rec_headers.headers),
                "http": record.http_headers,
                "payload": record.raw_stream.read(),
            }
        )
    return out


def b32(sha_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha_hex)).decode()


def test_response_payload_headers_digests_and_date(db, tmp_path):
    sent = [["Host", "news.example"], ["User-Agent", USER_AGENT], ["Accept-Encoding", "gzip"]]
    body = gzip.compress(PAGE)
    headers = [
        ["Content-Type", "text/html; charset=utf-8"],
        ["Content-Encoding", "gzip"],
        ["Transfer-Encoding", "chunked"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
    ]
    sid = add_snapshot(
        db,
        "http://news.example/budget?year=2026",
        body=body,
        headers=headers,
        request_headers=sent,
    )
    out = tmp_path / "evidence.warc.gz"
    assert write_warc(db, out) == 1

    records = read_records(out.read_bytes())
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "metadata"]
    info = records[0]["payload"].decode()
    assert "software: verify/" in info and "WARC File Format 1.1" in info
    response, request, metadata = records[1:]
    # the payload is the stored bytes, content-encoding intact
    assert response["payload"] == body
    row = store.row(db, "SELECT sha256, fetched_at FROM snapshots WHERE id = ?", [sid])
    assert response["warc"]["WARC-Payload-Digest"] == b32(row["sha256"])
    assert response["warc"]["WARC-Payload-Digest"] == b32(hashlib.sha256(body).hexdigest())
    assert response["warc"]["WARC-Block-Digest"].startswith("sha256:")
    assert response["warc"]["WARC-Date"] == "2026-11-23T10:15:30.123456Z"
    assert response["warc"]["WARC-Target-URI"] == "http://news.example/budget?year=2026"
    # headers as received, in order, repeated names kept; chunked framing renamed
    http = response["http"]
    assert http.protocol == "HTTP/1.1" and http.get_statuscode() == "200"
    names = [n for n, _ in http.headers]
    assert names.count("Set-Cookie") == 2
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Verify-Orig-Transfer-Encoding") == "chunked"
    assert http.get_header("Content-Encoding") == "gzip"
    assert http.get_header("Content-Length") == str(len(body))
    # the request: as sent, linked to the response
    assert request["warc"]["WARC-Concurrent-To"] == response["warc"]["WARC-Record-ID"]
    assert request["http"].protocol == "GET"
    assert request["http"].statusline == "/budget?year=2026 HTTP/1.1"
    assert request["http"].get_header("Accept-Encoding") == "gzip"
    assert request["warc"]["WARC-Date"] == response["warc"]["WARC-Date"]
    assert f"verify-snapshot-id: {sid}" in metadata["payload"].decode()


def test_warcio_check_and_index_pass(db, tmp_path):
    add_snapshot(db, "http://a.example/1")
    add_snapshot(db, "http://b.example/2", body=gzip.compress(PAGE * 3))
    add_snapshot(
        db,
        "http://c.example/gone",
        status=None,
        body=None,
        error="dns",
        error_message="c.example does not resolve",
    )
    out = tmp_path / "all.warc.gz"
    assert write_warc(db, out) == 3
    check = subprocess.run([WARCIO, "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    index = subprocess.run(
        [WARCIO, "index", "-f", "warc-type,warc-target-uri,http:status", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    responses = [x for x in lines if x["warc-type"] == "response"]
    assert [x["warc-target-uri"] for x in responses] == ["http://a.example/1", "http://b.example/2"]
    assert all(x["http:status"] == "200" for x in responses)


def test_redirect_hops_become_responses_before_final(db, tmp_path):
    hops = [
        {"url": "http://short.example/x", "status": 301, "location": "https://news.example/x"},
        {"url": "https://news.example/x", "status": 302, "location": "/story/x"},
    ]
    add_snapshot(
        db, "http://short.example/x", final_url="https://news.example/story/x", redirects=hops
    )
    records = read_records(warc_record(db, 1))
    responses = [r for r in records if r["type"] == "response"]
    assert [r["warc"]["WARC-Target-URI"] for r in responses] == [
        "http://short.example/x",
        "https://news.example/x",
        "https://news.example/story/x",
    ]
    assert [r["http"].get_statuscode() for r in responses] == ["301", "302", "200"]
    assert responses[0]["http"].get_header("Location") == "https://news.example/x"
    assert responses[0]["payload"] == b""
    assert responses[0]["warc"]["WARC-Verify-Reconstructed"] == "hop"
    assert responses[2]["payload"] == PAGE


def test_redirect_hop_headers_are_used_when_stored(db):
    hops = [
        {
            "url": "http://a.example/",
            "status": 302,
            "location": "http://b.example/",
            "headers": [["Location", "http://b.example/"], ["Server", "edge"]],
        }
    ]
    add_snapshot(db, "http://a.example/", final_url="http://b.example/", redirects=hops)
    hop = next(r for r in read_records(warc_record(db, 1)) if r["type"] == "response")
    assert hop["http"].headers == [
        ("Location", "http://b.example/"),
        ("Server", "edge"),
        ("Content-Length", "0"),
    ]
    assert "WARC-Verify-Reconstructed" not in hop["warc"]


def test_missing_request_headers_are_reconstructed(db):
    add_snapshot(db, "http://news.example/a%20b?q=1", request_headers=None, http_version="11")
    records = read_records(warc_record(db, 1))
    request = next(r for r in records if r["type"] == "request")
    assert request["http"].statusline == "/a%20b?q=1 HTTP/1.1"
    assert request["http"].get_header("Host") == "news.example"
    assert request["http"].get_header("User-Agent") == USER_AGENT


def test_header_bytes_are_written_as_received(db):
    headers = [["Content-Type", "text/html"], ["X-Title", "caf\u00e9 \u00fcber"]]
    add_snapshot(db, "http://news.example/", headers=headers)
    raw = gzip.decompress(warc_record(db, 1))
    assert b"X-Title: caf\xe9 \xfcber\r\n" in raw
    response = next(r for r in read_records(warc_record(db, 1)) if r["type"] == "response")
    assert response["http"].get_header("X-Title") == "caf\u00e9 \u00fcber"


def test_host_is_added_when_the_stored_request_headers_lack_it(db):
    add_snapshot(db, "http://news.example:8080/a", request_headers=[["User-Agent", "x/1"]])
    records = read_records(warc_record(db, 1))
    request = next(r for r in records if r["type"] == "request")
    assert request["http"].headers == [("Host", "news.example:8080"), ("User-Agent", "x/1")]


def test_failed_fetch_without_response_is_a_metadata_record(db):
    add_snapshot(
        db,
        "http://gone.example/",
        status=None,
        body=None,
        error="dns",
        error_message="gone.example does not resolve; check the URL",
        fetched_at="2026-11-23T10:00:00.000000Z",
    )
    records = read_records(warc_record(db, 1))
    assert [r["type"] for r in records] == ["warcinfo", "metadata"]
    meta = records[1]
    assert meta["warc"]["WARC-Target-URI"] == "http://gone.example/"
    assert meta["warc"]["WARC-Date"] == "2026-11-23T10:00:00Z"
    text = meta["payload"].decode()
    assert "error: dns" in text and "gone.example does not resolve" in text


def test_identical_payload_is_written_once_then_revisit(db, tmp_path):
    first = add_snapshot(db, "http://news.example/a", fetched_at="2026-11-20T08:00:00.000000Z")
    add_snapshot(db, "http://news.example/a", fetched_at="2026-11-23T08:00:00.000000Z")
    out = tmp_path / "r.warc.gz"
    write_warc(db, out)
    records = read_records(out.read_bytes())
    kinds = [r["type"] for r in records if r["type"] in ("response", "revisit")]
    assert kinds == ["response", "revisit"]
    revisit = next(r for r in records if r["type"] == "revisit")
    sha = store.row(db, "SELECT sha256 FROM snapshots WHERE id = ?", [first])["sha256"]
    assert revisit["warc"]["WARC-Payload-Digest"] == b32(sha)
    assert revisit["warc"]["WARC-Refers-To-Target-URI"] == "http://news.example/a"
    assert revisit["warc"]["WARC-Refers-To-Date"] == "2026-11-20T08:00:00Z"
    assert revisit["warc"]["WARC-Date"] == "2026-11-23T08:00:00Z"
    check = subprocess.run([WARCIO, "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_truncated_payload_is_marked(db):
    add_snapshot(
        db,
        "http://big.example/",
        body=b"x" * 1000,
        error="too_large",
        error_message="more than 1000 bytes",
        headers=[["Content-Type", "text/plain"], ["Content-Length", "999999"]],
    )
    records = read_records(warc_record(db, 1))
    response = next(r for r in records if r["type"] == "response")
    assert response["warc"]["WARC-Truncated"] == "length"
    assert response["http"].get_header("Content-Length") == "1000"
    assert response["http"].get_header("X-Verify-Orig-Content-Length") == "999999"
    assert response["payload"] == b"x" * 1000


def test_selection_by_ids_and_article(db, tmp_path):
    a = add_snapshot(db, "http://one.example/")
    b = add_snapshot(db, "http://two.example/")
    with store.immediate(db):
        article = db.conn.execute(
            "INSERT INTO articles (title, text, content_sha256, ingested_at) VALUES ('t', 'x', 'h', ?)",
            [clock.now()],
        ).lastrowid
        claim = db.conn.execute(
            "INSERT INTO claims (article_id, text, created_at, updated_at) VALUES (?, 'c', ?, ?)",
            [article, clock.now(), clock.now()],
        ).lastrowid
        source_two = ensure_source(db, "http://two.example/")
        db.conn.execute(
            "INSERT INTO claim_sources (claim_id, source_id, origin, created_at) VALUES (?, ?, 'article', ?)",
            [claim, source_two, clock.now()],
        )
    buf = io.BytesIO()
    assert write_warc(db, buf, [a]) == 1
    uris = [
        r["warc"].get("WARC-Target-URI")
        for r in read_records(buf.getvalue())
        if r["type"] == "response"
    ]
    assert uris == ["http://one.example/"]
    buf = io.BytesIO()
    assert write_warc(db, buf, article_id=article) == 1
    uris = [
        r["warc"].get("WARC-Target-URI")
        for r in read_records(buf.getvalue())
        if r["type"] == "response"
    ]
    assert uris == ["http://two.example/"]
    assert write_warc(db, io.BytesIO(), [a], article_id=article) == 0
    assert write_warc(db, io.BytesIO(), [a, b]) == 2


def test_unknown_ids_write_nothing(db, tmp_path):
    add_snapshot(db, "http://one.example/")
    out = tmp_path / "x.warc.gz"
    with pytest.raises(NotFoundError, match="no snapshot 99"):
        write_warc(db, out, [1, 99])
    with pytest.raises(NotFoundError, match="no article 5"):
        write_warc(db, out, article_id=5)
    with pytest.raises(NotFoundError, match="no snapshot 7"):
        warc_record(db, 7)
    assert list(tmp_path.glob("*.warc.gz*")) == [] and not any(tmp_path.glob(".x.warc.gz*"))


def test_empty_archive_is_a_valid_warc(db, tmp_path):
    out = tmp_path / "empty.warc.gz"
    assert write_warc(db, out) == 0
    assert [r["type"] for r in read_records(out.read_bytes())] == ["warcinfo"]


def test_helpers():
    assert warc_date("2026-11-23T10:15:30.000000Z") == "2026-11-23T10:15:30Z"
    assert warc_date("2026-11-23T11:15:30.5+01:00") == "2026-11-23T10:15:30.500000Z"
    assert http_protocol(11) == "HTTP/1.1" and http_protocol("HTTP/2") == "HTTP/2"
    assert http_protocol("10") == "HTTP/1.0" and http_protocol(None) == "HTTP/1.1"
    assert response_headers([["Content-Type", "text/html"]], 5) == [
        ("Content-Type", "text/html"),
        ("Content-Length", "5"),
    ]


CHUNKED_TAIL = b"<!-- sent in chunks -->"


def _reply(status: int, body: bytes, **headers: str):
    def handle(handler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return handle


def _chunked(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for part in (PAGE[:40], PAGE[40:], CHUNKED_TAIL):
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
    handler.wfile.write(b"0\r\n\r\n")


def test_end_to_end_fetch_then_export(site, run_cli, db_path, tmp_path):
    site.routes["/story"] = _reply(200, PAGE)
    site.routes["/old"] = _reply(301, b"", Location="/story")
    zipped = gzip.compress(PAGE, mtime=0)
    site.routes["/gz"] = _reply(200, zipped, **{"Content-Encoding": "gzip"})
    site.routes["/chunked"] = _chunked
    site.routes["/robots.txt"] = _reply(
        200, b"User-agent: *\nAllow: /\n", **{"Content-Type": "text/plain"}
    )
    for path in ("/old", "/gz", "/chunked"):
        added = run_cli(
            "claim", "add", f"The council said so at {path}.", "--source", site.url(path)
        )
        assert added.exit_code == 0, added.stderr
    fetched = run_cli("fetch", "--allow-host", "127.0.0.1", "--json")
    assert fetched.exit_code == 0, fetched.stderr
    out = tmp_path / "evidence.warc.gz"
    exported = run_cli("export", "--format", "warc", "-o", str(out))
    assert exported.exit_code == 0, exported.stderr

    check = subprocess.run([WARCIO, "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    records = read_records(out.read_bytes())
    responses = {r["warc"]["WARC-Target-URI"]: r for r in records if r["type"] == "response"}
    db = store.open_db(db_path)
    snaps = store.rows(db, "SELECT * FROM snapshots ORDER BY id")
    assert len(snaps) == 3
    for snap in snaps:
        record = responses[snap["final_url"]]
        assert record["payload"] == store.get_payload(db, snap["sha256"])
        assert record["warc"]["WARC-Payload-Digest"] == b32(snap["sha256"])
        assert record["warc"]["WARC-Date"] == warc_date(snap["fetched_at"])
        assert snap["ip_address"] == "127.0.0.1"
        assert record["warc"]["WARC-IP-Address"] == "127.0.0.1"
    db.close()
    assert responses[site.url("/old")]["http"].get_statuscode() == "301"
    assert responses[site.url("/old")]["warc"]["WARC-IP-Address"] == "127.0.0.1"
    hop = responses[site.url("/old")]
    assert hop["http"].get_header("Location") == "/story"  # the hop's own headers, not rebuilt
    assert "WARC-Verify-Reconstructed" not in hop["warc"]
    assert responses[site.url("/story")]["payload"] == PAGE
    assert responses[site.url("/gz")]["payload"] == zipped
    assert responses[site.url("/gz")]["http"].get_header("Content-Encoding") == "gzip"
    chunked = responses[site.url("/chunked")]
    assert chunked["payload"] == PAGE + CHUNKED_TAIL
    assert chunked["http"].get_header("Transfer-Encoding") is None
    assert chunked["http"].get_header("Content-Length") == str(len(PAGE + CHUNKED_TAIL))
