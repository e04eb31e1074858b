-- Keep it equal to db/migration/sqlite/V10__triggers.sql. What started a run (docs/workflows.md,
-- "Triggers"): manual, schedule, webhook, retry or workflow, the trigger's id and the due time a
-- schedule fired for; its concurrency key, limit and onLimit ("Concurrency"), which the claim
-- respects; and, per schedule, the last due time fired, which nodes advance with a compare-and-set
-- so that one due time starts one run whatever the number of nodes.
ALTER TABLE runs ADD COLUMN trigger_type TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE runs ADD COLUMN trigger_id TEXT;
ALTER TABLE runs ADD COLUMN trigger_due_at BIGINT;
ALTER TABLE runs ADD COLUMN concurrency_key TEXT;
ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER;
ALTER TABLE runs ADD COLUMN on_limit TEXT;
UPDATE runs SET trigger_type = 'retry' WHERE retry_of IS NOT NULL;
UPDATE runs SET trigger_type = 'workflow', trigger_id = parent_run_id WHERE parent_run_id IS NOT NULL;
UPDATE runs SET trigger_id = retry_of WHERE retry_of IS NOT NULL;
CREATE INDEX runs_by_concurrency_key ON runs (concurrency_key, status);
CREATE TABLE schedule_fires (
    workflow_id TEXT NOT NULL,
    trigger_id  TEXT NOT NULL,
    last_due_at BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, trigger_id)
);
