-- Browser capture (issue 10): how a snapshot was taken, and what a browser capture keeps
-- besides the main response: the rendered DOM, a screenshot, a provenance record, and every
-- subresource the page loaded (payloads stored once per digest in `payloads`).

-- The new error kind 'browser' (Chromium crashed or could not render). SQLite cannot alter a
-- CHECK constraint; widening one leaves every stored row valid, so the schema text is edited in
-- place as SQLite documents for constraint changes that do not touch the stored data
-- (https://www.sqlite.org/lang_altertable.html#otheralter): no table rebuild, so rows, ids,
-- indexes, foreign keys and the FTS triggers stay exactly as they are. The DDL after it bumps
-- the schema version, so every open connection reloads the schema.
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, '''http_error'', ''unsupported''))', '''http_error'', ''unsupported'', ''browser''))')
    WHERE type = 'table' AND name = 'snapshots' AND sql NOT LIKE '%''browser''%';
PRAGMA writable_schema = RESET;

-- static: the bytes one GET received; browser: rendered in headless Chromium as well.
ALTER TABLE snapshots ADD COLUMN mode TEXT NOT NULL DEFAULT 'static' CHECK (mode IN ('static', 'browser'));

-- One row per browser snapshot.
CREATE TABLE browser_captures (
    snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots(id),
    page_url TEXT,                                  -- where the page ended
    dom_sha256 TEXT REFERENCES payloads(sha256),    -- the rendered DOM after scripts (UTF-8 HTML)
    screenshot_sha256 TEXT REFERENCES payloads(sha256),  -- full-page PNG
    screenshot_width INTEGER,
    screenshot_height INTEGER,
    provenance TEXT NOT NULL,                       -- JSON: browser, viewport, UA, times, IPs, mode, reason
    cut TEXT                                        -- JSON: the limits hit and what they cut
);

-- Every request a browser snapshot's page made, answered by verify's fetcher or refused.
CREATE TABLE snapshot_resources (
    id INTEGER PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    url TEXT NOT NULL,
    method TEXT NOT NULL DEFAULT 'GET',
    resource_type TEXT,                 -- as Chromium names it: image, stylesheet, script, font, fetch, ...
    status INTEGER,
    headers TEXT,                       -- JSON list of [name, value] as received
    content_type TEXT,
    content_encoding TEXT,
    sha256 TEXT REFERENCES payloads(sha256),
    size INTEGER,
    ip_address TEXT,
    fetched_at TEXT NOT NULL,
    error TEXT,                         -- an error kind (blocked_address, too_large, ...) or NULL
    error_message TEXT
);
CREATE INDEX snapshot_resources_snapshot ON snapshot_resources(snapshot_id, url);
