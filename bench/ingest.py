"""Ingest benchmark: generate N synthetic news articles (~1,000 words each, HTML with numbers,
names, attributions and body links), ingest them into a fresh database, and print
articles/s and sentences scored/s, beside baselines measured in the same run:

  - pipeline without the database: extract + split_sentences + score_sentences
  - scoring alone: score_sentences on every sentence
  - a naive regex splitter on the same texts (what a bare split costs)

Usage: .venv/bin/python bench/ingest.py [--articles 1000] [--words 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verify.ingest.article import ingest_article  # noqa: E402
from verify.store import open_db  # noqa: E402
from verify.text import checkworthy as claims
from verify.text import extract

PEOPLE = [
    "Ana Ruiz",
    "Tomas Brandt",
    "Mira Okonjo",
    "Daniel Osei",
    "Priya Nair",
    "Lars Holm",
    "Sarah Kwan",
    "Owen Gallagher",
    "Fatima Diallo",
    "Ruth Abernethy",
    "Kenji Sato",
    "Elena Vasquez",
]
BODIES = [
    "the Ministry of Finance",
    "the National Statistics Office",
    "the city council",
    "the central bank",
    "the World Health Organization",
    "the port authority",
    "the U.S. Department of Energy",
    "the regional Met Office",
    "Parliament",
    "the European Commission",
    "the transport regulator",
]
PLACES = [
    "Port Calder",
    "Selwick",
    "the Marren valley",
    "Esk",
    "Northfield",
    "Lake Avon",
    "the capital",
]
THINGS = [
    "unemployment",
    "inflation",
    "rents",
    "hospital waiting times",
    "electricity prices",
    "exports",
    "school enrolment",
    "bus ridership",
    "crime",
    "water use",
    "housing starts",
    "the deficit",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
OPINIONS = [
    "I think this matters more than people admit.",
    "Is that really the whole story?",
    "Perhaps the critics have a point, but it is hard to say.",
    "Nobody should be surprised.",
    "We will see what happens next.",
    "It feels like a turning point, though it may not be.",
    "What would a sensible government do now?",
    "Frankly, the debate has been exhausting.",
]


def sentence(rng: random.Random) -> tuple[str, bool]:
    """One sentence; True when it should carry a link."""
    n = rng.randint(2, 98)
    kind = rng.random()
    thing, person, body, place = (
        rng.choice(THINGS),
        rng.choice(PEOPLE),
        rng.choice(BODIES),
        rng.choice(PLACES),
    )
    month, year = rng.choice(MONTHS), rng.randint(1990, 2026)
    if kind < 0.18:
        return rng.choice(OPINIONS), False
    if kind < 0.35:
        return (
            f"{thing.capitalize()} in {place} rose {n}.{rng.randint(0, 9)} percent in {month} {year}, according to {body}.",
            True,
        )
    if kind < 0.5:
        return (
            f'"We expect {thing} to fall by about {n} percent," said {person}, who leads {body}.',
            False,
        )
    if kind < 0.62:
        return (
            f"Mr. {person.split()[1]} told reporters on {month} {rng.randint(1, 28)} that {place} had the highest {thing} of any city its size.",
            True,
        )
    if kind < 0.75:
        return (
            f"The plan, approved by {body} in {year}, will cost ${n * 17} million and take {rng.randint(2, 9)} years.",
            True,
        )
    if kind < 0.87:
        return (
            f"In {place}, {thing} was {n} per cent lower than in {year - 1}, the U.K. figures show.",
            False,
        )
    return (
        f"Critics say {thing} could get worse before it improves, and {person} has called for a review.",
        False,
    )


def make_article(i: int, rng: random.Random, words: int) -> bytes:
    paragraphs, count, link_no = [], 0, 0
    while count < words:
        parts = []
        for _ in range(rng.randint(2, 5)):
            text, linked = sentence(rng)
            if linked and rng.random() < 0.5:
                link_no += 1
                w = text.split()
                k = rng.randint(0, max(0, len(w) - 3))
                anchor = " ".join(w[k : k + 3])
                text = " ".join(
                    w[:k]
                    + [
                        f'<a href="https://source{link_no % 40}.example/{i}/{link_no}?utm_source=x">{anchor}</a>'
                    ]
                    + w[k + 3 :]
                )
            parts.append(text)
            count += len(text.split())
        paragraphs.append("<p>" + " ".join(parts) + "</p>")
    return (
        f"<!doctype html><html><head><title>Synthetic story {i}</title></head><body>"
        f"<nav><a href='https://news.example/'>Home</a></nav><article><h1>Synthetic story {i}</h1>"
        + "\n".join(paragraphs)
        + "</article><footer><a href='https://news.example/about'>About</a></footer></body></html>"
    ).encode()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--words", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t = time.perf_counter()
    docs = [make_article(i, rng, args.words) for i in range(args.articles)]
    print(
        f"generated {len(docs)} articles of ~{args.words} words in {time.perf_counter() - t:.1f} s"
    )

    # baseline 1: the pipeline without the database
    t = time.perf_counter()
    all_sentences: list[str] = []
    texts: list[str] = []
    for body in docs:
        found = extract.extract(body.decode(), "text/html")
        texts.append(found.text)
        sents = claims.split_sentences(found.text)
        claims.score_sentences([s.text for s in sents])
        all_sentences.extend(s.text for s in sents)
    bare = time.perf_counter() - t

    # scoring alone
    t = time.perf_counter()
    claims.score_sentences(all_sentences)
    scoring = time.perf_counter() - t

    # baseline 2: a naive regex splitter
    t = time.perf_counter()
    naive = sum(len(re.split(r"(?<=[.!?])\s+", text)) for text in texts)
    naive_time = time.perf_counter() - t

    # the real thing: ingest into a fresh database, one transaction per article
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        t = time.perf_counter()
        for body in docs:
            ingest_article(db, "-", stdin=body)
        full = time.perf_counter() - t
        n_claims = db.conn.execute("SELECT count(*) FROM claims").fetchone()[0]
        n_queued = db.conn.execute(
            "SELECT count(*) FROM claims WHERE status = 'queued'"
        ).fetchone()[0]
        n_links = db.conn.execute("SELECT count(*) FROM claim_sources").fetchone()[0]
        size = (Path(tmp) / "bench.db").stat().st_size
        db.close()

    n = len(docs)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(
        f"sentences: {len(all_sentences)} ({len(all_sentences) / n:.0f} per article; naive regex split finds {naive})"
    )
    print(
        f"ingest into SQLite:            {n / full:8.1f} articles/s  ({full:.1f} s; {n_claims} claim rows,"
        f" {n_queued} queued, {n_links} candidate-source links, db {size / 2**20:.1f} MiB)"
    )
    print(
        f"baseline, no database:         {n / bare:8.1f} articles/s  ({bare:.1f} s: extract + split + score)"
    )
    print(f"database share of ingest time: {max(0.0, full - bare) / full * 100:5.1f} %")
    print(
        f"score_sentences alone:         {len(all_sentences) / scoring:8.0f} sentences/s ({scoring:.2f} s)"
    )
    print(
        f"naive regex split alone:       {naive / naive_time:8.0f} sentences/s ({naive_time:.2f} s)"
    )


if __name__ == "__main__":
    main()
