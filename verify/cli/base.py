"""The click group, the options every command shares, and the one place where library
errors become an `Error: ...` line and an exit code. Command modules (cmd_*.py) import from
here and register on `cli`; the package __init__ imports them."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import click

from verify import __version__
from verify.errors import VerifyError
from verify.store import default_db_path, open_db


class VerifyGroup(click.Group):
    """Turns library errors into one `Error: ...` line and exit 1; usage errors into exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("standalone_mode", True)
        try:
            return super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except VerifyError as exc:
            click.echo(f"Error: {one_line(str(exc))}", err=True)
            sys.exit(1)
        except sqlite3.OperationalError as exc:
            if os.environ.get("VERIFY_DEBUG"):
                raise
            click.echo(f"Error: database: {one_line(str(exc))}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo(
                "Error: interrupted (everything stored so far is kept; run the command again to finish)",
                err=True,
            )
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(1)
        except Exception as exc:  # the contract: never a traceback
            if os.environ.get("VERIFY_DEBUG"):
                raise
            click.echo(
                f"Error: internal error: {type(exc).__name__}: {one_line(str(exc))} (set VERIFY_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(1)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 claim`, `2 claims` (`many` for nouns whose plural is not noun + s)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def one_line(text: str) -> str:
    return " ".join(text.split())


DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file (default: $VERIFY_DB or ./verify.db).",
)


JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output on stdout."
)


@click.group(cls=VerifyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="verify")
@DB_OPTION
@JSON_OPTION
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, as_json: bool) -> None:
    """verify: track claims, snapshot their sources, and review them."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path
    ctx.obj["as_json"] = as_json


ACTOR_OPTION = click.option(
    "--reviewer",
    "-r",
    "actor",
    default=None,
    envvar="VERIFY_REVIEWER",
    help="Who makes this change ($VERIFY_REVIEWER); once the archive has accounts, your account.",
)


def check_actor(db: Any, actor: str | None, action: str) -> str | None:
    """The actor of a change to the archive: anyone without accounts, else an active account
    whose role allows `action` (one `Error:` line otherwise, before anything is written)."""
    from verify.review.accounts import authorize

    actor = " ".join(actor.split()) if actor else None
    authorize(db, actor, action)
    return actor or None


def common(func: Callable) -> Callable:
    """Adds `--db` and `--json` to a command, and passes `db_path` and `as_json`.
    Both work before the command (`verify --json --db x claims`) and after it."""

    @DB_OPTION
    @JSON_OPTION
    @functools.wraps(func)
    def wrapper(
        *args: Any, db_path: str | None = None, as_json: bool = False, **kwargs: Any
    ) -> Any:
        ctx = click.get_current_context()
        root = ctx.find_root().obj or {}
        path = db_path or root.get("db_path") or default_db_path()
        return func(*args, db_path=path, as_json=as_json or root.get("as_json", False), **kwargs)

    return wrapper


def get_db(db_path: str):
    """Open the archive (creating and migrating it on first use)."""
    return open_db(db_path)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=None, default=str))


def warn(message: str) -> None:
    click.echo(message, err=True)


def main() -> None:
    cli(prog_name="verify")
