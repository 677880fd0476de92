"""Train verify's check-worthiness model on public labelled data and write its weights.

    pip install -e '.[bench]'                 # scikit-learn, for training only
    python bench/train_checkworthy.py         # cross-validate, fit on everything, write weights
    python bench/train_checkworthy.py --cv-only

Data (not shipped; see ../shared/data/README.md for origin and terms), default directory
VERIFY_CHECKWORTHY_DATA or ../shared/data/checkworthy beside the checkout:
  * claimbuster_train.tsv  (text, label): US presidential debate sentences, training split only;
  * clef2019_train.tsv     (document, line, speaker, text, label): CLEF 2019 CheckThat! task 1
    training debates and speeches.
No CheckThat! test set and no ClaimBuster test split is read, here or anywhere in verify.

Model: L2-regularised logistic regression over
  * the hand-made features of verify.text.checkworthy.sentence_features (numbers, dates, names,
    attribution, comparisons, verbs of record; questions, first-person opinion, hedges,
    predictions, filler ...), multiplied by HAND_SCALE so the penalty leaves them more room
    than any single word;
  * binary word uni- and bigrams (verify.text.checkworthy.sentence_terms) seen in at least MIN_DF
    training sentences;
  * a "this row is from CLEF" column used only in training: CLEF marks far fewer lines
    check-worthy than ClaimBuster (3% against 25%), and the column absorbs that difference in
    base rate. At run time it is 0, i.e. scores are on ClaimBuster's scale ("a check-worthy
    factual sentence").
The raw score is then calibrated (Platt scaling with a fitted ceiling, see calibrate) on
out-of-fold ClaimBuster scores, so
the shipped score is a probability.

Cross-validation, never mixing a document's lines between training and validation:
  * CLEF: group k-fold by document (5 folds over the 19 debates and speeches), training on the
    other CLEF documents plus ClaimBuster;
  * ClaimBuster: it has no document ids, so rows are grouped by a hash of their normalised
    text (5 folds; repeated sentences share a fold), training on the other folds plus CLEF.
  * In both, training rows whose normalised text equals a validation row are dropped (the two
    sets share about 700 sentences of the 2016 debates).

Writes verify/checkworthy_model.json: only weights and a summary of how they were obtained.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the script's own folder holds bench/queue.py, which would shadow the standard library's queue
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from verify.text import checkworthy  # noqa: E402

DATA_DIR = Path(
    os.environ.get(
        "VERIFY_CHECKWORTHY_DATA",
        str(Path(__file__).resolve().parents[2] / "shared" / "data" / "checkworthy"),
    )
)
MODEL_PATH = ROOT / "verify" / "checkworthy_model.json"
FOLDS = 5
# Hyper-parameters, set once before cross-validating and not tuned on the figures it prints.
C = 0.1  # inverse L2 strength
MIN_DF = 3  # a gram must occur in this many training sentences
HAND_SCALE = 3.0  # hand-made features are multiplied by this before fitting
CLEF_WEIGHT = 1.0  # sample weight of a CLEF row (ClaimBuster rows weigh 1)
# No training sentence carries a hyperlink; a link in an article is a sign the writer points to
# evidence, so it adds this fixed amount to the raw score (the previous model's weight).
LINK_WEIGHT = 0.8
CEILING_MAX = 0.99  # no calibrated score above this (see calibrate)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


class Row:
    __slots__ = ("text", "label", "source", "group", "key", "features", "grams")

    def __init__(self, text: str, label: int, source: str, group: str) -> None:
        self.text = text
        self.label = label
        self.source = source  # "cb" or "clef"
        self.group = group  # CLEF document; ClaimBuster: a hash bucket of the text
        self.key = normalise(text)
        self.features, terms = checkworthy._analyse(text, False)
        self.grams = checkworthy._ngrams(terms)


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def load(data_dir: Path = DATA_DIR) -> list[Row]:
    rows = []
    for r in _read(data_dir / "claimbuster_train.tsv"):
        key = normalise(r["text"])
        bucket = int(hashlib.sha1(key.encode()).hexdigest(), 16) % FOLDS
        rows.append(Row(r["text"], int(r["label"]), "cb", f"cb{bucket}"))
    for r in _read(data_dir / "clef2019_train.tsv"):
        rows.append(Row(r["text"], int(r["label"]), "clef", r["document"]))
    return rows


def folds(rows: list[Row]) -> list[tuple[str, list[int], list[int]]]:
    """(name, train indices, validation indices) for every fold of both sets."""
    from sklearn.model_selection import GroupKFold

    out = []
    clef = [i for i, r in enumerate(rows) if r.source == "clef"]
    groups = [rows[i].group for i in clef]
    for k, (_, va) in enumerate(GroupKFold(n_splits=FOLDS).split(clef, groups=groups)):
        out.append((f"clef{k}", [clef[j] for j in va]))
    for k in range(FOLDS):
        out.append((f"cb{k}", [i for i, r in enumerate(rows) if r.group == f"cb{k}"]))
    result = []
    for name, va in out:
        held = set(va)
        keys = {rows[i].key for i in va}
        tr = [i for i in range(len(rows)) if i not in held and rows[i].key not in keys]
        result.append((name, tr, va))
    return result


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------


def vocabulary(rows: list[Row], idx: list[int], min_df: int) -> dict[str, int]:
    df = Counter()
    for i in idx:
        df.update(rows[i].grams)
    base = len(checkworthy.FEATURES) + 1  # hand features, then the CLEF column
    return {g: base + n for n, g in enumerate(sorted(g for g, c in df.items() if c >= min_df))}


def matrix(rows: list[Row], idx: list[int], vocab: dict[str, int], hand_scale: float, clef: bool):
    from scipy.sparse import csr_matrix

    data, cols, ptr = [], [], [0]
    nf = len(checkworthy.FEATURES)
    bias = checkworthy.FEATURES.index("bias")
    for i in idx:
        r = rows[i]
        for j, x in enumerate(r.features):
            if x and j != bias:
                cols.append(j)
                data.append(x * hand_scale)
        if clef and r.source == "clef":
            cols.append(nf)
            data.append(1.0)
        for g in r.grams:
            j = vocab.get(g)
            if j is not None:
                cols.append(j)
                data.append(1.0)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(idx), nf + 1 + len(vocab)))


class Model:
    """A fitted model: weights per hand feature, per gram, and the intercept (raw scale)."""

    def __init__(self, rows, idx, *, c=C, min_df=MIN_DF, hand_scale=HAND_SCALE, clef_w=CLEF_WEIGHT):
        from sklearn.linear_model import LogisticRegression

        self.vocab = vocabulary(rows, idx, min_df)
        self.hand_scale = hand_scale
        x = matrix(rows, idx, self.vocab, hand_scale, True)
        y = [rows[i].label for i in idx]
        w = [clef_w if rows[i].source == "clef" else 1.0 for i in idx]
        lr = LogisticRegression(C=c, max_iter=2000, solver="lbfgs")
        lr.fit(x, y, sample_weight=w)
        self.lr = lr

    def raw(self, rows, idx):
        x = matrix(rows, idx, self.vocab, self.hand_scale, False)
        return self.lr.decision_function(x)

    def export(self) -> tuple[list[float], dict[str, float], float]:
        coef = self.lr.coef_[0]
        nf = len(checkworthy.FEATURES)
        bias = checkworthy.FEATURES.index("bias")
        hand = [0.0 if j == bias else float(coef[j]) * self.hand_scale for j in range(nf)]
        grams = {g: float(coef[j]) for g, j in self.vocab.items() if abs(coef[j]) >= 1e-4}
        return hand, grams, float(self.lr.intercept_[0])


def calibrate(raw: list[float], labels: list[int]) -> tuple[float, float, float]:
    """(a, b, ceiling) of p = ceiling * sigmoid(a * raw + b), by maximum likelihood.

    Platt scaling with a ceiling: annotators disagree about check-worthiness, so even the most
    clearly factual sentences are not all labelled check-worthy, and a probability of 0.9999
    would be overconfident (it would also make the queue show ties at 1.00). The ceiling is
    fitted with a and b, and capped at CEILING_MAX."""
    import numpy as np
    from scipy.optimize import minimize

    x = np.asarray(raw, dtype=float)
    y = np.asarray(labels, dtype=float)

    def unpack(v):
        return v[0], v[1], 0.5 + (CEILING_MAX - 0.5) / (1.0 + np.exp(-v[2]))

    def nll(v):
        a, b, ceiling = unpack(v)
        p = ceiling / (1.0 + np.exp(-(a * x + b)))
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))

    best = minimize(
        nll,
        np.array([1.0, 0.0, 2.0]),
        method="Nelder-Mead",
        options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6},
    )
    a, b, ceiling = unpack(best.x)
    return float(a), float(b), float(ceiling)


def calibrated(raw: float, cal: tuple[float, float, float]) -> float:
    a, b, ceiling = cal
    return ceiling * checkworthy._sigmoid(a * raw + b)


# --------------------------------------------------------------------------------------------
# cross-validation
# --------------------------------------------------------------------------------------------


def average_precision(labels: list[int], scores: list[float]) -> float:
    """Average precision of the ranking by score (ties broken pessimistically)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], labels[i]))
    hits = 0
    total = 0.0
    for rank, i in enumerate(order, start=1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / hits if hits else float("nan")


def cross_validate(rows, fold_list, make_scorer) -> list[float]:
    """Out-of-fold scores for every row: make_scorer(train idx) returns f(idx) -> scores."""
    oof = [float("nan")] * len(rows)
    for _, tr, va in fold_list:
        score = make_scorer(tr)
        for i, s in zip(va, score(va), strict=True):
            oof[i] = float(s)
    return oof


def summary(rows, oof) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    out = {}
    docs = sorted({r.group for r in rows if r.source == "clef"})
    aps = []
    for d in docs:
        idx = [i for i, r in enumerate(rows) if r.group == d]
        aps.append(average_precision([rows[i].label for i in idx], [oof[i] for i in idx]))
    out["clef_map"] = sum(aps) / len(aps)
    clef = [i for i, r in enumerate(rows) if r.source == "clef"]
    out["clef_auc"] = roc_auc_score([rows[i].label for i in clef], [oof[i] for i in clef])
    cb_aucs = []
    for k in range(FOLDS):
        idx = [i for i, r in enumerate(rows) if r.group == f"cb{k}"]
        cb_aucs.append(roc_auc_score([rows[i].label for i in idx], [oof[i] for i in idx]))
    out["cb_auc"] = sum(cb_aucs) / len(cb_aucs)
    out["cb_auc_sd"] = (sum((a - out["cb_auc"]) ** 2 for a in cb_aucs) / len(cb_aucs)) ** 0.5
    out["per_debate_ap"] = dict(zip(docs, aps, strict=True))
    return out


def model_scorer(rows, **kw):
    def make(tr):
        m = Model(rows, tr, **kw)
        return lambda va: m.raw(rows, va)

    return make


def clause_scorer(rows, **kw):
    """As model_scorer, but each validation sentence scores as the higher of itself and its
    clauses (verify.text.checkworthy.score_claim), on the raw scale."""

    def make(tr):
        m = Model(rows, tr, **kw)

        def score(va):
            whole = m.raw(rows, va)
            out = []
            for i, w in zip(va, whole, strict=True):
                parts = [
                    Row(text, 0, "x", "")
                    for _a, _b, text in checkworthy.clause_candidates(rows[i].text)
                ]
                best = max(m.raw(parts, list(range(len(parts)))), default=w) if parts else w
                out.append(max(w, best))
            return out

        return score

    return make


def fmt(s: dict[str, float]) -> str:
    return (
        f"CLEF MAP per debate {s['clef_map']:.3f}  CLEF ROC-AUC {s['clef_auc']:.3f}  "
        f"ClaimBuster ROC-AUC {s['cb_auc']:.3f} (sd {s['cb_auc_sd']:.3f})"
    )


# --------------------------------------------------------------------------------------------
# writing the weights
# --------------------------------------------------------------------------------------------


def write(model: Model, cal: tuple, threshold: float, cv: dict, n: dict) -> None:
    hand, grams, intercept = model.export()
    doc = {
        "about": "verify check-worthiness model: logistic regression over hand-made features "
        "and word uni/bigrams, Platt-calibrated; built by bench/train_checkworthy.py from the "
        "ClaimBuster training split and the CLEF 2019 CheckThat! task 1 training data",
        "trained_on": n,
        "hyper_parameters": {
            "C": C,
            "min_df": MIN_DF,
            "hand_scale": HAND_SCALE,
            "clef_weight": CLEF_WEIGHT,
            "link_weight": LINK_WEIGHT,
        },
        "cross_validated": {k: round(v, 4) for k, v in cv.items() if isinstance(v, float)},
        "threshold": round(threshold, 4),
        "intercept": round(intercept, 6),
        "calibration": {"a": round(cal[0], 6), "b": round(cal[1], 6), "ceiling": round(cal[2], 6)},
        "link_weight": LINK_WEIGHT,
        "features": {name: round(w, 6) for name, w in zip(checkworthy.FEATURES, hand, strict=True)},
        "grams": {g: round(w, 5) for g, w in sorted(grams.items())},
    }
    MODEL_PATH.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def choose_threshold(raw_cb: list[float], labels: list[int], cal: tuple) -> float:
    """The calibrated score that maximises F1 on out-of-fold ClaimBuster scores."""
    probs = sorted(
        ((calibrated(r, cal), y) for r, y in zip(raw_cb, labels, strict=True)), reverse=True
    )
    pos = sum(labels)
    best, best_t, tp = -1.0, 0.5, 0
    for k, (p, y) in enumerate(probs, start=1):
        tp += y
        f1 = 2 * tp / (k + pos)
        if f1 > best:
            best, best_t = f1, p
    return best_t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cv-only", action="store_true", help="cross-validate, write nothing")
    ap.add_argument(
        "--clauses", action="store_true", help="also cross-validate the clause-aware score"
    )
    ap.add_argument("--oof", type=Path, help="cache of out-of-fold scores (read if present)")
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = load()
    fold_list = folds(rows)
    print(f"loaded {len(rows)} rows in {time.time() - t0:.1f} s", file=sys.stderr)
    if args.oof and args.oof.exists():
        oof = json.loads(args.oof.read_text())
    else:
        oof = cross_validate(rows, fold_list, model_scorer(rows))
        if args.oof:
            args.oof.write_text(json.dumps(oof))
    cv = summary(rows, oof)
    print(f"cross-validated: {fmt(cv)}")
    cb = [i for i, r in enumerate(rows) if r.source == "cb"]
    cal = calibrate([oof[i] for i in cb], [rows[i].label for i in cb])
    threshold = choose_threshold([oof[i] for i in cb], [rows[i].label for i in cb], cal)
    print(
        f"calibration a={cal[0]:.4f} b={cal[1]:.4f} ceiling={cal[2]:.4f}; "
        f"F1-best threshold on ClaimBuster {threshold:.3f}"
    )
    if args.clauses:
        with_clauses = cross_validate(rows, fold_list, clause_scorer(rows))
        print(f"cross-validated, scoring clauses too: {fmt(summary(rows, with_clauses))}")
    if args.cv_only:
        return 0
    model = Model(rows, list(range(len(rows))))
    n = {
        "claimbuster_rows": sum(r.source == "cb" for r in rows),
        "clef_rows": sum(r.source == "clef" for r in rows),
        "grams": len(model.vocab),
    }
    write(model, cal, threshold, cv, n)
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size:,} bytes)")
    # the run-time scorer, reading the file just written, must agree with the fitted model
    checkworthy._MODEL = None
    sample = list(range(0, len(rows), 97))
    want = [calibrated(r, cal) for r in model.raw(rows, sample)]
    got = [checkworthy.score_whole(rows[i].text) for i in sample]
    worst = max(abs(a - b) for a, b in zip(want, got, strict=True))
    print(f"run-time scores agree with the fitted model within {worst:.1e}")
    if worst > 1e-3:
        raise SystemExit("the exported weights do not reproduce the fitted model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
