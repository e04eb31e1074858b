-- Keep it equal to db/migration/postgresql/V17__step_finished_at.sql (INTEGER for BIGINT: the
-- tables are STRICT). When a step ended: a step skipped without starting has an end but no start.
ALTER TABLE run_steps ADD COLUMN finished_at INTEGER;
