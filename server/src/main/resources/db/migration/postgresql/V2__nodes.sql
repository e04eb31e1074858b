-- Many nodes on one database (issue 7). Keep it equal to db/migration/sqlite/V2__nodes.sql.
-- A run is executed by the node that claimed it (owner); each node holds a lease in nodes and
-- renews it; the runs of a node whose lease lapsed are adopted by another node.
-- cancel_requested (0 or 1) lets a cancel sent to any node reach the node that executes the run.

ALTER TABLE runs ADD COLUMN owner TEXT COLLATE "C";
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;

-- Finds a node's unfinished runs (cancels, adoption).
CREATE INDEX runs_by_owner ON runs (owner, status);

CREATE TABLE nodes (
    node_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);
