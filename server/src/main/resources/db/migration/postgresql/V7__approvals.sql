-- Keep it equal to db/migration/sqlite/V7__approvals.sql. Approval steps (docs/workflows.md,
-- "Approvals"): a run and a step may be `waiting`; a step's decision, once taken and until its
-- run's driver takes it in (JSON {approved, by, comment}); a run's approvals flag (its workflow
-- has approval steps, so its steps say whether it runs or waits); and wake_at, the time from
-- which a waiting run that no node holds is claimed again (its first decision deadline; 0 once
-- a decision came; NULL: not before a decision).
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'waiting', 'success', 'failed', 'cancelled', 'interrupted'));
ALTER TABLE runs ADD COLUMN approvals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN wake_at BIGINT;

ALTER TABLE run_steps DROP CONSTRAINT run_steps_status_check;
ALTER TABLE run_steps ADD CONSTRAINT run_steps_status_check
    CHECK (status IN ('pending', 'running', 'waiting', 'success', 'failed', 'skipped', 'cancelled'));
ALTER TABLE run_steps ADD COLUMN decision BYTEA;
