"""CLI commands: articles and claims (ingest, score, claims, claim add/show, source add, import,
demo). Thin: parse options, call the library, print."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from verify import model
from verify.cli.base import ACTOR_OPTION, check_actor, cli, common, emit_json, get_db, plural, warn
from verify.text.checkworthy import DEFAULT_MIN_SCORE


def table(rows: list[list[Any]], headers: list[str], *, wrap_last: int = 90) -> str:
    """A plain left-aligned text table; the last column is cut to `wrap_last` characters."""
    cells = [[str(h) for h in headers]]
    for r in rows:
        out = ["" if v is None else str(v) for v in r]
        if len(out[-1]) > wrap_last:
            out[-1] = out[-1][: wrap_last - 1] + "…"
        cells.append(out)
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        line = "  ".join(v.ljust(widths[i]) if i < len(row) - 1 else v for i, v in enumerate(row))
        lines.append(line.rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _claim_brief(claim: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": claim["id"],
        "text": claim["text"],
        "score": round(claim["score"], 4),
        "sources": claim["sources"],
    }


def _claim_object(claim: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "article_id", "text", "score", "status", "verdict", "priority", "sources")
    out = {k: claim[k] for k in keys}
    out["score"] = round(out["score"], 4)
    return out


def _claims_table(claims: list[dict[str, Any]]) -> str:
    return table(
        [
            [
                c["id"],
                f"{c['score']:.2f}",
                c["status"],
                c["verdict"] or "-",
                c["priority"],
                len(c["sources"]),
                c["text"],
            ]
            for c in claims
        ],
        ["id", "score", "status", "verdict", "prio", "src", "text"],
    )


@cli.command("ingest")
@click.argument("source", metavar="PATH|URL|-")
@click.option("--title", help="Title to store (default: the article's own).")
@click.option("--url", help="The article's own URL (also resolves relative links).")
@click.option(
    "--published",
    metavar="YYYY-MM-DD",
    help="Publication date (default: the page's own; recovery looks for copies before it).",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_MIN_SCORE,
    show_default=True,
    help="Sentences scoring at least this become queued claims (a sentence scores as its most"
    " check-worthy clause when that is higher).",
)
@click.option(
    "--allow-host",
    "allow_host",
    multiple=True,
    metavar="HOST",
    help="Let this host through the network guard (repeatable; also VERIFY_ALLOW_HOSTS).",
)
@ACTOR_OPTION
@common
def ingest_cmd(
    source: str,
    title: str | None,
    url: str | None,
    published: str | None,
    min_score: float,
    allow_host: tuple[str, ...],
    actor: str | None,
    db_path: str,
    as_json: bool,
) -> None:
    """Store an article, extract its claims and candidate sources."""
    from verify.ingest.article import ingest_article

    stdin = sys.stdin.buffer.read() if source == "-" else None
    options = None
    if source.lower().startswith(("http://", "https://")):
        from verify.capture.fetch import FetchOptions
        from verify.capture.netguard import merge_allow_hosts

        options = FetchOptions(allow_hosts=merge_allow_hosts(allow_host))
    db = get_db(db_path)
    actor = check_actor(db, actor, "add_claim")
    result = ingest_article(
        db,
        source,
        actor=actor,
        title=title,
        url=url,
        min_score=min_score,
        stdin=stdin,
        fetch_options=options,
        published=published,
    )
    if result.created:
        from verify.cli.cmd_similar import note_checked_before

        note_checked_before(db, [c["id"] for c in result.claims])
    if as_json:
        emit_json(
            {
                "article_id": result.article_id,
                "created": result.created,
                "claims": [_claim_brief(c) for c in result.claims],
            }
        )
        return
    if not result.created:
        warn(
            f"already ingested as article {result.article_id}: nothing added"
            f" (its claims: `verify claims --article {result.article_id}`)"
        )
        return
    for skipped in result.skipped_links:
        warn(f"skipped a link that is not an http(s) URL: {skipped[:80]}")
    sources = len({u for c in result.claims for u in c["sources"]})
    click.echo(
        f"Article {result.article_id}: {plural(result.sentences, 'sentence')},"
        f" {plural(len(result.claims), 'queued claim')}, {plural(result.links, 'body link')},"
        f" {plural(sources, 'candidate source')}"
    )
    if result.claims:
        click.echo(_claims_table(result.claims))


@cli.command("score")
@common
def score_cmd(db_path: str, as_json: bool) -> None:
    """Score sentences from stdin (one per line) for check-worthiness, in [0, 1]."""
    from verify.text import checkworthy

    raw = sys.stdin.buffer.read()
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    scores = checkworthy.score_sentences([line.strip() for line in lines]) if lines else []
    for line, score in zip(lines, scores, strict=True):
        value = round(float(score), 4) if line.strip() else 0.0
        if as_json:
            click.echo(json.dumps({"text": line.strip(), "score": value}, ensure_ascii=False))
        else:
            click.echo(f"{value:.3f}")


@cli.command("claims")
@click.option("--article", "article_id", type=int, help="Only this article's claims.")
@click.option(
    "--status",
    type=click.Choice(model.STATUSES),
    help="Only claims with this status.",
)
@click.option(
    "--all", "include_all", is_flag=True, help="Include candidates (sentences under the threshold)."
)
@common
def claims_cmd(
    article_id: int | None, status: str | None, include_all: bool, db_path: str, as_json: bool
) -> None:
    """List claims, in article order."""
    from verify.store import list_claims

    db = get_db(db_path)
    found = list_claims(db, article_id=article_id, status=status, include_candidates=include_all)
    if as_json:
        emit_json([_claim_object(c) for c in found])
    elif found:
        click.echo(_claims_table(found))
    else:
        warn(
            "no claims (ingest an article with `verify ingest`, or add one with `verify claim add`)"
        )


@cli.group("claim")
def claim_group() -> None:
    """Add or show one claim."""


@claim_group.command("add")
@click.argument("text")
@click.option("--article", "article_id", type=int, help="The article it belongs to.")
@click.option(
    "--source", "sources", multiple=True, metavar="URL", help="A candidate source (repeatable)."
)
@click.option(
    "--priority", type=int, default=0, show_default=True, help="Higher is reviewed first."
)
@ACTOR_OPTION
@common
def claim_add_cmd(
    text: str,
    article_id: int | None,
    sources: tuple[str, ...],
    priority: int,
    actor: str | None,
    db_path: str,
    as_json: bool,
) -> None:
    """Add a claim by hand (queued at once)."""
    from verify.ingest.claims import add_claim
    from verify.store import get_claim

    db = get_db(db_path)
    actor = check_actor(db, actor, "add_claim")
    claim_id = add_claim(
        db, text, article_id=article_id, sources=sources, priority=priority, actor=actor
    )
    claim = get_claim(db, claim_id)
    if as_json:
        emit_json(_claim_object(claim))
    else:
        click.echo(
            f"Added claim {claim_id} (queued, priority {claim['priority']},"
            f" {plural(len(claim['sources']), 'source')})"
        )
    from verify.cli.cmd_similar import note_checked_before

    note_checked_before(db, [claim_id])


@claim_group.command("show")
@click.argument("claim_id", type=int)
@common
def claim_show_cmd(claim_id: int, db_path: str, as_json: bool) -> None:
    """Show one claim with its sources, its assessments and what you may do with it now."""
    from verify.store import claim_sources, get_claim
    from verify.store import list_assessments as assessments

    db = get_db(db_path)
    claim = get_claim(db, claim_id)
    links = claim_sources(db, claim_id)
    notes = assessments(db, claim_id)
    if as_json:
        for s in links:
            s.pop("assessments", None)
        keys = ("id", "source_id", "url", "snapshot_id", "stance", "quote", "selector", "reviewer",
                "forced", "created_at", "evidence_changed_at")  # fmt: skip
        emit_json(
            {
                **claim,
                "score": round(claim["score"], 4),
                "source_links": links,
                "assessments": [{k: a[k] for k in keys} for a in notes],
            }
        )
        return
    click.echo(f"Claim {claim['id']}: {claim['text']}")
    where = f"article {claim['article_id']}" if claim["article_id"] else "no article"
    if claim["start"] is not None:
        where += f", characters {claim['start']}-{claim['end']}"
    click.echo(
        f"  {where}; score {claim['score']:.2f}; status {claim['status']}; verdict {claim['verdict'] or '-'};"
        f" priority {claim['priority']}; origin {claim['origin']}"
    )
    if claim["evidence_changed_at"]:
        click.echo(
            f"  evidence changed at {claim['evidence_changed_at']}"
            f" (previous verdict {claim['previous_verdict'] or '-'}): see `verify history {claim['id']}`"
        )
    if claim["lease_reviewer"]:
        click.echo(f"  leased to {claim['lease_reviewer']} until {claim['lease_expires_at']}")
    if links:
        click.echo(
            table(
                [
                    [
                        s["id"],
                        s["origin"],
                        s["state"],
                        s["anchor_text"] or s["note"] or "",
                        s["url"],
                    ]
                    for s in links
                ],
                ["source", "origin", "state", "anchor/note", "url"],
                wrap_last=200,
            )
        )
        for a in notes:
            quote = f' "{a["quote"]}"' if a["quote"] else ""
            flag = " [quote no longer on the latest capture]" if a["evidence_changed_at"] else ""
            click.echo(
                f"  assessment {a['id']}: source {a['source_id']} {a['stance']}"
                f" (snapshot {a['snapshot_id'] or '-'}, {a['reviewer']}){quote}{flag}"
            )
    else:
        click.echo("  no sources yet (add one with `verify source add`)")


@cli.group("source")
def source_group() -> None:
    """Attach candidate sources to claims."""


@source_group.command("add")
@click.argument("claim_id", type=int)
@click.argument("url")
@click.option("--note", help="Why this source, or where in it to look.")
@ACTOR_OPTION
@common
def source_add_cmd(
    claim_id: int, url: str, note: str | None, actor: str | None, db_path: str, as_json: bool
) -> None:
    """Attach a candidate source (a URL) to a claim."""
    from verify.ingest.claims import attach_source
    from verify.store import find_source

    db = get_db(db_path)
    actor = check_actor(db, actor, "add_source")
    source_id = attach_source(db, claim_id, url, note=note, actor=actor)
    source = find_source(db, source_id)
    if as_json:
        emit_json({"claim_id": claim_id, "source_id": source_id, "url": source["url"]})
    else:
        click.echo(f"Source {source_id} ({source['url']}) attached to claim {claim_id}")


@cli.command("import")
@click.argument("file", metavar="FILE")
@ACTOR_OPTION
@common
def import_cmd(file: str, actor: str | None, db_path: str, as_json: bool) -> None:
    """Bulk claims and sources from a CSV (claim,url[,article][,priority]) or JSONL file."""
    from verify.ingest.article import import_sheet

    db = get_db(db_path)
    actor = check_actor(db, actor, "add_claim")
    result = import_sheet(db, file, actor=actor)
    for number, message in result.errors:
        warn(f"Error: row {number}: {' '.join(message.split())}")
    if as_json:
        emit_json(
            {
                "added_claims": result.added_claims,
                "added_sources": result.added_sources,
                "errors": [{"row": n, "error": m} for n, m in result.errors],
            }
        )
    else:
        click.echo(
            f"Imported {plural(result.added_claims, 'new claim')} and"
            f" {plural(result.added_sources, 'new claim source')}"
            f" from {plural(result.rows, 'row')} ({plural(len(result.errors), 'bad row')} skipped)"
        )
    if result.errors:
        sys.exit(1)


@cli.command("demo")
@click.option(
    "--no-fetch", is_flag=True, help="Only ingest the sample article; do not capture its sources."
)
@common
def demo_cmd(no_fetch: bool, db_path: str, as_json: bool) -> None:
    """Build a demo database from a bundled sample article and its source pages served locally."""
    from verify.demo.run import run_demo

    result = run_demo(db_path, fetch=not no_fetch, progress=warn)
    if as_json:
        emit_json(result)
        return
    for line in result["lines"]:
        click.echo(line)


@cli.command("articles")
@common
def articles_cmd(db_path: str, as_json: bool) -> None:
    """List articles with their claims counted by status."""
    from verify.store import list_articles

    found = list_articles(get_db(db_path))
    if as_json:
        emit_json(found)
    elif found:
        click.echo(
            table(
                [
                    [
                        a["id"],
                        (a["published"] or "-")[:10],
                        *(a["claim_counts"][s] for s in model.STATUSES),
                        " ".join(x for x in (a["title"] or "(untitled)", a["url"]) if x),
                    ]
                    for a in found
                ],
                ["id", "published", *model.STATUSES, "title"],
                wrap_last=200,
            )
        )
    else:
        warn("no articles (ingest one with `verify ingest`)")
