-- Many nodes on one database (issue 7). Keep it equal to db/migration/postgresql/V2__nodes.sql.
-- A SQLite file serves one node, but the same columns keep the store's SQL shared: a run is
-- executed by the node that claimed it (owner); each node holds a lease in nodes and renews it;
-- cancel_requested (0 or 1) lets a cancel reach the node that executes the run.

ALTER TABLE runs ADD COLUMN owner TEXT;
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;

CREATE INDEX runs_by_owner ON runs (owner, status);

CREATE TABLE nodes (
    node_id     TEXT    NOT NULL PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    lease_until INTEGER NOT NULL
) STRICT;
