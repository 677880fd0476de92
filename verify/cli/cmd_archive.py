"""CLI commands: when a source is gone (recover from web archives, the link-rot watch, Save Page
Now). Thin: parse options, call the library, print."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from verify.cli.base import ACTOR_OPTION, check_actor, cli, common, emit_json, get_db, warn


def network_options(func):
    func = click.option(
        "--allow-host",
        multiple=True,
        metavar="HOST",
        help="Let a non-public host through (repeatable; also VERIFY_ALLOW_HOSTS).",
    )(func)
    func = click.option(
        "--timeout",
        "deadline",
        type=click.FloatRange(0.1),
        default=40.0,
        show_default=True,
        help="Deadline per request, seconds.",
    )(func)
    return func


def fetch_options(allow_host: tuple[str, ...], deadline: float, retries: int = 1):
    from verify.capture.fetch import FetchOptions
    from verify.capture.netguard import merge_allow_hosts

    return FetchOptions(
        allow_hosts=merge_allow_hosts(allow_host),
        retries=retries,
        deadline=deadline,
        read_timeout=min(20.0, deadline),
        connect_timeout=min(10.0, deadline),
    )


def print_recovery(summary, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
    else:
        for r in summary.results:
            if r.outcome == "recovered":
                mark = " (after the reference date)" if r.relation == "after" else ""
                mismatch = "; digest differs from the archive's index" if r.digest_mismatch else ""
                click.echo(
                    f"{r.source_id:>5}  recovered  {r.memento_datetime[:10]} {r.archive}{mark}"
                    f"{mismatch}  snapshot {r.snapshot_id}  {r.url}"
                )
            elif r.outcome not in ("live", "already") or len(summary.results) <= 20:
                click.echo(f"{r.source_id:>5}  {r.outcome:<9}  {r.message or ''}  {r.url}")
    warn(
        f"recovered {summary.recovered}, not archived {summary.not_found}, failed {summary.failed},"
        f" skipped {summary.skipped}, nothing to do {summary.live}"
    )


@cli.command("recover")
@click.option(
    "--source", "source_ids", type=int, multiple=True, help="Only this source (repeatable)."
)
@click.option("--claim", "claim_id", type=int, help="Only this claim's sources.")
@click.option(
    "--article", "article_id", type=int, help="Only the sources of this article's claims."
)
@click.option("--again", is_flag=True, help="Look up sources recovered already, too.")
@click.option(
    "--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
    help="Sources looked up at once.",
)  # fmt: skip
@click.option(
    "--per-host", type=click.IntRange(1, 64), default=16, show_default=True,
    help="Requests at once to one archive.",
)  # fmt: skip
@network_options
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run the look-ups on the Dask scheduler at ADDRESS (tcp://HOST:8786; `local`: here)."
    " [default: VERIFY_CLUSTER, `verify config cluster`]",
)
@ACTOR_OPTION
@common
def recover_cmd(
    actor: str | None,
    cluster: str | None,
    source_ids: tuple[int, ...],
    claim_id: int | None,
    article_id: int | None,
    again: bool,
    concurrency: int,
    per_host: int,
    allow_host: tuple[str, ...],
    deadline: float,
    db_path: str,
    as_json: bool,
) -> None:
    """Capture the best web-archive memento of every source that is gone, failed or unknown:
    the closest one before the article's date (VERIFY_WAYBACK_URL, then `verify config archives`)."""
    from verify.capture.policy import cluster_address, connected
    from verify.webarchives.recover import RecoverOptions, recover

    db = get_db(db_path)
    actor = check_actor(db, actor, "recover")
    # no extraction processes: bench/recover.py measured them slower here (their start-up and
    # hand-over cost more than the text extraction they move off the GIL)
    options = RecoverOptions(
        concurrency=concurrency,
        per_host=per_host,
        again=again,
        fetch=fetch_options(allow_host, deadline),
        actor=actor,
    )
    with connected(cluster_address(db, cluster)) as executor:
        summary = recover(
            db,
            claim_id=claim_id,
            source_ids=list(source_ids) or None,
            article_id=article_id,
            options=replace(options, executor=executor),
        )
    print_recovery(summary, as_json)
    if summary.failed:
        sys.exit(1)


@cli.command("watch")
@click.option(
    "--now",
    "at",
    metavar="ISO-TIME",
    help="Check as if it were this moment (UTC), e.g. 2026-12-01T00:00:00Z (for tests and replays).",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
    help="Fetches at once.",
)  # fmt: skip
@click.option(
    "--per-host", type=click.IntRange(1, 64), default=2, show_default=True,
    help="Fetches at once to one host.",
)  # fmt: skip
@network_options
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run the checks on the Dask scheduler at ADDRESS (tcp://HOST:8786; `local`: here)."
    " [default: VERIFY_CLUSTER, `verify config cluster`]",
)
@ACTOR_OPTION
@common
def watch_cmd(
    actor: str | None,
    cluster: str | None,
    at: str | None,
    concurrency: int,
    per_host: int,
    allow_host: tuple[str, ...],
    deadline: float,
    db_path: str,
    as_json: bool,
) -> None:
    """Re-check the sources that are due (working ones weekly, failing ones every 3 days); a
    source is dead after 3 failed checks at least 3 days apart. Cheap when nothing is due: run
    it from cron."""
    from verify.capture.engine import CaptureOptions
    from verify.capture.policy import cluster_address
    from verify.webarchives.watch import WatchOptions, parse_moment, watch

    db = get_db(db_path)
    actor = check_actor(db, actor, "watch")
    options = WatchOptions(
        actor=actor,
        capture=CaptureOptions(
            concurrency=concurrency,
            per_host=per_host,
            fetch=fetch_options(allow_host, deadline, retries=2),
            cluster=cluster_address(db, cluster),
        ),
    )
    summary = watch(db, at=parse_moment(at) if at else None, options=options)
    if as_json:
        emit_json(summary.as_dict())
    else:
        for c in summary.checks:
            if c.before != c.after:
                click.echo(f"{c.source_id:>5}  {c.before} -> {c.after}  {c.url}")
            for claim_id in c.flagged_claims:
                click.echo(
                    f"       evidence changed: claim {claim_id} (source {c.source_id});"
                    f" `verify history {claim_id}`"
                )
    warn(
        f"checked {summary.checked} due sources: {summary.changed} changed state,"
        f" {summary.dead} dead"
        if summary.due
        else "nothing is due"
    )


@cli.command("save")
@click.option(
    "--source", "source_ids", type=int, multiple=True, help="Only this source (repeatable)."
)
@click.option(
    "--per-minute", type=click.FloatRange(0.1, 12), default=4.0, show_default=True,
    help="Save requests a minute at most.",
)  # fmt: skip
@click.option(
    "--recent-days", type=click.FloatRange(0), default=30.0, show_default=True,
    help="A copy newer than this is recent enough.",
)  # fmt: skip
@network_options
@ACTOR_OPTION
@common
def save_cmd(
    actor: str | None,
    source_ids: tuple[int, ...],
    per_minute: float,
    recent_days: float,
    allow_host: tuple[str, ...],
    deadline: float,
    db_path: str,
    as_json: bool,
) -> None:
    """Ask the Internet Archive's Save Page Now to archive live sources it has no recent copy
    of (opt-in; key from VERIFY_SPN_KEY when set; a few requests a minute)."""
    from verify.webarchives.save import SaveOptions, save

    db = get_db(db_path)
    actor = check_actor(db, actor, "save")
    options = SaveOptions(
        per_minute=per_minute,
        recent_days=recent_days,
        fetch=fetch_options(allow_host, deadline, retries=0),
        actor=actor,
    )
    summary = save(
        db,
        source_ids=list(source_ids) or None,
        options=options,
        progress=lambda r: warn(f"{r.source_id:>5}  {r.outcome:<8} {r.url}"),
    )
    if as_json:
        emit_json(summary.as_dict())
    else:
        for r in summary.results:
            click.echo(
                f"{r.source_id:>5}  {r.outcome:<8} {r.memento_url or r.message or ''}  {r.url}"
            )
    warn(
        f"saved {summary.saved}, already recent {summary.recent}, refused {summary.refused},"
        f" failed {summary.failed}"
        + ("; stopped after repeated refusals: run again later" if summary.stopped else "")
    )
    if summary.failed or summary.refused:
        sys.exit(1)
