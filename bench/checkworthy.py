"""Check-worthiness: how well verify.checkworthy.score_sentence ranks check-worthy sentences.

    python bench/checkworthy.py           # evaluate the shipped weights, print the figures
    python bench/checkworthy.py --fit     # refit the weights on the training split, write them
                                          # into verify/claims.py, then evaluate
    python bench/checkworthy.py --speed   # also time scoring (sentences per second)

Data: bench/data/checkworthy.tsv (label<TAB>sentence<TAB>genre), written for this project.
The held-out split is every sentence whose SHA-1 of the text is 0 mod 5 (a fixed ~20%); the
weights are fitted on the other ~80% only. Figures printed:
  * held-out split: precision at 10, precision at 50, ROC-AUC of the shipped model, of the same
    features with hand-set weights (the prior), and of naive baselines ("has a digit",
    "has a digit or a capitalised word after the first"), all in the same run;
  * k-fold cross-validation over the whole set (refitting per fold, lambda chosen inside the
    training folds), mean and spread of the same metrics.
Everything is pure Python (no numpy): logistic regression by Newton's method with an L2 penalty.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify import claims  # noqa: E402

DATA = ROOT / "bench" / "data" / "checkworthy.tsv"
LAMBDAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
FOLDS = 5


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def load(path: Path = DATA) -> list[tuple[int, str, str]]:
    """(label, sentence, genre) rows of the labelled set."""
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


def fold_of(sentence: str, folds: int = FOLDS) -> int:
    """A fixed fold for a sentence (SHA-1 of its text): fold 0 is the held-out split."""
    return int(hashlib.sha1(sentence.encode("utf-8")).hexdigest(), 16) % folds


def split(rows: list[tuple[int, str, str]]) -> tuple[list, list]:
    """(train, held_out): held out = fold 0, about 20% of the rows."""
    train = [r for r in rows if fold_of(r[1]) != 0]
    test = [r for r in rows if fold_of(r[1]) == 0]
    return train, test


# --------------------------------------------------------------------------------------------
# metrics (ties are handled exactly: average rank for AUC, expected value for precision at k)
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


def metrics(labels: list[int], scores: list[float]) -> dict[str, float]:
    return {
        "p@10": precision_at(labels, scores, 10),
        "p@50": precision_at(labels, scores, 50),
        "auc": roc_auc(labels, scores),
    }


# --------------------------------------------------------------------------------------------
# logistic regression (pure Python, sparse features, Newton's method with an L2 penalty)
# --------------------------------------------------------------------------------------------


def featurize(rows) -> list[list[tuple[int, float]]]:
    out = []
    for _, sentence, _ in rows:
        f = claims.sentence_features(sentence)
        out.append([(i, x) for i, x in enumerate(f) if x])
    return out


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a x = b by Gaussian elimination with partial pivoting (a is small and dense)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        p = m[col][col]
        for r in range(col + 1, n):
            factor = m[r][col] / p
            if factor:
                row, top = m[r], m[col]
                for c in range(col, n + 1):
                    row[c] -= factor * top[c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def fit(
    xs: list[list[tuple[int, float]]], ys: list[int], lam: float, iters: int = 25
) -> list[float]:
    """Weights minimising log-loss + lam/2 * |w - prior|^2: a MAP estimate under a Gaussian
    prior centred on the hand-set weights (PRIOR), so a feature the data says little about
    (has_link: no sentence in the set has a link) keeps its prior weight instead of 0, and a
    small set cannot flip a sign on a whim. The bias (feature 0) is not penalised."""
    n_feat = len(claims.FEATURES)
    w0 = prior_weights()
    w = list(w0)
    for _ in range(iters):
        grad = [lam * (wi - pi) for wi, pi in zip(w, w0, strict=True)]
        grad[0] = 0.0
        hess = [[0.0] * n_feat for _ in range(n_feat)]
        for j in range(1, n_feat):
            hess[j][j] = lam
        hess[0][0] = 1e-9
        for x, y in zip(xs, ys, strict=True):
            p = claims._sigmoid(sum(w[i] * v for i, v in x))
            g = p - y
            h = p * (1 - p)
            for i, v in x:
                grad[i] += g * v
                row = hess[i]
                hv = h * v
                for k, u in x:
                    row[k] += hv * u
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return w


def predict(w: list[float], xs) -> list[float]:
    return [claims._sigmoid(sum(w[i] * v for i, v in x)) for x in xs]


def choose_lambda(xs, ys, folds: list[int]) -> float:
    """The L2 strength by inner cross-validation with the one-standard-error rule: the
    strongest penalty whose mean AUC is within one standard error of the best. The set is
    small and written by us, so we prefer the simplest model the data cannot tell apart
    from the best one (it is the one most likely to carry over to debate transcripts)."""
    ids = sorted(set(folds))
    results = []
    for lam in LAMBDAS:
        aucs = []
        for k in ids:
            tr = [i for i, f in enumerate(folds) if f != k]
            te = [i for i, f in enumerate(folds) if f == k]
            w = fit([xs[i] for i in tr], [ys[i] for i in tr], lam)
            aucs.append(roc_auc([ys[i] for i in te], predict(w, [xs[i] for i in te])))
        mean = statistics.fmean(aucs)
        se = statistics.stdev(aucs) / math.sqrt(len(aucs))
        results.append((lam, mean, se))
    best = max(results, key=lambda r: r[1])
    return max(lam for lam, mean, _ in results if mean >= best[1] - best[2])


def _inner_folds(rows) -> list[int]:
    # a different hash salt from the outer split, so inner folds do not line up with it
    return [int(hashlib.sha1(b"inner:" + r[1].encode()).hexdigest(), 16) % 4 for r in rows]


def fit_rows(rows) -> tuple[list[float], float]:
    xs, ys = featurize(rows), [r[0] for r in rows]
    lam = choose_lambda(xs, ys, _inner_folds(rows))
    return fit(xs, ys, lam), lam


# --------------------------------------------------------------------------------------------
# baselines and the prior
# --------------------------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_CAP_AFTER_FIRST = re.compile(r"\s[A-Z]")

# Hand-set weights (one per feature) written before any fitting: the prior the fit is compared
# with, so the gain from fitting is visible.
PRIOR = {
    "bias": -1.0, "number": 1.2, "numbers": 0.6, "percent": 0.8, "money": 0.8, "magnitude": 0.6,
    "quantity": 0.8, "spelled_number": 0.5, "year": 0.8, "date": 0.6, "entities": 1.0,
    "acronym": 0.5, "attribution": 0.8, "evidence": 0.6, "comparison": 0.6, "change_verb": 0.8,
    "record_verb": 0.9, "past": 0.5, "has_link": 0.8, "question": -1.5, "opinion": -1.5,
    "first_person": -0.2, "second_person": -0.6, "hedge": -1.0, "future": -0.6,
    "normative": -0.8, "value": -1.0, "intensifier": -0.5, "filler": -1.5, "imperative": -1.0,
    "exclaim": -0.5, "short": -1.0, "length": 0.3, "interjection": -0.5,
}  # fmt: skip


def baseline_digit(sentence: str) -> float:
    return 1.0 if _DIGIT.search(sentence) else 0.0


def baseline_digit_or_name(sentence: str) -> float:
    return (1.0 if _DIGIT.search(sentence) else 0.0) + (
        0.5 if _CAP_AFTER_FIRST.search(sentence) else 0.0
    )


def prior_weights() -> list[float]:
    return [PRIOR[name] for name in claims.FEATURES]


# --------------------------------------------------------------------------------------------
# writing the weights into verify/claims.py
# --------------------------------------------------------------------------------------------

_WEIGHTS_BLOCK = re.compile(r"_WEIGHTS: tuple\[float, \.\.\.\] = \(.*?\)  # fmt: skip", re.S)


def write_weights(w: list[float], lam: float, n_train: int) -> None:
    path = ROOT / "verify" / "claims.py"
    src = path.read_text(encoding="utf-8")
    lines = []
    for i in range(0, len(w), 6):
        chunk = ", ".join(f"{x:.4f}" for x in w[i : i + 6])
        lines.append(f"    {chunk},")
    block = "_WEIGHTS: tuple[float, ...] = (\n" + "\n".join(lines) + "\n)  # fmt: skip"
    new, n = _WEIGHTS_BLOCK.subn(lambda _m: block, src)
    if n != 1:
        raise SystemExit("could not find the _WEIGHTS block in verify/claims.py")
    new = re.sub(
        r"# Fitted on \d+ training sentences, L2 lambda = [\d.]+\.",
        f"# Fitted on {n_train} training sentences, L2 lambda = {lam:g}.",
        new,
    )
    path.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def _fmt(m: dict[str, float]) -> str:
    return f"P@10 {m['p@10']:.2f}  P@50 {m['p@50']:.2f}  ROC-AUC {m['auc']:.3f}"


def evaluate_held_out(rows) -> dict[str, dict[str, float]]:
    """Metrics on the held-out split for the shipped model, the prior and the baselines."""
    _, test = split(rows)
    ys = [r[0] for r in test]
    xs = featurize(test)
    return {
        "shipped": metrics(ys, [claims.score_sentence(r[1]) for r in test]),
        "prior": metrics(ys, predict(prior_weights(), xs)),
        "digit": metrics(ys, [baseline_digit(r[1]) for r in test]),
        "digit_or_name": metrics(ys, [baseline_digit_or_name(r[1]) for r in test]),
    }


SPEECH_GENRES = ("debate", "speech")


def cross_validate(rows) -> tuple[dict[str, list[dict[str, float]]], list[float]]:
    """k-fold CV over all rows: the model is refitted (lambda chosen inside) for every fold.

    Returns per-fold metrics and every row's out-of-fold score (for pooled subset figures)."""
    out: dict[str, list[dict[str, float]]] = {"fitted": [], "prior": [], "digit": []}
    folds = [fold_of(r[1]) for r in rows]
    oof = [0.0] * len(rows)
    for k in range(FOLDS):
        train = [r for r, f in zip(rows, folds, strict=True) if f != k]
        idx = [i for i, f in enumerate(folds) if f == k]
        test = [rows[i] for i in idx]
        w, _ = fit_rows(train)
        ys = [r[0] for r in test]
        xs = featurize(test)
        scores = predict(w, xs)
        for i, sc in zip(idx, scores, strict=True):
            oof[i] = sc
        out["fitted"].append(metrics(ys, scores))
        out["prior"].append(metrics(ys, predict(prior_weights(), xs)))
        out["digit"].append(metrics(ys, [baseline_digit(r[1]) for r in test]))
    return out, oof


def _mean(ms: list[dict[str, float]]) -> str:
    parts = []
    for key, label in (("p@10", "P@10"), ("p@50", "P@50"), ("auc", "ROC-AUC")):
        vals = [m[key] for m in ms]
        parts.append(f"{label} {statistics.fmean(vals):.3f} (sd {statistics.pstdev(vals):.3f})")
    return "  ".join(parts)


def speed(repeats: int = 5) -> tuple[float, float]:
    """(sentences split per second, sentences scored per second), single thread, CPU time,
    best of `repeats` runs (the machine is shared, so the best run is the least disturbed)."""
    texts = [r[1] for r in load()]
    article = "\n\n".join(" ".join(texts[i : i + 6]) for i in range(0, len(texts), 6))
    n_split = len(claims.split_sentences(article))
    best_split = best_score = 0.0
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(20):
            claims.split_sentences(article)
        best_split = max(best_split, 20 * n_split / (time.process_time() - t0))
        claims._TOKEN_CACHE.clear()  # score from a cold token cache each run
        t0 = time.process_time()
        claims.score_sentences(texts * 20)
        best_score = max(best_score, 20 * len(texts) / (time.process_time() - t0))
    return best_split, best_score


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", action="store_true", help="refit the weights and write them")
    ap.add_argument("--speed", action="store_true", help="also time scoring")
    args = ap.parse_args(argv)
    rows = load()
    train, test = split(rows)
    pos = sum(r[0] for r in rows)
    print(
        f"data: {len(rows)} sentences, {pos} check-worthy ({pos / len(rows):.0%}); "
        f"train {len(train)}, held out {len(test)} ({sum(r[0] for r in test)} positive)"
    )
    if args.fit:
        w, lam = fit_rows(train)
        write_weights(w, lam, len(train))
        print(f"fitted on {len(train)} training sentences, L2 lambda {lam:g}; weights written")
        for name, wi in sorted(zip(claims.FEATURES, w, strict=True), key=lambda p: -abs(p[1])):
            print(f"  {name:15s} {wi:+.3f}")
        import importlib

        importlib.reload(claims)
    held = evaluate_held_out(rows)
    print("held-out split:")
    print(f"  model (shipped weights)      {_fmt(held['shipped'])}")
    print(f"  same features, prior weights {_fmt(held['prior'])}")
    print(f"  baseline: has a digit        {_fmt(held['digit'])}")
    print(f"  baseline: digit or a name    {_fmt(held['digit_or_name'])}")
    _, test = split(rows)
    ys = [r[0] for r in test]
    picked = [claims.score_sentence(r[1]) >= claims.DEFAULT_MIN_SCORE for r in test]
    tp = sum(1 for y, p in zip(ys, picked, strict=True) if y and p)
    prec = tp / max(1, sum(picked))
    rec = tp / max(1, sum(ys))
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    print(
        f"  at the default threshold {claims.DEFAULT_MIN_SCORE}: precision {prec:.2f}, "
        f"recall {rec:.2f}, F1 {f1:.2f} ({sum(picked)} of {len(test)} sentences become claims)"
    )
    cv, oof = cross_validate(rows)
    print(f"{FOLDS}-fold cross-validation (refitted per fold), mean over folds:")
    print(f"  model (fitted per fold)      {_mean(cv['fitted'])}")
    print(f"  same features, prior weights {_mean(cv['prior'])}")
    print(f"  baseline: has a digit        {_mean(cv['digit'])}")
    sub = [i for i, r in enumerate(rows) if r[2] in SPEECH_GENRES]
    ys = [rows[i][0] for i in sub]
    print(
        f"debate and speech lines only ({len(sub)}, {sum(ys)} check-worthy), "
        "out-of-fold scores pooled over the folds:"
    )
    print(f"  model (fitted per fold)      {_fmt(metrics(ys, [oof[i] for i in sub]))}")
    digit = [baseline_digit(rows[i][1]) for i in sub]
    print(f"  baseline: has a digit        {_fmt(metrics(ys, digit))}")
    if args.speed:
        split_rate, score_rate = speed()
        print(
            f"speed (single thread, CPU time, best of 5): split {split_rate:,.0f} sentences/s, "
            f"score {score_rate:,.0f} sentences/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
