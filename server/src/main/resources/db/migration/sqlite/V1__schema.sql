-- stepstream schema, SQLite flavour. Keep it column for column equal to
-- db/migration/postgresql/V1__schema.sql: the store's SQL is shared by both.
-- Times are epoch milliseconds; run ids are canonical lowercase UUID text; JSON documents
-- (definitions, inputs, variable values, event envelopes) are UTF-8 bytes.
-- STRICT tables make SQLite check column types the way PostgreSQL does.

CREATE TABLE workflows (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT,
    description TEXT,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    step_count  INTEGER NOT NULL,
    definition  BLOB    NOT NULL
) STRICT;

-- No foreign key to workflows: deleting a workflow keeps the history of its runs, and each
-- run carries the definition it was queued with.
CREATE TABLE runs (
    run_id           TEXT    NOT NULL PRIMARY KEY,
    workflow_id      TEXT    NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled', 'interrupted')),
    inputs           BLOB    NOT NULL,
    definition       BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    duration_ms      INTEGER,
    error            TEXT,
    last_seq         INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The listing pages newest first by (created_at, run_id), optionally narrowed by workflow or
-- status; runs_by_status also serves runsWithStatus (oldest first).
CREATE INDEX runs_newest      ON runs (created_at, run_id);
CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at, run_id);
CREATE INDEX runs_by_status   ON runs (status, created_at, run_id);

CREATE TABLE run_steps (
    run_id      TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    step_id     TEXT    NOT NULL,
    step_name   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'cancelled')),
    attempt     INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER,
    duration_ms INTEGER,
    error       TEXT,
    PRIMARY KEY (run_id, step_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE run_variables (
    run_id TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (run_id, name)
) STRICT;

-- The log, read back by (run_id, seq) through its primary key. A rowid table, not WITHOUT
-- ROWID: envelopes are a few hundred bytes, past the ~1/20 of a page beyond which SQLite
-- advises against WITHOUT ROWID (whose interior pages hold whole rows); here the rows append
-- to the table's b-tree and only the small (run_id, seq) key goes to the index.
CREATE TABLE events (
    run_id TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    type   TEXT    NOT NULL,
    time   INTEGER NOT NULL,
    body   BLOB    NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT;
