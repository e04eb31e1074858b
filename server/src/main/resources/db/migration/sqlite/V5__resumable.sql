-- Keep it equal to db/migration/postgresql/V5__resumable.sql. A run of a workflow with
-- `onInterrupt: resume` (docs/workflows.md): when its node stops or dies it is handed back
-- (owner NULL, still running) and any node claims it to go on, rebuilt from its log.
ALTER TABLE runs ADD COLUMN resumable INTEGER NOT NULL DEFAULT 0;
