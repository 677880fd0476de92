"""Check-worthiness: how well verify.text.checkworthy.score_sentence ranks check-worthy sentences.

    pip install -e '.[bench]'                    # scikit-learn, for the baselines and refits
    python bench/checkworthy.py                  # cross-validated figures on the public data
    python bench/checkworthy.py --speed          # also time splitting and scoring
    python bench/checkworthy.py --oof FILE       # reuse/save the model's out-of-fold scores

Figures printed, all measured in the same run:
  1. Cross-validation on the public training data (see bench/train_checkworthy.py for the data,
     the folds and the model): the model is refitted for every fold; beside it, in the same
     folds, a "has a digit" baseline and a TF-IDF (word 1-2 grams) + logistic regression
     baseline trained on the same rows. Metrics: mean average precision per CLEF debate (the
     CheckThat! measure, mean over the 19 documents), ROC-AUC over all CLEF lines, ROC-AUC per
     ClaimBuster fold (mean).
  2. The shipped model on bench/data/checkworthy.tsv: 549 sentences written for this project
     in news, analysis, opinion, debate and speech styles. The model never saw them (it is
     trained on debates only), so this is an out-of-domain check of news prose.
  3. With --speed: sentences split and scored per second on one thread.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# bench/queue.py would shadow the standard library's queue (scikit-learn imports it)
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]

from verify.text import checkworthy  # noqa: E402

DATA = BENCH / "data" / "checkworthy.tsv"


# --------------------------------------------------------------------------------------------
# the in-house news set
# --------------------------------------------------------------------------------------------


def load(path: Path = DATA) -> list[tuple[int, str, str]]:
    """(label, sentence, genre) rows of the in-house set."""
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["label", "sentence", "genre"]:
            raise ValueError(f"{path}: unexpected header {header}")
        for n, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            label, sentence, genre = line.split("\t")
            if label not in ("0", "1"):
                raise ValueError(f"{path}:{n}: label must be 0 or 1")
            rows.append((int(label), sentence, genre))
    return rows


# --------------------------------------------------------------------------------------------
# metrics (pure Python; ties handled exactly: average rank for AUC, expectation for P@k)
# --------------------------------------------------------------------------------------------


def roc_auc(labels: list[int], scores: list[float]) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y == 1)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def precision_at(labels: list[int], scores: list[float], k: int) -> float:
    """Share of positives among the k highest scores (ties at the cut count in expectation)."""
    k = min(k, len(labels))
    if k == 0:
        return float("nan")
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: -p[0])
    cut = pairs[k - 1][0]
    above = [y for s, y in pairs if s > cut]
    tied = [y for s, y in pairs if s == cut]
    need = k - len(above)
    return (sum(above) + need * sum(tied) / len(tied)) / k


_DIGIT = re.compile(r"\d")


def baseline_digit(sentence: str) -> float:
    return 1.0 if _DIGIT.search(sentence) else 0.0


# --------------------------------------------------------------------------------------------
# cross-validation on the public data
# --------------------------------------------------------------------------------------------


def tfidf_scorer(rows):
    """The TF-IDF + logistic regression baseline, refitted on each fold's training rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def make(tr):
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = vec.fit_transform([rows[i].text for i in tr])
        lr = LogisticRegression(C=1.0, max_iter=2000)
        lr.fit(x, [rows[i].label for i in tr])
        return lambda va: lr.decision_function(vec.transform([rows[i].text for i in va]))

    return make


def ece(labels: list[int], probs: list[float], bins: int = 10) -> float:
    """Expected calibration error: |mean score - share of positives| per bin, weighted."""
    total = 0.0
    for b in range(bins):
        idx = [i for i, p in enumerate(probs) if min(int(p * bins), bins - 1) == b]
        if idx:
            gap = sum(probs[i] - labels[i] for i in idx) / len(idx)
            total += len(idx) / len(probs) * abs(gap)
    return total


def _train_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "train_checkworthy", BENCH / "train_checkworthy.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_cv(oof_path: Path | None) -> dict:
    train = _train_module()

    rows = train.load()
    fold_list = train.folds(rows)
    n_cb = sum(r.source == "cb" for r in rows)
    n_docs = len({r.group for r in rows if r.source == "clef"})
    print(
        f"public data: ClaimBuster {n_cb} sentences, CLEF 2019 {len(rows) - n_cb} lines in "
        f"{n_docs} documents; {train.FOLDS} folds each (CLEF grouped by document)"
    )
    t0 = time.time()
    cached = bool(oof_path and oof_path.exists())
    if cached:
        ours = json.loads(oof_path.read_text())
    else:
        ours = train.cross_validate(rows, fold_list, train.model_scorer(rows))
        if oof_path:
            oof_path.write_text(json.dumps(ours))
    t_ours = time.time() - t0
    t0 = time.time()
    tfidf = train.cross_validate(rows, fold_list, tfidf_scorer(rows))
    t_tfidf = time.time() - t0
    digit = [baseline_digit(r.text) for r in rows]
    print(f"{'':34s} {'CLEF MAP/debate':>16s} {'CLEF ROC-AUC':>13s} {'ClaimBuster ROC-AUC':>20s}")
    results = {}
    for name, oof in (
        ("verify (refitted per fold)", ours),
        ("baseline: TF-IDF + logistic reg.", tfidf),
        ("baseline: has a digit", digit),
    ):
        s = train.summary(rows, oof)
        results[name] = s
        print(
            f"{name:34s} {s['clef_map']:16.3f} {s['clef_auc']:13.3f} "
            f"{s['cb_auc']:13.3f} (sd {s['cb_auc_sd']:.3f})"
        )
    ours_s = results["verify (refitted per fold)"]
    base_s = results["baseline: TF-IDF + logistic reg."]
    print(
        f"ratios to TF-IDF + LR: MAP x{ours_s['clef_map'] / base_s['clef_map']:.2f}, "
        f"ClaimBuster ROC-AUC x{ours_s['cb_auc'] / base_s['cb_auc']:.3f} "
        f"(fold fits: verify {'cached' if cached else f'{t_ours:.0f} s'}, TF-IDF {t_tfidf:.0f} s)"
    )
    cal = json.loads(checkworthy.MODEL_PATH.read_text(encoding="utf-8"))["calibration"]
    cb = [i for i, r in enumerate(rows) if r.source == "cb"]
    probs = [train.calibrated(ours[i], (cal["a"], cal["b"], cal["ceiling"])) for i in cb]
    print(
        "calibration on out-of-fold ClaimBuster scores (the same scores the calibration was "
        f"fitted on): expected calibration error {ece([rows[i].label for i in cb], probs):.3f} "
        "(10 equal-width bins)"
    )
    print("average precision per CLEF document (verify / TF-IDF + LR):")
    for doc, ap in ours_s["per_debate_ap"].items():
        print(f"  {doc:32s} {ap:.3f} / {base_s['per_debate_ap'][doc]:.3f}")
    return results


# --------------------------------------------------------------------------------------------
# the shipped model on the in-house news set, ties, speed
# --------------------------------------------------------------------------------------------


def in_house() -> None:
    rows = load()
    ys = [r[0] for r in rows]
    scores = [checkworthy.score_sentence(r[1]) for r in rows]
    digit = [baseline_digit(r[1]) for r in rows]
    print(
        f"shipped model on the in-house set ({len(rows)} sentences, {sum(ys)} check-worthy; "
        "never trained on):"
    )
    for name, sc in (("verify", scores), ("baseline: has a digit", digit)):
        print(
            f"  {name:22s} P@10 {precision_at(ys, sc, 10):.2f}  P@50 {precision_at(ys, sc, 50):.2f}"
            f"  ROC-AUC {roc_auc(ys, sc):.3f}"
        )
    news = [i for i, r in enumerate(rows) if r[2] not in ("debate", "speech")]
    print(
        f"  verify, news genres only ({len(news)}): ROC-AUC "
        f"{roc_auc([ys[i] for i in news], [scores[i] for i in news]):.3f} (digit "
        f"{roc_auc([ys[i] for i in news], [digit[i] for i in news]):.3f})"
    )
    t = checkworthy.DEFAULT_MIN_SCORE
    picked = [s >= t for s in scores]
    tp = sum(1 for y, p in zip(ys, picked, strict=True) if y and p)
    prec, rec = tp / max(1, sum(picked)), tp / max(1, sum(ys))
    print(
        f"  at the default threshold {t}: precision {prec:.2f}, recall {rec:.2f} "
        f"({sum(picked)} of {len(rows)} sentences queued)"
    )
    shown = [f"{s:.2f}" for s in scores]
    print(
        f"  highest score {max(scores):.4f}; sentences shown as 1.00: {shown.count('1.00')}; "
        f"distinct scores {len(set(scores))} for {len(set(r[1] for r in rows))} distinct sentences"
    )


def speed(repeats: int = 5) -> tuple[float, float, float]:
    """(sentences split per second, sentences scored per second with clauses, and as whole
    sentences only: the same-run baseline), single thread, CPU time, best of `repeats` runs
    (the machine is shared, so the best run is the least disturbed)."""
    texts = [r[1] for r in load()]
    article = "\n\n".join(" ".join(texts[i : i + 6]) for i in range(0, len(texts), 6))
    n_split = len(checkworthy.split_sentences(article))
    checkworthy.model()  # load the weights outside the timed part
    best_split = best_score = best_whole = 0.0
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(20):
            checkworthy.split_sentences(article)
        best_split = max(best_split, 20 * n_split / (time.process_time() - t0))
        checkworthy._TOKEN_CACHE.clear()  # score from a cold token cache each run
        t0 = time.process_time()
        checkworthy.score_sentences(texts * 20)
        best_score = max(best_score, 20 * len(texts) / (time.process_time() - t0))
        checkworthy._TOKEN_CACHE.clear()
        t0 = time.process_time()
        for t in texts * 20:
            checkworthy.score_whole(t)
        best_whole = max(best_whole, 20 * len(texts) / (time.process_time() - t0))
    return best_split, best_score, best_whole


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--speed", action="store_true", help="also time splitting and scoring")
    ap.add_argument("--oof", type=Path, help="cache of the model's out-of-fold scores")
    ap.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    ap.add_argument(
        "--record",
        action="store_true",
        help="with --speed and the cross-validation: write the run to bench/results (record.py)",
    )
    ap.add_argument(
        "--note", default="", help="a note kept with --record (e.g. the machine's load)"
    )
    args = ap.parse_args(argv)
    if args.record and (args.no_cv or not args.speed):
        ap.error("--record needs the cross-validation and --speed (the figures the page shows)")
    cv = None if args.no_cv else public_cv(args.oof)
    in_house()
    if args.speed:
        split_rate, score_rate, whole_rate = speed()
        print(
            f"speed (one thread, CPU time, best of 5): split {split_rate:,.0f} sentences/s, "
            f"score with clauses {score_rate:,.0f} sentences/s (target >= 10,000; whole "
            f"sentences only, same run: {whole_rate:,.0f} sentences/s)"
        )
        if args.record and cv is not None:
            record_run(cv, split_rate, score_rate, whole_rate, args.note)
    return 0


def record_run(
    cv: dict, split_rate: float, score_rate: float, whole_rate: float, note: str = ""
) -> None:
    """The run to bench/results/checkworthy-WHEN.json, as the benchmarks page shows it:
    ClaimBuster ROC-AUC (cross-validated) per scorer, CLEF MAP and the speed in the notes."""
    import importlib.util
    import os

    # bench/ is kept off sys.path (queue.py would shadow the stdlib), so load record.py by path
    spec = importlib.util.spec_from_file_location("bench_record", BENCH / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ours = cv["verify (refitted per fold)"]
    tfidf = cv["baseline: TF-IDF + logistic reg."]
    digit = cv["baseline: has a digit"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    path = module.record(
        "checkworthy",
        "Check-worthiness",
        "ROC-AUC on ClaimBuster (5-fold CV)",
        [
            {
                "label": "verify (hand features + word 1-2 grams, calibrated)",
                "value": round(ours["cb_auc"], 3),
            },
            {
                "label": "TF-IDF word 1-2 grams + logistic regression",
                "value": round(tfidf["cb_auc"], 3),
                "baseline": True,
            },
            {"label": "has a digit", "value": round(digit["cb_auc"], 3), "baseline": True},
        ],
        command="python bench/checkworthy.py --speed",
        higher_is_better=True,
        target="ROC-AUC at least 0.92",
        notes=f"CLEF 2019 MAP per debate: verify {ours['clef_map']:.3f}, TF-IDF"
        f" {tfidf['clef_map']:.3f}, has a digit {digit['clef_map']:.3f}. Speed (one thread, CPU"
        f" time, best of 5): {score_rate:,.0f} sentences/s scored with clauses (target 10,000),"
        f" {whole_rate:,.0f} sentences/s as whole sentences only (same run), split"
        f" {split_rate:,.0f} sentences/s. Load average at the end: {load}."
        + (f" {note}" if note else ""),
    )
    print(f"recorded {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
