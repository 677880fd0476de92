"""verify 0.1's flat import paths keep working for one release, each with a DeprecationWarning
that names the new place; the packages that took an old module's name forward its names."""

from __future__ import annotations

import subprocess
import sys

import pytest

from verify import oldpaths


@pytest.mark.parametrize("old, new", sorted(oldpaths.MOVED.items()))
def test_an_old_path_imports_the_module_at_its_new_place_with_a_warning(old, new):
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error')\n"
        f"new = importlib.import_module({new!r})\n"
        "try:\n"
        f"    importlib.import_module({old!r})\n"
        "except DeprecationWarning as w:\n"
        "    print('warned:', w)\n"
        "warnings.simplefilter('ignore')\n"
        f"print(importlib.import_module({old!r}) is new)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"warned: {old} moved to {new}" in done.stdout
    assert done.stdout.strip().endswith("True")


def test_the_0_1_python_api_still_runs():
    """The README's Python API of verify 0.1, names as they were."""
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from verify import archive, evidence, ingest, review, store, capture, export, demo\n"
        "from verify.fetch import FetchOptions\n"
        "assert callable(ingest.ingest_article) and callable(review.lease_next)\n"
        "assert callable(evidence.evidence) and callable(store.open_db)\n"
        "assert callable(capture.capture) and capture.CaptureOptions\n"
        "assert callable(export.export) and callable(demo.run_demo)\n"
        "assert callable(archive.get_claim) and FetchOptions\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_package_does_not_forward_private_names():
    import verify.capture

    with pytest.raises(AttributeError):
        verify.capture._Job  # noqa: B018
