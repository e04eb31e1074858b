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
    SQLITE("SQLite", "classpath:db/migration/sqlite", null, "", true, null, true,
            "COALESCE(json_extract(CAST(definition AS TEXT), '$.name'), workflow_id)",
            "body LIKE ? ESCAPE '\\'"),

    /**
     * Read committed, the server's default, takes a new snapshot per statement; a read that
     * spans several statements asks for one snapshot for the whole transaction.
     */
    POSTGRESQL("PostgreSQL", "classpath:db/migration/postgresql",
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", " FOR UPDATE SKIP LOCKED", false,
            "SELECT pg_advisory_xact_lock(?, hashtext(?))", false,
            "COALESCE(convert_from(definition, 'UTF8')::json ->> 'name', workflow_id)",
            "convert_from(body, 'UTF8') ILIKE ? ESCAPE '\\'");

    private final String displayName;
    private final String migrations;
    private final String snapshotStatement;
    private final String skipLocked;
    private final boolean numbersParameters;
    private final String keyLock;
    private final boolean namesIndexes;
    private final String workflowName;
    private final String bodyContains;

    Dialect(String displayName, String migrations, String snapshotStatement, String skipLocked, boolean numbersParameters,
            String keyLock, boolean namesIndexes, String workflowName, String bodyContains) {
        this.bodyContains = bodyContains;
        this.workflowName = workflowName;
        this.keyLock = keyLock;
        this.namesIndexes = namesIndexes;
        this.displayName = displayName;
        this.migrations = migrations;
        this.snapshotStatement = snapshotStatement;
        this.skipLocked = skipLocked;
        this.numbersParameters = numbersParameters;
    }

    /**
     * Whether SQL may number its parameters ({@code ?1}) and bind one value in several places.
     * SQLite does; the PostgreSQL driver knows only {@code ?}.
     */
    boolean numbersParameters() {
        return numbersParameters;
    }

    /**
     * What ends a SELECT of rows to claim: PostgreSQL locks them and skips rows another node
     * is claiming at the same moment, so that concurrent claims neither wait nor collide.
     * SQLite serialises writers (and a file serves one node), so it needs nothing.
     */
    String skipLocked() {
        return skipLocked;
    }

    /**
     * The statement that takes a concurrency key's lock until the transaction ends (parameters:
     * the lock space, the key), or null where writers are serialised already. PostgreSQL: an
     * advisory lock on the key's hash, so that nodes claiming runs of one key take turns (two keys
     * with one hash take turns too, which costs a wait, never a wrong count). SQLite: one writer at
     * a time, and one node per file.
     */
    String keyLock() {
        return keyLock;
    }

    /**
     * What follows a table name to read it through {@code index} (a partial index whose terms
     * the query repeats), or nothing. SQLite's planner has no statistics (nothing runs ANALYZE),
     * and without them it prefers an index with more equality terms: for the claim it would read
     * every unclaimed run ever kept through runs_by_owner and sort them, where runs_claimable
     * holds only the unfinished ones in claim order. PostgreSQL's statistics find the partial
     * indexes by themselves.
     */
    String indexedBy(String index) {
        return namesIndexes ? " INDEXED BY " + index : "";
    }

    /**
     * Whether several nodes may share the database, and so must be able to read what one of them
     * did from the store alone ({@link Store#deletedRuns}). A SQLite file has one node.
     */
    boolean sharedByNodes() {
        return this == POSTGRESQL;
    }

    /**
     * Whether the driver receives a query's whole result before its first row is read, so that
     * a read bounded by bytes must stop in the statement: PostgreSQL's does, outside a
     * transaction with a fetch size; sqlite-jdbc steps through the rows as they are read.
     */
    boolean receivesResultsWhole() {
        return this == POSTGRESQL;
    }

    /**
     * {@code select}, a read of events' {@code seq, type, time, body} in seq order with its
     * {@code LIMIT}, stopped in the statement at the row with which the rows' bodies reach a
     * number of bytes, bound as one more parameter after the others, where the driver receives
     * results whole (a running sum); elsewhere {@code select} as it is, whose reader stops itself.
     */
    String stoppingAtBytes(String select) {
        if (!receivesResultsWhole()) {
            return select;
        }
        return "SELECT seq, type, time, body FROM (SELECT seq, type, time, body,"
                + " SUM(LENGTH(body)) OVER (ORDER BY seq) - LENGTH(body) AS bytes_before FROM ("
                + select + ") AS page) AS cut WHERE bytes_before < ? ORDER BY seq";
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

    /**
     * The SQL expression of a {@code runs} row's workflow name: the {@code name} of the definition
     * the run was queued with, else its workflow id (the name's default, as
     * {@link dev.stepstream.workflow.WorkflowValidator} has it). Read in the database so that a
     * listing of runs transfers no definitions (each may be up to 1 MiB).
     */
    String workflowName() {
        return workflowName;
    }

    /**
     * The condition that an event's stored envelope ({@code body}, UTF-8 JSON) matches a
     * {@code LIKE} pattern (one parameter, escape {@code \}) ignoring the case of ASCII letters:
     * SQLite's LIKE (which reads a BLOB as text), PostgreSQL's ILIKE (which folds other letters
     * too, or not, as the database's locale says: the C locale does not).
     */
    String bodyContains() {
        return bodyContains;
    }
}
