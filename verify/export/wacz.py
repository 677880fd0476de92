"""Snapshots as a WACZ 1.1.1 package (Web Archive Collection Zipped), which ReplayWeb.page
opens and Webrecorder's `wacz validate` accepts:

    archive/data.warc.gz     the WARC export (warc.py), browser captures' subresources included
    indexes/index.cdxj       one line per response/revisit/resource record, sorted: SURT key,
                             14-digit timestamp, JSON (url, mime, status, digest, offset, length)
    pages/pages.jsonl        a header line, then one line per captured page
    datapackage.json         every file above with its sha256 and size
    datapackage-digest.json  the sha256 of datapackage.json

The WARC is stored uncompressed in the zip (its records are gzipped one by one), so a replay tool
can read one record by offset without unpacking the file."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from verify import __version__, store
from verify.clock import now
from verify.errors import NotFoundError
from verify.export.warc import write_warc

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"


def surt_key(url: str) -> str:
    """Sort-friendly URI Reordering Transform, as CDXJ indexes key URLs:
    https://www.Example.org:8080/a?b=1 -> org,example:8080)/a?b=1"""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    if not all(label.isdigit() for label in labels):  # IP addresses are not reversed
        labels.reverse()
    key = ",".join(labels)
    default = 443 if parts.scheme == "https" else 80
    if parts.port and parts.port != default:
        key += f":{parts.port}"
    path = parts.path or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{key}){path.lower()}" + (f"?{query.lower()}" if query else "")


def _timestamp(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


def _index(warc_path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """CDXJ lines (sorted) and the pages (response records of text/html or the first record
    of each verify snapshot) of a WARC file."""
    lines: list[str] = []
    pages: list[dict[str, Any]] = []
    with open(warc_path, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            kind = record.rec_type
            if kind not in ("response", "revisit", "resource"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
            entry: dict[str, Any] = {"url": url}
            if record.http_headers is not None and kind != "resource":
                entry["status"] = record.http_headers.get_statuscode()
                ctype = record.http_headers.get_header("Content-Type") or ""
            else:
                ctype = record.rec_headers.get_header("Content-Type") or ""
            entry["mime"] = ctype.split(";", 1)[0].strip() or "unk"
            if kind == "revisit":
                entry["mime"] = "warc/revisit"
            digest = record.rec_headers.get_header(
                "WARC-Payload-Digest"
            ) or record.rec_headers.get_header("WARC-Block-Digest")
            if digest:
                entry["digest"] = digest
            record.content_stream().read()  # to the end, so the length is known
            entry["offset"] = records.get_record_offset()
            entry["length"] = records.get_record_length()
            entry["filename"] = WARC_NAME
            lines.append(f"{surt_key(url)} {_timestamp(date)} {json.dumps(entry, sort_keys=True)}")
            if kind == "response" and entry["mime"] in ("text/html", "application/xhtml+xml"):
                status = entry.get("status")
                if status and str(status).startswith("2"):
                    pages.append({"url": url, "ts": date})
    lines.sort()
    return lines, pages


def write_wacz(db: Database, out: str | os.PathLike, *, article_id: int | None = None) -> int:
    """Write the selected snapshots (all, or an article's) as a WACZ file at `out`. Returns the
    number of snapshots. The file appears whole or not at all."""
    path = Path(out)
    if not path.parent.is_dir():
        raise NotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    titles = store.captures.titles_by_url(db)
    with tempfile.TemporaryDirectory(prefix="verify-wacz-", dir=path.parent) as work:
        warc_path = Path(work) / WARC_NAME
        count = write_warc(db, warc_path, article_id=article_id)
        lines, pages = _index(warc_path)
        index = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
        seen: set[str] = set()
        page_lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
        for n, page in enumerate(pages):
            if page["url"] in seen:
                continue
            seen.add(page["url"])
            item = {"id": f"page-{n}", "url": page["url"], "ts": page["ts"]}
            if titles.get(page["url"]):
                item["title"] = titles[page["url"]]
            page_lines.append(json.dumps(item, ensure_ascii=False))
        pages_bytes = ("\n".join(page_lines) + "\n").encode("utf-8")
        warc_hash = hashlib.sha256()
        with open(warc_path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                warc_hash.update(chunk)
        files = [
            ("archive/" + WARC_NAME, warc_hash.hexdigest(), warc_path.stat().st_size),
            ("indexes/index.cdxj", hashlib.sha256(index).hexdigest(), len(index)),
            ("pages/pages.jsonl", hashlib.sha256(pages_bytes).hexdigest(), len(pages_bytes)),
        ]
        created = now()
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": "verify archive",
            "description": "Source snapshots exported by verify (source-verification tracker)",
            "created": created,
            "modified": created,
            "software": f"verify/{__version__}",
            "mainPageURL": pages[0]["url"] if pages else None,
            "mainPageDate": pages[0]["ts"] if pages else None,
            "resources": [
                {
                    "name": Path(name).name,
                    "path": name,
                    "hash": f"sha256:{digest}",
                    "bytes": size,
                }
                for name, digest, size in files
            ],
        }
        if not pages:
            del package["mainPageURL"], package["mainPageDate"]
        package_bytes = json.dumps(package, indent=2).encode("utf-8")
        digest = {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
        }
        tmp = Path(work) / "out.wacz"
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.write(warc_path, "archive/" + WARC_NAME, compress_type=zipfile.ZIP_STORED)
            zf.writestr("indexes/index.cdxj", index, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr("pages/pages.jsonl", pages_bytes, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr("datapackage.json", package_bytes, compress_type=zipfile.ZIP_DEFLATED)
            zf.writestr(
                "datapackage-digest.json",
                json.dumps(digest).encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
            )
        os.replace(tmp, path)
    return count


__all__ = ["surt_key", "write_wacz"]
