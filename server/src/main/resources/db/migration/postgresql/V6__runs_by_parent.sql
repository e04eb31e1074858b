-- Keep it equal to db/migration/sqlite/V6__runs_by_parent.sql. A resumed run's workflow step
-- takes up the child run it had started, if that is still going (Store.unfinishedChild).
CREATE INDEX runs_by_parent ON runs (parent_run_id, parent_step_id);
