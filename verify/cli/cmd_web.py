"""CLI commands: web. Thin: parse options, call the library, print."""

from __future__ import annotations

import click

from .base import cli, common, warn


@cli.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback needs authentication.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker threads of the waitress server.",
)
@click.option(
    "--auth-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File holding the password/token reviewers must give to sign in "
    "(else $VERIFY_WEB_TOKEN or $VERIFY_WEB_PASSWORD).",
)
@common
def serve_command(
    db_path: str, as_json: bool, host: str, port: int, threads: int, auth_file: str | None
) -> None:
    """The review web UI (waitress), on http://127.0.0.1:8000 by default."""
    from ..web import check_bind, load_auth, serve

    auth = load_auth(auth_file)
    check_bind(host, auth)  # refuse before touching the database
    serve(db_path, host=host, port=port, threads=threads, auth=auth, announce=warn)
