"""CLI commands: review. Thin: parse options, call the library, print."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from verify import model, store
from verify import settings as settings_mod
from verify.cli.base import ACTOR_OPTION, check_actor, cli, common, emit_json, get_db, plural, warn
from verify.export import tables as export_mod
from verify.review import evidence as evidence_mod
from verify.review import search as search_mod
from verify.review import workflow as review

REVIEWER = click.option(
    "--reviewer",
    "-r",
    required=True,
    envvar="VERIFY_REVIEWER",
    help="Your reviewer name ($VERIFY_REVIEWER).",
)
FORCE = click.option(
    "--force", is_flag=True, help="Override another reviewer's lease (recorded in the history)."
)


def _short(text: str, width: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def claim_line(c: dict[str, Any]) -> str:
    status = c["status"]
    if status == "in_review" and c.get("lease_reviewer"):
        status = f"in_review: {c['lease_reviewer']} until {c['lease_expires_at']}"
    verdict = f" verdict={c['verdict']}" if c.get("verdict") else ""
    if c.get("evidence_changed_at"):
        was = f" (was {c['previous_verdict']})" if c.get("previous_verdict") else ""
        verdict += f" evidence changed{was}"
    return f"{c['id']:>6}  p{c['priority']}  {c['score']:.2f}  [{status}]{verdict}  {_short(c['text'])}"


def public_claim(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "article_id", "text", "score", "status", "verdict", "previous_verdict", "verdict_note",
            "priority", "sources", "start", "end", "created_at", "lease_reviewer", "lease_expires_at",
            "decided_by", "decided_at", "evidence_changed_at")  # fmt: skip
    return {k: c.get(k) for k in keys}


def _report(claim: dict[str, Any], as_json: bool, message: str) -> None:
    """What a command that changed one claim prints: the claim as JSON, or one line."""
    if as_json:
        emit_json(public_claim(claim))
    else:
        click.echo(message)


@cli.command("queue")
@click.option(
    "--status",
    "-s",
    default=None,
    help="queued, in_review, candidate, decided, dismissed (comma-separated). Default: queued,in_review.",
)
@click.option("--reviewer", default=None, help="Only claims leased to this reviewer.")
@click.option(
    "--article", "article_id", type=int, default=None, help="Only claims of this article."
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@common
def queue_cmd(db_path: str, as_json: bool, status: str | None, reviewer: str | None, article_id: int | None,
              limit: int, offset: int) -> None:  # fmt: skip
    """Claims awaiting review, most urgent first (priority, then age, then score)."""
    db = get_db(db_path)
    rows = review.queue(
        db, status=status, reviewer=reviewer, article_id=article_id, limit=limit, offset=offset
    )
    if as_json:
        emit_json([public_claim(c) for c in rows])
        return
    if not rows:
        warn("No claims waiting for review.")
    for c in rows:
        click.echo(claim_line(c))


@cli.command("next")
@REVIEWER
@click.option("--lease-minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Lease length (default: `verify config lease_minutes`, else 30).")  # fmt: skip
@common
def next_cmd(db_path: str, as_json: bool, reviewer: str, lease_minutes: float | None) -> None:
    """Lease the next claim to REVIEWER (your current one if you hold a lease)."""
    db = get_db(db_path)
    claim = review.lease_next(db, reviewer, lease_minutes=lease_minutes)
    if as_json:
        emit_json(public_claim(claim) if claim else None)
        return
    if claim is None:
        click.echo("The queue is empty.")
        return
    click.echo(f"Claim {claim['id']} is leased to {reviewer} until {claim['lease_expires_at']}:")
    click.echo(f"  {claim['text']}")
    for url in claim["sources"]:
        click.echo(f"  source: {url}")
    click.echo(f"Next: verify evidence {claim['id']}")


@cli.command("release")
@click.argument("claim_id", type=int)
@REVIEWER
@FORCE
@common
def release_cmd(db_path: str, as_json: bool, claim_id: int, reviewer: str, force: bool) -> None:
    """Give a lease back: the claim returns to the queue."""
    db = get_db(db_path)
    claim = review.release(db, claim_id, reviewer, force=force)
    _report(claim, as_json, f"Claim {claim['id']} is back in the queue.")


@cli.command("assess")
@click.argument("claim_id", type=int)
@click.argument("source")
@click.option("--stance", required=True, help="One of: " + ", ".join(model.STANCES) + ".")
@REVIEWER
@click.option(
    "--quote", default=None, help="A passage of the snapshot's text that shows the stance."
)
@click.option(
    "--snapshot",
    "snapshot_id",
    type=int,
    default=None,
    help="The snapshot the quote is from (default: the source's latest successful one).",
)
@FORCE
@common
def assess_cmd(db_path: str, as_json: bool, claim_id: int, source: str, stance: str, reviewer: str,
               quote: str | None, snapshot_id: int | None, force: bool) -> None:  # fmt: skip
    """Add an assessment: a stance on one SOURCE (id or URL) of a claim, with an optional quote
    bound to the snapshot it is taken from. A claim and source can hold several."""
    db = get_db(db_path)
    got = review.assess(
        db, claim_id, source, stance, reviewer, quote=quote, snapshot_id=snapshot_id, force=force
    )
    if as_json:
        emit_json(got)
        return
    where = (
        f" (quote at {got['quote_start']}-{got['quote_end']} of snapshot {got['snapshot_id']})"
        if got["selector"]
        else ""
    )
    click.echo(
        f"Claim {got['claim_id']}: source {got['source_id']} {got['stance']}{where};"
        f" assessment {got['id']}."
    )


@cli.command("unassess")
@click.argument("assessment_id", type=int)
@REVIEWER
@FORCE
@common
def unassess_cmd(
    db_path: str, as_json: bool, assessment_id: int, reviewer: str, force: bool
) -> None:
    """Remove an assessment (recorded in the history; `verify claim show` lists the ids)."""
    db = get_db(db_path)
    got = review.unassess(db, assessment_id, reviewer, force=force)
    if as_json:
        emit_json(got)
        return
    click.echo(f"Assessment {got['id']} of claim {got['claim_id']} removed.")


@cli.command("verdict")
@click.argument("claim_id", type=int)
@click.argument("verdict", metavar="VERDICT")
@REVIEWER
@click.option("--note", default=None, help="Why: shown in exports and the history.")
@FORCE
@common
def verdict_cmd(db_path: str, as_json: bool, claim_id: int, verdict: str, reviewer: str, note: str | None,
                force: bool) -> None:  # fmt: skip
    """Give CLAIM_ID a VERDICT: true, mostly-true, mixed, mostly-false, false, unverifiable."""
    db = get_db(db_path)
    claim = review.give_verdict(db, claim_id, verdict, reviewer, note=note, force=force)
    _report(claim, as_json, f"Claim {claim['id']}: {claim['verdict']}.")


@cli.command("dismiss")
@click.argument("claim_id", type=int)
@REVIEWER
@click.option("--note", default=None, help="Why it is not worth checking.")
@FORCE
@common
def dismiss_cmd(
    db_path: str, as_json: bool, claim_id: int, reviewer: str, note: str | None, force: bool
) -> None:
    """Take a claim out of the queue as not worth checking."""
    db = get_db(db_path)
    claim = review.dismiss(db, claim_id, reviewer, note=note, force=force)
    _report(claim, as_json, f"Claim {claim['id']} dismissed.")


@cli.command("requeue")
@click.argument("claim_id", type=int)
@REVIEWER
@click.option("--priority", type=int, default=None, help="A new priority (higher first).")
@common
def requeue_cmd(
    db_path: str, as_json: bool, claim_id: int, reviewer: str, priority: int | None
) -> None:
    """Put a candidate (scored below the threshold) or a dismissed claim into the queue."""
    db = get_db(db_path)
    claim = review.requeue(db, claim_id, reviewer, priority=priority)
    _report(claim, as_json, f"Claim {claim['id']} queued (priority {claim['priority']}).")


@cli.command("search")
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@common
def search_cmd(db_path: str, as_json: bool, query: str, limit: int) -> None:
    """Full-text search over claims and snapshot texts ("phrases" and prefix* work)."""
    db = get_db(db_path)
    found = search_mod.search(db, query, limit=limit)
    if as_json:
        emit_json(found)
        return
    if not found:
        warn("No matches.")
    for r in found:
        score = "  new" if r["score"] is None else f"{r['score']:5.2f}"
        if r["type"] == "claim":
            click.echo(f"claim {r['id']:>6}  {score}  {_short(r['snippet'])}")
        else:
            click.echo(f"snapshot {r['id']:>4}  {score}  {r['url']}\n    {_short(r['snippet'])}")
            if not r.get("in_latest", True):
                click.echo(
                    f"    no longer in the latest capture of this source (snapshot"
                    f" {r['latest_snapshot_id']}): `verify snapshot diff {r['id']}"
                    f" {r['latest_snapshot_id']}`"
                )


@cli.command("evidence")
@click.argument("claim_id", type=int)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--related/--no-related",
    default=True,
    help="Also suggest passages from other sources in the archive.",
)
@common
def evidence_cmd(db_path: str, as_json: bool, claim_id: int, limit: int, related: bool) -> None:
    """The passages of the claim's snapshots that best bear on it (and related ones)."""
    db = get_db(db_path)
    own = evidence_mod.evidence(db, claim_id, limit=limit)
    others = evidence_mod.related_evidence(db, claim_id) if related else []
    if as_json:
        emit_json([p.as_dict() for p in own + others])
        return
    if not own:
        warn(
            f"No captured text for claim {claim_id}'s sources:"
            f" run `{store.snapshots.capture_command(db, claim_id)}`."
        )
    for p in own:
        click.echo(
            f"{p.score:7.2f}  snapshot {p.snapshot_id} [{p.start}:{p.end}] {p.url}{_clash_note(p.clash)}\n         {_short(p.passage, 300)}"
        )
    if others:
        click.echo("\nRelated evidence in the archive (other sources):")
        for p in others:
            click.echo(
                f"{p.score:7.2f}  snapshot {p.snapshot_id} [{p.start}:{p.end}] {p.url}{_clash_note(p.clash)}\n         {_short(p.passage, 300)}"
            )


def _clash_note(clash: dict | None) -> str:
    """'CLASH: the claim says 22, this passage says 21, both about death' under a passage giving
    another figure for the same thing."""
    if not clash:
        return ""
    reason = clash.get("reason") or (
        f"the claim says {clash['claim']}, this passage says {clash['passage']}"
    )
    return f"\n         CLASH: {reason}"


@cli.command("history")
@click.argument("claim_id", type=int)
@common
def history_cmd(db_path: str, as_json: bool, claim_id: int) -> None:
    """The claim's events, oldest first."""
    db = get_db(db_path)
    events = review.history(db, claim_id)
    if as_json:
        emit_json(events)
        return
    for e in events:
        detail = e["detail"]
        if isinstance(detail, dict):
            detail = " ".join(
                f"{k}={json.dumps(v, ensure_ascii=False)}"
                for k, v in detail.items()
                if v is not None
            )
        click.echo(
            f"{e['created_at']}  {e['kind']:<13} {e['actor'] or '-':<10} {detail or ''}".rstrip()
        )


@cli.command("export")
@click.option(
    "--format", "fmt", required=True, help="claimreview, csv, jsonl, markdown, warc or wacz."
)
@click.option("--article", "article_id", type=int, default=None, help="Only this article's claims.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: stdout).")  # fmt: skip
@click.option("--org", default=None, help="Publishing organisation for ClaimReview (remembered).")
@ACTOR_OPTION
@common
def export_cmd(db_path: str, as_json: bool, fmt: str, article_id: int | None, output: str | None,
               org: str | None, actor: str | None) -> None:  # fmt: skip
    """Export reviews, claims and archived sources."""
    db = get_db(db_path)
    actor = check_actor(db, actor, "export")
    out: Any = output
    if output in (None, "-"):
        out = sys.stdout.buffer if fmt == "warc" else None
    count = export_mod.export(db, fmt, out, article_id=article_id, org=org, actor=actor)
    if output not in (None, "-"):
        warn(
            f"Wrote {plural(count, 'snapshot' if fmt in ('warc', 'wacz') else 'item')} to {output}."
        )


@cli.command("config")
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--unset", is_flag=True, help="Forget KEY's value: its default applies again.")
@click.option("--reviewer", "-r", "actor", default=None, envvar="VERIFY_REVIEWER",
              help="With accounts, an admin's name ($VERIFY_REVIEWER).")  # fmt: skip
@common
def config_cmd(
    db_path: str,
    as_json: bool,
    key: str | None,
    value: str | None,
    unset: bool,
    actor: str | None = None,
) -> None:
    """Show the archive's settings, show one KEY, or set KEY to VALUE (lease_minutes, org)."""
    db = get_db(db_path)
    if key is None:
        if unset or value is not None:
            raise click.UsageError("give the KEY to set or unset")
        items = settings_mod.list_settings(db)
        if as_json:
            emit_json({s["key"]: s["value"] for s in items})
            return
        for s in items:
            shown = s["value"]
            if shown is None:
                shown = "(unset)" if s["default"] is None else f"(unset; default {s['default']})"
            click.echo(f"{s['key']:<14} {shown}    # {s['help']}")
        return
    if unset:
        if value is not None:
            raise click.UsageError("--unset takes no VALUE")
        settings_mod.unset_value(db, key, actor=actor)
        current = settings_mod.get_value(db, key)
    elif value is not None:
        current = settings_mod.set_value(db, key, value, actor=actor)
    else:
        current = settings_mod.get_value(db, key)
    if as_json:
        emit_json({key: current})
    else:
        click.echo("" if current is None else current)
