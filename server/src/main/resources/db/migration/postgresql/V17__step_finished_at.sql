-- Keep it equal to db/migration/sqlite/V17__step_finished_at.sql. When a step ended (its last
-- step_complete's time; NULL while it runs or waits, or before this column): a step skipped or
-- cancelled without starting has an end but no start, and the runs listing's lastStep
-- (StepMark) is the step whose end, or start while it has not ended, is the latest.
ALTER TABLE run_steps ADD COLUMN finished_at BIGINT;
