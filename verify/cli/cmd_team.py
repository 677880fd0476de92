"""CLI commands: accounts and the team workflow (assign, mine, skip, priority, tags, comments,
claimant, approval, find). Thin: parse options, call the library, print."""

from __future__ import annotations

import sys
from typing import Any

import click

from verify.cli.base import cli, common, emit_json, get_db, warn
from verify.cli.cmd_review import REVIEWER, claim_line, public_claim
from verify.errors import InputError
from verify.review import accounts as users
from verify.review import team

PASSWORD_STDIN = click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (it never goes on the command line).",
)
ACTOR = click.option(
    "--reviewer",
    "-r",
    "actor",
    default=None,
    envvar="VERIFY_REVIEWER",
    help="Who does this: an admin, or (passwd) the account's holder ($VERIFY_REVIEWER).",
)


def _read_password(password_stdin: bool) -> str:
    if not password_stdin:
        raise click.UsageError("give the password on stdin with --password-stdin")
    line = sys.stdin.readline()
    if not line:
        raise InputError("no password on stdin: pipe it in, e.g. `printf '%s\\n' \"$PW\" | ...`")
    return line.rstrip("\r\n")


def _team_claim(c: dict[str, Any]) -> dict[str, Any]:
    out = public_claim(c)
    for key in ("assignee", "claimant", "tags", "approval"):
        if key in c:
            out[key] = c[key]
    return out


def _report(claim: dict[str, Any], as_json: bool, message: str) -> None:
    if as_json:
        emit_json(_team_claim(claim))
    else:
        click.echo(message)


# --------------------------------------------------------------------------- accounts


@cli.group("user")
def user_group() -> None:
    """Accounts: once one exists, every reviewer name must be an active account."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["reviewer", "editor", "admin"]))
@PASSWORD_STDIN
@ACTOR
@common
def user_add(db_path: str, as_json: bool, name: str, role: str, password_stdin: bool,
             actor: str | None) -> None:  # fmt: skip
    """Add an account (the first must be an admin; later ones are added by an admin)."""
    password = _read_password(password_stdin)
    db = get_db(db_path)
    user = users.add_user(db, name, role, password, actor=actor)
    if as_json:
        emit_json({k: user[k] for k in ("id", "name", "role", "created_at")})
    else:
        click.echo(f"Account {user['name']} added ({user['role']}).")


@user_group.command("list")
@common
def user_list(db_path: str, as_json: bool) -> None:
    """Every account with its role and whether it is active."""
    found = users.list_users(get_db(db_path))
    if as_json:
        emit_json(found)
        return
    if not found:
        warn("No accounts: anyone may act under any name (add one with `verify user add`).")
    for u in found:
        state = "active" if u["active"] else f"disabled {u['disabled_at']}"
        click.echo(f"{u['name']:<20} {u['role']:<9} {state}")


@user_group.command("passwd")
@click.argument("name")
@PASSWORD_STDIN
@ACTOR
@common
def user_passwd(db_path: str, as_json: bool, name: str, password_stdin: bool,
                actor: str | None) -> None:  # fmt: skip
    """Change NAME's password (its holder or an admin); ends NAME's web sessions."""
    password = _read_password(password_stdin)
    user = users.set_password(get_db(db_path), name, password, actor=actor)
    click.echo(f"Password of {user['name']} changed; their web sessions have ended.")


@user_group.command("disable")
@click.argument("name")
@ACTOR
@common
def user_disable(db_path: str, as_json: bool, name: str, actor: str | None) -> None:
    """Disable an account (admins): it can no longer sign in or act; its sessions end."""
    user = users.disable_user(get_db(db_path), name, actor=actor)
    click.echo(f"Account {user['name']} disabled.")


# --------------------------------------------------------------------------- team workflow


@cli.command("approve")
@click.argument("claim_id", type=int)
@REVIEWER
@common
def approve_cmd(db_path: str, as_json: bool, claim_id: int, reviewer: str) -> None:
    """Approve CLAIM_ID's verdict (an editor who did not give it)."""
    claim = team.approve(get_db(db_path), claim_id, reviewer)
    _report(claim, as_json, f"Claim {claim['id']}: {claim['verdict']} approved by {reviewer}.")


@cli.command("assign")
@click.argument("claim_id", type=int)
@click.argument("name", required=False)
@click.option("--unassign", is_flag=True, help="Take the assignment away.")
@REVIEWER
@common
def assign_cmd(db_path: str, as_json: bool, claim_id: int, name: str | None, unassign: bool,
               reviewer: str) -> None:  # fmt: skip
    """Assign CLAIM_ID to NAME (editors): `verify next` hands it to them first."""
    if unassign == (name is not None):
        raise click.UsageError("give NAME, or --unassign")
    claim = team.assign(get_db(db_path), claim_id, None if unassign else name, reviewer)
    who = claim["assignee"]
    _report(
        claim, as_json, f"Claim {claim['id']} " + (f"assigned to {who}." if who else "unassigned.")
    )


@cli.command("mine")
@REVIEWER
@common
def mine_cmd(db_path: str, as_json: bool, reviewer: str) -> None:
    """The claims assigned or leased to you, most urgent first."""
    found = team.mine(get_db(db_path), reviewer)
    if as_json:
        emit_json([_team_claim(c) for c in found])
        return
    if not found:
        warn(f"Nothing assigned to {reviewer}.")
    for c in found:
        click.echo(claim_line(c))


@cli.command("skip")
@click.argument("claim_id", type=int, required=False)
@REVIEWER
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=team.SKIP_MINUTES,
              show_default=True, help="How long the claim is not handed back to you.")  # fmt: skip
@common
def skip_cmd(
    db_path: str, as_json: bool, claim_id: int | None, reviewer: str, minutes: float
) -> None:
    """Give back the claim you hold; `verify next` will not hand it to you again for a while."""
    claim = team.skip(get_db(db_path), reviewer, claim_id, minutes=minutes)
    _report(claim, as_json, f"Claim {claim['id']} skipped: back in the queue for the others.")


@cli.command("priority")
@click.argument("claim_id", type=int)
@click.argument("priority", type=int)
@REVIEWER
@common
def priority_cmd(db_path: str, as_json: bool, claim_id: int, priority: int, reviewer: str) -> None:
    """Change the priority of an open claim (editors; higher first)."""
    claim = team.set_priority(get_db(db_path), claim_id, priority, reviewer)
    _report(claim, as_json, f"Claim {claim['id']}: priority {claim['priority']}.")


@cli.command("tag")
@click.argument("claim_id", type=int)
@click.argument("tags", nargs=-1)
@click.option("--remove", multiple=True, help="A tag to take off (repeatable).")
@REVIEWER
@common
def tag_cmd(db_path: str, as_json: bool, claim_id: int, tags: tuple[str, ...],
            remove: tuple[str, ...], reviewer: str) -> None:  # fmt: skip
    """Add TAGS to a claim, or --remove them (editors)."""
    claim = team.tag(get_db(db_path), claim_id, tags, reviewer, remove=remove)
    _report(claim, as_json, f"Claim {claim['id']} tags: {', '.join(claim['tags']) or '(none)'}.")


@cli.command("tags")
@common
def tags_cmd(db_path: str, as_json: bool) -> None:
    """Every tag in use, with how many claims carry it."""
    found = team.all_tags(get_db(db_path))
    if as_json:
        emit_json(found)
        return
    for t in found:
        click.echo(f"{t['tag']:<40} {t['claims']}")


@cli.command("comment")
@click.argument("claim_id", type=int)
@click.argument("text")
@REVIEWER
@common
def comment_cmd(db_path: str, as_json: bool, claim_id: int, text: str, reviewer: str) -> None:
    """Add a comment to a claim's thread (shown in its history)."""
    got = team.comment(get_db(db_path), claim_id, text, reviewer)
    if as_json:
        emit_json(got)
    else:
        click.echo(f"Comment added to claim {got['claim_id']}.")


@cli.command("claimant")
@click.argument("claim_id", type=int)
@click.argument("name")
@REVIEWER
@common
def claimant_cmd(db_path: str, as_json: bool, claim_id: int, name: str, reviewer: str) -> None:
    """Who made the claim (ClaimReview's itemReviewed.author); "" forgets it."""
    claim = team.set_claimant(get_db(db_path), claim_id, name, reviewer)
    shown = claim["claimant"] or "(unknown)"
    _report(claim, as_json, f"Claim {claim['id']}: claimant {shown}.")


@cli.command("find")
@click.option("--tag", default=None)
@click.option("--status", default=None)
@click.option("--article", default=None, help="Words of the article's title.")
@click.option("--assignee", default=None, help="An account name, or - for nobody.")
@click.option("--min-score", type=float, default=None)
@click.option("--max-score", type=float, default=None)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@common
def find_cmd(db_path: str, as_json: bool, tag: str | None, status: str | None, article: str | None,
             assignee: str | None, min_score: float | None, max_score: float | None,
             limit: int) -> None:  # fmt: skip
    """Claims by tag, status, article title, assignee and score, in queue order."""
    found = team.find_claims(get_db(db_path), tag=tag, status=status, article=article,
                             assignee=assignee, min_score=min_score, max_score=max_score,
                             limit=limit)  # fmt: skip
    if as_json:
        emit_json([_team_claim(c) for c in found])
        return
    if not found:
        warn("No claims match.")
    for c in found:
        extra = f"  @{c['assignee']}" if c["assignee"] else ""
        extra += f"  #{' #'.join(c['tags'])}" if c["tags"] else ""
        click.echo(claim_line(c) + extra)
