-- stepstream schema, PostgreSQL flavour. Keep it column for column equal to
-- db/migration/sqlite/V1__schema.sql: the store's SQL is shared by both.
-- Times are epoch milliseconds; run ids are canonical lowercase UUID text; JSON documents
-- (definitions, inputs, variable values, event envelopes) are UTF-8 bytes.
-- Ids are compared bytewise (COLLATE "C"), as SQLite does, so that the runs listing orders
-- ties the same way on both databases whatever the server's locale.

CREATE TABLE workflows (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name        TEXT,
    description TEXT,
    version     INTEGER NOT NULL,
    updated_at  BIGINT  NOT NULL,
    step_count  INTEGER NOT NULL,
    definition  BYTEA   NOT NULL
);

-- No foreign key to workflows: deleting a workflow keeps the history of its runs, and each
-- run carries the definition it was queued with.
CREATE TABLE runs (
    run_id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    workflow_id      TEXT COLLATE "C" NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled', 'interrupted')),
    inputs           BYTEA   NOT NULL,
    definition       BYTEA   NOT NULL,
    created_at       BIGINT  NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    duration_ms      BIGINT,
    error            TEXT,
    last_seq         BIGINT  NOT NULL DEFAULT 0
);

-- The listing pages newest first by (created_at, run_id), optionally narrowed by workflow or
-- status; runs_by_status also serves runsWithStatus (oldest first).
CREATE INDEX runs_newest      ON runs (created_at, run_id);
CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at, run_id);
CREATE INDEX runs_by_status   ON runs (status, created_at, run_id);

CREATE TABLE run_steps (
    run_id      TEXT COLLATE "C" NOT NULL,
    position    INTEGER NOT NULL,
    step_id     TEXT COLLATE "C" NOT NULL,
    step_name   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'cancelled')),
    attempt     INTEGER NOT NULL DEFAULT 0,
    started_at  BIGINT,
    duration_ms BIGINT,
    error       TEXT,
    PRIMARY KEY (run_id, step_id)
);

CREATE TABLE run_variables (
    run_id TEXT COLLATE "C" NOT NULL,
    name   TEXT COLLATE "C" NOT NULL,
    value  BYTEA NOT NULL,
    PRIMARY KEY (run_id, name)
);

-- The log, read back by (run_id, seq) through its primary key.
CREATE TABLE events (
    run_id TEXT COLLATE "C" NOT NULL,
    seq    BIGINT  NOT NULL,
    type   TEXT    NOT NULL,
    time   BIGINT  NOT NULL,
    body   BYTEA   NOT NULL,
    PRIMARY KEY (run_id, seq)
);
