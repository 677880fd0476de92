-- Match keys now come from lemmas (simplemma) and fold aliases (verify.aliases): re-key what
-- existing archives store, so old and new claims and reviews are compared with one rule. The
-- keys come from verify_match_keys, the SQL function verify registers on every connection.
UPDATE known_reviews SET keys = verify_match_keys(claim_text);
DELETE FROM known_review_keys;
INSERT INTO known_review_keys (key, docs)
    SELECT value, count(DISTINCT known_reviews.id)
    FROM known_reviews, json_each('["' || replace(keys, ' ', '","') || '"]')
    WHERE keys != ''
    GROUP BY value;
-- the triggers of migration 0010 keep the full-text index and the key counts in step
DELETE FROM decided_claim_keys;
INSERT INTO decided_claim_keys (claim_id, keys)
    SELECT id, verify_match_keys(text) FROM claims WHERE status = 'decided';
