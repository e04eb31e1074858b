-- Keep it equal to db/migration/sqlite/V15__secrets_version.sql. A number that grows in the
-- transaction of every secret set or deleted, so that a node learns with one cheap read whether
-- the secrets it masks in every run changed through another node (Store.secretsVersion;
-- docs/security.md, "Masking"). One row.
CREATE TABLE secrets_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);

INSERT INTO secrets_version (id, version) VALUES (1, 0);
