"""The command line is a contract: every command's `--help` is compared with a golden copy taken
before the package tree moved. An intended change to the command line regenerates the copy with
`python tests/test_cli_help.py` and shows up in review as a diff of tests/golden/help.txt."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from verify.cli import cli

GOLDEN = Path(__file__).parent / "golden" / "help.txt"


def _walk(command: click.Command, path: list[str]):
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], [*path, name])


def help_tree() -> str:
    """Every command's --help, in a stable order, at a fixed terminal width."""
    runner = CliRunner()
    parts = []
    for path in _walk(cli, []):
        result = runner.invoke(cli, [*path, "--help"], terminal_width=100, prog_name="verify")
        assert result.exit_code == 0, (path, result.output)
        parts.append(f"=== verify {' '.join(path)}\n{result.output}")
    return "\n".join(parts)


def test_every_help_page_matches_the_golden_copy():
    expected = GOLDEN.read_text(encoding="utf-8")
    actual = help_tree()
    if actual != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), "golden", "now", n=1
            )
        )
        raise AssertionError(f"verify --help changed:\n{diff[:6000]}")


def test_the_golden_copy_covers_every_command():
    text = GOLDEN.read_text(encoding="utf-8")
    for path in _walk(cli, []):
        assert f"=== verify {' '.join(path)}\n" in text


if __name__ == "__main__":
    GOLDEN.write_text(help_tree(), encoding="utf-8")
    sys.stdout.write(f"wrote {GOLDEN}\n")
