"""Adding claims and their candidate sources (no network; the SQL is in verify.store).

Every write here runs in one transaction (`store.immediate`, which becomes a savepoint when a
caller already holds one), and checks its inputs before it writes, so bad input changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from verify import model, store
from verify.clock import now
from verify.errors import InputError
from verify.review import accounts as users
from verify.store import add_event, immediate
from verify.text import checkworthy
from verify.urls import host_of, normalize_url


def ensure_source(db: Database, url: str) -> int:
    """The id of the source for this URL (normalised), creating it if needed."""
    normal = normalize_url(url)
    found = store.sources.source_id_for(db, normal)
    if found is not None:
        return found
    return store.sources.add_source(db, normal, host_of(normal), now())


# --- checks -----------------------------------------------------------------------------------


def check_claim_text(text: str) -> str:
    """The claim text with surrounding white space removed; InputError when empty."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty claim text: give the statement to check")
    return " ".join(text.split())


def check_priority(priority: Any) -> int:
    """An integer priority (bool and non-numbers refused)."""
    if isinstance(priority, bool):
        raise InputError(f"bad priority {priority!r}: give a whole number")
    if isinstance(priority, int):
        return priority
    if isinstance(priority, str) and priority.strip().lstrip("+-").isdigit():
        return int(priority.strip())
    raise InputError(f"bad priority {priority!r}: give a whole number such as 0, 1 or 5")


def check_article(db: Database, article_id: int | None) -> int | None:
    """The article id when it exists (None passes); NotFoundError otherwise."""
    if article_id is None:
        return None
    return store.article_row(db, article_id)["id"]


def check_claim(db: Database, claim_id: int) -> int:
    """The claim id when it exists; NotFoundError otherwise."""
    return store.claim_row(db, claim_id)["id"]


# --- writes -----------------------------------------------------------------------------------


def add_claim(
    db: Database,
    text: str,
    *,
    article_id: int | None = None,
    sources: Iterable[str] = (),
    priority: int = 0,
    origin: str = "manual",
    actor: str | None = None,
) -> int:
    """Add a claim chosen by a person (queued at once) with its candidate sources; returns its id.
    Every input is checked before anything is written."""
    text = check_claim_text(text)
    priority = check_priority(priority)
    model.check_choice(origin, model.ORIGINS, "origin")
    urls = [normalize_url(u) for u in sources]
    with immediate(db):
        article_id = check_article(db, article_id)
        score = checkworthy.score_sentence(text, has_link=bool(urls))
        stamp = now()
        claim_id = store.claims.add_claim(
            db,
            article_id=article_id,
            text=text,
            score=score,
            status="queued",
            priority=priority,
            origin=origin,
            at=stamp,
        )
        add_event(
            db,
            "claim_added",
            claim_id=claim_id,
            article_id=article_id,
            actor=actor,
            detail={"origin": origin, "priority": priority},
            at=stamp,
        )
        for url in dict.fromkeys(urls):
            link_claim_source(
                db, claim_id, url, origin=origin, anchor_text=None, note=None, actor=actor
            )
    return claim_id


def attach_source(
    db: Database,
    claim_id: int,
    url: str,
    *,
    origin: str = "manual",
    anchor_text: str | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> int:
    """Attach a candidate source to a claim; returns the source id. Attaching the same URL twice
    keeps one link (a new note is kept; the first origin and anchor text stay)."""
    normal = normalize_url(url)
    model.check_choice(origin, model.ORIGINS, "origin")
    if actor is not None:
        users.authorize(db, actor, "add_source")
    with immediate(db):
        claim_id = check_claim(db, claim_id)
        return link_claim_source(
            db, claim_id, normal, origin=origin, anchor_text=anchor_text, note=note, actor=actor
        )


def link_claim_source(
    db: Database,
    claim_id: int,
    url: str,
    *,
    origin: str,
    anchor_text: str | None,
    note: str | None,
    actor: str | None,
) -> int:
    """Link an already-normalised URL to a claim, inside the caller's transaction."""
    source_id = ensure_source(db, url)
    stamp = now()
    if store.sources.link_source(
        db, claim_id, source_id, origin=origin, anchor_text=anchor_text, note=note, at=stamp
    ):
        detail: dict[str, Any] = {"url": url, "origin": origin}
        if anchor_text:
            detail["anchor_text"] = anchor_text
        if note:
            detail["note"] = note
        add_event(
            db,
            "source_added",
            claim_id=claim_id,
            source_id=source_id,
            actor=actor,
            detail=detail,
            at=stamp,
        )
        store.approvals.withdraw_if_changed(db, claim_id, actor, stamp, "source added")
    elif note:
        store.sources.set_link_note(db, claim_id, source_id, note)
    return source_id


def promote_span(
    db: Database,
    article_id: int,
    start: int,
    end: int,
    *,
    priority: int = 0,
    actor: str | None = None,
) -> int:
    """Make any span of an article's text a queued claim; returns the claim id. A span that is
    already a claim is queued (if it was a candidate) and its id returned. Body links whose
    anchor starts inside the span become its candidate sources."""
    priority = check_priority(priority)
    with immediate(db):
        checked = check_article(db, article_id)
        assert checked is not None
        article_id = checked
        text = store.articles.article_text(db, article_id) or ""
        if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= len(
            text
        ):
            raise InputError(f"bad span {start}..{end}: the article has {len(text)} characters")
        # trim white space so the offsets point at the words
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise InputError("the span holds only white space: choose some words")
        found = store.claims.claim_at_span(db, article_id, start, end)
        stamp = now()
        if found:
            if found["status"] == "candidate":
                # a candidate becomes a queued claim: the "promote" transition, role checked
                store.claims.apply_transition(
                    db,
                    found,
                    "promote",
                    actor,
                    stamp,
                    role=users.authorize(db, actor, "promote"),
                    fields={"priority": max(found["priority"], priority)},
                    detail={"origin": "manual", "promoted": True},
                    article_id=article_id,
                )
            return found["id"]
        links = store.articles.links_in_span(db, article_id, start, end)
        span = text[start:end]
        score = checkworthy.score_sentence(span, has_link=bool(links))
        claim_id = store.claims.add_claim(
            db,
            article_id=article_id,
            text=span,
            start=start,
            end=end,
            score=score,
            status="queued",
            priority=priority,
            origin="manual",
            at=stamp,
        )
        add_event(
            db,
            "claim_added",
            claim_id=claim_id,
            article_id=article_id,
            actor=actor,
            detail={"origin": "manual", "promoted": True, "start": start, "end": end},
            at=stamp,
        )
        for url, anchor in links:
            link_claim_source(
                db, claim_id, url, origin="article", anchor_text=anchor, note=None, actor=actor
            )
    return claim_id


# --- reads (the rest are in verify.store) ------------------------------------------------


def find_claim_by_text(db: Database, text: str, article_id: int | None = None) -> int | None:
    """The id of a hand-added or imported claim with this exact text (after white-space
    folding) in this article (or with no article), if any."""
    text = " ".join(text.split())
    return store.claims.claim_with_text(db, text, article_id)
