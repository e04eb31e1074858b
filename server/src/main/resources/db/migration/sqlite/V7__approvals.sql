-- Keep it equal to db/migration/postgresql/V7__approvals.sql. Approval steps (docs/workflows.md,
-- "Approvals"): a run and a step may be `waiting`; a step's decision, once taken and until its
-- run's driver takes it in (JSON {approved, by, comment}); a run's approvals flag (its workflow
-- has approval steps, so its steps say whether it runs or waits); and wake_at, the time from
-- which a waiting run that no node holds is claimed again (its first decision deadline; 0 once
-- a decision came; NULL: not before a decision).
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt, as its manual says
-- (https://www.sqlite.org/lang_altertable.html#otheralter), with every column and index.

CREATE TABLE runs_v7 (
    run_id           TEXT    NOT NULL PRIMARY KEY,
    workflow_id      TEXT    NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'success', 'failed', 'cancelled', 'interrupted')),
    inputs           BLOB    NOT NULL,
    definition       BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    duration_ms      INTEGER,
    error            TEXT,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    owner            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    parent_run_id    TEXT,
    parent_step_id   TEXT,
    depth            INTEGER NOT NULL DEFAULT 0,
    resumable        INTEGER NOT NULL DEFAULT 0,
    approvals        INTEGER NOT NULL DEFAULT 0,
    wake_at          INTEGER
) STRICT;

INSERT INTO runs_v7 (run_id, workflow_id, workflow_version, status, inputs, definition, created_at, started_at,
                     finished_at, duration_ms, error, last_seq, owner, cancel_requested, parent_run_id,
                     parent_step_id, depth, resumable)
SELECT run_id, workflow_id, workflow_version, status, inputs, definition, created_at, started_at,
       finished_at, duration_ms, error, last_seq, owner, cancel_requested, parent_run_id,
       parent_step_id, depth, resumable
  FROM runs;

DROP TABLE runs;
ALTER TABLE runs_v7 RENAME TO runs;

CREATE INDEX runs_newest      ON runs (created_at, run_id);
CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at, run_id);
CREATE INDEX runs_by_status   ON runs (status, created_at, run_id);
CREATE INDEX runs_by_owner    ON runs (owner, status);
CREATE INDEX runs_by_finish   ON runs (finished_at);
CREATE INDEX runs_by_parent   ON runs (parent_run_id, parent_step_id);

CREATE TABLE run_steps_v7 (
    run_id      TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    step_id     TEXT    NOT NULL,
    step_name   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'success', 'failed', 'skipped', 'cancelled')),
    attempt     INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER,
    duration_ms INTEGER,
    error       TEXT,
    outputs     BLOB,
    decision    BLOB,
    PRIMARY KEY (run_id, step_id)
) STRICT, WITHOUT ROWID;

INSERT INTO run_steps_v7 (run_id, position, step_id, step_name, status, attempt, started_at, duration_ms, error, outputs)
SELECT run_id, position, step_id, step_name, status, attempt, started_at, duration_ms, error, outputs
  FROM run_steps;

DROP TABLE run_steps;
ALTER TABLE run_steps_v7 RENAME TO run_steps;
