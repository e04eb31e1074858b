-- Keep it equal to db/migration/postgresql/V11__claims.sql. What the claim of queued runs reads
-- (Store.claimQueued; docs/architecture.md, "Recovery and several nodes").
-- runs_claimable: the runs no node holds that have not ended, oldest first. The claim reads them
-- in that order and stops at the first few it may take; without it, both databases read every
-- run no node holds, finished ones included, before they could tell there was nothing to claim
-- (the SQLite store names it in the query: SQLite has no statistics to choose it by).
CREATE INDEX runs_claimable ON runs (created_at, run_id) WHERE owner IS NULL AND status IN ('queued', 'running', 'waiting');
-- Concurrency groups (docs/workflows.md, "Concurrency"; docs/architecture.md, "Concurrency
-- groups across nodes"). claimed_to_end: 1 while a queued run is claimed only to be ended without
-- running (skipped at its key's limit, or cancelled before it started), so that it holds no slot
-- of its key meanwhile. runs_queued_by_key: the queued runs that have a key, which every claim
-- looks for: empty when no workflow has a key, so a claim of runs without one pays a probe.
ALTER TABLE runs ADD COLUMN claimed_to_end INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_queued_by_key ON runs (concurrency_key) WHERE status = 'queued' AND concurrency_key IS NOT NULL;
