"""CLI commands: web. Thin: parse options, call the library, print."""

from __future__ import annotations

import click  # noqa: F401

from . import cli, common, emit_json, get_db, warn  # noqa: F401
