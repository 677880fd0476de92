"""Benchmark of "has this been checked before?": a table of 1,000,000 known reviews (synthetic
claims: names, places, numbers in several spellings, a Zipf vocabulary), imported through the
same code as `verify import-claimreview` (verify.review.known.store_reviews), then
`similar.similar_reviews` for claims that paraphrase a known one (other number spelling,
synonyms, other word order) and for claims that match nothing. Prints p50/p95 in milliseconds and
the share of paraphrases whose original comes first, beside two baselines measured in the same
run on the same database:

- the FTS5 index asked for ALL of the claim's keys (no rarity pruning), scored the same way;
- an exhaustive scan: every known review's keys scored in Python (the exact answer; slow, so
  run on a few claims only).

    .venv/bin/python bench/similar.py               # build bench/out/similar.db, then measure
    .venv/bin/python bench/similar.py --reuse       # measure on the database built before
    .venv/bin/python bench/similar.py --n 100000    # a smaller run
    .venv/bin/python bench/similar.py --claims 0    # known reviews only (no archive claims)
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verify import clock, store
from verify.review import known as claimreview
from verify.review import similar
from verify.text import matchkeys

OUT = Path(__file__).resolve().parent / "out"
CHUNK = 20_000
SYLLABLES = "ka lo mi ne ru sa te vo zi ba de fu go hi ja ko la ma no pe ri so tu va we ya ze ar en ol".split()
VERBS = [
    ("died", "were killed"),
    ("were wounded", "were injured"),
    ("were taken hostage", "were held hostage"),
    ("lost their jobs", "lost their jobs"),
    ("were arrested", "were detained"),
    ("fled their homes", "fled their homes"),
]
UNITS = ["people", "soldiers", "children", "workers", "students", "farmers", "patients", "voters"]
THINGS = [
    "the unemployment rate",
    "inflation",
    "the budget deficit",
    "crime",
    "the birth rate",
    "turnout",
    "the poverty rate",
    "exports",
]
MOVES = [("rose", "increased"), ("fell", "dropped"), ("grew", "went up")]
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words_for(n: int) -> str:
    if n < 20:
        return ONES[n]
    return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])


class World:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        names: set[str] = set()
        while len(names) < 30_000:
            names.add(
                "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4))).title()
            )
        self.names = sorted(names)
        vocab: set[str] = set()
        while len(vocab) < 20_000:
            vocab.add("".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(3, 5))))
        self.vocab = sorted(vocab)
        self.cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(self.vocab))))

    def filler(self, k: int) -> list[str]:  # Zipf-distributed words
        return self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=k)

    def claim(self) -> tuple[str, str]:
        """(claim text, a paraphrase of it)."""
        rng = self.rng
        place, who = rng.choice(self.names), rng.choice(self.names)
        year = rng.randint(1960, 2025)
        extra = " ".join(self.filler(rng.randint(1, 4)))
        if rng.random() < 0.5:
            n = rng.randint(2, 99)
            verb, verb2 = rng.choice(VERBS)
            unit = rng.choice(UNITS)
            text = f"{n} {unit} {verb} in {place} in {year}, {who} said, {extra}."
            para = f"In {year}, {words_for(n)} {unit} {verb2} in {place} ({extra}), according to {who}."
        else:
            thing = rng.choice(THINGS)
            move, move2 = rng.choice(MOVES)
            pct = round(rng.uniform(0.5, 40), 1)
            text = f"{who} says {thing} in {place} {move} to {pct} percent in {year} {extra}."
            para = f"In {place}, {thing} {move2} to {pct}% in {year}, {who} claimed ({extra})."
        return text, para


def build(path: Path, n: int) -> list[tuple[int, str]]:
    """Build the known reviews; return (id, paraphrase) for a sample of them."""
    if path.exists():
        path.unlink()
    db = store.open_db(path)
    world = World()
    planted: list[tuple[int, str]] = []
    started = time.perf_counter()
    done = 0
    while done < n:
        batch, paras = [], []
        for _ in range(min(CHUNK, n - done)):
            text, para = world.claim()
            done += 1
            batch.append(
                claimreview.Review(
                    claim_text=text,
                    rating=world.rng.choice(["False", "True", "Misleading", "Half true"]),
                    publisher=world.rng.choice(["Check A", "Check B", "Check C"]),
                    reviewed_at=f"20{world.rng.randint(10, 26)}-0{world.rng.randint(1, 9)}-1{world.rng.randint(0, 9)}",
                    url=f"https://check.example/{done}",
                )
            )
            paras.append(para)
        result = claimreview.ImportResult(origin="bench")
        claimreview.store_reviews(db, batch, result)
        for rid, para in zip(result.ids, paras, strict=True):
            if world.rng.random() < 200 / n:
                planted.append((rid, para))
        rate = done / (time.perf_counter() - started)
        print(f"\r  built {done:,} known reviews ({rate:,.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    db.conn.execute("INSERT INTO known_reviews_fts(known_reviews_fts) VALUES ('optimize')")
    db.conn.execute("ANALYZE")
    store.set_setting(db, "bench_planted", "\x1e".join(f"{i}\x1f{p}" for i, p in planted))
    db.close()
    return planted


def build_claims(path: Path, n: int) -> None:
    """Add n claims to the archive (20% decided), with a sample of paraphrases remembered."""
    db = store.open_db(path)
    world = World(seed=11)
    planted: list[str] = []
    first_id = (db.conn.execute("SELECT max(id) FROM claims").fetchone()[0] or 0) + 1
    # bulk load: the full-text trigger is set aside and the index rebuilt once at the end
    trigger = db.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'claims_fts_ai'"
    ).fetchone()[0]
    db.conn.execute("DROP TRIGGER claims_fts_ai")
    stamp = clock.now()
    started = time.perf_counter()
    done = 0
    while done < n:
        rows = []
        for _ in range(min(CHUNK * 5, n - done)):
            text, para = world.claim()
            done += 1
            decided = world.rng.random() < 0.2
            rows.append(
                (
                    text,
                    "decided" if decided else "queued",
                    world.rng.choice(["true", "false"]) if decided else None,
                    "ana" if decided else None,
                    stamp if decided else None,
                    stamp,
                    stamp,
                )
            )
            if world.rng.random() < 200 / n:
                planted.append(f"{first_id + done - 1}\x1f{para}")
        with store.immediate(db):
            db.conn.executemany(
                "INSERT INTO claims (text, score, status, verdict, decided_by, decided_at, origin,"
                " created_at, updated_at) VALUES (?, 0.9, ?, ?, ?, ?, 'import', ?, ?)",
                rows,
            )
        rate = done / (time.perf_counter() - started)
        print(f"\r  built {done:,} claims ({rate:,.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    db.conn.execute("INSERT INTO claims_fts(claims_fts) VALUES ('rebuild')")
    db.conn.execute(trigger)
    db.conn.execute("INSERT INTO claims_fts(claims_fts) VALUES ('optimize')")
    db.conn.execute("ANALYZE")
    store.set_setting(db, "bench_planted_claims", "\x1e".join(planted))
    db.close()


def archive_claims(db, claim: dict) -> list[similar.Match]:
    """What `similar` asks of the archive's own claims: decided ones through their keys' index,
    the others through the claims' full-text index."""
    return similar.checked_claims(db, claim) + similar.similar_claims(db, claim)


def claims_all_terms(db, text: str) -> list[dict]:
    """Baseline for archive claims: every idea of the claim asked of the index at once."""
    mine = matchkeys.text_keys(text)
    terms = similar._claim_terms(text, mine)
    return store.rows(
        db,
        "SELECT c.id FROM claims_fts f JOIN claims c ON c.id = f.rowid"
        " WHERE claims_fts MATCH ? ORDER BY f.rank LIMIT 200",
        [" OR ".join(terms)],
    )


def lookup_all_keys(db, text: str) -> list[similar.Match]:
    """Baseline 1: the index asked for every key of the claim (no rarity pruning)."""
    mine = matchkeys.text_keys(text)
    df, total = similar._weights(db, mine.keys)
    present = [k for k in mine.keys if df.get(k)]
    if not present:
        return []
    match = " OR ".join(f'"{k}"' for k in present)
    rowids = [
        r[0]
        for r in db.conn.execute(
            "SELECT rowid FROM known_reviews_fts WHERE known_reviews_fts MATCH ? ORDER BY rank LIMIT ?",
            [match, similar.CANDIDATES],
        )
    ]
    weight = {k: similar._idf(total, df.get(k, 0)) for k in mine.keys}
    default = similar._idf(total, 1) * 0.5
    out = []
    for rid in rowids:
        keys = db.conn.execute("SELECT keys FROM known_reviews WHERE id = ?", [rid]).fetchone()[0]
        score, _ = similar._score(mine, set(keys.split()), weight, default)
        if score >= similar.MIN_SCORE:
            out.append((score, rid))
    return sorted(out, reverse=True)


def scan(db, text: str) -> list[tuple[float, int]]:
    """Baseline 2: score every known review (the exact answer)."""
    mine = matchkeys.text_keys(text)
    df, total = similar._weights(db, mine.keys)
    weight = {k: similar._idf(total, df.get(k, 0)) for k in mine.keys}
    default = similar._idf(total, 1) * 0.5
    out = []
    for rid, keys in db.conn.execute("SELECT id, keys FROM known_reviews"):
        score, _ = similar._score(mine, set(keys.split()), weight, default)
        if score >= similar.MIN_SCORE:
            out.append((score, rid))
    return sorted(out, reverse=True)[:10]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


CPU: list[float] = []  # CPU time of every timed call, in ms (the machine is shared)


def timed(func, *args) -> tuple[float, object]:
    t, c = time.perf_counter(), time.process_time()
    result = func(*args)
    CPU.append((time.process_time() - c) * 1000)
    return (time.perf_counter() - t) * 1000, result


def archive_run(path: Path, n: int = 300) -> None:
    """`similar` and `checked_before` (the claim page's look-up) for n claims of an existing
    archive, beside every idea asked of the index at once and bm25-ranked, same run."""
    db = store.open_db(path)
    total = db.conn.execute("SELECT max(id) FROM claims").fetchone()[0]
    decided = db.conn.execute("SELECT count(*) FROM claims WHERE status = 'decided'").fetchone()[0]
    db.conn.execute("SELECT sum(length(block)) FROM claims_fts_data").fetchone()  # warm the cache
    db.conn.execute("SELECT sum(length(text)) FROM claims").fetchone()
    ids = random.Random(29).sample(range(1, total + 1), n)
    texts = [
        db.conn.execute("SELECT text FROM claims WHERE id = ?", [i]).fetchone()[0] for i in ids
    ]
    print(f"archive {path.name}: {total:,} claims ({decided:,} decided); {n} claims at random")
    for name, func, inputs in (
        ("similar", similar.similar, [(db, i) for i in ids]),
        ("checked_before", similar.checked_before, [(db, i) for i in ids]),
        ("baseline, every idea at once, bm25", claims_all_terms, [(db, t) for t in texts]),
    ):
        start = len(CPU)
        walls, found = [], 0
        for x in inputs:
            ms, result = timed(func, *x)
            walls.append(ms)
            found += bool(result)
        cpus = CPU[start:]
        print(
            f"{name:36s} wall p50 {pct(walls, 50):7.2f} ms  p95 {pct(walls, 95):7.2f} ms;"
            f"  CPU p50 {pct(cpus, 50):6.2f} ms  p95 {pct(cpus, 95):6.2f} ms;  {found}/{n} found some"
        )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--scans", type=int, default=5, help="claims for the exhaustive scan")
    parser.add_argument(
        "--claims",
        type=int,
        default=100_000,
        help="claims in the archive (bulk-loaded, the FTS index rebuilt once)",
    )
    parser.add_argument(
        "--archive",
        metavar="DB",
        help="only time the look-ups of earlier claims on an existing archive (for instance"
        " bench/out/web-1000000.db, built by bench/web.py): 300 of its claims at random",
    )
    args = parser.parse_args()
    if args.archive:
        archive_run(Path(args.archive))
        return
    OUT.mkdir(exist_ok=True)
    path = OUT / "similar.db"
    if not (args.reuse and path.exists()):
        t = time.perf_counter()
        build(path, args.n)
        print(
            f"build: {args.n:,} known reviews in {time.perf_counter() - t:.0f} s", file=sys.stderr
        )
    db = store.open_db(path)
    have = db.conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    db.close()
    if args.claims and not have:
        t = time.perf_counter()
        build_claims(path, args.claims)
        print(f"build: {args.claims:,} claims in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    db = store.open_db(path)
    total = db.conn.execute("SELECT count(*) FROM known_reviews").fetchone()[0]
    raw = store.get_setting(db, "bench_planted") or ""
    planted = [(int(i), p) for i, p in (x.split("\x1f", 1) for x in raw.split("\x1e") if x)]
    world = World(seed=99)
    unrelated = [
        f"{world.rng.choice(world.names)} opened a {world.rng.choice(world.vocab)} museum with "
        f"{world.rng.randint(100, 999)} paintings on {world.rng.randint(1, 28)} March."
        for _ in range(100)
    ]
    # warm the page cache (a running server has its archive in memory)
    db.conn.execute("SELECT sum(length(block)) FROM known_reviews_fts_data").fetchone()
    db.conn.execute(
        "SELECT sum(length(keys)) + sum(length(claim_text)) FROM known_reviews"
    ).fetchone()
    for _, text in planted[:10]:
        similar.similar_reviews(db, text)

    def run(func, inputs):
        start = len(CPU)
        walls, results = [], []
        for x in inputs:
            ms, result = timed(func, *x)
            walls.append(ms)
            results.append(result)
        return walls, CPU[start:], results

    w_para, c_para, r_para = run(similar.similar_reviews, [(db, t) for _, t in planted])
    w_unrel, c_unrel, r_unrel = run(similar.similar_reviews, [(db, t) for t in unrelated])
    hits = sum(bool(f) and f[0].id == rid for (rid, _), f in zip(planted, r_para, strict=True))
    found_any = sum(bool(f) for f in r_unrel)
    w_base, c_base, r_base = run(lookup_all_keys, [(db, t) for _, t in planted])
    base_hits = sum(bool(f) and f[0][1] == rid for (rid, _), f in zip(planted, r_base, strict=True))
    w_scan, c_scan, r_scan = run(scan, [(db, t) for _, t in planted[: args.scans]])
    agree = sum(
        bool(exact) and bool(mine) and exact[0][1] == mine[0].id  # the exact best
        for exact, mine in zip(r_scan, r_para, strict=False)
    )
    walls, cpus = w_para + w_unrel, c_para + c_unrel
    print(
        f"known reviews: {total:,}; paraphrased claims: {len(planted)}; unrelated claims: {len(unrelated)}"
        " (wall time on a shared machine; CPU time of the process beside it)"
    )
    print(
        f"similar (rare keys):   wall p50 {pct(walls, 50):7.2f} ms  p95 {pct(walls, 95):7.2f} ms;"
        f"  CPU p50 {pct(cpus, 50):6.2f} ms  p95 {pct(cpus, 95):6.2f} ms"
        f"  (paraphrases wall p50 {statistics.median(w_para):.2f}, unrelated {statistics.median(w_unrel):.2f})"
        f"  original first for {hits}/{len(planted)} paraphrases; unrelated claims matched: {found_any}/{len(unrelated)}"
    )
    print(
        f"baseline, all keys:    wall p50 {pct(w_base, 50):7.2f} ms  p95 {pct(w_base, 95):7.2f} ms;"
        f"  CPU p50 {pct(c_base, 50):6.2f} ms  p95 {pct(c_base, 95):6.2f} ms"
        f"  original first for {base_hits}/{len(planted)}"
        f"  (rare keys {pct(w_base, 50) / pct(w_para, 50):.1f}x faster at p50 on paraphrases)"
    )
    print(
        f"baseline, full scan:   wall p50 {pct(w_scan, 50):7.0f} ms;  CPU p50 {pct(c_scan, 50):6.0f} ms"
        f"  ({len(w_scan)} claims; same best match as the index for {agree}/{len(w_scan)};"
        f" index {pct(w_scan, 50) / pct(w_para, 50):.0f}x faster)"
    )
    raw = store.get_setting(db, "bench_planted_claims") or ""
    paraphrases = [(int(i), p) for i, p in (x.split("\x1f", 1) for x in raw.split("\x1e") if x)]
    if paraphrases:
        n_claims = db.conn.execute("SELECT max(id) FROM claims").fetchone()[0]
        db.conn.execute("SELECT sum(length(block)) FROM claims_fts_data").fetchone()
        db.conn.execute("SELECT sum(length(text)) FROM claims").fetchone()
        probe = {"id": n_claims + 1, "article_id": None}
        for _, text in paraphrases[:10]:
            archive_claims(db, {**probe, "text": text})
        w_c, c_c, r_c = run(archive_claims, [(db, {**probe, "text": t}) for _, t in paraphrases])
        listed = sum(
            any(m.id == cid for m in found)
            for (cid, _), found in zip(paraphrases, r_c, strict=True)
        )
        w_b, c_b, _ = run(claims_all_terms, [(db, t) for _, t in paraphrases])
        print(
            f"archive claims ({n_claims:,}): similar wall p50 {pct(w_c, 50):7.2f} ms  p95 {pct(w_c, 95):7.2f} ms;"
            f"  CPU p50 {pct(c_c, 50):6.2f} ms  p95 {pct(c_c, 95):6.2f} ms"
            f"  (the original listed for {listed}/{len(paraphrases)} paraphrases);"
            f" baseline, every idea asked at once, bm25-ranked: wall p50 {pct(w_b, 50):7.2f} ms  p95 {pct(w_b, 95):7.2f} ms"
        )
    db.close()


if __name__ == "__main__":
    main()
