"""Snapshots as WARC/1.1 files (gzip per record) that pywb, ReplayWeb.page and `warcio check`
accept.

Per snapshot with an HTTP response, in this order:
- one `response` record per redirect hop, with an empty body (a hop's body is not kept): its
  headers when the hop record has them (`headers`), else only the status line and `Location`,
  marked `WARC-Verify-Reconstructed: hop`,
- the `response` record of the final URL: status line, headers as received, then the payload
  bytes exactly as stored (Content-Encoding such as gzip intact, chunked framing removed),
  or a `revisit` record when a payload with the same digest is already in the file,
- the `request` record (headers as sent; a reconstructed GET with Host and User-Agent when they
  were not stored), `WARC-Concurrent-To` the response,
- a `metadata` record with verify's own facts (snapshot id, attempts, elapsed, robots).
A snapshot that failed without any HTTP response (dns, refused, timeout before headers, ...)
becomes one `metadata` record on the requested URL with the error kind and message, so the
export keeps the fact that a fetch was tried and how it failed.

Digests are `sha256:` + base32 (as warcio and pywb read them). `WARC-Payload-Digest` is over the
payload as stored, i.e. with its Content-Encoding intact; `WARC-Block-Digest` is over the HTTP
header block plus that payload.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from sqlite_utils import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from verify import USER_AGENT, __version__, store
from verify.errors import NotFoundError
from verify.store import get_payload

# WARC-Truncated reason for a response that has a status but an incomplete payload.
_TRUNCATED = {"too_large": "length", "timeout": "time", "reset": "disconnect"}
# Response headers that describe the transfer, not the stored payload; kept under another name.
_RENAMED = {"transfer-encoding": "X-Verify-Orig-Transfer-Encoding"}


class _RawHeaders(StatusAndHeaders):
    """HTTP headers written back as the bytes received: http.client decodes header bytes as
    latin-1, so encoding them as latin-1 restores them (warcio would percent-encode them)."""

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        try:
            self.headers_buff = self.to_bytes(header_filter, encoding="latin-1")
        except UnicodeEncodeError:
            self.headers_buff = self.to_bytes(header_filter, encoding="utf-8")


class _Sha256Writer(WARCWriter):
    """warcio's writer with sha256 instead of sha1 digests."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def write_warc(
    db: Database,
    out: str | os.PathLike | BinaryIO,
    snapshot_ids: list[int] | None = None,
    *,
    article_id: int | None = None,
) -> int:
    """Write the selected snapshots (all of them when neither snapshot_ids nor article_id is
    given; both narrow the selection) as a gzipped WARC/1.1 file. Returns the number of
    snapshots written. Unknown ids raise NotFoundError before anything is written; a path is
    written to a temporary file and renamed, so a failed export leaves no partial file."""
    rows = _select(db, snapshot_ids, article_id)
    if isinstance(out, str | os.PathLike):
        path = Path(out)
        if not path.parent.is_dir():
            raise NotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            with open(tmp, "wb") as fh:
                count = _write_rows(db, fh, rows, filename=path.name)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return count
    return _write_rows(db, out, rows, filename=None)


def warc_record(db: Database, snapshot_id: int) -> bytes:
    """One snapshot as a small standalone gzipped WARC (warcinfo, redirect hops, response,
    request, metadata), for a download link in the web UI."""
    rows = _select(db, [snapshot_id], None)
    buf = io.BytesIO()
    _write_rows(db, buf, rows, filename=f"verify-snapshot-{snapshot_id}.warc.gz")
    return buf.getvalue()


def _select(db: Database, snapshot_ids: list[int] | None, article_id: int | None) -> list[int]:
    """The snapshot ids to export, in id order; raises NotFoundError for unknown ids."""
    if article_id is not None:
        store.article_row(db, article_id)
    if snapshot_ids is not None:
        wanted = sorted({int(i) for i in snapshot_ids})
        found = set(store.captures.snapshot_ids(db, among=wanted))
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing[:5])
            raise NotFoundError(f"no snapshot {shown}: see `verify snapshots`")
        if article_id is None:
            return wanted
        return store.captures.snapshot_ids(db, article_id=article_id, among=wanted)
    return store.captures.snapshot_ids(db, article_id=article_id)


def _load(db: Database, snapshot_id: int) -> dict[str, Any]:
    found = store.captures.full_snapshot(db, snapshot_id)
    if found is None:  # deleted between selection and writing
        raise NotFoundError(f"no snapshot {snapshot_id}: see `verify snapshots`")
    return found


def _write_rows(db: Database, out: BinaryIO, ids: list[int], *, filename: str | None) -> int:
    writer = _Sha256Writer(out, gzip=True, warc_version="1.1")
    info = {
        "software": f"verify/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "source snapshots exported by verify (source-verification tracker)",
        "snapshots": str(len(ids)),
    }
    writer.write_record(writer.create_warcinfo_record(filename or "", info))
    seen: dict[str, tuple[str, str]] = {}  # payload sha256 -> (target uri, warc date) of first copy
    for snapshot_id in ids:
        for record in _records(writer, _load(db, snapshot_id), db, seen):
            writer.write_record(record)
    return len(ids)


def _records(writer: WARCWriter, snap: dict[str, Any], db: Database, seen: dict) -> Iterator[Any]:
    if snap.get("origin") == "archive":
        yield from _archive_records(writer, snap, db, seen)
        return
    date = warc_date(snap["fetched_at"])
    requested = snap["requested_url"]
    if snap["status"] is None:
        yield _metadata(writer, requested, date, snap, None)
        return
    target = snap["final_url"] or requested
    protocol = http_protocol(snap["http_version"])
    for hop in _json_list(snap["redirects"]):
        if not isinstance(hop, dict) or not hop.get("url") or hop.get("status") is None:
            continue
        stored = hop.get("headers")
        if stored:  # the hop's headers as received, when capture kept them
            hop_headers = response_headers(stored, 0)
            hop_warc = {"WARC-Date": date}
        else:
            hop_headers = [("Location", str(hop["location"]))] if hop.get("location") else []
            hop_headers.append(("Content-Length", "0"))
            hop_warc = {"WARC-Date": date, "WARC-Verify-Reconstructed": "hop"}
        if hop.get("ip_address"):
            hop_warc["WARC-IP-Address"] = str(hop["ip_address"])
        yield writer.create_warc_record(
            hop["url"],
            "response",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=_RawHeaders(
                _status_line(int(hop["status"])), hop_headers, protocol=protocol
            ),
            warc_headers_dict=hop_warc,
        )

    payload = get_payload(db, snap["sha256"]) if snap["sha256"] else b""
    headers = response_headers(_json_list(snap["headers"]), len(payload))
    warc_headers = {"WARC-Date": date}
    if snap.get("ip_address"):
        warc_headers["WARC-IP-Address"] = snap["ip_address"]
    if snap["error"] in _TRUNCATED:  # a response whose payload was cut short
        warc_headers["WARC-Truncated"] = _TRUNCATED[snap["error"]]
    http_headers = _RawHeaders(_status_line(int(snap["status"])), headers, protocol=protocol)
    response = _response_or_revisit(
        writer, seen, target, date, snap["sha256"], payload, http_headers, warc_headers
    )
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    yield response

    sent = _json_list(snap["request_headers"])
    request_list = [(str(n), str(v)) for n, v in _pairs(sent)]
    if not request_list:
        request_list = [("User-Agent", USER_AGENT)]
    if not any(name.lower() == "host" for name, _ in request_list):
        # http.client adds Host itself, so the stored request headers may lack it
        request_list.insert(0, ("Host", urlsplit(target).netloc))
    parts = urlsplit(target)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_body = _RawHeaders(f"GET {path} {protocol}", request_list, is_http_request=True)
    yield writer.create_warc_record(
        target,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=request_body,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
    )
    yield _metadata(writer, target, date, snap, response_id)
    if snap.get("mode") == "browser":
        yield from _browser_records(writer, snap, db, seen, response_id, target, date)


def _response_or_revisit(
    writer: Any, seen: dict[str, tuple[str, str]], url: str, date: str, sha: str | None,
    payload: bytes, http_headers: Any, warc_headers: dict[str, str],
) -> Any:  # fmt: skip
    """A `response` record, or a `revisit` of the earlier record holding the same payload;
    `seen` (payload digest -> (URL, date) of its response record) learns each new payload."""
    earlier = seen.get(sha) if sha and payload else None
    if earlier and sha:
        return writer.create_revisit_record(
            url,
            "sha256:" + base32_digest(sha),
            earlier[0],
            earlier[1],
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
    record = _response(writer, url, payload, http_headers, warc_headers)
    if sha and payload:
        seen[sha] = (url, date)
    return record


def _response(
    writer: Any, url: str, payload: bytes, http_headers: Any, warc_headers: dict[str, str]
) -> Any:
    """A `response` record holding the payload."""
    return writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(payload),
        length=len(payload),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )


def _browser_records(
    writer: WARCWriter,
    snap: dict[str, Any],
    db: Database,
    seen: dict,
    page_id: str,
    target: str,
    date: str,
) -> Iterator[Any]:
    """What a browser capture adds: every subresource answered over HTTP as a `response`
    record (a `revisit` when its payload is already in the file), the screenshot and the
    rendered DOM as `resource` records `WARC-Concurrent-To` the page's response, and the
    provenance as a `metadata` record `WARC-Refers-To` it."""
    for res in store.captures.answered_resources(db, snap["id"]):
        url, status, headers_json, sha, ip, fetched_at, error = res
        payload = get_payload(db, sha) if sha else b""
        res_date = warc_date(fetched_at) if fetched_at else date
        http_headers = _RawHeaders(
            _status_line(int(status)), response_headers(_json_list(headers_json), len(payload))
        )
        warc_headers = {"WARC-Date": res_date}
        if ip:
            warc_headers["WARC-IP-Address"] = ip
        if error in _TRUNCATED:
            warc_headers["WARC-Truncated"] = _TRUNCATED[error]
        yield _response_or_revisit(
            writer, seen, url, res_date, sha, payload, http_headers, warc_headers
        )
    found = store.captures.browser_capture(db, snap["id"])
    if found is None:
        return
    page_url, dom_sha, shot_sha, provenance = (
        found["page_url"],
        found["dom_sha256"],
        found["screenshot_sha256"],
        found["provenance"],
    )
    page_url = page_url or target
    for kind, sha, ctype in (
        ("screenshot", shot_sha, "image/png"),
        ("dom", dom_sha, "text/html; charset=utf-8"),
    ):
        if not sha:
            continue
        data = get_payload(db, sha)
        yield writer.create_warc_record(
            f"urn:verify:{kind}:{page_url}",
            "resource",
            payload=io.BytesIO(data),
            length=len(data),
            warc_content_type=ctype,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": page_id},
        )
    refused = [
        {"url": r[0], "error": r[1], "message": r[2]}
        for r in store.captures.refused_resources(db, snap["id"])
    ]
    meta = json.loads(provenance) if provenance else {}
    meta["refused_requests"] = refused
    block = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")
    yield writer.create_warc_record(
        page_url,
        "metadata",
        payload=io.BytesIO(block),
        length=len(block),
        warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": page_id},
    )


def _archive_records(
    writer: WARCWriter, snap: dict[str, Any], db: Database, seen: dict
) -> Iterator[Any]:
    """A memento recovered from a web archive: one response record for the original URL, dated
    when the archive captured it, whose WARC-Source-URI is the memento it was copied from (the
    archive's redirects and our request to the archive are not the original exchange)."""
    date = warc_date(snap["memento_datetime"] or snap["fetched_at"])
    target = snap["original_url"] or snap["requested_url"]
    payload = get_payload(db, snap["sha256"]) if snap["sha256"] else b""
    headers = response_headers(_json_list(snap["headers"]), len(payload))
    warc_headers = {"WARC-Date": date, "WARC-Source-URI": snap["memento_url"] or ""}
    status = int(snap["status"] or 200)
    http_headers = _RawHeaders(
        _status_line(status), headers, protocol=http_protocol(snap["http_version"])
    )
    response = _response(writer, target, payload, http_headers, warc_headers)
    yield response
    yield _metadata(writer, target, date, snap, response.rec_headers.get_header("WARC-Record-ID"))


def _metadata(writer: WARCWriter, uri: str, date: str, snap: dict, refers_to: str | None) -> Any:
    fields = {
        "origin": snap.get("origin"),
        "archive-name": snap.get("archive_name"),
        "memento-url": snap.get("memento_url"),
        "memento-datetime": snap.get("memento_datetime"),
        "original-url": snap.get("original_url"),
        "archive-digest": snap.get("archive_digest"),
        "digest-mismatch": snap.get("digest_mismatch"),
        "verify-snapshot-id": snap["id"],
        "verify-source-id": snap["source_id"],
        "requested-url": snap["requested_url"],
        "fetched-at": snap["fetched_at"],
        "elapsed-ms": snap["elapsed_ms"],
        "attempts": snap["attempts"],
        "robots": snap["robots"],
        "error": snap["error"],
        "error-message": snap["error_message"],
        "body-sha256": snap["body_sha256"],
        "content-type": snap["content_type"],
        "title": snap["title"],
    }
    lines = "".join(
        f"{name}: {' '.join(str(value).split())}\r\n"
        for name, value in fields.items()
        if value is not None and value != ""
    )
    block = lines.encode("utf-8")
    warc_headers = {"WARC-Date": date}
    if refers_to:
        warc_headers["WARC-Concurrent-To"] = refers_to
    return writer.create_warc_record(
        uri,
        "metadata",
        payload=io.BytesIO(block),
        length=len(block),
        warc_content_type="application/warc-fields",
        warc_headers_dict=warc_headers,
    )


def response_headers(received: list, payload_length: int) -> list[tuple[str, str]]:
    """The response headers as received, made consistent with the stored payload: the
    Transfer-Encoding (the payload is stored de-chunked) is kept under another name, and
    Content-Length says the stored length (a differing original is kept as
    X-Verify-Orig-Content-Length), so a replay tool reads exactly the stored bytes."""
    out: list[tuple[str, str]] = []
    length_seen = False
    for name, value in _pairs(received):
        lower = name.lower()
        if lower in _RENAMED:
            out.append((_RENAMED[lower], value))
        elif lower == "content-length":
            if length_seen:
                continue
            length_seen = True
            if value.strip() != str(payload_length):
                out.append(("X-Verify-Orig-Content-Length", value))
            out.append((name, str(payload_length)))
        else:
            out.append((name, value))
    if not length_seen:
        out.append(("Content-Length", str(payload_length)))
    return out


def warc_date(fetched_at: str) -> str:
    """An ISO-8601 UTC capture time as a WARC/1.1 date (microseconds kept when present)."""
    text = fetched_at.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def http_protocol(version: Any) -> str:
    """'HTTP/1.1' from 11, '1.1', 'HTTP/1.1', 'http/2', ... (HTTP/1.1 when unknown)."""
    text = str(version or "").strip().upper().removeprefix("HTTP/")
    mapping = {"9": "0.9", "10": "1.0", "11": "1.1", "20": "2", "2.0": "2", "30": "3", "3.0": "3"}
    text = mapping.get(text, text)
    if text not in {"0.9", "1.0", "1.1", "2", "3"}:
        text = "1.1"
    return f"HTTP/{text}"


def base32_digest(sha256_hex: str) -> str:
    """The base32 form of a hex sha256, as WARC digests write it."""
    return base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _json_list(text: str | None) -> list:
    if not text:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return []
    if isinstance(value, dict):
        return list(value.items())
    return value if isinstance(value, list) else []


def _pairs(items: list) -> Iterator[tuple[str, str]]:
    for item in items:
        if isinstance(item, list | tuple) and len(item) == 2:
            yield str(item[0]), str(item[1])
