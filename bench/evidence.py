"""Evidence ranking and clash marking on Climate-FEVER (../shared/data/evidence).

    python bench/evidence.py            # ranking (learned ranker cross-validated by claim) + clashes
    python bench/evidence.py --no-train # the shipped weights only (no scikit-learn needed)

Data, not shipped (see ../shared/data/README.md beside the checkout): climate_fever_dev.jsonl, 512 claims with five
candidate evidence sentences each, labelled SUPPORTS, REFUTES or NOT_ENOUGH_INFO. Default path
VERIFY_EVIDENCE_DATA or ../shared/data/evidence/climate_fever_dev.jsonl beside the checkout.

Ranking: for each claim having both a relevant (SUPPORTS or REFUTES) and an irrelevant candidate,
is the first-ranked candidate relevant? Printed in one run for
  * random order (the expected share, exact),
  * BM25 (k1 1.2, b 0.75, IDF over every evidence sentence of the file),
  * TF-IDF cosine (the same IDF),
  * verify's overlap ranker alone (verify.review.evidence, learned weights off),
  * verify's learned ranker, cross-validated by claim (5 folds: a claim's candidates are never
    in both the training and the validation fold), and with the shipped weights (trained on all
    of this file, so that figure is not held out).
Clashes: the share of SUPPORTS candidates on which verify marks a clash (a false alarm: the
annotators say the passage supports the claim), over all claims and over claims with a digit;
and the seed pair ("21 people died" against "At least 22 people died") still marked and ranked
first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from verify.review import evidence  # noqa: E402
from verify.text import quantities  # noqa: E402

DATA = Path(
    os.environ.get(
        "VERIFY_EVIDENCE_DATA",
        str(
            Path(__file__).resolve().parents[2]
            / "shared"
            / "data"
            / "evidence"
            / "climate_fever_dev.jsonl"
        ),
    )
)
RELEVANT = ("SUPPORTS", "REFUTES")
FOLDS = 5


def load(path: Path = DATA) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def eligible(claims: list[dict]) -> list[dict]:
    out = []
    for c in claims:
        labels = [e["evidence_label"] in RELEVANT for e in c["evidences"]]
        if any(labels) and not all(labels):
            out.append(c)
    return out


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in quantities.COMMON_WORDS]


def idf_table(claims: list[dict]) -> dict[str, float]:
    docs = [set(_words(e["evidence"])) for c in claims for e in c["evidences"]]
    df: Counter = Counter(w for d in docs for w in d)
    n = len(docs)
    return {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}


def bm25(claim: str, passages: list[str], idf: dict[str, float]) -> list[float]:
    q = set(_words(claim))
    bags = [Counter(_words(p)) for p in passages]
    avg = sum(sum(b.values()) for b in bags) / len(bags) or 1.0
    out = []
    for b in bags:
        length = sum(b.values())
        s = 0.0
        for w in q:
            tf = b.get(w, 0)
            if tf:
                s += idf.get(w, 0.0) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
        out.append(s)
    return out


def tfidf(claim: str, passages: list[str], idf: dict[str, float]) -> list[float]:
    def vec(text: str) -> dict[str, float]:
        c = Counter(_words(text))
        v = {w: n * idf.get(w, 1.0) for w, n in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    q = vec(claim)
    return [sum(q.get(w, 0.0) * x for w, x in vec(p).items()) for p in passages]


def first_is_relevant(claim: dict, scores: list[float]) -> bool:
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return claim["evidences"][best]["evidence_label"] in RELEVANT


def share(claims: list[dict], scorer) -> float:
    return sum(first_is_relevant(c, scorer(c)) for c in claims) / len(claims)


def random_share(claims: list[dict]) -> float:
    return sum(
        sum(e["evidence_label"] in RELEVANT for e in c["evidences"]) / len(c["evidences"])
        for c in claims
    ) / len(claims)


def passages_of(c: dict) -> list[str]:
    return [e["evidence"] for e in c["evidences"]]


def verify_scores(c: dict, *, learned: bool, weights=None) -> list[float]:
    return evidence.rank_texts(c["claim"], passages_of(c), learned=learned, weights=weights)


def cross_validated_share(claims: list[dict]) -> tuple[float, list[float]]:
    """Train the ranker on four folds of claims, measure on the fifth; the share over all."""
    rng = random.Random(19)
    ids = sorted({c["claim_id"] for c in claims})
    rng.shuffle(ids)
    fold_of = {cid: i % FOLDS for i, cid in enumerate(ids)}
    everything = load()
    hits = 0
    per_fold = []
    for k in range(FOLDS):
        train = [c for c in everything if fold_of.get(c["claim_id"], -1) != k]
        test = [c for c in claims if fold_of[c["claim_id"]] == k]
        weights = fit(train)
        got = sum(
            first_is_relevant(c, verify_scores(c, learned=True, weights=weights)) for c in test
        )
        hits += got
        per_fold.append(got / len(test))
    return hits / len(claims), per_fold


def fit(claims: list[dict], c: float = 0.1) -> dict:
    """Pairwise logistic regression on verify.review.evidence.passage_features: for every claim, each
    (relevant, irrelevant) pair of its candidates gives the difference of their features, in
    both orders. The weights rank the candidates of one claim; there is no intercept."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for claim in claims:
        feats = evidence.passage_features(claim["claim"], passages_of(claim))
        rel = [e["evidence_label"] in RELEVANT for e in claim["evidences"]]
        for a, fa in enumerate(feats):
            for b, fb in enumerate(feats):
                if rel[a] and not rel[b]:
                    diff = [x - y for x, y in zip(fa, fb, strict=True)]
                    xs.append(diff)
                    ys.append(1)
                    xs.append([-x for x in diff])
                    ys.append(0)
    lr = LogisticRegression(C=c, max_iter=5000, fit_intercept=False)
    lr.fit(xs, ys)
    return {
        "about": "verify evidence ranker: pairwise logistic regression over "
        "verify.review.evidence.FEATURES, fitted by bench/evidence.py --write on Climate-FEVER "
        "(climate_fever_dev.jsonl, every claim)",
        "features": dict(
            zip(evidence.FEATURES, (round(float(w), 6) for w in lr.coef_[0]), strict=True)
        ),
        "intercept": 0.0,
    }


def clashes(claims: list[dict]) -> None:
    supports = [(c, e) for c in claims for e in c["evidences"] if e["evidence_label"] == "SUPPORTS"]
    digit = [(c, e) for c, e in supports if re.search(r"\d", c["claim"])]
    marked = [(c, e) for c, e in supports if quantities.clash(c["claim"], e["evidence"])]
    marked_digit = [(c, e) for c, e in digit if quantities.clash(c["claim"], e["evidence"])]
    refutes = [(c, e) for c in claims for e in c["evidences"] if e["evidence_label"] == "REFUTES"]
    marked_ref = [(c, e) for c, e in refutes if quantities.clash(c["claim"], e["evidence"])]
    print(
        f"clash marked on SUPPORTS candidates: {len(marked)}/{len(supports)} = "
        f"{len(marked) / len(supports):.1%} (target <= 3%); claims with a digit "
        f"{len(marked_digit)}/{len(digit)} = {len(marked_digit) / max(len(digit), 1):.1%}; "
        f"on REFUTES candidates {len(marked_ref)}/{len(refutes)} = "
        f"{len(marked_ref) / max(len(refutes), 1):.1%}"
    )
    for c, e in marked[:8]:
        found = quantities.clash(c["claim"], e["evidence"])
        print(
            f"  false alarm: {found.reason()}\n    claim:   {c['claim'][:110]}\n"
            f"    passage: {e['evidence'][:110]}"
        )
    claim = "At least 22 people died in the attack on the hotel in Bamako."
    passages = [
        "Attack on Bamako hotel: people died, hotel attack latest",
        "Seven people were wounded in the attack on the hotel, the hospital said.",
        "The hotel in Bamako has 190 rooms and was attacked at 7 am.",
        "A toll of 21 people died in the attack, officials said on Saturday.",
    ]
    ranked = evidence.rank_passages(claim, passages)
    marked = [k for k, (_i, _s, found) in enumerate(ranked) if found]
    where = f"ranked {marked[0] + 1} of {len(ranked)}" if marked else "NOT marked"
    reason = ranked[marked[0]][2].reason() if marked else ""
    print(f"seed pair ('at least 22 died' against 'a toll of 21'): clash {where}; {reason}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-train", action="store_true", help="skip the cross-validated training")
    ap.add_argument("--write", action="store_true", help="fit on the whole file, write weights")
    args = ap.parse_args(argv)
    claims = load()
    test = eligible(claims)
    idf = idf_table(claims)
    print(
        f"Climate-FEVER dev: {len(claims)} claims; {len(test)} have both a relevant and an "
        "irrelevant candidate. Share whose first-ranked candidate is SUPPORTS or REFUTES:"
    )
    print(f"  random order (expected)              {random_share(test):.1%}")
    print(
        f"  BM25                                 {share(test, lambda c: bm25(c['claim'], passages_of(c), idf)):.1%}"
    )
    print(
        f"  TF-IDF cosine                        {share(test, lambda c: tfidf(c['claim'], passages_of(c), idf)):.1%}"
    )
    print(
        f"  verify, overlap only                 {share(test, lambda c: verify_scores(c, learned=False)):.1%}"
    )
    if not args.no_train:
        cv, per_fold = cross_validated_share(test)
        folds = " ".join(f"{x:.0%}" for x in per_fold)
        print(f"  verify, learned (5-fold CV by claim) {cv:.1%}  (folds {folds}; target >= 60%)")
    if args.write:
        weights = fit(claims)
        evidence.WEIGHTS_PATH.write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
        evidence._shipped_weights.cache_clear()
        print(f"wrote {evidence.WEIGHTS_PATH.relative_to(ROOT)}")
    print(
        f"  verify, shipped weights (trained on this file, not held out) {share(test, lambda c: verify_scores(c, learned=True)):.1%}"
    )
    clashes(claims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
