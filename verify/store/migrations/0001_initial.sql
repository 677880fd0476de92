-- verify: the whole archive in one SQLite file.
-- Migrations are numbered and append-only; a later change adds a new file.

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    title TEXT,
    url TEXT,                       -- where the article came from, if anywhere
    source_name TEXT,               -- file name, '-' for stdin, or the URL
    text TEXT NOT NULL,             -- readable text; claim offsets point into it
    html TEXT,                      -- the original HTML when there was any
    content_sha256 TEXT NOT NULL,   -- sha256 of text, to make re-ingest idempotent
    published TEXT,
    ingested_at TEXT NOT NULL
);
CREATE INDEX articles_sha ON articles(content_sha256);

-- Hyperlinks inside the article body, with their offsets in articles.text.
CREATE TABLE article_links (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    url TEXT NOT NULL,              -- normalised
    raw_url TEXT NOT NULL,          -- as written in the page
    anchor_text TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX article_links_article ON article_links(article_id);

-- Every sentence of an article is a claim row; those under the threshold have
-- status 'candidate' and are not queued, so no sentence is lost.
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    article_id INTEGER REFERENCES articles(id),
    text TEXT NOT NULL,
    start INTEGER,                  -- offsets in articles.text (NULL when added by hand)
    "end" INTEGER,
    score REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('candidate', 'queued', 'in_review', 'decided', 'dismissed')),
    priority INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT 'article' CHECK (origin IN ('article', 'manual', 'import')),
    verdict TEXT CHECK (verdict IN ('true', 'mostly-true', 'mixed', 'mostly-false', 'false', 'unverifiable')),
    verdict_note TEXT,
    decided_by TEXT,
    decided_at TEXT,
    lease_reviewer TEXT,
    lease_expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX claims_article ON claims(article_id, start);
CREATE INDEX claims_queue ON claims(status, priority DESC, created_at, score DESC, id);
CREATE INDEX claims_lease ON claims(status, lease_expires_at);
CREATE INDEX claims_reviewer ON claims(lease_reviewer) WHERE lease_reviewer IS NOT NULL;
CREATE INDEX claims_text ON claims(text);

-- One row per normalised URL, shared by every claim that cites it.
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX sources_host ON sources(host);

-- The link between a claim and a candidate source, with the reviewer's latest stance.
CREATE TABLE claim_sources (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    origin TEXT NOT NULL CHECK (origin IN ('article', 'manual', 'import')),
    anchor_text TEXT,
    note TEXT,
    stance TEXT CHECK (stance IN ('supports', 'refutes', 'unrelated', 'unavailable')),
    stance_by TEXT,
    stance_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (claim_id, source_id)
);
CREATE INDEX claim_sources_source ON claim_sources(source_id);

-- Every stance ever recorded (append-only); claim_sources.stance is the latest.
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    snapshot_id INTEGER REFERENCES snapshots(id),
    stance TEXT NOT NULL CHECK (stance IN ('supports', 'refutes', 'unrelated', 'unavailable')),
    quote_exact TEXT,               -- W3C Web Annotation TextQuoteSelector
    quote_prefix TEXT,
    quote_suffix TEXT,
    quote_start INTEGER,            -- TextPositionSelector into snapshots.text
    quote_end INTEGER,
    reviewer TEXT NOT NULL,
    forced INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX assessments_claim ON assessments(claim_id, id);

-- Every verdict ever given (append-only); claims.verdict is the latest.
CREATE TABLE verdicts (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    rating TEXT NOT NULL CHECK (rating IN ('true', 'mostly-true', 'mixed', 'mostly-false', 'false', 'unverifiable')),
    note TEXT,
    reviewer TEXT NOT NULL,
    forced INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX verdicts_claim ON verdicts(claim_id, id);

-- Payload bytes, stored once per sha256 of the stored bytes, compressed.
CREATE TABLE payloads (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,          -- uncompressed length
    compression TEXT NOT NULL DEFAULT 'zstd' CHECK (compression IN ('zstd', 'none')),
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- A fetch run (one `verify fetch`), so a killed run can be resumed.
CREATE TABLE fetch_runs (
    id INTEGER PRIMARY KEY,
    params TEXT NOT NULL,           -- JSON of the selection and options
    started_at TEXT NOT NULL,
    finished_at TEXT
);

-- One fetch attempt of a source (success or failure).
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    run_id INTEGER REFERENCES fetch_runs(id),
    requested_url TEXT NOT NULL,
    final_url TEXT,
    redirects TEXT NOT NULL DEFAULT '[]',   -- JSON list of hops {url, status, location}
    status INTEGER,                          -- HTTP status of the final response
    http_version TEXT,
    request_headers TEXT,                    -- JSON list of [name, value] as sent
    headers TEXT,                            -- JSON list of [name, value] as received
    sha256 TEXT REFERENCES payloads(sha256), -- digest of the stored payload
    size INTEGER,                            -- stored payload length
    body_sha256 TEXT,                        -- digest of the decoded body (change detection)
    body_size INTEGER,
    content_encoding TEXT,
    content_type TEXT,
    charset TEXT,
    title TEXT,
    canonical_url TEXT,
    published TEXT,
    text TEXT,
    fetched_at TEXT NOT NULL,
    elapsed_ms REAL,
    attempts INTEGER NOT NULL DEFAULT 1,
    robots TEXT CHECK (robots IN ('allowed', 'disallowed', 'ignored', 'unavailable')),
    error TEXT CHECK (error IN ('timeout', 'dns', 'refused', 'reset', 'tls', 'too_large',
        'redirect_loop', 'blocked_address', 'robots', 'http_error', 'unsupported')),
    error_message TEXT,
    changed INTEGER,                         -- NULL first capture, 0 unchanged, 1 changed
    previous_id INTEGER REFERENCES snapshots(id)
);
CREATE INDEX snapshots_source ON snapshots(source_id, id);
CREATE INDEX snapshots_run ON snapshots(run_id, source_id);
CREATE INDEX snapshots_sha ON snapshots(sha256);

-- The append-only history.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,     -- ingested, source_added, fetched, leased, released, expired,
                            -- assessed, decided, exported, claim_added, imported, dismissed, ...
    claim_id INTEGER,
    source_id INTEGER,
    snapshot_id INTEGER,
    article_id INTEGER,
    actor TEXT,
    detail TEXT,            -- JSON
    created_at TEXT NOT NULL
);
CREATE INDEX events_claim ON events(claim_id, id);
CREATE INDEX events_source ON events(source_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Settings (organisation name for ClaimReview, lease minutes, ...).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT
);

-- Full-text search, kept in sync by triggers.
CREATE VIRTUAL TABLE claims_fts USING fts5(text, content='claims', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER claims_fts_ai AFTER INSERT ON claims BEGIN
    INSERT INTO claims_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER claims_fts_ad AFTER DELETE ON claims BEGIN
    INSERT INTO claims_fts(claims_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER claims_fts_au AFTER UPDATE OF text ON claims BEGIN
    INSERT INTO claims_fts(claims_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO claims_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE VIRTUAL TABLE snapshots_fts USING fts5(title, text, content='snapshots', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER snapshots_fts_ai AFTER INSERT ON snapshots BEGIN
    INSERT INTO snapshots_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER snapshots_fts_ad AFTER DELETE ON snapshots BEGIN
    INSERT INTO snapshots_fts(snapshots_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER snapshots_fts_au AFTER UPDATE OF title, text ON snapshots BEGIN
    INSERT INTO snapshots_fts(snapshots_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO snapshots_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
