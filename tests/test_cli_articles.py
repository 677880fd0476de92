"""The article and claim commands through the CLI: exit codes, JSON shapes, exact error lines,
and that bad input changes nothing in the database."""

from __future__ import annotations

import json

import pytest
from conftest import row_counts

STORY = (
    "<html><body><nav><a href='https://news.example/'>Home</a></nav><article>"
    "<p>The port handled 4.2 million containers in 2023, <a href='https://port.example/2023'>officials said</a>."
    " I love ports. Why do we care?</p></article></body></html>"
)


def counts(db_path) -> dict[str, int]:
    return row_counts(db_path, ("articles", "claims", "sources", "claim_sources", "events"))


def test_ingest_json_and_claims(run_cli, tmp_path, db_path):
    path = tmp_path / "story.html"
    path.write_text(STORY)
    res = run_cli("ingest", str(path), "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {"article_id", "claims"}
    assert out["claims"] == [
        {
            "id": out["claims"][0]["id"],
            "text": "The port handled 4.2 million containers in 2023, officials said.",
            "score": out["claims"][0]["score"],
            "sources": ["https://port.example/2023"],
        }
    ]
    res = run_cli("claims", "--json")
    claims = json.loads(res.stdout)
    assert [set(c) for c in claims] == [
        {"id", "article_id", "text", "score", "status", "verdict", "priority", "sources"}
    ]
    every = json.loads(run_cli("claims", "--all", "--json").stdout)
    assert len(every) == 3
    candidates = json.loads(run_cli("claims", "--status", "candidate", "--json").stdout)
    assert {c["text"] for c in candidates} == {"I love ports.", "Why do we care?"}
    human = run_cli("claims", "--article", str(out["article_id"]))
    assert "4.2 million containers" in human.stdout and "id" in human.stdout.splitlines()[0]
    before = counts(db_path)
    again = run_cli("ingest", str(path), "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["article_id"] == out["article_id"]
    assert counts(db_path) == before


def test_ingest_stdin_and_human_output(run_cli):
    res = run_cli("ingest", "-", "--title", "Ports", input=STORY.encode())
    assert res.exit_code == 0, res.stderr
    assert "1 queued claim," in res.stdout
    assert "officials said" in res.stdout


@pytest.mark.parametrize(
    "args,error",
    [
        (
            ["ingest", "missing.html"],
            "Error: no such file: missing.html (give a file, an http(s) URL, or - for stdin)",
        ),
        (
            ["ingest", "javascript:alert(1)"],
            "Error: only http and https URLs can be sources, not javascript: (javascript:alert(1))",
        ),
        (
            ["ingest", "ftp://example.org/a.txt"],
            "Error: only http and https URLs can be sources, not ftp: (ftp://example.org/a.txt)",
        ),
        (
            ["claim", "show", "99"],
            "Error: no claim 99: see `verify claims`",
        ),
        (
            ["claims", "--article", "7"],
            "Error: no article 7: see `verify articles`",
        ),
        (
            ["claim", "add", "The bridge opened in 1932.", "--article", "5"],
            "Error: no article 5: see `verify articles`",
        ),
        (
            ["claim", "add", "A claim.", "--source", "data:text/html,hi"],
            "Error: only http and https URLs can be sources, not data: (data:text/html,hi)",
        ),
        (
            ["claim", "add", "A claim.", "--source", "not a url"],
            "Error: not a URL: 'not a url' (give an absolute http:// or https:// URL)",
        ),
        (["claim", "add", "   "], "Error: empty claim text: give the statement to check"),
        (
            ["source", "add", "42", "https://example.org/"],
            "Error: no claim 42: see `verify claims`",
        ),
    ],
)
def test_bad_input_one_error_line_nothing_changed(run_cli, db_path, args, error):
    assert (
        run_cli("claim", "add", "Existing claim 1.", "--source", "https://example.org/x").exit_code
        == 0
    )
    before = counts(db_path)
    res = run_cli(*args)
    assert res.exit_code == 1
    assert res.stderr.strip() == error
    assert res.stdout == ""
    assert counts(db_path) == before


def test_bad_files(run_cli, tmp_path, db_path):
    run_cli("claim", "add", "Existing.")
    before = counts(db_path)
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "bin.dat").write_bytes(b"\x00\xff\x00\x10" * 100)
    for args, message in [
        ((str(tmp_path / "empty.txt"),), "is empty: nothing to ingest"),
        ((str(tmp_path / "bin.dat"),), "looks like a binary file"),
        ((str(tmp_path),), "is a directory"),
        (("-",), "stdin is empty"),
    ]:
        res = run_cli("ingest", *args, input=b"")
        assert res.exit_code == 1
        assert res.stderr.startswith("Error: ") and message in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
    assert counts(db_path) == before


def test_url_ingest_refused_without_allow_host(run_cli, site, db_path):
    from conftest import Response

    site.routes["/story"] = Response(200, STORY)
    res = run_cli("ingest", site.url("/story"))
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: ") and "allow-host" in res.stderr
    assert counts(db_path)["articles"] == 0
    res = run_cli("ingest", site.url("/story"), "--allow-host", "127.0.0.1", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["claims"][0]["sources"] == ["https://port.example/2023"]


def test_score_lines_and_json(run_cli):
    text = "Unemployment fell to 3.9 percent in May.\nI think this is great.\n\nWhy would anyone do that?\n"
    res = run_cli("score", input=text)
    assert res.exit_code == 0
    scores = [float(x) for x in res.stdout.splitlines()]
    assert len(scores) == 4
    assert scores[0] > scores[1] and scores[0] > scores[3]
    assert all(0 <= s <= 1 for s in scores)
    res = run_cli("score", "--json", input=text)
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["text"] for r in rows] == [
        "Unemployment fell to 3.9 percent in May.",
        "I think this is great.",
        "",
        "Why would anyone do that?",
    ]
    assert [r["score"] for r in rows] == pytest.approx(scores, abs=1e-3)


def test_claim_add_show_and_source_add(run_cli):
    res = run_cli(
        "claim",
        "add",
        "The bridge opened in 1932.",
        "--source",
        "https://example.org/history",
        "--source",
        "https://EXAMPLE.org/history?utm_source=x",
        "--priority",
        "3",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    claim = json.loads(res.stdout)
    assert claim["status"] == "queued" and claim["priority"] == 3
    assert claim["sources"] == ["https://example.org/history"]
    res = run_cli(
        "source",
        "add",
        str(claim["id"]),
        "https://archive.example/bridge",
        "--note",
        "page 4",
        "--json",
    )
    assert res.exit_code == 0
    assert json.loads(res.stdout)["url"] == "https://archive.example/bridge"
    shown = json.loads(run_cli("claim", "show", str(claim["id"]), "--json").stdout)
    assert shown["sources"] == ["https://example.org/history", "https://archive.example/bridge"]
    assert shown["source_links"][1]["note"] == "page 4"
    human = run_cli("claim", "show", str(claim["id"]))
    assert "page 4" in human.stdout and "The bridge opened in 1932." in human.stdout
    usage = run_cli("claim", "add", "X.", "--priority", "high")
    assert usage.exit_code == 2


def test_import_reports_rows_and_exit_code(run_cli, tmp_path, db_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim,url\nThe bridge opened in 1932.,https://example.org/history\n"
        ",https://example.org/none\nRents rose.,file:///etc/passwd\n"
        "The bridge opened in 1932.,https://archive.example/b\n"
    )
    res = run_cli("import", str(sheet), "--json")
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        "Error: row 3: missing claim text",
        "Error: row 4: bad URL: only http and https URLs can be sources, not file: (file:///etc/passwd)",
    ]
    out = json.loads(res.stdout)
    assert out["added_claims"] == 1 and out["added_sources"] == 2
    before = counts(db_path)
    again = run_cli("import", str(sheet))
    assert again.exit_code == 1 and "Imported 0 new claims" in again.stdout
    assert counts(db_path) == before
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps({"claim": "Tariffs doubled.", "urls": ["https://a.example/"]}) + "\n"
    )
    res = run_cli("import", str(good))
    assert res.exit_code == 0 and res.stderr == ""
    missing = run_cli("import", str(tmp_path / "none.csv"))
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no such file")


def _two_articles(run_cli, tmp_path):
    first = tmp_path / "story.html"
    first.write_text(STORY)
    dated = tmp_path / "dated.html"
    dated.write_text(
        "<html><head><title>Dam report</title>"
        "<meta property='article:published_time' content='2026-08-21T09:00:00Z'></head><body>"
        "<article><p>The dam holds 3 billion litres of water, the authority said on Monday.</p>"
        "<p>Rationing began in 2025 after 14 dry months.</p></article></body></html>"
    )
    a = json.loads(run_cli("ingest", str(first), "--json").stdout)["article_id"]
    b = json.loads(
        run_cli("ingest", str(dated), "--url", "https://news.example/dam", "--json").stdout
    )["article_id"]
    return a, b


def test_articles_lists_each_article_with_claim_counts_by_status(run_cli, tmp_path):
    """Issue 9 item 6: `verify articles [--json]`."""
    from verify.model import STATUSES

    a, b = _two_articles(run_cli, tmp_path)
    res = run_cli("articles", "--json")
    assert res.exit_code == 0, res.stderr
    found = json.loads(res.stdout)
    assert [x["id"] for x in found] == [a, b]
    assert all(set(x) >= {"id", "title", "url", "published", "claim_counts"} for x in found)
    assert all(list(x["claim_counts"]) == list(STATUSES) for x in found)  # every status, in order
    assert found[0]["claim_counts"] == {
        "candidate": 2,
        "queued": 1,
        "in_review": 0,
        "decided": 0,
        "dismissed": 0,
    }
    assert found[0]["url"] is None and found[0]["published"] is None
    assert found[1]["url"] == "https://news.example/dam"
    assert found[1]["title"] == "Dam report" and found[1]["published"].startswith("2026-08-21")
    assert sum(found[1]["claim_counts"].values()) == 2
    text = run_cli("articles")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split()[:2] == ["id", "published"] and "queued" in lines[0]
    assert "Dam report" in text.stdout and "https://news.example/dam" in text.stdout
    empty_db = run_cli("articles", "--db", str(tmp_path / "empty.db"))
    assert empty_db.exit_code == 0 and empty_db.stdout == "" and "verify ingest" in empty_db.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("claims", "--article", "99"),
        ("fetch", "--article", "99"),
        ("export", "--format", "csv", "--article", "99"),
        ("export", "--format", "warc", "--article", "99"),
        ("claim", "add", "The dam holds 3 billion litres.", "--article", "99"),
    ],
)
def test_unknown_article_points_to_verify_articles(run_cli, tmp_path, args):
    res = run_cli(*args)
    assert res.exit_code == 1, res.stderr
    assert res.stderr.startswith("Error: ") and len(res.stderr.strip().splitlines()) == 1
    assert "article" in res.stderr and "`verify articles`" in res.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("claims",),
        ("articles",),
        ("claims", "--all"),
        ("claim", "show", "1"),
        ("sources",),
        ("snapshots",),
        ("queue",),
        ("history", "1"),
        ("search", "containers"),
    ],
)
def test_json_before_or_after_the_command(run_cli, tmp_path, command):
    """Issue 9 item 6: `verify --json claims` is the same as `verify claims --json`."""
    _two_articles(run_cli, tmp_path)
    after = run_cli(*command, "--json")
    before = run_cli("--json", *command)
    assert after.exit_code == 0 and before.exit_code == 0, (after.stderr, before.stderr)
    json.loads(after.stdout.splitlines()[0])  # JSON, not the table
    assert before.stdout == after.stdout


def test_every_command_reads_json_from_either_side():
    """Every command gets --json (and --db) from cli.base.common, which also reads the root's
    `verify --json`: none defines its own."""
    import click

    from verify.cli import cli

    def leaves(group, path=()):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from leaves(command, (*path, name))
            else:
                yield (*path, name), command

    found = list(leaves(cli))
    assert len(found) > 20
    for path, command in found:
        flags = [p for p in command.params if "--json" in getattr(p, "opts", ())]
        assert [p.name for p in flags] == ["as_json"], path
        assert getattr(command.callback, "__wrapped__", None) is not None, path  # via common
