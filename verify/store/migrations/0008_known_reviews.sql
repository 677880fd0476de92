-- Fact-checks published by others (schema.org ClaimReview), for "has this been checked before?".
-- Imported with `verify import-claimreview`; one row per (review URL, claim text).
CREATE TABLE known_reviews (
    id INTEGER PRIMARY KEY,
    claim_text TEXT NOT NULL,         -- claimReviewed
    rating TEXT,                      -- reviewRating.alternateName, else its ratingValue
    rating_value TEXT,                -- reviewRating.ratingValue as published
    best_rating TEXT,
    worst_rating TEXT,
    publisher TEXT,                   -- who published the review (author or publisher name)
    claimant TEXT,                    -- who made the claim (itemReviewed.author)
    reviewed_at TEXT,                 -- the review's datePublished, as published
    url TEXT,                         -- the review's page
    keys TEXT NOT NULL,               -- match keys: concepts and normalised numbers (verify.similar)
    fingerprint TEXT NOT NULL UNIQUE, -- sha256 of the URL and the normalised claim text
    origin TEXT,                      -- the file or URL it was imported from
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Full-text index over the match keys only (they are already normalised: no stemming here).
CREATE VIRTUAL TABLE known_reviews_fts USING fts5(keys, content='known_reviews', content_rowid='id',
    tokenize='unicode61');
CREATE TRIGGER known_reviews_fts_ai AFTER INSERT ON known_reviews BEGIN
    INSERT INTO known_reviews_fts(rowid, keys) VALUES (new.id, new.keys);
END;
CREATE TRIGGER known_reviews_fts_ad AFTER DELETE ON known_reviews BEGIN
    INSERT INTO known_reviews_fts(known_reviews_fts, rowid, keys) VALUES ('delete', old.id, old.keys);
END;
CREATE TRIGGER known_reviews_fts_au AFTER UPDATE OF keys ON known_reviews BEGIN
    INSERT INTO known_reviews_fts(known_reviews_fts, rowid, keys) VALUES ('delete', old.id, old.keys);
    INSERT INTO known_reviews_fts(rowid, keys) VALUES (new.id, new.keys);
END;

-- How many known reviews hold each match key (document frequency), counted when a review is
-- added, so a lookup can leave out keys too common to narrow anything down.
CREATE TABLE known_review_keys (
    key TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
