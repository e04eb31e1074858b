-- Keep it equal to db/migration/postgresql/V8__retries.sql. A run made by a retry
-- (docs/workflows.md, "Retrying a run"): the run it retries and from where (failed, start, or a
-- step id); the retried run's detail lists its retries through runs_by_retry_of.
ALTER TABLE runs ADD COLUMN retry_of TEXT;
ALTER TABLE runs ADD COLUMN retry_from TEXT;
CREATE INDEX runs_by_retry_of ON runs (retry_of);
