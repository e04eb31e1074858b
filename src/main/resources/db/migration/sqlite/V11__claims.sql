-- Keep it equal to db/migration/postgresql/V11__claims.sql. What the claim of queued runs reads
-- (Store.claimQueued; docs/architecture.md, "Recovery and several nodes").
-- runs_claimable: the runs no node holds that have not ended, oldest first. The claim reads them
-- in that order and stops at the first few it may take; without it, both databases read every
-- run no node holds, finished ones included, before they could tell there was nothing to claim
-- (the SQLite store names it in the query: SQLite has no statistics to choose it by).
CREATE INDEX runs_claimable ON runs (created_at, run_id) WHERE owner IS NULL AND status IN ('queued', 'running', 'waiting');
