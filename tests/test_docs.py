"""The manual is tested: the `$ verify` blocks of its tutorial and of its worked example run
and must print what the pages show, its Python API example runs, its command reference and
settings page name everything the code has, and the whole manual builds with
`mkdocs build --strict`. So the manual cannot drift.

How page output is matched with real output (strict, and small enough to keep in mind):

1. The examples are the fenced blocks of a page (docs/tutorial.md, docs/workflow.md). In a
   block, a line starting with `$ verify` is a command (a line ending in a backslash continues
   it); the lines after it, up to the next line starting with `$ ` or the end of the block, are
   the output the page shows. Blocks with no `$ ` line are not run.
2. The commands run in page order through /bin/sh, in one scratch directory, with
   VERIFY_DB=verify.db. For the worked example the first one is `verify demo`, which builds
   that database with its sources served from 127.0.0.1; for the tutorial, the test serves
   docs/tutorial/site on 127.0.0.1 and sets INTRANET to its address, as the page tells a reader
   to. Each command must exit 0. Its stdout and stderr together, in the order they were
   written, are the real output.
3. Both sides are normalised first: `127.0.0.1:<port>` becomes `127.0.0.1:PORT`, ISO-8601
   timestamps become `TIME`, every run of white space becomes one space, and leading and
   trailing white space goes.
4. Every line of page output must equal a line of the real output, and in the same order.
   Real lines the page leaves out are allowed (the page trims). A page line ending in ` ...`
   stands for a real line that starts with the text before the ` ...` (a long line cut short).
   A page line that is only `...` marks lines left out and matches nothing itself.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
WORKFLOW = DOCS / "workflow.md"
TUTORIAL = DOCS / "tutorial.md"
PYTHON_API = DOCS / "python-api.md"
ELIDED = "..."

_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_SPACE = re.compile(r"\s+")


@dataclass
class Example:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0  # in the page, for messages


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
    page line was not found."""
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
            return f"page line not in the output (in this order): {shown.strip()!r}"
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


# --------------------------------------------------------------------------- pages that run


def run_examples(page: Path, work: Path, env: dict[str, str]) -> None:
    text = page.read_text(encoding="utf-8")
    for example in examples(text):
        done = subprocess.run(
            ["/bin/sh", "-c", example.command],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        where = f"{page.relative_to(ROOT)} line {example.line}: $ {example.command}"
        assert done.returncode == 0, f"{where}\nexit {done.returncode}\n{done.stdout}"
        problem = mismatch(example.expected, done.stdout)
        assert problem is None, f"{where}\n{problem}\nreal output:\n{done.stdout}"


def test_the_worked_example_starts_with_the_demo():
    found = examples(WORKFLOW.read_text(encoding="utf-8"))
    assert found and found[0].command.split() == ["verify", "demo"]
    assert len(found) >= 8 and all(e.expected for e in found[1:])


def test_the_tutorial_covers_the_first_hour():
    text = TUTORIAL.read_text(encoding="utf-8")
    commands = [e.command for e in examples(text)]
    assert commands[0].startswith("verify ingest ") and len(commands) >= 12
    for needed in ("--allow-host", "--reviewer", "--stance unavailable", "verify verdict"):
        assert any(needed in c for c in commands), needed
    assert "gone" in text and "paywall" in text


@pytest.mark.slow
def test_worked_example_prints_what_the_page_shows(tmp_path):
    run_examples(WORKFLOW, scratch(tmp_path), shell_env(tmp_path))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def intranet() -> Iterator[str]:
    """docs/tutorial/site served on 127.0.0.1 (port 0), as the tutorial tells a reader to."""
    handler = partial(_QuietHandler, directory=str(DOCS / "tutorial" / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_tutorial_prints_what_the_page_shows(tmp_path, intranet):
    env = shell_env(tmp_path)
    env["INTRANET"] = intranet
    run_examples(TUTORIAL, scratch(tmp_path), env)


@pytest.mark.slow
def test_python_api_example_runs(tmp_path):
    from verify.demo.run import run_demo

    text = PYTHON_API.read_text(encoding="utf-8")
    blocks = [lines for info, lines in fenced_blocks(text) if info == "python"]
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


# --------------------------------------------------------------------------- the README


def test_the_readme_is_a_front_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    for page in re.findall(r"\]\((docs/[^)#]+\.md)", text):
        assert (ROOT / page).is_file(), page
    assert "pip install . && verify demo" in text and "pip install -e '.[test]' && pytest" in text


# --------------------------------------------------------------------------- generated reference


def _command_paths(group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    import click

    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from _command_paths(command, path)


def rendered_reference() -> str:
    """docs/reference.md as mkdocs renders it (the mkdocs-click directive expanded)."""
    import markdown

    return markdown.markdown(
        (DOCS / "reference.md").read_text(encoding="utf-8"),
        extensions=["mkdocs-click", "tables", "attr_list", "fenced_code"],
    )


def missing_from_reference(html: str) -> list[str]:
    """Every command (as `verify a b`) and option (`--name`) the code has that `html` lacks."""
    import click

    from verify.cli import cli

    missing = []
    for path, command in _command_paths(cli):
        title = "verify " + " ".join(path)
        if title not in html:
            missing.append(title)
            continue
        start = html.index(title)
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    if opt.startswith("--") and opt not in html[start:]:
                        missing.append(f"{title} {opt}")
    return missing


def test_the_command_reference_names_every_command_and_option():
    html = rendered_reference()
    assert missing_from_reference(html) == []
    for name in ("verify snapshot screenshot", "verify tags", "verify claims", "--allow-host"):
        assert name in html


def test_a_command_missing_from_the_reference_is_found():
    html = rendered_reference()
    cut = html.replace("verify snapshot screenshot", "verify snapshot (cut)")
    assert "verify snapshot screenshot" in missing_from_reference(cut)


# --------------------------------------------------------------------------- settings and env


def environment_names() -> set[str]:
    names = set()
    for path in (ROOT / "verify").rglob("*.py"):
        names.update(re.findall(r"\bVERIFY_[A-Z][A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    return names


def test_every_setting_and_environment_variable_is_documented():
    from verify.settings import SETTINGS

    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    names = environment_names()
    assert {"VERIFY_DB", "VERIFY_ALLOW_HOSTS", "VERIFY_REVIEWER"} <= names
    missing = [f"`{key}`" for key in SETTINGS if f"`{key}`" not in page]
    missing += [f"`{name}`" for name in sorted(names) if f"`{name}`" not in page]
    assert missing == [], f"add these to docs/settings.md: {missing}"


# --------------------------------------------------------------------------- the build


def test_the_benchmarks_page_is_drawn_from_the_results():
    spec = importlib.util.spec_from_file_location(
        "benchmarks_hook", DOCS / "hooks" / "benchmarks.py"
    )
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    results = hook.load_results()
    page = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    assert set(re.findall(r"<!-- bench: ([a-z0-9_-]+) -->", page)) == set(results)
    drawn = hook.render_page(page, results)
    assert "<!-- bench:" not in drawn and drawn.count("<svg") == len(results)
    with pytest.raises(ValueError, match="nosuch"):
        hook.render_page("<!-- bench: nosuch -->", results)


@pytest.mark.slow
def test_the_manual_builds_strictly(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    reference = (tmp_path / "site" / "reference" / "index.html").read_text(encoding="utf-8")
    assert "verify fetch" in reference and "--allow-host" in reference


def test_a_recorded_run_is_drawn_with_its_baseline(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_record", ROOT / "bench" / "record.py")
    record = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(record)
    spec = importlib.util.spec_from_file_location(
        "benchmarks_hook", DOCS / "hooks" / "benchmarks.py"
    )
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    rows = [{"label": "verify", "value": 30.0}, {"label": "loop", "value": 10.0, "baseline": True}]
    record.record("speed", "Speed", "pages/s", rows, command="python bench/x.py", folder=tmp_path)
    drawn = hook.render_page("<!-- bench: speed -->", hook.load_results(tmp_path))
    assert "| verify | 30.0 | 3.00x |" in drawn and "python bench/x.py" in drawn
