package dev.stepstream.store;

/**
 * What differs between the two databases once the schema is in place. Everything else (the
 * SQL, {@code ON CONFLICT … DO UPDATE}, {@code RETURNING}, row-value comparisons, byte
 * columns through {@code setBytes}) is shared by {@link JdbcStore}.
 */
enum Dialect {
    /**
     * A deferred transaction in WAL mode reads one snapshot from its first read on, so a
     * read that spans several statements needs nothing more than the transaction.
     */
    SQLITE("SQLite", "classpath:db/migration/sqlite", null),

    /**
     * Read committed, the server's default, takes a new snapshot per statement; a read that
     * spans several statements asks for one snapshot for the whole transaction.
     */
    POSTGRESQL("PostgreSQL", "classpath:db/migration/postgresql",
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");

    private final String displayName;
    private final String migrations;
    private final String snapshotStatement;

    Dialect(String displayName, String migrations, String snapshotStatement) {
        this.displayName = displayName;
        this.migrations = migrations;
        this.snapshotStatement = snapshotStatement;
    }

    String displayName() {
        return displayName;
    }

    /** The Flyway location of this database's migrations. */
    String migrations() {
        return migrations;
    }

    /** The first statement of a multi-statement read transaction, or null when none is needed. */
    String snapshotStatement() {
        return snapshotStatement;
    }
}
