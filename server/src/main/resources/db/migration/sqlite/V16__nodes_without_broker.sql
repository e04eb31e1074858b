-- Keep it equal to db/migration/postgresql/V16__nodes_without_broker.sql (INTEGER for BIGINT:
-- the tables are STRICT). Until when a node said its broker could not publish; NULL when it did
-- not. A SQLite file serves one node, but the same columns keep the store's SQL shared.
ALTER TABLE nodes ADD COLUMN broker_down_until INTEGER;
