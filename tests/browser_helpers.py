"""Shared pieces of the web UI tests: a small review database built directly (so the tests do
not depend on ingest or capture), a signed-in Flask test client, and the app running under
waitress on 127.0.0.1 port 0 in a thread."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from verify import store

T0 = "2026-11-20T10:00:00.000000Z"

ARTICLE = (
    "Gunmen stormed the Radisson Blu hotel in Bamako on Friday.\n\n"
    "At least 22 people died in the siege, officials said. "
    "The government plans to deploy 650 soldiers to the north.\n\n"
    "Is this the start of a new campaign? Nobody can say."
)

SOURCE_TEXT = (
    "Mali hotel attack: the toll\n\n"
    "Officials in Bamako said at least 22 people were killed when gunmen stormed the hotel. "
    "Around 170 guests and staff were held hostage for several hours.\n\n"
    "Special forces ended the siege in the afternoon."
)
SOURCE_HTML = (
    "<!doctype html><html><head><title>Mali hotel attack: the toll</title></head><body>"
    "<h1>Mali hotel attack: the toll</h1><p>Officials in Bamako said at least 22 people were "
    "killed when gunmen stormed the hotel. Around 170 guests and staff were held hostage for "
    "several hours.</p><p>Special forces ended the siege in the afternoon.</p></body></html>"
)
ARCHIVE_TEXT = (
    "Witnesses said gunmen stormed the Radisson Blu hotel in Bamako early on Friday morning."
)
SOLDIERS_TEXT = (
    "The defence ministry announced that 650 soldiers would be sent to the north of the country."
)


def hostile_html(log_url: str) -> str:
    """A page that tries everything a snapshot must never do when shown."""
    return f"""<!doctype html><html><head><title>Hostile page</title>
<meta http-equiv="refresh" content="0; url={log_url}?meta-refresh">
<script>
document.title = "PWNED-script";
try {{ document.cookie = "pwned=1; path=/"; }} catch (e) {{}}
try {{ localStorage.setItem("pwned", "1"); }} catch (e) {{}}
try {{ parent.document.title = "PWNED-parent"; }} catch (e) {{}}
fetch("{log_url}?fetch");
new Image().src = "{log_url}?image-js";
alert("pwned");
</script>
<script src="{log_url}?external-script"></script>
<link rel="stylesheet" href="{log_url}?stylesheet">
</head>
<body onload="document.title='PWNED-onload'; fetch('{log_url}?onload')">
<h1>Hostile page</h1>
<p>The casualty count was 22 according to this page.</p>
<img src="{log_url}?img" onerror="document.title='PWNED-onerror'">
<img src="x" onerror="fetch('{log_url}?onerror')">
<iframe src="{log_url}?iframe"></iframe>
<svg onload="fetch('{log_url}?svg')"></svg>
<form action="{log_url}?form" method="post"><input name="a" value="b"></form>
<a href="javascript:alert(1)">click</a>
</body></html>"""


@dataclass
class Data:
    article_id: int
    claims: dict[str, int]
    sources: dict[str, int]
    snapshots: dict[str, int]


def _snapshot(
    db: Any,
    source_id: int,
    url: str,
    *,
    text: str | None,
    body: bytes | None,
    status: int | None = 200,
    error: str | None = None,
    error_message: str | None = None,
    title: str | None = None,
    fetched_at: str = T0,
    previous_id: int | None = None,
    changed: int | None = None,
    content_type: str = "text/html; charset=utf-8",
    headers: list[list[str]] | None = None,
) -> int:
    sha = store.put_payload(db, body) if body is not None else None
    cur = db.conn.execute(
        "INSERT INTO snapshots (source_id, requested_url, final_url, redirects, status, http_version, headers,"
        " sha256, size, body_sha256, body_size, content_type, charset, title, text, fetched_at, elapsed_ms,"
        " robots, error, error_message, changed, previous_id)"
        " VALUES (?, ?, ?, ?, ?, 'HTTP/1.1', ?, ?, ?, ?, ?, ?, 'utf-8', ?, ?, ?, 12.5, 'allowed', ?, ?, ?, ?)",
        [
            source_id,
            url,
            url if error is None else None,
            json.dumps([{"url": url.replace("/a/", "/old/"), "status": 301, "location": url}])
            if error is None
            else "[]",
            status,
            json.dumps(headers or [["Content-Type", content_type], ["Server", "test"]]),
            sha,
            len(body) if body is not None else None,
            sha,
            len(body) if body is not None else None,
            content_type if error is None else None,
            title,
            text,
            fetched_at,
            error,
            error_message,
            changed,
            previous_id,
        ],
    )
    store.add_event(
        db,
        "fetched",
        source_id=source_id,
        snapshot_id=cur.lastrowid,
        actor="capture",
        at=fetched_at,
        detail={"status": status, "error": error},
    )
    return cur.lastrowid


def _source(db: Any, claim_id: int, url: str, *, anchor: str | None = None) -> int:
    source_id = db.conn.execute(
        "INSERT INTO sources (url, host, created_at) VALUES (?, ?, ?)", [url, url.split("/")[2], T0]
    ).lastrowid
    db.conn.execute(
        "INSERT INTO claim_sources (claim_id, source_id, origin, anchor_text, created_at) VALUES (?, ?, 'article', ?, ?)",
        [claim_id, source_id, anchor, T0],
    )
    return source_id


def build_review_data(db: Any, *, hostile_log_url: str = "http://127.0.0.1:9/log") -> Data:
    """An article with three queued claims (offsets into its text), sources in every capture
    state (ok, changed, gone, failed), and a hostile page."""
    with store.immediate(db):
        article_id = db.conn.execute(
            "INSERT INTO articles (title, url, source_name, text, content_sha256, ingested_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                "Siege in Bamako <b>analysis</b>",
                "https://news.example/bamako",
                "bamako.html",
                ARTICLE,
                "x",
                T0,
            ],
        ).lastrowid
        store.add_event(db, "ingested", article_id=article_id, actor="ingest", at=T0)
        claims = {}
        for key, sentence, priority, status in (
            ("died", "At least 22 people died in the siege, officials said.", 5, "queued"),
            ("soldiers", "The government plans to deploy 650 soldiers to the north.", 3, "queued"),
            ("stormed", "Gunmen stormed the Radisson Blu hotel in Bamako on Friday.", 1, "queued"),
            ("question", "Is this the start of a new campaign?", 0, "candidate"),
        ):
            start = ARTICLE.index(sentence)
            claims[key] = db.conn.execute(
                'INSERT INTO claims (article_id, text, start, "end", score, status, priority, origin, created_at, updated_at)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'article', ?, ?)",
                [
                    article_id,
                    sentence,
                    start,
                    start + len(sentence),
                    0.9 - priority / 100,
                    status,
                    priority,
                    T0,
                    T0,
                ],
            ).lastrowid
        sources = {
            "toll": _source(
                db, claims["died"], "https://wire.example/a/toll", anchor="officials said"
            ),
            "gone": _source(db, claims["died"], "https://gone.example/a/story"),
            "hostile": _source(db, claims["died"], "https://evil.example/a/page"),
            "army": _source(db, claims["soldiers"], "https://gov.example/a/army"),
            "down": _source(db, claims["soldiers"], "https://down.example/a/x"),
            "pending": _source(db, claims["stormed"], "https://pending.example/a/x"),
        }
        # a source no claim cites yet: related evidence already in the archive
        sources["archive"] = db.conn.execute(
            "INSERT INTO sources (url, host, created_at) VALUES (?, ?, ?)",
            ["https://archive.example/a/bamako", "archive.example", T0],
        ).lastrowid
        snaps = {}
        old = _snapshot(
            db,
            sources["toll"],
            "https://wire.example/a/toll",
            text=SOURCE_TEXT.replace("22", "20"),
            body=SOURCE_HTML.replace("22", "20").encode(),
            title="Mali hotel attack: the toll",
            fetched_at="2026-11-20T11:00:00.000000Z",
        )
        snaps["toll_old"] = old
        snaps["toll"] = _snapshot(
            db,
            sources["toll"],
            "https://wire.example/a/toll",
            text=SOURCE_TEXT,
            body=SOURCE_HTML.encode(),
            title="Mali hotel attack: the toll",
            fetched_at="2026-11-21T11:00:00.000000Z",
            previous_id=old,
            changed=1,
        )
        snaps["gone"] = _snapshot(
            db,
            sources["gone"],
            "https://gone.example/a/story",
            text=None,
            body=None,
            status=404,
            error="http_error",
            error_message="HTTP 404 Not Found",
        )
        snaps["hostile"] = _snapshot(
            db,
            sources["hostile"],
            "https://evil.example/a/page",
            text="Hostile page\n\nThe casualty count was 22 according to this page.",
            body=hostile_html(hostile_log_url).encode(),
            title="Hostile page",
        )
        snaps["army"] = _snapshot(
            db,
            sources["army"],
            "https://gov.example/a/army",
            text=SOLDIERS_TEXT,
            body=f"<p>{SOLDIERS_TEXT}</p>".encode(),
            title="Defence ministry",
        )
        snaps["down"] = _snapshot(
            db,
            sources["down"],
            "https://down.example/a/x",
            text=None,
            body=None,
            status=None,
            error="timeout",
            error_message="no answer within 20 s",
        )
        snaps["archive"] = _snapshot(
            db,
            sources["archive"],
            "https://archive.example/a/bamako",
            text=ARCHIVE_TEXT,
            body=f"<p>{ARCHIVE_TEXT}</p>".encode(),
            title="Bamako hotel siege",
        )
    return Data(article_id, claims, sources, snaps)


def sign_in(client: Any, name: str = "ana", password: str | None = None) -> str:
    """Sign a Flask test client in; returns the session's CSRF token."""
    page = client.get("/signin")
    token = csrf_from(page.get_data(as_text=True))
    form = {"reviewer": name, "csrf_token": token}
    if password is not None:
        form["password"] = password
    answer = client.post("/signin", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return csrf_from(client.get("/").get_data(as_text=True))


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@contextmanager
def running(app: Any, threads: int = 4) -> Iterator[str]:
    """The app under waitress on 127.0.0.1, port 0; yields its base URL."""
    from verify.web import make_server

    server = make_server(app, "127.0.0.1", 0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        server.task_dispatcher.shutdown(timeout=2)
