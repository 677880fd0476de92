"""CLI commands: web. Thin: parse options, call the library, print."""

from __future__ import annotations

import errno

import click

from verify.cli.base import cli, common, warn


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
    default=None,
    type=click.IntRange(1, 256),
    help="Worker threads of the waitress server (default 2: the pages are CPU work under one"
    " interpreter lock, and more threads only make requests queue on it).",
)
@click.option(
    "--auth-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File holding the password/token reviewers must give to sign in "
    "(else $VERIFY_WEB_TOKEN or $VERIFY_WEB_PASSWORD).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address or network of a reverse proxy whose X-Forwarded-For/-Proto/-Host headers are"
    " believed (repeatable); from anyone else they are ignored.",
)
@click.option(
    "--public-url",
    "public_urls",
    multiple=True,
    help="The address reviewers reach the UI at, e.g. https://verify.example.org (repeatable);"
    " the server answers only to its host, the loopback names and the address it binds to"
    " (also the archive_url setting). Any other Host header gets 400.",
)
@common
def serve_command(db_path: str, as_json: bool, host: str, port: int, threads: int | None,
                  auth_file: str | None, trusted_proxies: tuple[str, ...],
                  public_urls: tuple[str, ...]) -> None:  # fmt: skip
    """The review web UI (waitress), on http://127.0.0.1:8000 by default."""
    from verify.web import check_bind, load_auth, serve
    from verify.web.app import THREADS, has_accounts_at
    from verify.web.auth import parse_networks
    from verify.web.security import check_public_url

    auth = load_auth(auth_file)
    parse_networks(trusted_proxies)  # a bad address is one error line, before anything starts
    public_urls = tuple(check_public_url(u) for u in public_urls)
    check_bind(host, auth, has_accounts_at(db_path))  # never creates the database
    try:
        serve(db_path, host=host, port=port, threads=threads or THREADS, auth=auth,
              announce=warn, trusted_proxies=trusted_proxies, public_urls=public_urls)  # fmt: skip
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise click.ClickException(
            f"port {port} on {host} is already in use (another `verify serve`?):"
            f" pick another with --port, e.g. --port {port + 1 if port < 65535 else 8001}"
        ) from None
