-- One model of a claim's life (issue 9).
-- Several assessments per claim and source, each bound to the snapshot it was made on; removing
-- one is recorded (removed_at/removed_by) and is an event. The "latest stance" copy on
-- claim_sources is gone: the assessments are the only record.
ALTER TABLE assessments ADD COLUMN removed_at TEXT;
ALTER TABLE assessments ADD COLUMN removed_by TEXT;
CREATE INDEX assessments_source ON assessments(source_id, id);
CREATE INDEX assessments_snapshot ON assessments(snapshot_id) WHERE snapshot_id IS NOT NULL;
ALTER TABLE claim_sources DROP COLUMN stance;
ALTER TABLE claim_sources DROP COLUMN stance_by;
ALTER TABLE claim_sources DROP COLUMN stance_at;
-- A verdict's value is called a verdict everywhere (it was `rating` in this table).
ALTER TABLE verdicts RENAME COLUMN rating TO verdict;
-- When the evidence a verdict relied on changed or vanished, the claim goes back to the queue:
-- its verdict moves to previous_verdict and evidence_changed_at says since when.
ALTER TABLE claims ADD COLUMN previous_verdict TEXT;
ALTER TABLE claims ADD COLUMN evidence_changed_at TEXT;
-- An assessment whose quote left its source (or whose source is gone) is flagged once.
ALTER TABLE assessments ADD COLUMN evidence_changed_at TEXT;
