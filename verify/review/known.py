"""Reading fact-checks others published as schema.org ClaimReview into the table of known reviews.

Accepted: JSON-LD holding one ClaimReview, a list of them, an `@graph`, a schema.org DataFeed
(`dataFeedElement` items, each a ClaimReview or a DataFeedItem whose `item` is one), or any
nesting of those; or an HTML page with `<script type="application/ld+json">` blocks. The input is
a file or an http(s) URL (fetched through verify's fetcher, so the network guard applies).

A review without `claimReviewed` text is skipped and counted. Importing is idempotent: a review is
one row per (its URL, its claim text); importing it again updates its rating, publisher and date
if they changed and adds nothing."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from verify import clock, store
from verify.errors import BlockedAddressError, FetchError, InputError
from verify.text import matchkeys


@dataclass(frozen=True)
class Review:
    claim_text: str
    rating: str | None = None
    rating_value: str | None = None
    best_rating: str | None = None
    worst_rating: str | None = None
    publisher: str | None = None
    claimant: str | None = None
    reviewed_at: str | None = None
    url: str | None = None


@dataclass
class ImportResult:
    origin: str
    found: int = 0  # ClaimReview objects seen
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # without claimReviewed
    ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # script blocks that were not read

    def as_dict(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "origin": self.origin,
            "found": self.found,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "ids": self.ids,
        }


# --------------------------------------------------------------------------- reading

_SCRIPT = re.compile(
    r"<script\b[^>]*\btype\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)


def read_input(source: str, fetch_options: Any = None) -> tuple[str, str]:
    """(text, origin) of a file path or an http(s) URL."""
    if source.lower().startswith(("http://", "https://")):
        from verify.capture.fetch import FetchOptions, fetch_url

        result = fetch_url(source, fetch_options or FetchOptions())
        if not result.ok:
            kind = result.error or "http_error"
            message = result.error_message or (f"HTTP {result.status}" if result.status else kind)
            if kind == "blocked_address":
                raise BlockedAddressError(
                    _blocked_message(source, message),
                    kind,
                )
            raise FetchError(f"cannot fetch {source}: {message}", kind)
        body = bytes(result.body or b"")
        return _decode(body), source
    path = Path(source)
    if not path.is_file():
        raise InputError(f"no such file: {source} (give a JSON-LD or HTML file, or an http(s) URL)")
    return _decode(path.read_bytes()), str(path)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


MAX_DEPTH = 200  # nesting of JSON arrays and objects; real ClaimReview feeds use under 10
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """How deep the arrays and objects of a JSON text nest, counting no further than
    `limit + 1` (strings are skipped; malformed text is left to the JSON parser)."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        c = match.group()
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif c in "]}":
            depth -= 1
    return deepest


def _load(body: str, where: str) -> Any:
    """One JSON text, refused in one line when it nests deeper than MAX_DEPTH (Python's parser
    would end in a RecursionError)."""
    if json_depth(body) > MAX_DEPTH:
        raise InputError(f"JSON-LD in {where} nests deeper than {MAX_DEPTH} levels: not read")
    try:
        return json.loads(body)
    except RecursionError:
        raise InputError(f"JSON-LD in {where} nests too deeply: not read") from None


def parse(text: str, origin: str = "input", problems: list[str] | None = None) -> list[Any]:
    """The JSON-LD documents in text: the whole text if it is JSON, else every ld+json script
    of an HTML page. InputError (one line) for malformed JSON or a page without JSON-LD. A
    script block nested too deeply is left out, with its one-line reason added to `problems`
    (without that list, it is an InputError too), so the page's other blocks still count."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return [_load(stripped, origin)]
        except json.JSONDecodeError as exc:
            raise InputError(
                f"malformed JSON-LD in {origin}: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
    blocks = _SCRIPT.findall(text)
    if not blocks:
        raise InputError(
            f"no JSON-LD in {origin}: expected ClaimReview JSON, or an HTML page with"
            ' <script type="application/ld+json">'
        )
    docs = []
    for number, block in enumerate(blocks, 1):
        body = html.unescape(block) if "&quot;" in block else block
        body = body.strip().removeprefix("<!--").removesuffix("-->").strip()
        if not body:
            continue
        try:
            docs.append(_load(body, f"{origin} (script block {number})"))
        except InputError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"malformed JSON-LD in {origin} (script block {number}): {exc.msg} at line {exc.lineno}"
            ) from None
    return docs


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type") or node.get("type") or []
    if isinstance(raw, str):
        raw = [raw]
    out = set()
    for t in raw:
        if isinstance(t, str):
            out.add(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("#", 1)[-1])
    return out


def find_reviews(doc: Any) -> list[dict[str, Any]]:
    """Every ClaimReview object in a JSON-LD document (lists, @graph, DataFeed, nesting)."""
    out: list[dict[str, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if "ClaimReview" in _types(node):
                out.append(node)
                continue
            stack.extend(reversed([v for v in node.values() if isinstance(v, (dict, list))]))
    return out


def _text(value: Any) -> str | None:
    """A plain string from a JSON-LD value: a string, a number, {"@value": ...}, or the first
    of a list."""
    if isinstance(value, list):
        for v in value:
            found = _text(v)
            if found:
                return found
        return None
    if isinstance(value, dict):
        return _text(value.get("@value"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return None


def _name(value: Any) -> str | None:
    """The name of a Person/Organization (or a plain string), the first of a list."""
    if isinstance(value, list):
        for v in value:
            found = _name(v)
            if found:
                return found
        return None
    if isinstance(value, dict):
        return (
            _text(value.get("name")) or _text(value.get("alternateName")) or _text(value.get("url"))
        )
    return _text(value)


def to_review(node: dict[str, Any]) -> Review | None:
    """A Review from a ClaimReview object; None when it has no claimReviewed text."""
    claim = _text(node.get("claimReviewed"))
    item = node.get("itemReviewed")
    if isinstance(item, list):
        item = next((i for i in item if isinstance(i, dict)), None)
    if not claim and isinstance(item, dict):  # some publishers put the text on the Claim
        claim = _text(item.get("text")) or _text(item.get("name"))
    if not claim:
        return None
    rating = node.get("reviewRating")
    if isinstance(rating, list):
        rating = next((r for r in rating if isinstance(r, dict)), None)
    rating = rating if isinstance(rating, dict) else {}
    value = _text(rating.get("ratingValue"))
    claimant = None
    if isinstance(item, dict):
        claimant = _name(item.get("author"))
    return Review(
        claim_text=claim,
        rating=_text(rating.get("alternateName")) or _text(rating.get("name")) or value,
        rating_value=value,
        best_rating=_text(rating.get("bestRating")),
        worst_rating=_text(rating.get("worstRating")),
        publisher=_name(node.get("author")) or _name(node.get("publisher")),
        claimant=claimant,
        reviewed_at=_text(node.get("datePublished")) or _text(node.get("dateCreated")),
        url=_text(node.get("url")) or _text(node.get("@id")),
    )


def reviews_in(
    text: str, origin: str = "input", problems: list[str] | None = None
) -> tuple[list[Review], int, int]:
    """(reviews, ClaimReview objects found, skipped for lack of claimReviewed); blocks left out
    go to `problems` (see parse)."""
    found = [r for doc in parse(text, origin, problems) for r in find_reviews(doc)]
    reviews = [r for r in (to_review(n) for n in found) if r is not None]
    return reviews, len(found), len(found) - len(reviews)


# --------------------------------------------------------------------------- storing


def fingerprint(review: Review) -> str:
    claim = " ".join(review.claim_text.lower().split())
    return hashlib.sha256(f"{review.url or ''}\n{claim}".encode()).hexdigest()


_FIELDS = (
    "rating",
    "rating_value",
    "best_rating",
    "worst_rating",
    "publisher",
    "claimant",
    "reviewed_at",
    "url",
)


def store_reviews(db: Database, reviews: list[Review], result: ImportResult) -> None:
    """Insert or update reviews in one transaction, counting into result."""
    stamp = clock.now()
    with store.immediate(db):
        for review in reviews:
            fp = fingerprint(review)
            old = store.known.known_review_by_fingerprint(db, fp, _FIELDS)
            values = [getattr(review, f) for f in _FIELDS]
            if old is None:
                keys = matchkeys.match_keys(review.claim_text)
                review_id = store.known.add_known_review(
                    db,
                    {
                        "claim_text": review.claim_text,
                        **dict(zip(_FIELDS, values, strict=True)),
                        "fingerprint": fp,
                        "origin": result.origin,
                        "imported_at": stamp,
                        "updated_at": stamp,
                    },
                    keys,
                )
                result.added += 1
                result.ids.append(review_id)
            elif [old[f] for f in _FIELDS] != values:
                store.known.update_known_review(
                    db, old["id"], {**dict(zip(_FIELDS, values, strict=True)), "updated_at": stamp}
                )
                result.updated += 1
                result.ids.append(old["id"])
            else:
                result.unchanged += 1
                result.ids.append(old["id"])


def import_claimreview(db: Database, source: str, *, fetch_options: Any = None) -> ImportResult:
    """Read ClaimReview JSON-LD from a file or URL into known reviews. Nothing is written when
    the input is unreadable or malformed."""
    text, origin = read_input(source, fetch_options)
    problems: list[str] = []
    reviews, found, skipped = reviews_in(text, origin, problems)
    result = ImportResult(origin=origin, found=found, skipped=skipped, problems=problems)
    if not found:
        if problems:
            raise InputError(problems[0])
        raise InputError(f"no ClaimReview in {origin}: nothing imported")
    store_reviews(db, reviews, result)
    return result


def list_reviews(db: Database, *, limit: int = 100) -> list[dict[str, Any]]:
    """Known reviews, newest imported first."""
    return store.known.list_known_reviews(db, limit)


def _blocked_message(url: str, message: str) -> str:
    """The one-line refusal of a blocked address, naming --allow-host once."""
    if "--allow-host" in message:
        return f"{url}: {message}"
    return f"{url}: {message} (to fetch a local or private host, pass --allow-host HOST)"
