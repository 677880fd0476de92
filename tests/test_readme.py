"""The README is tested: its worked example runs against a fresh demo database and must print
what the README shows, and its Python API example runs too. So the README cannot drift.

How README output is matched with real output (strict, and small enough to keep in mind):

1. The examples are the fenced blocks of the section "Workflow, a worked example". In a block,
   a line starting with `$ verify` is a command (a line ending in a backslash continues it);
   the lines after it, up to the next line starting with `$ ` or the end of the block, are the
   output the README shows. Blocks with no `$ ` line are not run.
2. The commands run in README order through /bin/sh, in one scratch directory, with
   VERIFY_DB=verify.db; the first one is `verify demo`, which builds that database with its
   sources served from 127.0.0.1. Each command must exit 0. Its stdout and stderr together, in
   the order they were written, are the real output.
3. Both sides are normalised first: `127.0.0.1:<port>` becomes `127.0.0.1:PORT`, ISO-8601
   timestamps become `TIME`, every run of white space becomes one space, and leading and
   trailing white space goes.
4. Every line of README output must equal a line of the real output, and in the same order.
   Real lines the README leaves out are allowed (the README trims). A README line ending in
   ` ...` stands for a real line that starts with the text before the ` ...` (a long line cut
   short). A README line that is only `...` marks lines left out and matches nothing itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WORKFLOW = "Workflow, a worked example"
ELIDED = "..."

_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_SPACE = re.compile(r"\s+")


@dataclass
class Example:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0  # in README.md, for messages


def section(text: str, title: str) -> tuple[str, int]:
    """The body of the `## title` section of a Markdown text and the line it starts on."""
    lines = text.splitlines()
    start = lines.index(f"## {title}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]), start + 1


def fenced_blocks(text: str, first_line: int = 1) -> list[tuple[str, list[tuple[int, str]]]]:
    """(info string, [(line number, line), ...]) of every fenced ``` block."""
    blocks, current, info = [], None, ""
    for n, line in enumerate(text.splitlines(), first_line):
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                blocks.append((info, current))
                current = None
        elif current is not None:
            current.append((n, line))
    return blocks


def examples(text: str, first_line: int = 1) -> list[Example]:
    """The `$ verify ...` commands of the fenced blocks and the output shown after each."""
    found: list[Example] = []
    for _info, lines in fenced_blocks(text, first_line):
        current: Example | None = None
        continued = False
        for n, line in lines:
            if continued and current is not None:
                current.command += "\n" + line
                continued = line.endswith("\\")
            elif line.startswith("$ "):
                current = None
                if line[2:].startswith("verify"):
                    current = Example(line[2:], line=n)
                    found.append(current)
                    continued = line.endswith("\\")
            elif current is not None:
                current.expected.append(line)
    return found


def normalise(line: str) -> str:
    line = _PORT.sub("127.0.0.1:PORT", line)
    line = _TIME.sub("TIME", line)
    return _SPACE.sub(" ", line).strip()


def mismatch(expected: list[str], actual: str) -> str | None:
    """None when every expected line matches a real line, in order (rule 4); otherwise which
    README line was not found."""
    real = [normalise(x) for x in actual.splitlines()]
    at = 0
    for shown in expected:
        want = normalise(shown)
        if not want or want == ELIDED:
            continue
        prefix = want[: -len(ELIDED)].rstrip() if want.endswith(" " + ELIDED) else None
        while at < len(real) and not (
            real[at] == want if prefix is None else real[at].startswith(prefix)
        ):
            at += 1
        if at == len(real):
            return f"README line not in the output (in this order): {shown.strip()!r}"
        at += 1
    return None


def shell_env(workdir: Path) -> dict[str, str]:
    """An environment where `verify` is this checkout's CLI run by this interpreter."""
    bindir = workdir / ".bin"
    bindir.mkdir()
    script = bindir / "verify"
    script.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -c "from verify.cli import main; main()" "$@"\n'
    )
    script.chmod(0o755)
    env = dict(os.environ)
    env.update(
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        VERIFY_DB="verify.db",
        COLUMNS="200",
    )
    for name in ("VERIFY_ALLOW_HOSTS", "VERIFY_REVIEWER", "VERIFY_DEBUG"):
        env.pop(name, None)
    return env


def scratch(tmp_path: Path) -> Path:
    """A working directory that sees the repository's docs/ (example files live there)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    return work


# --------------------------------------------------------------------------- the harness itself


def test_examples_are_read_from_fenced_blocks():
    text = (
        "intro\n```\n$ verify one --x \\\n    --y 2\nout 1\n\n$ ls\nnot verify\n"
        "$ verify two\n...\nout 2\n```\n```python\nverify = 1\n```\n```\nverify three\n```\n"
    )
    found = examples(text)
    assert [(e.command, e.expected, e.line) for e in found] == [
        ("verify one --x \\\n    --y 2", ["out 1", ""], 3),
        ("verify two", ["...", "out 2"], 9),
    ]


def test_matching_is_in_order_and_strict():
    actual = (
        "Claim 12 is leased to ana until 2026-11-29T02:48:00.773006Z:\n"
        "  source: http://127.0.0.1:39009/press/a.html\n"
        "extra line\n"
        "   2.38  snapshot 3 [74:216] a long passage that goes on\n"
    )
    ok = [
        "Claim 12 is leased to ana until 2026-01-01T00:00:00Z:",
        "...",
        "source:   http://127.0.0.1:8000/press/a.html",
        "2.38 snapshot 3 [74:216] a long ...",
    ]
    assert mismatch(ok, actual) is None
    assert mismatch(["extra line", "Claim 12 is leased ..."], actual)  # order matters
    assert mismatch(["Claim 13 is leased ..."], actual)  # the text before ... must match
    assert mismatch(["2.38 snapshot 3 [74:216] a long"], actual)  # whole lines, unless ...
    assert mismatch(["source: http://127.0.0.1:8000/press/b.html"], actual)


# --------------------------------------------------------------------------- the README


def test_the_readme_has_a_worked_example_that_starts_with_the_demo():
    body, first = section(README.read_text(encoding="utf-8"), WORKFLOW)
    found = examples(body, first)
    assert found and found[0].command.split() == ["verify", "demo"]
    assert len(found) >= 8 and all(e.expected for e in found[1:])


@pytest.mark.slow
def test_readme_worked_example_prints_what_the_readme_shows(tmp_path):
    body, first = section(README.read_text(encoding="utf-8"), WORKFLOW)
    work = scratch(tmp_path)
    env = shell_env(tmp_path)
    for example in examples(body, first):
        done = subprocess.run(
            ["/bin/sh", "-c", example.command],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        where = f"README.md line {example.line}: $ {example.command}"
        assert done.returncode == 0, f"{where}\nexit {done.returncode}\n{done.stdout}"
        problem = mismatch(example.expected, done.stdout)
        assert problem is None, f"{where}\n{problem}\nreal output:\n{done.stdout}"


@pytest.mark.slow
def test_readme_python_api_example_runs(tmp_path):
    from verify.demo import run_demo

    body, first = section(README.read_text(encoding="utf-8"), "Python API")
    blocks = [lines for info, lines in fenced_blocks(body, first) if info == "python"]
    assert len(blocks) == 1
    code = "\n".join(line for _, line in blocks[0])
    work = scratch(tmp_path)
    run_demo(str(work / "verify.db"))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env=shell_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
