-- The check-worthy part of a claim's sentence (issue 19): when a clause of the sentence scores
-- higher than the whole sentence (a fact inside a hedged, opinionated or long sentence), the
-- claim's score is the clause's and this row says which clause it was. start/end are offsets in
-- the article text (like claims.start/end); text is what was scored: the clause with its hedges
-- and discourse markers set aside ("seems to be" read as "is").
CREATE TABLE claim_parts (
    claim_id INTEGER PRIMARY KEY REFERENCES claims(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    score REAL NOT NULL
);
