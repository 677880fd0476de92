"""No SQL text outside verify/store/: every other module asks the store's named functions.

Each .py under verify/ outside verify/store/ is parsed with `ast`; a string literal (f-string
parts included) that reads like an SQL statement or clause fails the test, with its place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "verify"
STORE = PACKAGE / "store"

# Upper-case keywords followed by the words SQL needs next: prose rarely reads like this.
SQL = re.compile(
    r"^\s*(?:SELECT\b[\s\S]*\bFROM\b|SELECT\s+(?:\d|\?|[a-z_]+\()"
    r"|INSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b|REPLACE\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(?:TEMP\s+|UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\b|ALTER\s+TABLE\b"
    r"|DROP\s+(?:TABLE|INDEX|TRIGGER|VIEW)\b|PRAGMA\s+\w+|WITH\s+\w+\s*(?:\(|AS\b)"
    r"|(?:BEGIN|COMMIT|ROLLBACK|SAVEPOINT)\b(?:\s+(?:IMMEDIATE|TRANSACTION|\w+))?\s*;?\s*$)"
    r"|\b(?:FROM\s+[a-z_]+(?:\s+[a-z]+)?\s+(?:WHERE|JOIN|ORDER\s+BY|GROUP\s+BY|LIMIT)\b"
    r"|WHERE\s+[a-z_]+(?:\.[a-z_]+)?\s*(?:=|<|>|!=|\bIN\b|\bIS\b|\bLIKE\b|\bMATCH\b)"
    r"|(?:LEFT\s+)?JOIN\s+[a-z_]+\s+(?:[a-z]+\s+)?ON\b|ORDER\s+BY\s+[a-z_.]+(?:\s+(?:DESC|ASC))?\s*(?:,|LIMIT\b|$)"
    r"|\bMATCH\s+\?|\bLIMIT\s+\?)"
)


def sql_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal in `path` that looks like SQL."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                found.append((node.lineno, node.value))
    return found


def outside_store() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if STORE not in p.parents]


def test_the_detector_sees_sql_and_not_prose():
    sql = [
        "SELECT id FROM claims WHERE status = ?",
        "INSERT OR IGNORE INTO payloads (sha256) VALUES (?)",
        "UPDATE claims SET status = 'queued' WHERE id = ?",
        "DELETE FROM settings WHERE key = ?",
        "PRAGMA journal_mode=WAL",
        "BEGIN IMMEDIATE",
        " FROM claim_sources cs JOIN sources s ON s.id = cs.source_id",
        " WHERE claim_id = ? ORDER BY id",
    ]
    prose = [
        "Select the claims to review from the queue, then update the verdict.",
        "The latest capture of a source, from its snapshots (where it is kept).",
        "Time: every timestamp is UTC with microseconds (2026-11-23).",
        "Insert the quote into the form; delete it from the list if wrong.",
        "commit",
        "Order by priority: the most urgent claims come first",
    ]
    assert [s for s in sql if not SQL.search(s)] == []
    assert [p for p in prose if SQL.search(p)] == []


def test_no_sql_outside_the_store():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text.strip()[:70]!r}"
        for path in outside_store()
        for line, text in sql_literals(path)
    ]
    assert offenders == [], "SQL outside verify/store/:\n" + "\n".join(offenders)


def test_the_store_holds_sql():
    assert any(sql_literals(p) for p in STORE.rglob("*.py"))


def test_claim_status_is_written_only_by_apply_transition():
    """Every status change passes the transition table: the only SQL that can set a claim's
    status (naming it, or setting columns chosen at run time) is the UPDATE in
    store.claims.apply_transition; new claims are inserted with one."""
    writers = set()
    for path in sorted(STORE.rglob("*.py")):
        for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.JoinedStr) or (
                    isinstance(node, ast.Constant) and isinstance(node.value, str)
                ):
                    text = ast.unparse(node)
                    if re.search(r"UPDATE\s+claims\s+SET\b", text) and (
                        "status" in text or isinstance(node, ast.JoinedStr)
                    ):
                        writers.add(f"{path.stem}.{func.name}")
    assert writers == {"claims.apply_transition"}
