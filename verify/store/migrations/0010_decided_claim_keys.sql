-- The match keys of every decided claim (verify.matchkeys), kept by triggers, for "checked
-- before": a claim page asks which decided claims say the same thing, and on an archive of a
-- million claims it must not read the whole claims index or re-derive the keys of its candidates
-- to answer. The rows follow claims.status whatever writes it: a claim that becomes decided is
-- added, one that leaves decided (reopened, evidence changed, deleted) is removed, a decided
-- claim whose text is edited gets new keys. The keys come from the SQL function
-- verify_match_keys, which verify registers on every connection it opens (store.connect).
CREATE TABLE decided_claim_keys (
    claim_id INTEGER PRIMARY KEY,
    keys TEXT NOT NULL
);

-- Full-text index over the keys only (already normalised: no stemming), as for known reviews.
CREATE VIRTUAL TABLE decided_claim_keys_fts USING fts5(keys, content='decided_claim_keys',
    content_rowid='claim_id', tokenize='unicode61');

-- How many decided claims hold each key (document frequency), and (key '') how many decided
-- claims there are: a look-up asks the index for its claim's rarest keys only.
CREATE TABLE decided_claim_key_docs (
    key TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;

-- Keys are [a-z0-9]+ words joined by single spaces, so '["","' || replace(keys, ' ', '","') || '"]'
-- is a JSON array of them after '', which counts the claim itself.
CREATE TRIGGER decided_claim_keys_ai AFTER INSERT ON decided_claim_keys BEGIN
    INSERT INTO decided_claim_keys_fts(rowid, keys) VALUES (new.claim_id, new.keys);
    INSERT INTO decided_claim_key_docs(key, docs)
        SELECT value, 1 FROM json_each('[""' || CASE new.keys WHEN '' THEN '' ELSE
            ',"' || replace(new.keys, ' ', '","') || '"' END || ']')
        WHERE value <> '' OR key = 0
        ON CONFLICT(key) DO UPDATE SET docs = docs + 1;
END;
CREATE TRIGGER decided_claim_keys_ad AFTER DELETE ON decided_claim_keys BEGIN
    INSERT INTO decided_claim_keys_fts(decided_claim_keys_fts, rowid, keys)
        VALUES ('delete', old.claim_id, old.keys);
    UPDATE decided_claim_key_docs SET docs = docs - 1 WHERE key IN
        (SELECT value FROM json_each('[""' || CASE old.keys WHEN '' THEN '' ELSE
            ',"' || replace(old.keys, ' ', '","') || '"' END || ']'));
    DELETE FROM decided_claim_key_docs WHERE docs <= 0;
END;

CREATE TRIGGER claims_decided_keys_ai AFTER INSERT ON claims WHEN new.status = 'decided' BEGIN
    INSERT INTO decided_claim_keys(claim_id, keys) VALUES (new.id, verify_match_keys(new.text));
END;
CREATE TRIGGER claims_decided_keys_au AFTER UPDATE OF status, text ON claims
    WHEN (old.status = 'decided') <> (new.status = 'decided')
        OR (new.status = 'decided' AND new.text IS NOT old.text) BEGIN
    DELETE FROM decided_claim_keys WHERE claim_id = old.id;
    INSERT INTO decided_claim_keys(claim_id, keys)
        SELECT new.id, verify_match_keys(new.text) WHERE new.status = 'decided';
END;
CREATE TRIGGER claims_decided_keys_ad AFTER DELETE ON claims WHEN old.status = 'decided' BEGIN
    DELETE FROM decided_claim_keys WHERE claim_id = old.id;
END;

-- The claims decided before this migration.
INSERT INTO decided_claim_keys(claim_id, keys)
    SELECT id, verify_match_keys(text) FROM claims WHERE status = 'decided';
