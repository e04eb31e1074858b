-- Keep it equal to db/migration/sqlite/V13__run_purges.sql. A deleted run whose events are still
-- being removed (docs/api.md, "DELETE /api/v2/workflows/runs/{runId}"): the row is inserted in the
-- transaction that deletes the run's row, and removed once its last event is gone, so that the
-- events of a process that died in between are found and removed later (Store.pendingPurges).
CREATE TABLE run_purges (
    run_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    deleted_at BIGINT NOT NULL
);
