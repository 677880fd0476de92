"""Web archives and their mementos: where to ask, how to read the answer, which memento to take.

No database and no network here (the requests go through verify's fetcher, in recover.py):

- the Internet Archive (and any Wayback-compatible archive) is asked through its CDX API,
  `<base>/cdx/search/cdx?url=...&output=json`, and a memento's archived bytes are read from its
  raw replay, `<base>/web/<14-digit timestamp>id_/<original URL>` (no replay banner, no
  rewritten links);
- any Memento-compliant archive (RFC 7089) is asked for its TimeMap in link format,
  `<timemap prefix><original URL>`, and a memento's bytes are read from the URI it lists;
- `choose` orders the mementos as InternetArchiveBot does for a dead citation: the closest one
  at or before the reference time first, then the closest after it (marked 'after'); only
  captures that were a success (200) or an archived redirect (followed to where it points) are
  taken, and the fetched memento must itself answer 200."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from verify.errors import InputError

DEFAULT_WAYBACK = "https://web.archive.org"
INTERNET_ARCHIVE = "Internet Archive"
CDX_FIELDS = ("timestamp", "original", "mimetype", "statuscode", "digest", "length")
CDX_LIMIT = 10_000  # rows asked for; a bigger answer is cut by the byte cap anyway
REDIRECT_CODES = frozenset((301, 302, 303, 307, 308))
# Hosts that are web archives whatever the configuration says: a source on one of them is an
# archived copy already and is never looked up in an archive.
KNOWN_ARCHIVE_HOSTS = (
    "web.archive.org",
    "wayback.archive.org",
    "archive.org",
    "archive.today",
    "archive.ph",
    "archive.is",
    "archive.li",
    "archive.vn",
    "archive.md",
    "webcitation.org",
    "www.webcitation.org",
    "perma.cc",
    "arquivo.pt",
    "webarchive.org.uk",
    "www.webarchive.org.uk",
    "ghostarchive.org",
)


class BadAnswerError(InputError):
    """An archive answered something that is not what its protocol promises."""


@dataclass(frozen=True)
class Archive:
    """A web archive: 'wayback' (CDX + raw replay at `base`) or 'memento' (TimeMap prefix)."""

    name: str
    kind: str
    base: str

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc.lower()


@dataclass(frozen=True)
class Memento:
    archive: str
    url: str  # the URL whose answer is the archived bytes
    original: str  # the source URL as the archive knows it
    datetime: datetime  # when the archive captured it
    status: int | None = None  # the archived HTTP status, when the index says
    digest: str | None = None  # the index's digest of the payload (CDX: base32 SHA-1)
    mimetype: str | None = None


# --------------------------------------------------------------------------- configuration


def wayback_archive(base: str | None = None, name: str = INTERNET_ARCHIVE) -> Archive:
    """The Internet Archive (or a Wayback-compatible archive at `base`)."""
    base = (base or DEFAULT_WAYBACK).strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"VERIFY_WAYBACK_URL must be an http(s) URL, not {base!r}")
    return Archive(name, "wayback", base)


def parse_archives_setting(value: str | None) -> list[Archive]:
    """Extra Memento archives from the `archives` setting: `NAME=TIMEMAP_PREFIX` entries separated
    by commas or new lines; the source URL is appended to the prefix to name its TimeMap."""
    out: list[Archive] = []
    for entry in re.split(r"[,\n]", value or ""):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, prefix = entry.partition("=")
        name, prefix = name.strip(), prefix.strip()
        parts = urlsplit(prefix)
        if not sep or not name or parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(
                f"bad archive {entry!r}: give NAME=TIMEMAP_PREFIX, e.g."
                " Arquivo.pt=https://arquivo.pt/wayback/timemap/link/"
            )
        out.append(Archive(name, "memento", prefix))
    return out


def check_archives_setting(value: str) -> str:
    parse_archives_setting(value)
    return ",".join(e.strip() for e in re.split(r"[,\n]", value) if e.strip())


def is_archive_url(url: str, archives: list[Archive]) -> bool:
    """Is `url` itself a copy in a web archive (a configured one or a well-known one)?"""
    host = urlsplit(url).netloc.lower()
    hosts = {a.host for a in archives} | set(KNOWN_ARCHIVE_HOSTS)
    if host in hosts:
        if host == "archive.org":  # the Wayback part of archive.org, not its library pages
            return urlsplit(url).path.startswith("/web/")
        return True
    return bool(re.match(r"^/web/\d{4,14}[a-z_]*/https?:", urlsplit(url).path)) and any(
        host == a.host for a in archives
    )


# --------------------------------------------------------------------------- time


def wayback_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_wayback_timestamp(text: str) -> datetime:
    """A CDX timestamp (4 to 14 digits; missing parts are the start of the period)."""
    digits = (text or "").strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise BadAnswerError(f"not a Wayback timestamp: {digits[:20]!r}")
    padded = digits + "0101000000"[len(digits) - 4 :] if len(digits) < 14 else digits
    try:
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise BadAnswerError(f"not a Wayback timestamp: {digits!r}") from exc


def parse_http_date(text: str | None) -> datetime | None:
    """An HTTP date (Memento-Datetime), or None."""
    if not text:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


# --------------------------------------------------------------------------- Wayback (CDX)


def cdx_url(archive: Archive, url: str) -> str:
    """The CDX query for every capture of `url` that was a success or a redirect."""
    return (
        f"{archive.base}/cdx/search/cdx?url={quote(url, safe='')}&output=json"
        f"&fl={','.join(CDX_FIELDS)}&filter=statuscode:[23]..&limit={CDX_LIMIT}"
    )


def replay_url(archive: Archive, timestamp: str, original: str) -> str:
    """The raw replay of one capture: the archived bytes without the Wayback banner."""
    return f"{archive.base}/web/{timestamp}id_/{original}"


def parse_cdx(data: bytes, archive: Archive) -> list[Memento]:
    """The mementos in a CDX answer (output=json: a header row, then one row per capture).
    An empty answer is no capture; anything else that is not that shape is BadAnswerError."""
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return []
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise BadAnswerError(
            f"{archive.name} answered the CDX query with something that is not JSON"
            f" ({' '.join(text[:60].split())!r})"
        ) from exc
    if rows == [] or rows == {}:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BadAnswerError(f"{archive.name} answered the CDX query with JSON of another shape")
    header = [str(h) for h in rows[0]]
    if "timestamp" not in header or "original" not in header:
        raise BadAnswerError(
            f"{archive.name}'s CDX answer has no timestamp/original columns ({header[:8]})"
        )
    col = {name: i for i, name in enumerate(header)}
    out = []
    for r in rows[1:]:
        if len(r) != len(header):
            continue
        try:
            when = parse_wayback_timestamp(str(r[col["timestamp"]]))
        except BadAnswerError:
            continue
        original = str(r[col["original"]])
        status = _int(r[col["statuscode"]]) if "statuscode" in col else None
        out.append(
            Memento(
                archive=archive.name,
                url=replay_url(archive, str(r[col["timestamp"]]), original),
                original=original,
                datetime=when,
                status=status,
                digest=str(r[col["digest"]]) if "digest" in col else None,
                mimetype=str(r[col["mimetype"]]) if "mimetype" in col else None,
            )
        )
    return out


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None  # CDX writes '-' for revisits and unknowns


# --------------------------------------------------------------------------- Memento (TimeMap)


def timemap_url(archive: Archive, url: str) -> str:
    return f"{archive.base}{url}"


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[A-Za-z_-]+\s*=\s*(?:"[^"]*"|[^;,]*))*)\s*,?')
_PARAM = re.compile(r';\s*([A-Za-z_-]+)\s*=\s*(?:"([^"]*)"|([^;,]*))')


def parse_timemap(data: bytes, archive: Archive) -> list[Memento]:
    """The mementos of an RFC 7089 TimeMap in application/link-format."""
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return []
    if not text.startswith("<"):
        raise BadAnswerError(
            f"{archive.name} answered with something that is not a link-format TimeMap"
            f" ({' '.join(text[:60].split())!r})"
        )
    original = None
    found: list[tuple[str, dict[str, str]]] = []
    for m in _LINK.finditer(text):
        params = {
            k.lower(): (q if q is not None else u).strip() for k, q, u in _PARAM.findall(m[2])
        }
        found.append((m[1].strip(), params))
    for uri, params in found:
        if "original" in params.get("rel", "").split():
            original = uri
    out = []
    for uri, params in found:
        if "memento" not in params.get("rel", "").split():
            continue
        when = parse_http_date(params.get("datetime"))
        if when is None:
            continue
        out.append(Memento(archive.name, uri, original or "", when))
    return out


# --------------------------------------------------------------------------- choosing


def choose(mementos: list[Memento], reference: datetime) -> list[tuple[Memento, str]]:
    """Candidates in order of preference, each with 'before' or 'after' the reference time:
    the closest at or before it first, then the closest after it. Only captures that were a
    success (200; unknown when a TimeMap does not say) or an archived redirect are kept, and a
    success is preferred to a redirect captured at the same moment."""
    usable = [
        m for m in mementos if m.status is None or m.status == 200 or m.status in REDIRECT_CODES
    ]
    before = sorted(
        (m for m in usable if m.datetime <= reference),
        key=lambda m: (reference - m.datetime, m.status != 200),
    )
    after = sorted(
        (m for m in usable if m.datetime > reference),
        key=lambda m: (m.datetime - reference, m.status != 200),
    )
    unique: dict[str, tuple[Memento, str]] = {}
    for m, rel in [(m, "before") for m in before] + [(m, "after") for m in after]:
        unique.setdefault(m.url, (m, rel))
    return list(unique.values())


def sha1_base32(body: bytes) -> str:
    """The digest the CDX index gives a payload: SHA-1, base32."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


_WAYBACK_PATH = re.compile(r"^/web/(\d{4,14})[a-z_]*/(.+)$")


def original_from_memento_url(url: str) -> tuple[str | None, str | None]:
    """(timestamp, original URL) of a Wayback memento URL, else (None, None)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    m = _WAYBACK_PATH.match(path)
    if not m:
        return None, None
    original = m[2]
    if re.match(r"^https?:/[^/]", original):  # some servers squeeze the double slash
        original = original.replace(":/", "://", 1)
    return m[1], original


def link_original(headers: tuple[tuple[str, str], ...]) -> str | None:
    """The rel="original" target of a memento's Link header, if any."""
    for name, value in headers:
        if name.lower() != "link":
            continue
        for m in _LINK.finditer(value.strip()):
            params = {k.lower(): (q if q is not None else u) for k, q, u in _PARAM.findall(m[2])}
            if "original" in params.get("rel", "").split():
                return m[1].strip()
    return None


def header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return None
