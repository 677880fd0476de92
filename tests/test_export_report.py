"""The Markdown report tells the truth (issue 19): status changes, dead sources, and each
recovered copy dated by the web archive's capture."""

from __future__ import annotations

import io

from review_helpers import make_claim, make_snapshot, make_source

from verify import store
from verify.export import tables as export


def test_markdown_report_has_status_changes_dead_sources_and_archive_dates(db) -> None:
    cid = make_claim(db, "At least 22 people died.")
    live = make_source(db, cid, "https://wire.example/siege")
    make_snapshot(db, live, "Officials said 22 people died.")
    gone = make_source(db, cid, "https://gone.example/story")
    memento = make_snapshot(db, gone, "22 people died, the paper said.")
    with store.immediate(db):
        db.conn.execute(
            "UPDATE snapshots SET origin = 'archive', archive_name = 'Internet Archive',"
            " memento_url = 'https://web.archive.org/web/20151121000000/https://gone.example/story',"
            " memento_datetime = '2015-11-21T00:00:00Z' WHERE id = ?",
            [memento],
        )
        db.conn.execute("UPDATE sources SET dead_at = '2026-11-20T08:00:00Z' WHERE id = ?", [gone])
        db.conn.execute(
            "INSERT INTO verdicts (claim_id, verdict, reviewer, forced, created_at)"
            " VALUES (?, 'true', 'ana', 0, '2026-11-19T08:00:00Z')",
            [cid],
        )
        db.conn.execute(
            "UPDATE claims SET status = 'queued', previous_verdict = 'true',"
            " evidence_changed_at = '2026-11-21T09:00:00Z' WHERE id = ?",
            [cid],
        )
    out = io.StringIO()
    export.export(db, "markdown", out=out)
    report = out.getvalue()
    assert "   - Earlier verdict: True by ana on 2026-11-19" in report
    assert "   - Evidence changed on 2026-11-21: reopened, the verdict was True" in report
    assert (
        "<https://gone.example/story>: archived by Internet Archive on 2015-11-21T00:00:00Z"
        " <https://web.archive.org/web/20151121000000/https://gone.example/story>"
    ) in report
    assert "source gone since 2026-11-20" in report
    assert "<https://wire.example/siege>: captured 2026-11-21T10:00:00.000000Z" in report
