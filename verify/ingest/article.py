"""Article in (file, stdin, URL) -> article + claims + candidate sources; and bulk import of
claims and sources from a CSV or JSONL sheet.

Every sentence of an article is stored as a claim row with its offsets; the check-worthy ones
(score >= min_score) are queued, the others are kept as candidates so no sentence is lost.
Each hyperlink inside the article body becomes a candidate source of the claim whose sentence
holds the start of its anchor text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from verify import store
from verify.clock import now
from verify.errors import BlockedAddressError, FetchError, InputError, InvalidURLError, VerifyError
from verify.ingest.claims import (
    check_article,
    check_claim_text,
    check_priority,
    find_claim_by_text,
    link_claim_source,
    promote_span,
)
from verify.store import add_event, immediate, list_claims
from verify.text import checkworthy, extract
from verify.urls import normalize_url

__all__ = [
    "IngestResult",
    "ImportResult",
    "ingest_article",
    "import_sheet",
    "promote_span",
    "read_source",
]

MAX_ARTICLE_BYTES = 50 * 2**20
DEFAULT_MIN_SCORE: float = checkworthy.DEFAULT_MIN_SCORE


@dataclass(frozen=True)
class IngestResult:
    article_id: int
    claims: list[dict[str, Any]]  # the article's claims that are not candidates
    created: bool = True  # False when the same text was ingested before
    sentences: int = 0  # sentences stored (queued + candidates); 0 when not created
    links: int = 0  # body links kept
    skipped_links: tuple[str, ...] = ()  # link URLs that were not http(s) URLs


@dataclass(frozen=True)
class ImportResult:
    added_claims: int
    added_sources: int
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)
    rows: int = 0


@dataclass(frozen=True)
class _Body:
    text: str
    links: tuple[extract.Link, ...]
    title: str | None
    html: str | None
    published: str | None = None
    # where the text's own headline (a plain-text or Markdown first line that is the title)
    # ends: the sentences before it are the title, not claims (0: no such headline)
    headline_end: int = 0


# --- reading the input ------------------------------------------------------------------------


def read_source(
    source: str,
    *,
    stdin: bytes | None = None,
    fetch_options: Any = None,
    fetched: list | None = None,
) -> tuple[bytes, str | None, str | None, str]:
    """(bytes, content type, URL it came from, source name) for a path, '-' or an http(s) URL."""
    if source == "-":
        if stdin is None:
            raise InputError("no input on stdin: pipe an article into `verify ingest -`")
        return bytes(stdin), None, None, "-"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", source) and not Path(source).exists():
        if not re.match(r"^https?://", source, re.I):
            # javascript:, file:, data:, ftp: ... (a Windows drive letter would exist as a path)
            normalize_url(source)  # raises InvalidURLError with the scheme in the message
        return _fetch(normalize_url(source), fetch_options, fetched)
    path = Path(source)
    if not path.exists():
        raise InputError(f"no such file: {source} (give a file, an http(s) URL, or - for stdin)")
    if path.is_dir():
        raise InputError(f"{source} is a directory: give an article file")
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise InputError(
                f"{source} is {size} bytes: an article must be under {MAX_ARTICLE_BYTES} bytes"
            )
        data = path.read_bytes()
    except PermissionError:
        raise InputError(f"cannot read {source}: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    content_type = None
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        content_type = "text/markdown"
    return data, content_type, None, str(source)


def _fetch(
    url: str, fetch_options: Any, fetched: list | None = None
) -> tuple[bytes, str | None, str | None, str]:
    from verify.capture.fetch import FetchOptions, fetch_url

    result = fetch_url(url, fetch_options or FetchOptions())
    if fetched is not None:
        fetched.append(result)  # the article page, kept as a snapshot by ingest_article
    if not result.ok:
        kind = result.error or "http_error"
        message = result.error_message or (f"HTTP {result.status}" if result.status else kind)
        if kind == "blocked_address":
            raise BlockedAddressError(_blocked_message(url, message), kind)
        raise FetchError(f"cannot fetch {url}: {message}", kind)
    return bytes(result.body or b""), result.content_type, result.final_url or url, url


# --- turning bytes into text and links --------------------------------------------------------


_UTF_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _looks_binary(data: bytes) -> bool:
    if data.startswith(_UTF_BOMS):
        return False
    head = data[:8192]
    if b"\x00" in head:
        return True
    return head.startswith(
        (b"%PDF-", b"\x89PNG", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"\xff\xd8\xff")
    )


def _decode(data: bytes, content_type: str | None) -> str:
    text, _charset = extract.decode_bytes(data, content_type)
    bad = sum(1 for ch in text[:20000] if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    if bad > max(8, len(text[:20000]) // 50):
        raise InputError(
            "the input looks binary or undecodable: give a text, Markdown or HTML article"
        )
    return text


def _article_body(text: str, content_type: str | None, url: str | None) -> _Body:
    """Readable text and body links of an HTML, Markdown or plain-text article (HTML is told
    from text by content: stdin has no file name)."""
    found = extract.extract(text, content_type, url)
    html = text if found.kind == "html" else None
    title = found.title
    if title is None and html is None:
        title = plain_headline(found.text)
    return _Body(
        found.text,
        tuple(found.links),
        title,
        html,
        found.published,
        headline_end(found.text, title) if html is None else 0,
    )


def headline_end(text: str, title: str | None) -> int:
    """Where the headline of a plain-text or Markdown article ends in its text: the end of the
    first paragraph when that paragraph is the title; 0 otherwise."""
    if not title:
        return 0
    lead = len(text) - len(text.lstrip())
    first = text[lead:].partition("\n\n")[0]
    if " ".join(first.split()) != " ".join(title.split()):
        return 0
    return lead + len(first.rstrip())


def plain_headline(text: str) -> str | None:
    """The headline of a plain-text article: its first paragraph when that is one short line
    that does not end like a sentence, and more text follows. None otherwise."""
    first, sep, rest = text.strip().partition("\n\n")
    first = first.strip()
    if not sep or not rest.strip() or "\n" in first or not 3 <= len(first) <= 150:
        return None
    if first.endswith((".", ",", ";", ":", "!", "?")) and not first.endswith("..."):
        return None
    return first


# --- ingest ------------------------------------------------------------------------------------


def ingest_article(
    db: Database,
    source: str,
    *,
    title: str | None = None,
    url: str | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    stdin: bytes | None = None,
    fetch_options: Any = None,
    actor: str | None = None,
    source_name: str | None = None,
    published: str | None = None,
) -> IngestResult:
    """Store an article (path, '-' for stdin bytes, or an http(s) URL) with every sentence as a
    claim row and every body link as a candidate source. Re-ingesting the same text returns the
    existing article and adds nothing. One transaction; bad input changes nothing.

    The publication date is `published` (YYYY-MM-DD) when given, else the page's own (meta
    tags, JSON-LD datePublished, <time>; htmldate when those say nothing). An article fetched
    from a URL is also kept as a snapshot of that URL (articles.snapshot_id)."""
    if published is not None:
        published = check_published(published)
    try:
        min_score = float(min_score)
    except (TypeError, ValueError):
        raise InputError(f"bad --min-score {min_score!r}: give a number between 0 and 1") from None
    if not 0.0 <= min_score <= 1.0:
        raise InputError(f"bad --min-score {min_score}: give a number between 0 and 1")
    article_url = normalize_url(url) if url else None
    if title is not None and not title.strip():
        title = None
    fetched: list = []
    data, content_type, fetched_url, source_name = read_source(
        source, stdin=stdin, fetch_options=fetch_options, fetched=fetched
    )
    label = "stdin" if source == "-" else source
    if not data.strip():
        raise InputError(f"{label} is empty: nothing to ingest")
    base_url = article_url or fetched_url
    if data.startswith(b"%PDF-"):
        found = extract.extract(data, "application/pdf", base_url)
        body = _Body(found.text, tuple(found.links), found.title, None, found.published)
    elif _looks_binary(data):
        raise InputError(
            f"{label} looks like a binary file: give a text, Markdown, HTML or PDF article"
        )
    else:
        text = _decode(data, content_type)
        if not text.strip():
            raise InputError(f"{label} is empty: nothing to ingest")
        body = _article_body(text, content_type, base_url)
    if not body.text.strip():
        raise InputError(f"{label} has no readable article text: nothing to ingest")
    article_url = article_url or (normalize_url(fetched_url) if fetched_url else None)
    published = published or body.published or _htmldate(body.html)
    page = _page_outcome(fetched[0], article_url) if fetched and article_url else None

    # everything below is computed before the transaction opens
    digest = hashlib.sha256(body.text.encode("utf-8")).hexdigest()
    sentences = checkworthy.split_sentences(body.text)  # never across a paragraph break
    # the headline is the article's title, not a claim
    sentences = [s for s in sentences if s.start >= body.headline_end]
    link_rows: list[tuple[str, str, str, int, int, int | None]] = []
    skipped: list[str] = []
    for link in body.links:
        try:
            normal = normalize_url(link.url)
        except InvalidURLError:
            skipped.append(link.url)
            continue
        index = checkworthy.sentence_for_span(sentences, link.start, link.end)
        link_rows.append((normal, link.url, link.text, link.start, link.end, index))
    linked = {r[5] for r in link_rows if r[5] is not None}
    scored = checkworthy.score_claims(
        [s.text for s in sentences], has_link=[i in linked for i in range(len(sentences))]
    )
    scores = [s.score for s in scored]

    with immediate(db):
        same = store.articles.article_with_content(db, digest)
        if same is not None:
            return IngestResult(same, list_claims(db, article_id=same), created=False)
        stamp = now()
        article_id = store.articles.add_article(
            db,
            title=title or body.title,
            url=article_url,
            source_name=source_name,
            text=body.text,
            html=body.html,
            content_sha256=digest,
            published=published,
            at=stamp,
        )
        if page is not None:
            _store_page(db, article_id, page)
        claim_ids: list[int] = []
        queued = 0
        for sentence, score, how in zip(sentences, scores, scored, strict=True):
            status = "queued" if score >= min_score else "candidate"
            queued += status == "queued"
            claim_id = store.claims.add_claim(
                db,
                article_id=article_id,
                text=sentence.text,
                start=sentence.start,
                end=sentence.end,
                score=score,
                status=status,
                priority=0,
                origin="article",
                at=stamp,
            )
            claim_ids.append(claim_id)
            if how.part is not None:
                store.claims.add_claim_part(
                    db,
                    claim_id,
                    sentence.start + how.part.start,
                    sentence.start + how.part.end,
                    how.part.text,
                    how.part.score,
                )
            if status == "queued":
                add_event(
                    db,
                    "ingested",
                    claim_id=claim_id,
                    article_id=article_id,
                    actor=actor,
                    detail={"score": round(float(score), 4)},
                    at=stamp,
                )
        store.articles.add_links(db, article_id, [r[:5] for r in link_rows])
        for normal, _raw, anchor, _s, _e, index in link_rows:
            if index is not None:
                link_claim_source(
                    db,
                    claim_ids[index],
                    normal,
                    origin="article",
                    anchor_text=anchor,
                    note=None,
                    actor=actor,
                )
        add_event(
            db,
            "ingested",
            article_id=article_id,
            actor=actor,
            at=stamp,
            detail={
                "source": source_name,
                "sentences": len(sentences),
                "queued": queued,
                "links": len(link_rows),
                "skipped_links": len(skipped),
                "min_score": min_score,
            },
        )
        claims = list_claims(db, article_id=article_id)
    return IngestResult(article_id, claims, True, len(sentences), len(link_rows), tuple(skipped))


def check_published(value: str) -> str:
    """A publication date given by hand: YYYY-MM-DD (a real date)."""
    import datetime as _dt

    text = (value or "").strip()
    try:
        return _dt.date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(value)
    except ValueError:
        return _bad_date(value)


def _bad_date(value: str) -> str:
    raise InputError(f"bad --published {value!r}: give the date as YYYY-MM-DD")


def _htmldate(html: str | None) -> str | None:
    """The publication date htmldate finds in the page (its original date, not an update)."""
    if not html:
        return None
    try:
        from htmldate import find_date

        found = find_date(html, original_date=True, extensive_search=False)
    except Exception:  # noqa: BLE001 - a date is a nicety; the article still goes in
        return None
    return found if isinstance(found, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", found) else None


def _page_outcome(result: Any, url: str) -> Any:
    """The fetched article page as a capture outcome (text extracted before the transaction)."""
    from verify.capture.engine import Job, Outcome
    from verify.urls import host_of

    extracted, problem = None, None
    if result.ok and result.body is not None:
        try:
            extracted = extract.extract(result.body, result.content_type, url)
        except Exception as exc:  # noqa: BLE001 - the bytes are kept; text can be re-derived
            problem = f"{type(exc).__name__}: {exc}"
    return Outcome(Job(0, url, host_of(url)), result, extracted, problem)


def _store_page(db: Database, article_id: int, page: Any) -> None:
    """Keep the article page as a snapshot of its URL (a source), linked to the article."""
    from dataclasses import replace

    from verify.capture.engine import store_result
    from verify.ingest.claims import ensure_source

    source_id = ensure_source(db, page.job.url)
    snapshot_id, _ = store_result(db, replace(page, job=replace(page.job, source_id=source_id)))
    store.articles.set_article_snapshot(db, article_id, snapshot_id)


# --- import ------------------------------------------------------------------------------------


def _sheet_rows(
    path: Path, data: str
) -> tuple[list[tuple[int, dict[str, Any] | None, str | None]], str]:
    """(row number, fields or None, error) for every data row, and the format name."""
    out: list[tuple[int, dict[str, Any] | None, str | None]] = []
    stripped = data.lstrip("\ufeff")
    is_jsonl = path.suffix.lower() in (
        ".jsonl",
        ".ndjson",
        ".json",
    ) or stripped.lstrip().startswith("{")
    if is_jsonl:
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                out.append((number, None, f"malformed JSON ({exc.msg} at column {exc.colno})"))
                continue
            if not isinstance(obj, dict):
                out.append((number, None, 'not a JSON object: give {"claim": ..., "url": ...}'))
                continue
            urls = obj.get("urls")
            if urls is None:
                urls = [obj["url"]] if obj.get("url") not in (None, "") else []
            elif isinstance(urls, str):
                urls = [urls]
            elif not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                out.append((number, None, '"urls" must be a list of URLs'))
                continue
            if obj.get("url") not in (None, "") and "urls" in obj:
                urls = [*urls, obj["url"]]
            if any(not isinstance(u, str) for u in urls):
                out.append((number, None, '"url" must be a string'))
                continue
            out.append(
                (
                    number,
                    {
                        "claim": obj.get("claim"),
                        "urls": urls,
                        "article": obj.get("article"),
                        "priority": obj.get("priority"),
                    },
                    None,
                )
            )
        return out, "jsonl"
    reader = csv.reader(io.StringIO(stripped, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return out, "csv"
    except csv.Error as exc:
        raise InputError(f"{path}: not a CSV file ({exc})") from None
    names = [h.strip().lower() for h in header]
    if "claim" not in names:
        raise InputError(
            f"{path}: the first line must be a header with a 'claim' column (and 'url', optional 'article', 'priority')"
        )
    col: dict[str, int] = {
        name: names.index(name) for name in ("claim", "url", "article", "priority") if name in names
    }
    while True:
        number = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.append((number, None, f"malformed CSV ({exc})"))
            continue
        number = reader.line_num  # the line where the row ended (quoted fields can span lines)
        if not any(cell.strip() for cell in record):
            continue

        def cell(name: str, record: list[str] = record) -> str | None:
            i = col.get(name)
            if i is None or i >= len(record):
                return None
            value = record[i].strip()
            return value or None

        url = cell("url")
        out.append(
            (
                number,
                {
                    "claim": cell("claim"),
                    "urls": [url] if url else [],
                    "article": cell("article"),
                    "priority": cell("priority"),
                },
                None,
            )
        )
    return out, "csv"


def import_sheet(db: Database, path: str | Path, *, actor: str | None = None) -> ImportResult:
    """Bulk claims and sources from CSV (header with `claim`, `url`, optional `article`,
    `priority`) or JSONL. Rows with the same claim text (and article) make one claim with several
    sources. A bad row is reported with its row number and skipped; good rows are kept, each in
    its own transaction. Importing the same file again adds nothing."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a directory: give a CSV or JSONL file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if _looks_binary(data):
        raise InputError(f"{path} looks like a binary file: give a CSV or JSONL file")
    text = _decode(data, "text/csv") if data.strip() else ""
    if not text.strip():
        raise InputError(f"{path} is empty: nothing to import")
    parsed, fmt = _sheet_rows(path, text)
    errors: list[tuple[int, str]] = []
    added_claims = added_sources = 0
    for number, fields, error in parsed:
        if error is not None or fields is None:
            errors.append((number, error or "unreadable row"))
            continue
        try:
            new_claim, new_sources = _import_row(
                db, fields, number=number, name=path.name, fmt=fmt, actor=actor
            )
        except VerifyError as exc:
            errors.append((number, str(exc)))
            continue
        added_claims += new_claim
        added_sources += new_sources
    return ImportResult(added_claims, added_sources, errors, len(parsed))


def _import_row(
    db: Database, fields: dict[str, Any], *, number: int, name: str, fmt: str, actor: str | None
) -> tuple[int, int]:
    raw_claim = fields.get("claim")
    if not isinstance(raw_claim, str) or not raw_claim.strip():
        raise InputError("missing claim text")
    text = check_claim_text(raw_claim)
    priority = fields.get("priority")
    priority = 0 if priority in (None, "") else check_priority(priority)
    urls = []
    for raw in fields.get("urls") or []:
        try:
            urls.append(normalize_url(raw))
        except InvalidURLError as exc:
            raise InvalidURLError(f"bad URL: {exc}") from None
    article = fields.get("article")
    if article in (None, ""):
        article_id = None
    elif isinstance(article, bool) or not (
        isinstance(article, int) or str(article).strip().isdigit()
    ):
        raise InputError(f"bad article id {article!r}: give the number `verify ingest` printed")
    else:
        article_id = int(article)
    with immediate(db):
        article_id = check_article(db, article_id)
        claim_id = find_claim_by_text(db, text, article_id)
        stamp = now()
        new_claim = 0
        detail = {"file": name, "row": number, "format": fmt, "priority": priority}
        if claim_id is None:
            claim_id = store.claims.add_claim(
                db,
                article_id=article_id,
                text=text,
                score=checkworthy.score_sentence(text, has_link=bool(urls)),
                status="queued",
                priority=priority,
                origin="import",
                at=stamp,
            )
            new_claim = 1
            add_event(
                db,
                "imported",
                claim_id=claim_id,
                article_id=article_id,
                actor=actor,
                at=stamp,
                detail=detail,
            )
        else:
            # a person chose this sentence: a candidate becomes queued (the "import"
            # transition); a higher priority wins
            claim = store.claim_row(db, claim_id)
            if claim["status"] == "candidate":
                store.claims.apply_transition(
                    db,
                    claim,
                    "import",
                    actor,
                    stamp,
                    fields={"priority": max(claim["priority"], priority)},
                    detail=detail,
                    article_id=article_id,
                )
            elif claim["priority"] < priority:
                store.claims.set_priority(db, claim_id, priority, stamp)
                add_event(
                    db,
                    "imported",
                    claim_id=claim_id,
                    article_id=article_id,
                    actor=actor,
                    at=stamp,
                    detail=detail,
                )
        new_sources = 0
        for url in dict.fromkeys(urls):
            before = db.conn.total_changes
            link_claim_source(
                db, claim_id, url, origin="import", anchor_text=None, note=None, actor=actor
            )
            new_sources += db.conn.total_changes > before
    return new_claim, new_sources


def _blocked_message(url: str, message: str) -> str:
    """The one-line refusal of a blocked address, naming --allow-host once."""
    if "--allow-host" in message:
        return f"{url}: {message}"
    return f"{url}: {message} (to fetch a local or private host, pass --allow-host HOST)"
