"""Readable-text quality and CPU cost of verify.text.extract against trafilatura, same run.

For every saved page (tests/pages/*.html and bench/data/extract/*.html, each with a JSON
sidecar whose "body" lists the true article paragraphs and "must_not" the boilerplate
passages), it computes token-level precision, recall and F1 of the extracted text against
the true body (bag of lower-case word tokens, as the public article-extraction benchmarks
do), counts must-not passages that leaked, and measures each extractor's CPU time per page
(process CPU time, best of --repeat runs: other work on the machine does not count).

    .venv/bin/python bench/extract.py [--repeat N] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds scripts named like stdlib modules (queue.py...): keep it off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from verify.text.extract import decode_bytes, extract  # noqa: E402

DIRS = [ROOT / "tests" / "pages", ROOT / "bench" / "data" / "extract"]


def tokens(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def score(got: str, truth: str) -> tuple[float, float, float]:
    g, t = tokens(got), tokens(truth)
    common = sum((g & t).values())
    p = common / sum(g.values()) if g else 0.0
    r = common / sum(t.values()) if t else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def run_verify(body: bytes, spec: dict) -> str:
    return extract(body, spec.get("content_type", "text/html"), spec.get("url")).text


def run_trafilatura(body: bytes, spec: dict) -> str:
    text, _ = decode_bytes(body, spec.get("content_type"))
    return trafilatura.extract(text, url=spec.get("url")) or ""


def run_trafilatura_recall(body: bytes, spec: dict) -> str:
    text, _ = decode_bytes(body, spec.get("content_type"))
    return (
        trafilatura.extract(text, url=spec.get("url"), favor_recall=True, include_tables=True) or ""
    )


EXTRACTORS = {
    "verify extract": run_verify,
    "trafilatura (default)": run_trafilatura,
    "trafilatura favor_recall": run_trafilatura_recall,
}


def hostile_page() -> bytes:
    para = (
        b"<p onclick='steal()'>Paragraph %d of the report, with numbers like 4.2%% and 1,300.</p>"
    )
    junk = b"<script>var blob='" + b"A" * 250_000 + b"';</script>"
    parts = [b"<html><body><nav><a href='/'>Home</a></nav><article>"]
    for i in range(40):
        parts += [junk, para % i]
    parts.append(b"</article></body></html>")
    return b"".join(parts)


def measure(pages, args) -> dict[str, tuple]:
    """Every extractor on every page. The extractors take turns page by page and run by run,
    so a busy moment of the machine weighs on all of them alike; best of --repeat runs."""
    got: dict[str, list[str]] = {name: [] for name in EXTRACTORS}
    times: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    for _path, body, spec in pages:
        best = dict.fromkeys(EXTRACTORS, float("inf"))
        text = {}
        for _ in range(args.repeat):
            for name, fn in EXTRACTORS.items():
                t0 = time.process_time()
                text[name] = fn(body, spec)
                best[name] = min(best[name], time.process_time() - t0)
        for name in EXTRACTORS:
            got[name].append(text[name])
            times[name].append(best[name] * 1000)
    rows = {}
    for name in EXTRACTORS:
        ps, rs, fs, leaks, zero = [], [], [], 0, 0
        for (path, _body, spec), out in zip(pages, got[name], strict=True):
            p, r, f = score(out, "\n".join(spec["body"]))
            ps.append(p)
            rs.append(r)
            fs.append(f)
            leaked = [m for m in spec["must_not"] if m.lower() in out.lower()]
            leaks += len(leaked)
            zero += not out.strip()
            if args.verbose:
                print(f"  {name:26} {path.stem:26} P={p:.3f} R={r:.3f} F1={f:.3f} leaks={leaked}")
        # Averaged per page, as the public article-extraction benchmarks do.
        rows[name] = (
            statistics.mean(ps),
            statistics.mean(rs),
            statistics.mean(fs),
            leaks,
            zero,
            statistics.mean(times[name]),
            statistics.median(times[name]),
        )
    return rows


def dense_page() -> bytes:
    unit = (
        "<div class='c'><span><a href='/x{0}'>Link {0}</a></span><p>Paragraph number {0} has"
        " some words, and a comma.</p><ul><li>item</li><li>two</li></ul></div>"
    )
    body = "".join(unit.format(i) for i in range(65_000))
    return f"<html><body><article>{body}</article></body></html>".encode()


def external_pairs(folder: Path) -> list[tuple[Path, bytes, dict]]:
    """Pages of another project's test set: html/NAME.html and the true body in txt/NAME.txt."""
    pages = []
    for text_path in sorted((folder / "txt").glob("*.txt")):
        html_path = folder / "html" / (text_path.stem + ".html")
        if html_path.exists():
            truth = text_path.read_text("utf-8", errors="replace")
            spec = {"body": [truth], "must_not": []}
            pages.append((html_path, html_path.read_bytes(), spec))
    if not pages:
        raise SystemExit(f"no html/NAME.html + txt/NAME.txt pairs under {folder}")
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing repetitions per page")
    parser.add_argument("--verbose", action="store_true", help="per-page figures")
    parser.add_argument(
        "--pairs",
        type=Path,
        action="append",
        default=[],
        help="also score a folder of someone else's pages: DIR/html/NAME.html with its true body"
        " in DIR/txt/NAME.txt (e.g. the tests/data folder of the newspaper4k sdist); they are"
        " read where they are and never copied into this repository",
    )
    parser.add_argument("--no-big", action="store_true", help="skip the big-page timings")
    args = parser.parse_args()

    pages = []
    for folder in DIRS:
        for path in sorted(folder.glob("*.html")):
            sidecar = path.with_suffix(".json")
            if sidecar.exists():
                pages.append((path, path.read_bytes(), json.loads(sidecar.read_text("utf-8"))))
    print(f"{len(pages)} saved pages; token-level scores against the true article body\n")

    groups = [("all pages", pages)]
    for folder in DIRS:
        subset = [page for page in pages if page[0].parent == folder]
        if subset and len(subset) != len(pages):
            groups.append((str(folder.relative_to(ROOT)), subset))
    for folder in args.pairs:
        outside = external_pairs(folder)
        groups.append((f"{folder} (html + txt pairs, not in this repository)", outside))
    for label, subset in groups:
        must_not_total = sum(len(spec["must_not"]) for _, _, spec in subset)
        print(f"== {label}: {len(subset)} pages, {must_not_total} must-not passages")
        print(
            f"{'extractor':26} {'precision':>9} {'recall':>7} {'F1':>6} "
            f"{'leaks':>6} {'empty':>5} {'CPU ms/page':>11} {'median':>7} {'vs verify':>9}"
        )
        rows = measure(subset, args)
        mine = rows["verify extract"][5]
        for name, (p, r, f, leaks, zero, mean_ms, med_ms) in rows.items():
            print(
                f"{name:26} {p:9.3f} {r:7.3f} {f:6.3f} {leaks:6d} {zero:5d} {mean_ms:11.1f} "
                f"{med_ms:7.1f} {mean_ms / mine:8.2f}x"
            )
        print()

    if args.no_big:
        return
    print("big pages (wall seconds / CPU seconds; CPU is what the code costs, wall includes")
    print("whatever else the machine runs):")
    for label, page in (
        ("hostile page (scripts, on* handlers)", hostile_page()),
        ("dense page (460,000 elements)", dense_page()),
    ):
        for name, fn in (
            ("bytes, text/html", lambda b: extract(b, "text/html")),
            ("bytes, sniffed", extract),
        ):
            w0, c0 = time.perf_counter(), time.process_time()
            result = fn(page)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            ok = "Paragraph 39" in result.text or "Paragraph number 64999" in result.text
            print(
                f"  {len(page) / 2**20:4.1f} MB {label:38} {name:16} {wall:6.2f} s wall "
                f"{cpu:6.2f} s CPU  text complete: {ok}"
            )


if __name__ == "__main__":
    main()
