"""The wheel ships the migrations, the demo data and the check-worthiness weights (a
non-editable install must work)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_migrations_and_demo_data(tmp_path):
    pytest.importorskip(
        "setuptools",
        reason="setuptools is needed to build the wheel offline (--no-build-isolation)",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    wheels = list(tmp_path.glob("verify-*.whl"))
    assert len(wheels) == 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    assert "verify/store/migrations/0001_initial.sql" in names
    for sql in (ROOT / "verify" / "store" / "migrations").glob("*.sql"):
        assert f"verify/store/migrations/{sql.name}" in names
    assert "verify/demo/data/article.html" in names
    for page in (ROOT / "verify" / "demo" / "data" / "sources").iterdir():
        assert f"verify/demo/data/sources/{page.name}" in names
    assert "verify/demo/run.py" in names and "verify/cli/cmd_articles.py" in names
    # the check-worthiness weights ship; the training data does not
    assert (
        "verify/text/checkworthy_model.json" in names
        and "verify/review/evidence_model.json" in names
    )
    assert not [n for n in names if n.endswith(".tsv")]
