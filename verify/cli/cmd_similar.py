"""CLI commands: has this been checked before? (import-claimreview, similar). Thin: parse
options, call the library, print."""

from __future__ import annotations

import sys

import click

from verify.capture.netguard import merge_allow_hosts
from verify.cli.base import ACTOR_OPTION, check_actor, cli, common, emit_json, get_db, warn
from verify.review import known as claimreview
from verify.review import similar


def _short(text: str, width: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


@cli.command("import-claimreview")
@click.argument("source", metavar="FILE|URL")
@click.option(
    "--allow-host",
    "allow_host",
    multiple=True,
    metavar="HOST",
    help="Let this local or private host through the network guard (repeatable).",
)
@ACTOR_OPTION
@common
def import_claimreview_cmd(
    source: str, allow_host: tuple[str, ...], actor: str | None, db_path: str, as_json: bool
) -> None:
    """Read others' fact-checks (ClaimReview JSON-LD, or an HTML page holding it) into known reviews."""
    db = get_db(db_path)
    check_actor(db, actor, "import_claimreview")
    options = None
    if source.lower().startswith(("http://", "https://")):
        from verify.capture.fetch import FetchOptions

        options = FetchOptions(allow_hosts=merge_allow_hosts(allow_host))
    result = claimreview.import_claimreview(db, source, fetch_options=options)
    if as_json:
        emit_json(result.as_dict())
    else:
        click.echo(
            f"Known reviews from {result.origin}: {result.added} added, {result.updated} updated,"
            f" {result.unchanged} unchanged"
        )
    for problem in result.problems:
        warn(f"Error: {problem} (the page's other blocks are read)")
    if result.skipped:
        warn(
            f"Error: {result.skipped} of {result.found} reviews skipped: no claimReviewed text"
            " (the others are stored)"
        )
    if result.skipped or result.problems:
        sys.exit(1)


def _match_line(m: similar.Match) -> str:
    what = f"review {m.id}" if m.kind == "review" else f"claim {m.id}"
    head = f"{m.score:5.2f}  {what:<12} {m.summary()}"
    if m.kind == "claim" and m.status != "decided":
        head = f"{m.score:5.2f}  {what:<12} {m.status}"
    lines = [head, f"       {_short(m.text, 110)}"]
    if m.url:
        lines.append(f"       {m.url}")
    why = similar.reason_text(m.reason)
    if why:
        lines.append(f"       ({why})")
    return "\n".join(lines)


@cli.command("similar")
@click.argument("claim_id", type=int)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@common
def similar_cmd(claim_id: int, limit: int, db_path: str, as_json: bool) -> None:
    """Earlier claims in this archive and known reviews that say the same thing as the claim."""
    db = get_db(db_path)
    found = similar.similar(db, claim_id, limit=limit)
    if as_json:
        emit_json([m.as_dict() for m in found])
        return
    if not found:
        warn(
            f"Nothing in this archive or the known reviews says the same thing as claim {claim_id}."
        )
        return
    checked = [m for m in found if m.checked]
    others = [m for m in found if not m.checked]
    if checked:
        click.echo(f"Claim {claim_id} was checked before:")
        for m in checked:
            click.echo(_match_line(m))
    if others:
        click.echo("Earlier claims in this archive, not decided yet:")
        for m in others:
            click.echo(_match_line(m))


def note_checked_before(db, claim_ids: list[int]) -> None:
    """After ingest or claim add: one stderr line per new claim that was checked before."""
    for cid in claim_ids:
        found = similar.checked_before(db, cid, limit=1)
        if found:
            warn(
                f"Claim {cid} was checked before: {found[0].summary()} (see `verify similar {cid}`)"
            )
