-- Keep it equal to db/migration/postgresql/V9__secrets.sql. Secrets (docs/security.md, "Secrets"):
-- each value encrypted with AES-GCM under a data key (nonce, then ciphertext and tag; the name is
-- the associated data), and the data keys themselves encrypted under the master key that every
-- node holds (--secrets-key-file or STEPSTREAM_SECRETS_KEY). A rotation adds a data key and
-- re-encrypts every secret under it; the newest data key is the current one.
CREATE TABLE secret_keys (
    key_id     TEXT    NOT NULL PRIMARY KEY,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
    name       TEXT    NOT NULL PRIMARY KEY,
    key_id     TEXT    NOT NULL,
    ciphertext BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
