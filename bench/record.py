"""Write one benchmark run to bench/results/NAME-WHEN.json, the files the manual's benchmarks
page is drawn from (docs/hooks/benchmarks.py). A bench script calls `record(...)` at the end of a
run it means to keep; commit the file with the change it measured."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """The machine a figure was taken on, as the benchmarks page shows it."""
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GB"
    except (ValueError, OSError, AttributeError):
        pass
    return (
        f"{os.cpu_count()} cores{memory}, {platform.system()} {platform.machine()},"
        f" Python {sys.version.split()[0]}"
    )


def record(
    bench: str,
    title: str,
    unit: str,
    rows: list[dict[str, Any]],
    *,
    command: str,
    higher_is_better: bool = True,
    target: str | None = None,
    notes: str = "",
    compare_to: str | None = None,
    folder: Path = RESULTS,
) -> Path:
    """Store a run: rows are {label, value, baseline?, vs?, extra?}, the measured figure first;
    `compare_to` names the baseline row the others are compared with (default: the first)."""
    now = datetime.now(UTC)
    doc = {
        "bench": bench,
        "title": title,
        "command": command,
        "measured": now.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "unit": unit,
        "higher_is_better": higher_is_better,
        "target": target,
        "rows": rows,
        "notes": notes,
    }
    if compare_to is not None:
        doc["compare_to"] = compare_to
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{bench}-{now.strftime('%Y-%m-%dT%H%M%S')}.json"
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
