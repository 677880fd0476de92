"""The `verify` command line: a thin click shell over the library. The only place that prints
or exits. The group and shared options are in base.py; commands live in the cmd_*.py modules
beside it, import from base.py (never from this package, which imports them) and register on
`cli`."""

from __future__ import annotations

from verify.cli.base import cli, common, emit_json, get_db, main, one_line, warn

__all__ = ["cli", "common", "emit_json", "get_db", "main", "one_line", "warn"]

# Command modules register themselves on `cli` when imported.
from verify.cli import (  # noqa: E402,F401
    cmd_archive,
    cmd_articles,
    cmd_browser,
    cmd_capture,
    cmd_review,
    cmd_similar,
    cmd_team,
    cmd_web,
)
