-- Keep it equal to db/migration/sqlite/V3__runs_by_finish.sql. The all-runs stream of a
-- node that cannot hear other nodes (Redis down, or none) reads the runs that ended lately
-- (Store.activeRuns); ended runs are found by this index, unfinished ones by runs_by_status.

CREATE INDEX runs_by_finish ON runs (finished_at);
