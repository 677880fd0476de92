"""CLI commands: what a browser capture kept (screenshot, subresources). Thin over replay.py."""

from __future__ import annotations

from pathlib import Path

import click

from verify.cli.base import common, emit_json, get_db, warn
from verify.cli.cmd_capture import snapshot_group


@snapshot_group.command("screenshot")
@click.argument("snapshot_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the PNG.",
)
@common
def snapshot_screenshot(snapshot_id: int, output: str, db_path: str, as_json: bool) -> None:
    """Write a browser snapshot's full-page screenshot (PNG)."""
    from verify.capture.replay import browser_capture, screenshot
    from verify.errors import InputError

    db = get_db(db_path)
    png = screenshot(db, snapshot_id)
    try:
        Path(output).write_bytes(png)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from exc
    found = browser_capture(db, snapshot_id) or {}
    size = f"{found.get('screenshot_width')}x{found.get('screenshot_height')}"
    if as_json:
        emit_json({"snapshot_id": snapshot_id, "path": output, "bytes": len(png), "size": size})
    else:
        warn(f"wrote {output} ({size} px, {len(png)} bytes)")


@snapshot_group.command("resources")
@click.argument("snapshot_id", type=int)
@common
def snapshot_resources(snapshot_id: int, db_path: str, as_json: bool) -> None:
    """The subresources a browser snapshot's page loaded (or was refused)."""
    from verify.capture.replay import list_resources

    found = list_resources(get_db(db_path), snapshot_id)
    if as_json:
        emit_json(found)
        return
    if not found:
        warn(f"snapshot {snapshot_id} has no subresources (a static capture, or none loaded)")
    for r in found:
        outcome = r["error"] or (str(r["status"]) if r["status"] is not None else "-")
        size = "" if r["size"] is None else str(r["size"])
        click.echo(
            f"{r['id']:>6}  {(r['resource_type'] or '-'):<11} {outcome:<16} {size:>9}  {r['url']}"
        )
