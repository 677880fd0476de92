-- When a source is gone (issue 11): web-archive recovery, the link-rot watch, archiving out.
--
-- A snapshot is either captured live from the source (origin 'live') or recovered from a web
-- archive (origin 'archive'): then it names the archive, the memento it came from, when the
-- archive captured it (Memento-Datetime), the source URL the archive knows it by, and whether it
-- lies before or after the reference time (the article's publication date, else when verify
-- first saw the source). archive_digest is the digest the archive's index claims for the
-- memento; digest_mismatch says whether the bytes received differ from it (both are kept).
ALTER TABLE snapshots ADD COLUMN origin TEXT NOT NULL DEFAULT 'live' CHECK (origin IN ('live', 'archive'));
ALTER TABLE snapshots ADD COLUMN archive_name TEXT;
ALTER TABLE snapshots ADD COLUMN memento_url TEXT;
ALTER TABLE snapshots ADD COLUMN memento_datetime TEXT;
ALTER TABLE snapshots ADD COLUMN original_url TEXT;
ALTER TABLE snapshots ADD COLUMN reference_at TEXT;
ALTER TABLE snapshots ADD COLUMN reference_kind TEXT CHECK (reference_kind IN ('article', 'first_seen'));
ALTER TABLE snapshots ADD COLUMN memento_relation TEXT CHECK (memento_relation IN ('before', 'after'));
ALTER TABLE snapshots ADD COLUMN archive_digest TEXT;
ALTER TABLE snapshots ADD COLUMN memento_sha1 TEXT;
ALTER TABLE snapshots ADD COLUMN digest_mismatch INTEGER;
CREATE INDEX snapshots_live ON snapshots(source_id, origin, id);

-- Every look-up of a source in a web archive: what was found or why nothing was.
CREATE TABLE recoveries (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    archive_name TEXT NOT NULL,
    lookup_url TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('recovered', 'not_found', 'failed', 'skipped')),
    error TEXT,                     -- an error kind (model.ERROR_KINDS) or 'bad_answer'
    message TEXT,
    candidates INTEGER,             -- mementos the archive listed
    snapshot_id INTEGER REFERENCES snapshots(id),
    created_at TEXT NOT NULL
);
CREATE INDEX recoveries_source ON recoveries(source_id, id);

-- The link-rot watch: consecutive failed checks (counted only when at least the minimum gap
-- apart), when the source was last checked, and since when it is dead.
ALTER TABLE sources ADD COLUMN check_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN last_failure_at TEXT;
ALTER TABLE sources ADD COLUMN checked_at TEXT;
ALTER TABLE sources ADD COLUMN dead_at TEXT;
-- the state the watch last recorded (a soft 404 is gone for it, while the snapshot says 200)
ALTER TABLE sources ADD COLUMN watch_state TEXT;

-- Save Page Now requests (archiving out): when, what the archive answered.
CREATE TABLE save_requests (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    archive_url TEXT NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL CHECK (outcome IN ('saved', 'refused', 'failed')),
    memento_url TEXT,
    message TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX save_requests_source ON save_requests(source_id, id);

-- The article page itself, captured when an article is ingested from a URL.
ALTER TABLE articles ADD COLUMN snapshot_id INTEGER REFERENCES snapshots(id);
