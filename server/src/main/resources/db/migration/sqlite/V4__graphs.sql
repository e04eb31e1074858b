-- Keep it equal to db/migration/postgresql/V4__graphs.sql. Steps in parallel, outputs and
-- sub-workflows (docs/workflows.md): a step's outputs, as its last step_complete carried them
-- (JSON; null before it completes), and the parent of a run that a `workflow` step started,
-- with its nesting depth (0 for a run started otherwise).
ALTER TABLE run_steps ADD COLUMN outputs BLOB;
ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN parent_step_id TEXT;
ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
