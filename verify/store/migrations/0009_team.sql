-- A newsroom's team (issue 13): accounts with roles, web sessions that can be ended,
-- assignment, skips, tags, the claimant of a claim, and second-person approval of verdicts.

-- One account per person. password_hash is scrypt with its salt and parameters
-- (scrypt$n$r$p$salt$hash, base64); the clear password is never stored. session_epoch goes up
-- on a password change or when the account is disabled, which ends every session it had.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'editor', 'admin')),
    password_hash TEXT NOT NULL,
    session_epoch INTEGER NOT NULL DEFAULT 0,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Web sessions: the cookie carries a random token, this table its sha256. A session is valid
-- while not ended, not expired, and its epoch is the account's current one.
CREATE TABLE _sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    epoch INTEGER NOT NULL,
    address TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX _sessions_user ON _sessions(user_id);

-- Who a claim is assigned to (an account name), and who made the claim (ClaimReview's
-- itemReviewed.author).
ALTER TABLE claims ADD COLUMN assignee TEXT;
ALTER TABLE claims ADD COLUMN claimant TEXT;
CREATE INDEX claims_assignee ON claims(assignee, status) WHERE assignee IS NOT NULL;

CREATE TABLE claim_tags (
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    tag TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (claim_id, tag)
) WITHOUT ROWID;
CREATE INDEX claim_tags_tag ON claim_tags(tag, claim_id);

-- `verify skip`: the claim is not handed back to this reviewer before `until`.
CREATE TABLE skips (
    reviewer TEXT NOT NULL,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    until TEXT NOT NULL,
    PRIMARY KEY (reviewer, claim_id)
) WITHOUT ROWID;

-- Second-person approval: one row per approved verdict (append-only, like verdicts). A claim's
-- verdict is approved when its latest verdict row has an approval.
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    verdict_id INTEGER NOT NULL UNIQUE REFERENCES verdicts(id),
    approver TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX approvals_claim ON approvals(claim_id, id);
