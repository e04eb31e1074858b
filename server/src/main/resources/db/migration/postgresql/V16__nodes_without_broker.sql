-- Keep it equal to db/migration/sqlite/V16__nodes_without_broker.sql. Until when a node said
-- its broker (Redis) could not publish; NULL when it did not. While a live node says so, the
-- other nodes read every run's run-level events, queueings and deletions from the store, as
-- they do while their own broker is down, so that their all-runs streams still show that node's
-- runs (Store.markBrokerDown, Store.anyNodeWithoutBroker; broker/Relay).
ALTER TABLE nodes ADD COLUMN broker_down_until BIGINT;
