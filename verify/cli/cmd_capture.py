"""CLI commands: capture. Thin: parse options, call the library, print."""

from __future__ import annotations

import sys
import time
from typing import Any
from urllib.parse import urlsplit

import click

from verify.cli.base import ACTOR_OPTION, check_actor, cli, common, emit_json, get_db, warn


class _ProgressBar:
    """One self-rewriting line on stderr (only when stderr is a terminal)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = 0

    def __call__(self, p) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = p.done / elapsed
        eta = (p.total - p.done) / rate if rate > 0 else 0.0
        filled = int(20 * p.done / max(p.total, 1))
        line = (
            f"[{'#' * filled}{'.' * (20 - filled)}] {p.done}/{p.total} fetched {p.fetched}"
            f" failed {p.failed}  {rate:.1f}/s  ETA {_duration(eta)}"
        )
        if p.workers is not None:
            line += f"  workers {p.workers}"
        self.width = max(self.width, len(line))
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def change_lines(sources: Any, claims: Any) -> list[str]:
    """One line per changed source and per claim whose quoted evidence changed, each with the
    command that shows it."""
    out = [
        f"changed: source {c['source_id']} {c['url']} (snapshot {c['previous_id']} -> "
        f"{c['snapshot_id']}; `verify snapshot diff {c['previous_id']} {c['snapshot_id']}`)"
        for c in sources
    ]
    out += [
        f"evidence changed: claim {c['claim_id']} (source {c['source_id']})"
        + (", reopened: back in the queue" if c["reopened"] else "")
        + f"; `verify history {c['claim_id']}`"
        for c in claims
    ]
    return out


@cli.command("fetch")
@click.option("--claim", "claim_id", type=int, help="Only this claim's sources.")
@click.option(
    "--article", "article_id", type=int, help="Only the sources of this article's claims."
)
@click.option(
    "--refetch",
    is_flag=True,
    help="Capture every selected source again, not only new and failed ones; say what changed.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Fetches at once.",
)
@click.option(
    "--per-host",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Fetches at once to one host.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Seconds between two requests to one host.",
)
@click.option(
    "--ignore-robots", is_flag=True, help="Do not honour robots.txt (the decision is recorded)."
)
@click.option(
    "--allow-host",
    multiple=True,
    metavar="HOST",
    help="Let a non-public host through (repeatable; also VERIFY_ALLOW_HOSTS).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=20 * 2**20,
    show_default=True,
    help="Cap on received and on decoded bytes per source.",
)
@click.option(
    "--timeout",
    "deadline",
    type=click.FloatRange(0.1),
    default=60.0,
    show_default=True,
    help="Deadline per fetch attempt, seconds.",
)
@click.option(
    "--mode",
    type=click.Choice(["static", "browser", "auto"]),
    default=None,
    help="static: one GET; browser: also render in headless Chromium; auto: browser when the"
    " static text is thin or the page is an app shell. [default: `verify config capture_mode`, auto]",
)
@click.option(
    "--recover/--no-recover",
    "recover_gone",
    default=None,
    help="Then look up gone or failed sources in web archives (default: `verify config recover`).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run the fetches on the Dask scheduler at ADDRESS (tcp://HOST:8786; `local`: here);"
    " this process stores every result. [default: VERIFY_CLUSTER, `verify config cluster`]",
)
@ACTOR_OPTION
@common
def fetch_cmd(
    actor: str | None,
    recover_gone: bool | None,
    cluster: str | None,
    claim_id: int | None,
    article_id: int | None,
    refetch: bool,
    concurrency: int,
    per_host: int,
    delay: float,
    ignore_robots: bool,
    allow_host: tuple[str, ...],
    max_bytes: int,
    deadline: float,
    mode: str | None,
    db_path: str,
    as_json: bool,
) -> None:
    """Snapshot the sources never fetched or whose last capture failed (all with --refetch)."""
    from verify.capture.engine import CaptureSummary
    from verify.capture.policy import capture_options, run_capture

    db = get_db(db_path)
    actor = check_actor(db, actor, "capture")
    options = capture_options(
        db,
        actor=actor,
        mode=mode,
        recover=recover_gone,
        refetch=refetch,
        concurrency=concurrency,
        per_host=per_host,
        delay=delay,
        allow_hosts=allow_host,
        ignore_robots=ignore_robots,
        max_bytes=max_bytes,
        deadline=deadline,
        cluster=cluster,
    )
    bar = _ProgressBar()
    blocked: dict[str, int] = {}  # host -> sources refused by the network guard

    def progress(p: Any) -> None:
        if p.error == "blocked_address":
            host = urlsplit(p.url).hostname or p.url
            blocked[host] = blocked.get(host, 0) + 1
        bar(p)

    started = time.monotonic()

    def captured(summary: CaptureSummary) -> None:
        bar.finish()
        for note in summary.notes:
            warn(note)
        elapsed = time.monotonic() - started
        if as_json:
            out: dict[str, Any] = {
                "fetched": summary.fetched,
                "failed": summary.failed,
                "unchanged": summary.unchanged,
                "changed": summary.changed,
                "changed_sources": list(summary.changed_sources),
                "reopened_claims": list(summary.reopened_claims),
            }
            if options.cluster is not None:
                out["cluster"] = options.cluster
                out["workers"] = summary.workers
            emit_json(out)
        for line in change_lines(summary.changed_sources, summary.reopened_claims):
            warn(line)
        if summary.total == 0:
            warn(
                "nothing to fetch: every selected source has a snapshot and none failed"
                " (use --refetch to capture them all again)"
            )
            return
        rate = summary.total / elapsed if elapsed > 0 else 0.0
        line = f"fetched {summary.fetched}, failed {summary.failed}"
        if refetch:
            line += f" (unchanged {summary.unchanged}, changed {summary.changed})"
        if options.cluster is not None:
            line += f" on {summary.workers} cluster worker(s) at {options.cluster}"
        warn(
            f"{line} in {elapsed:.1f} s ({rate:.1f}/s)"
            + ("; see `verify sources` for the failures" if summary.failed else "")
        )
        if blocked:
            hosts = sorted(blocked)
            count = sum(blocked.values())
            warn(
                f"{count} source{'' if count == 1 else 's'} refused: {', '.join(hosts[:5])}"
                f"{' ...' if len(hosts) > 5 else ''} is a local or private address; to fetch"
                f" {'it' if len(hosts) == 1 else 'them'}, run again with"
                f" {' '.join('--allow-host ' + h for h in hosts[:5])} (or VERIFY_ALLOW_HOSTS)"
            )

    try:
        report = run_capture(
            db,
            options,
            claim_id=claim_id,
            article_id=article_id,
            progress=progress,
            on_captured=captured,
        )
    finally:
        bar.finish()
    if report.recovery is not None:
        recovery = report.recovery
        warn(
            f"recovered {recovery.recovered} from web archives, not archived"
            f" {recovery.not_found}, failed {recovery.failed}"
        )
    if report.failed:
        sys.exit(1)


@cli.command("sources")
@click.option("--claim", "claim_id", type=int, help="Only this claim's sources.")
@click.option("--state", help="Only sources in this state (ok, gone, dead, ...).")
@common
def sources_cmd(claim_id: int | None, state: str | None, db_path: str, as_json: bool) -> None:
    """Sources with the state of their latest live snapshot."""
    from verify.capture.engine import list_sources

    found = list_sources(get_db(db_path), claim_id=claim_id, state=state)
    if as_json:
        emit_json(found)
        return
    for s in found:
        detail = s["error"] or (str(s["status"]) if s["status"] is not None else "")
        memento = (
            f"  (memento: snapshot {s['recovered_snapshot_id']})"
            if s.get("recovered_snapshot_id")
            else ""
        )
        click.echo(f"{s['id']:>5}  {s['state']:<8} {detail:<16} {s['url']}{memento}")


@cli.command("snapshots")
@click.option("--source", "source_id", type=int, help="Only this source's snapshots.")
@common
def snapshots_cmd(source_id: int | None, db_path: str, as_json: bool) -> None:
    """Snapshot records (no payload)."""
    from verify.capture.engine import list_snapshots

    found = list_snapshots(get_db(db_path), source_id=source_id)
    if as_json:
        emit_json(found)
        return
    for s in found:
        outcome = s["error"] or str(s["status"])
        change = {None: "", 0: "unchanged", 1: "changed"}[s["changed"]]
        click.echo(
            f"{s['id']:>5}  src {s['source_id']:<5} {s['fetched_at'][:19]}  {outcome:<14} {change:<9} {s['url']}"
        )


@cli.group("snapshot")
def snapshot_group() -> None:
    """Show one snapshot, or diff two."""


@snapshot_group.command("show")
@click.argument("snapshot_id", type=int)
@click.option("--text", "part", flag_value="text", help="The readable text.")
@click.option("--html", "part", flag_value="html", help="The body as received (decoded).")
@click.option(
    "--headers", "part", flag_value="headers", help="Status line and response headers as received."
)
@common
def snapshot_show(snapshot_id: int, part: str | None, db_path: str, as_json: bool) -> None:
    """One snapshot: its record, or its text, body or headers."""
    from verify.capture.engine import get_snapshot, snapshot_body

    db = get_db(db_path)
    snap = get_snapshot(db, snapshot_id)
    if part == "text":
        click.echo(snap["text"] or "")
    elif part == "html":
        body = snapshot_body(db, snapshot_id)
        from verify.text.extract import decode_bytes

        click.echo(decode_bytes(body, snap["content_type"])[0])
    elif part == "headers":
        click.echo(
            f"{snap['http_version'] or 'HTTP'} {snap['status'] if snap['status'] is not None else '-'}"
        )
        for name, value in snap["headers"]:
            click.echo(f"{name}: {value}")
    elif as_json:
        emit_json(snap)
    else:
        for key in (
            "id",
            "source_id",
            "requested_url",
            "final_url",
            "ip_address",
            "status",
            "error",
            "error_message",
            "fetched_at",
            "elapsed_ms",
            "attempts",
            "robots",
            "content_type",
            "charset",
            "sha256",
            "size",
            "body_size",
            "title",
            "canonical_url",
            "published",
            "changed",
            "previous_id",
            "mode",
            "resources",
            "origin",
            "archive_name",
            "memento_url",
            "memento_datetime",
            "original_url",
            "memento_relation",
            "archive_digest",
            "digest_mismatch",
        ):
            if snap.get(key) is not None:
                click.echo(f"{key}: {snap[key]}")
        from verify.webarchives.recover import archive_label

        if archive_label(snap):
            click.echo(f"archived: {archive_label(snap)}")
        if snap.get("screenshot"):
            click.echo(f"screenshot: yes (verify snapshot screenshot {snap['id']} -o FILE.png)")
        for hop in snap["redirects"]:
            click.echo(f"redirect: {hop['status']} {hop['url']} -> {hop['location']}")


@snapshot_group.command("diff")
@click.argument("a", type=int)
@click.argument("b", type=int)
@common
def snapshot_diff(a: int, b: int, db_path: str, as_json: bool) -> None:
    """What changed in the readable text between snapshots A and B."""
    from verify.capture.engine import diff_snapshots

    diff = diff_snapshots(get_db(db_path), a, b)
    if as_json:
        emit_json({"a": a, "b": b, "diff": diff, "changed": bool(diff)})
        return
    if diff:
        click.echo(diff)
    else:
        warn(f"no difference in the readable text of snapshots {a} and {b}")
