"""MkDocs hook: the benchmarks page is drawn from the bench scripts' results, the JSON files in
bench/results/, never from hand-typed tables. A line `<!-- bench: NAME -->` in a page becomes,
for the benchmark NAME, a table and a bar chart (inline SVG) of its latest run and a table of the
headline figure over every run kept.

A result file holds: bench, title, command, measured (when, as text), machine, unit,
higher_is_better, target (text or null), rows [{label, value, baseline?, vs?, extra?}], notes,
and optionally compare_to (the label of the baseline each row is compared with, unless the row
names its own in `vs`; by default the first baseline)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
MARKER = re.compile(r"^<!-- bench: ([a-z0-9_-]+) -->$", re.M)


def load_results(folder: Path = RESULTS) -> dict[str, list[dict[str, Any]]]:
    """{bench name: [result, ...] oldest first} from every *.json in `folder`."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        result["file"] = path.name
        found.setdefault(result["bench"], []).append(result)
    for runs in found.values():
        runs.sort(key=lambda r: (r["measured"], r["file"]))
    return found


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def bar_chart(result: dict[str, Any]) -> str:
    """Horizontal bars, one per row; baselines in grey."""
    rows = result["rows"]
    top = max(r["value"] for r in rows) or 1
    bar_h, gap, label_w, width = 18, 6, 330, 720
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg class="bench-chart" role="img" viewBox="0 0 {width} {height}" width="100%"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{html.escape(result["title"])}:'
        f" {html.escape(result['unit'])}</title>"
    ]
    for i, r in enumerate(rows):
        y = gap + i * (bar_h + gap)
        length = max(1.0, (width - label_w - 80) * r["value"] / top)
        colour = "#9e9e9e" if r.get("baseline") else "#3f6fb5"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{html.escape(r['label'][:48])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 13}" font-size="12">'
            f"{_number(r['value'])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def render(name: str, runs: list[dict[str, Any]]) -> str:
    """Markdown for one benchmark: latest run (table with each figure against the run's first
    baseline, and a chart), then the history of its headline figure."""
    latest = runs[-1]
    better = "higher is better" if latest["higher_is_better"] else "lower is better"
    extras = sorted({k for r in latest["rows"] for k in r.get("extra", {})})
    values = {r["label"]: r["value"] for r in latest["rows"]}
    first_base = next((r["label"] for r in latest["rows"] if r.get("baseline")), None)
    compare_to = latest.get("compare_to", first_base)

    def versus(row: dict[str, Any]) -> str:
        """How many times better than its baseline of the same run (the row's `vs`, else the
        file's `compare_to`, else its first baseline); blank when it has none."""
        base = values.get(row.get("vs", compare_to) or "")
        if row.get("baseline") or not base or not row["value"]:
            return ""
        ratio = row["value"] / base if latest["higher_is_better"] else base / row["value"]
        return f"{ratio:.2f}x"

    out = [
        f"`{latest['command']}`, measured {latest['measured']} on {latest['machine']}."
        f" Figures in {latest['unit']} ({better})."
        + (f" Target: {latest['target']}." if latest.get("target") else ""),
        "",
        "| | " + " | ".join([latest["unit"], *extras, "vs baseline"]) + " |",
        "|---|" + "---|" * (2 + len(extras)),
    ]
    for r in latest["rows"]:
        label = r["label"] + (" *(baseline)*" if r.get("baseline") else "")
        cells = [_number(r["value"]), *(str(r.get("extra", {}).get(k, "")) for k in extras)]
        cells.append(versus(r))
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += ["", bar_chart(latest), ""]
    if latest.get("notes"):
        out += [latest["notes"], ""]
    if len(runs) > 1:
        first = latest["rows"][0]["label"]
        out += [
            f"History of *{first}*:",
            "",
            f"| measured | {latest['unit']} | file |",
            "|---|---|---|",
        ]
        for run in runs:
            value = next((r["value"] for r in run["rows"] if r["label"] == first), None)
            shown = _number(value) if value is not None else "-"
            out.append(f"| {run['measured']} | {shown} | `bench/results/{run['file']}` |")
        out.append("")
    return "\n".join(out)


def render_page(markdown: str, results: dict[str, list[dict[str, Any]]]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in results:
            raise ValueError(f"benchmarks page: no results for {name!r} in bench/results/")
        return render(name, results[name])

    return MARKER.sub(one, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER.search(markdown) is None:
        return markdown
    return render_page(markdown, load_results())
