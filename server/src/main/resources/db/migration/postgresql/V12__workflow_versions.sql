-- Keep it equal to db/migration/sqlite/V12__workflow_versions.sql (INTEGER for BIGINT: the tables
-- are STRICT). Every version of every workflow (docs/api.md, "Workflow versions"): a put that makes
-- a new version adds its row in the same transaction, and deleting a workflow keeps them, so that
-- the runs that used a version can still show it. No foreign key to workflows, as for runs.
-- Filled from the current definitions, then from the versions that existing runs used (with the
-- definition and creation time of its first run: a version's updated time is not known otherwise).
CREATE TABLE workflow_versions (
    workflow_id TEXT COLLATE "C" NOT NULL,
    version     INTEGER NOT NULL,
    definition  BYTEA   NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (workflow_id, version)
);
INSERT INTO workflow_versions (workflow_id, version, definition, updated_at)
SELECT id, version, definition, updated_at FROM workflows;
INSERT INTO workflow_versions (workflow_id, version, definition, updated_at)
SELECT workflow_id, workflow_version, definition, created_at FROM runs WHERE true
 ORDER BY created_at, run_id
ON CONFLICT (workflow_id, version) DO NOTHING;
