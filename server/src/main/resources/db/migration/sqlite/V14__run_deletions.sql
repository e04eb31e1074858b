-- Keep it equal to db/migration/postgresql/V14__run_deletions.sql (INTEGER for BIGINT: the tables
-- are STRICT). The runs deleted lately, for the nodes that cannot hear each other (no Redis, or
-- Redis down): each polls this log for its all-runs streams' run_deleted (Store.deletedRuns), as
-- it polls the runs for their run-level events. A row is inserted in the transaction that deletes
-- the run's row, on PostgreSQL only (SQLite has one node), and removed by a later deletion once
-- it is an hour old.
CREATE TABLE run_deletions (
    run_id      TEXT    NOT NULL PRIMARY KEY,
    workflow_id TEXT    NOT NULL,
    deleted_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX run_deletions_by_time ON run_deletions (deleted_at);
