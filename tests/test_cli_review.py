import json

from review_helpers import counts, make_article, make_claim, make_snapshot, make_source

from verify import clock, store

TEXT = "Officials said at least 22 people were killed in the siege. The siege lasted nine hours."


def _world(db_path):
    db = store.open_db(db_path)
    art = make_article(
        db,
        "At least 22 people died. Opinion here.",
        title="Siege report",
        url="https://news.example/siege",
    )
    c1 = make_claim(db, "At least 22 people died in the siege.", priority=2, article_id=art)
    c2 = make_claim(db, "The siege lasted nine hours.", priority=1, article_id=art)
    sid = make_source(db, c1, "https://wire.example/siege")
    make_source(db, c2, "https://wire.example/siege")
    snap = make_snapshot(db, sid, TEXT)
    db.close()
    return art, c1, c2, sid, snap


def test_worked_example_end_to_end(run_cli, db_path, tmp_path):
    art, c1, c2, sid, snap = _world(db_path)
    r = run_cli("queue", "--json")
    assert r.exit_code == 0, r.stderr
    assert [c["id"] for c in json.loads(r.stdout)] == [c1, c2]

    r = run_cli("next", "--reviewer", "ana", "--json")
    assert r.exit_code == 0
    got = json.loads(r.stdout)
    assert (
        got["id"] == c1
        and got["lease_reviewer"] == "ana"
        and got["sources"] == ["https://wire.example/siege"]
    )

    r = run_cli("evidence", str(c1), "--json")
    assert r.exit_code == 0
    passages = json.loads(r.stdout)
    assert passages[0]["snapshot_id"] == snap and "22 people were killed" in passages[0]["passage"]
    assert TEXT[passages[0]["start"] : passages[0]["end"]] == passages[0]["passage"]
    assert {"snapshot_id", "url", "passage", "score", "start", "end"} <= set(passages[0])

    r = run_cli(
        "assess",
        str(c1),
        str(sid),
        "--stance",
        "supports",
        "--reviewer",
        "ana",
        "--quote",
        "22 people were killed",
    )
    assert r.exit_code == 0, r.stderr
    r = run_cli(
        "verdict",
        str(c1),
        "mostly-true",
        "--reviewer",
        "ana",
        "--note",
        "Toll later revised to 21",
        "--json",
    )
    assert r.exit_code == 0
    assert json.loads(r.stdout)["verdict"] == "mostly-true"

    r = run_cli("history", str(c1), "--json")
    kinds = [e["kind"] for e in json.loads(r.stdout)]
    assert kinds == ["ingested", "fetched", "leased", "assessed", "verdict"]
    r = run_cli("history", str(c1))
    assert "verdict" in r.stdout and "ana" in r.stdout

    r = run_cli("search", "siege lasted", "--json")
    assert any(x["type"] == "claim" and x["id"] == c2 for x in json.loads(r.stdout))

    out = tmp_path / "reviews.json"
    refused = run_cli("export", "--format", "claimreview", "-o", str(out), "--org", "Fact Desk")
    assert refused.exit_code == 1 and not out.exists()
    assert refused.stderr.startswith(f"Error: claim {c1}: its ClaimReview lacks url")
    assert run_cli("config", "review_url", "https://desk.example/checks/{id}").exit_code == 0
    r = run_cli("export", "--format", "claimreview", "-o", str(out), "--org", "Fact Desk")
    assert r.exit_code == 0, r.stderr
    reviews = json.loads(out.read_text())
    assert len(reviews) == 1 and reviews[0]["reviewRating"]["ratingValue"] == 4
    assert reviews[0]["url"] == f"https://desk.example/checks/{c1}"
    # org is remembered
    r = run_cli("export", "--format", "claimreview")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["author"]["name"] == "Fact Desk"

    r = run_cli("export", "--format", "markdown", "--article", str(art))
    assert r.exit_code == 0
    assert "# Siege report" in r.stdout and "**Verdict: Mostly true**" in r.stdout

    r = run_cli("next", "--reviewer", "ana", "--json")
    assert json.loads(r.stdout)["id"] == c2
    r = run_cli("release", str(c2), "--reviewer", "ana")
    assert r.exit_code == 0
    r = run_cli("dismiss", str(c2), "--reviewer", "bob")
    assert r.exit_code == 0
    r = run_cli("next", "--reviewer", "bob", "--json")
    assert r.exit_code == 0 and r.stdout.strip() == "null"
    r = run_cli("requeue", str(c2), "--reviewer", "bob", "--priority", "4")
    assert r.exit_code == 0 and r.stdout == f"Claim {c2} queued (priority 4).\n"
    r = run_cli("requeue", str(c2), "--reviewer", "bob")
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: claim {c2} is queued, not a candidate")
    r = run_cli("next", "--reviewer", "bob", "--json")
    assert json.loads(r.stdout)["id"] == c2


def _unchanged(db_path, before):
    db = store.open_db(db_path)
    try:
        return counts(db) == before
    finally:
        db.close()


def test_bad_input_one_error_line_exit_1_nothing_changed(run_cli, db_path):
    art, c1, c2, sid, snap = _world(db_path)
    assert run_cli("next", "--reviewer", "ana").exit_code == 0
    db = store.open_db(db_path)
    before = counts(db)
    db.close()
    cases = [
        (
            ("assess", "999", str(sid), "--stance", "supports", "--reviewer", "ana"),
            "Error: no claim 999",
        ),
        (
            ("assess", str(c1), "77", "--stance", "supports", "--reviewer", "ana"),
            "Error: no source 77",
        ),
        (
            (
                "assess",
                str(c1),
                "https://nowhere.example/x",
                "--stance",
                "supports",
                "--reviewer",
                "ana",
            ),
            "Error: no source https://nowhere.example/x",
        ),
        (
            ("assess", str(c1), str(sid), "--stance", "agree", "--reviewer", "ana"),
            "Error: unknown stance 'agree'",
        ),
        (
            (
                "assess",
                str(c1),
                str(sid),
                "--stance",
                "supports",
                "--reviewer",
                "ana",
                "--quote",
                "23 people",
            ),
            "Error: quote not found in snapshot",
        ),
        (("verdict", str(c1), "truish", "--reviewer", "ana"), "Error: unknown verdict 'truish'"),
        (("verdict", str(c1), "true", "--reviewer", "bob"), "Error: claim 1 is leased to ana"),
        (("release", str(c1), "--reviewer", "bob"), "Error: claim 1 is leased to ana"),
        (("history", "999"), "Error: no claim 999"),
        (("evidence", "999"), "Error: no claim 999"),
        (("export", "--format", "pdf"), "Error: unknown export format 'pdf'"),
        (
            ("export", "--format", "claimreview"),
            "Error: ClaimReview needs the publishing organisation",
        ),
        (("export", "--format", "csv", "--article", "42"), "Error: no article 42"),
        (("queue", "--status", "waiting"), "Error: unknown status 'waiting'"),
    ]
    for args, message in cases:
        r = run_cli(*args)
        assert r.exit_code == 1, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (args, r.stderr)
        assert _unchanged(db_path, before), args
    # --force is allowed and recorded
    r = run_cli("verdict", str(c1), "true", "--reviewer", "bob", "--force", "--json")
    assert r.exit_code == 0
    r = run_cli("history", str(c1), "--json")
    assert json.loads(r.stdout)[-1]["detail"]["forced"] is True


def test_usage_errors_exit_2(run_cli, db_path):
    _world(db_path)
    assert run_cli("next").exit_code == 2  # --reviewer missing
    assert run_cli("assess", "x", "1", "--stance", "supports", "--reviewer", "a").exit_code == 2


def test_queue_human_output_and_lease_minutes(run_cli, db_path):
    art, c1, c2, sid, snap = _world(db_path)
    r = run_cli("next", "--reviewer", "ana", "--lease-minutes", "5", "--json")
    leased = json.loads(r.stdout)
    start = clock.parse_time(leased["lease_expires_at"])
    assert 4 * 60 < (start - clock.parse_time(clock.now())).total_seconds() <= 5 * 60
    r = run_cli("queue")
    assert r.exit_code == 0
    lines = r.stdout.strip().splitlines()
    assert "in_review: ana until" in lines[0] and lines[1].strip().startswith(str(c2))
    r = run_cli("queue", "--reviewer", "ana", "--json")
    assert [c["id"] for c in json.loads(r.stdout)] == [c1]


def test_search_human_output(run_cli, db_path):
    _world(db_path)
    r = run_cli("search", "siege")
    assert r.exit_code == 0
    assert "claim" in r.stdout and "[siege]" in r.stdout
    r = run_cli("search", "()")
    assert r.exit_code == 1 and r.stderr.startswith("Error: nothing to search for")


def test_search_human_output_for_very_common_words(run_cli, db_path, monkeypatch):
    from verify.review import search

    _world(db_path)
    monkeypatch.setattr(search, "RANK_WINDOW", 1)
    r = run_cli("search", "siege")
    assert r.exit_code == 0 and "  new  " in r.stdout
