-- Keep it equal to db/migration/sqlite/V18__event_values.sql. The whole JSON of a value that
-- a variable_change carries only a preview of (over 16 KiB: docs/workflows.md, "Variables"),
-- written with the event in the same transaction and deleted with it, so that the log still
-- rebuilds the run a resume or a retry takes up (RunFold). NULL for every other event. Streams
-- and the broker never read it: they send the event's body alone.
ALTER TABLE events ADD COLUMN full_value BYTEA;
