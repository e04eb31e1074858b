package dev.stepstream.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stepstream.files.PrivateFiles;
import dev.stepstream.settings.Redact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.Driver;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Opens a {@link Store}: the embedded SQLite file of a single node, or a PostgreSQL database
 * shared by many. Each factory brings the schema up to date with the Flyway migrations under
 * {@code db/migration/<database>} before it returns, so the store is ready to use.
 */
public final class Stores {

    /** The file under the data directory that holds a node's embedded database. */
    public static final String SQLITE_FILE_NAME = "stepstream.db";

    private static final String POSTGRESQL_PREFIX = "jdbc:postgresql:";

    /**
     * Readers of the SQLite file. WAL lets them read while the single writer writes; beyond a
     * few, they only contend for the machine's cores.
     */
    private static final int SQLITE_READERS = 4;

    private static final int POSTGRESQL_CONNECTIONS = 10;

    /**
     * What {@link #open(String, Path, Duration)} is given by callers without a lease of their
     * own: a third of the default lease.
     */
    static final Duration DEFAULT_STALLED_AFTER = Duration.ofSeconds(5);

    /**
     * The writer checkpoints by itself once the write-ahead log holds this many pages (40 MiB
     * at 4 KiB a page), instead of SQLite's 1,000: a backstop, as the {@link WalCheckpointer}
     * normally keeps the log short without making the committer wait.
     */
    private static final int SQLITE_WRITER_AUTOCHECKPOINT_PAGES = 10_000;

    /**
     * The size the write-ahead log is cut back to when it starts over after a checkpoint.
     * SQLite otherwise keeps the file as large as it ever grew: a burst of writes (an ingest
     * flood while the sweeper deletes: 100 MB measured) would hold that disk for good. Above the
     * writer's own checkpoint bound, so that a flood does not cut and regrow it each time.
     */
    private static final long SQLITE_WAL_SIZE_LIMIT_BYTES = 64L << 20;

    /**
     * How long a SQLite connection waits for a lock held by another process before failing
     * (within this process, writes queue for the one writer connection instead).
     */
    private static final int SQLITE_BUSY_TIMEOUT_MS = 10_000;

    /** {@code PRAGMA auto_vacuum}'s value for INCREMENTAL. */
    private static final int SQLITE_AUTO_VACUUM_INCREMENTAL = 2;

    private static final Logger log = LoggerFactory.getLogger(Stores.class);

    private Stores() {}

    /**
     * PostgreSQL when {@code jdbcUrlOrNull} is a {@code jdbc:postgresql:} URL; SQLite in
     * {@code dataDir/stepstream.db} when it is null or blank (the directory is created).
     *
     * @throws IllegalArgumentException for any other URL (named in the message, password hidden)
     * @throws StoreException when the database cannot be opened or migrated
     */
    public static Store open(String jdbcUrlOrNull, Path dataDir) {
        return open(jdbcUrlOrNull, dataDir, DEFAULT_STALLED_AFTER);
    }

    /**
     * As {@link #open(String, Path)}, with PostgreSQL ending a session of this node that waits
     * inside a transaction for longer than {@code stalledAfter} ({@link #postgres(String, Duration)}).
     */
    public static Store open(String jdbcUrlOrNull, Path dataDir, Duration stalledAfter) {
        if (jdbcUrlOrNull == null || jdbcUrlOrNull.isBlank()) {
            return sqlite(dataDir.resolve(SQLITE_FILE_NAME));
        }
        if (jdbcUrlOrNull.startsWith(POSTGRESQL_PREFIX)) {
            return postgres(jdbcUrlOrNull, stalledAfter);
        }
        throw new IllegalArgumentException("unsupported database URL \"" + Redact.url(jdbcUrlOrNull)
                + "\": use a jdbc:postgresql://HOST[:PORT]/DATABASE URL, or none for SQLite in the data directory");
    }

    /**
     * The SQLite database in {@code file}, created with its parent directories if missing.
     *
     * <p>Journal mode WAL, {@code synchronous=NORMAL}: a commit writes the WAL without an fsync,
     * so a committed batch survives the process being killed (kill -9, an OOM kill), which is
     * what stepstream promises; a power loss or OS crash may lose the last commits before the
     * next checkpoint (never corrupting the file). {@code synchronous=FULL} would close that
     * window at the price of one fsync per batch.
     *
     * @throws StoreException when the file cannot be opened or migrated
     */
    public static Store sqlite(Path file) {
        Path absolute = file.toAbsolutePath();
        try {
            // Created 0600 before SQLite opens it (an empty file is an empty database), so that
            // its -wal and -shm files, which SQLite gives the database's mode, are private too.
            PrivateFiles.createFile(absolute);
        } catch (FileAlreadyExistsException e) {
            // the database of an earlier start (or of another node on this file): its mode is kept
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + absolute, e);
        }
        String url = "jdbc:sqlite:" + absolute;
        String where = "SQLite database " + absolute;
        SQLiteDataSource readerSource = sqliteDataSource(url, sqliteConfig(SQLiteConfig.TransactionMode.DEFERRED));
        incrementalVacuum(readerSource, where);
        migrate(Dialect.SQLITE, readerSource, where);
        // One writer connection: writes are serialised by SQLite anyway; queueing for the
        // connection in-process beats polling SQLite's lock. Its transactions begin IMMEDIATE,
        // taking the write lock up front, so that one that reads before it writes cannot fail
        // on a lock upgrade should another process write to the file too.
        SQLiteConfig writerConfig = sqliteConfig(SQLiteConfig.TransactionMode.IMMEDIATE);
        writerConfig.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, String.valueOf(SQLITE_WRITER_AUTOCHECKPOINT_PAGES));
        writerConfig.setPragma(SQLiteConfig.Pragma.JOURNAL_SIZE_LIMIT, String.valueOf(SQLITE_WAL_SIZE_LIMIT_BYTES));
        SQLiteDataSource writerSource = sqliteDataSource(url, writerConfig);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            HikariDataSource writer = pool("stepstream-sqlite-writer", writerSource, 1, where);
            opened.add(writer);
            HikariDataSource reader = pool("stepstream-sqlite-reader", readerSource, SQLITE_READERS, where);
            opened.add(reader);
            WalCheckpointer checkpointer = WalCheckpointer.start(readerSource);
            return new JdbcStore(new Database(Dialect.SQLITE, writer, reader, checkpointer));
        } catch (SQLException e) {
            closeAll(opened, e);
            throw new StoreException("could not open the " + where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    /**
     * Makes the file one whose free pages can be given back while the server runs
     * ({@code auto_vacuum = INCREMENTAL}, {@link Store#reclaim}): without it, deleting runs
     * leaves the file as large as it ever was until a full VACUUM, which needs the whole file
     * to itself. A new file takes the mode before its first table; a file made by an earlier
     * version is rewritten once with VACUUM (seconds per GB, and room for a copy of the file
     * meanwhile), said in the log before and after.
     */
    private static void incrementalVacuum(DataSource source, String where) {
        try (Connection connection = source.getConnection(); Statement statement = connection.createStatement()) {
            if (JdbcStore.single(statement, "PRAGMA auto_vacuum") == SQLITE_AUTO_VACUUM_INCREMENTAL) {
                return;
            }
            statement.execute("PRAGMA auto_vacuum = INCREMENTAL");
            // The mode takes effect with a VACUUM, even in a new file: opening it in WAL mode
            // has already written its first page. Instant then; a rewrite of an older file.
            boolean empty = JdbcStore.single(statement, "SELECT COUNT(*) FROM sqlite_schema") == 0;
            long started = System.nanoTime();
            if (!empty) {
                log.info("converting the {} to incremental auto-vacuum, once (VACUUM: it takes a while for a large file)", where);
            }
            statement.execute("VACUUM");
            if (!empty) {
                log.info("converted the {} to incremental auto-vacuum in {} ms", where, (System.nanoTime() - started) / 1_000_000);
            }
        } catch (SQLException e) {
            throw new StoreException("could not set incremental auto-vacuum on the " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * Says so in the log when the PostgreSQL server's autovacuum is off: the server deletes runs
     * in small batches and leaves the space to autovacuum, so without it the tables grow for
     * good (docs/operations.md, "Space given back"). A database that cannot tell is not warned of.
     */
    private static void warnWithoutAutovacuum(DataSource source, String where) {
        try (Connection connection = source.getConnection(); Statement statement = connection.createStatement();
             ResultSet setting = statement.executeQuery("SELECT current_setting('autovacuum')")) {
            if (setting.next() && "off".equals(setting.getString(1))) {
                log.warn("autovacuum is off on the {}: the space of deleted runs and events is never reused and its tables"
                        + " keep growing; turn autovacuum on, or schedule VACUUM (docs/operations.md, \"Space given back\")", where);
            }
        } catch (SQLException e) {
            log.debug("could not read the autovacuum setting of the {}: {}", where, e.getMessage());
        }
    }

    private static void closeAll(List<AutoCloseable> opened, Exception cause) {
        for (AutoCloseable closeable : opened.reversed()) {
            try {
                closeable.close();
            } catch (Exception e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** {@link #postgres(String, Duration)} with {@link #DEFAULT_STALLED_AFTER}. */
    public static Store postgres(String jdbcUrl) {
        return postgres(jdbcUrl, DEFAULT_STALLED_AFTER);
    }

    /**
     * The PostgreSQL database at {@code jdbcUrl}. User, password and every other property are
     * read from the URL by the driver's own parser ({@code ?user=…&password=…}); the schema is
     * the URL's {@code currentSchema}, else the server's search path.
     *
     * <p>A session of this store that waits inside a transaction for longer than
     * {@code stalledAfter} is ended by the server, which rolls the transaction back
     * ({@code idle_in_transaction_session_timeout}). Our transactions wait on the node for
     * microseconds between statements; one that waits for seconds is a node that stopped
     * mid-transaction (a pause, a frozen VM, a network cut that left the connection open). Its
     * row locks would otherwise hold up every other node: their adoption of runs waits on a
     * lapsed node's row, and the same thread renews their leases, so one stalled node would cost
     * all the others their leases. Server passes a third of the lease, so the others renew in time.
     *
     * @throws IllegalArgumentException when the URL is not a PostgreSQL JDBC URL
     * @throws StoreException when the server cannot be reached or the schema migrated
     */
    public static Store postgres(String jdbcUrl, Duration stalledAfter) {
        PGSimpleDataSource source = postgresSource(jdbcUrl, stalledAfter);
        String where = "PostgreSQL database " + Redact.url(jdbcUrl);
        migrate(Dialect.POSTGRESQL, source, where);
        warnWithoutAutovacuum(source, where);
        HikariDataSource pool = pool("stepstream-postgresql", source, POSTGRESQL_CONNECTIONS, where);
        return new JdbcStore(new Database(Dialect.POSTGRESQL, pool, pool, null));
    }

    /** The connections of {@link #postgres(String, Duration)}, as it makes them. */
    static PGSimpleDataSource postgresSource(String jdbcUrl, Duration stalledAfter) {
        if (!jdbcUrl.startsWith(POSTGRESQL_PREFIX) || Driver.parseURL(jdbcUrl, null) == null) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL: \"" + Redact.url(jdbcUrl)
                    + "\"; expected jdbc:postgresql://HOST[:PORT]/DATABASE[?user=…&password=…]");
        }
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setURL(jdbcUrl);
        // Lets the driver send a batch of event inserts as multi-row INSERTs: several times
        // fewer round trips on the commit path.
        source.setReWriteBatchedInserts(true);
        // Sent at connection start-up, so it costs no statement; first, so that a value the
        // URL's own options give wins.
        String own = source.getOptions();
        source.setOptions("-c idle_in_transaction_session_timeout=" + Math.max(1, stalledAfter.toMillis())
                + (own == null || own.isBlank() ? "" : " " + own));
        return source;
    }

    private static SQLiteConfig sqliteConfig(SQLiteConfig.TransactionMode transactions) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(SQLITE_BUSY_TIMEOUT_MS);
        config.setTransactionMode(transactions);
        return config;
    }

    private static SQLiteDataSource sqliteDataSource(String url, SQLiteConfig config) {
        SQLiteDataSource source = new SQLiteDataSource(config);
        source.setUrl(url);
        return source;
    }

    /**
     * The schema version the code expects: the highest {@code V<n>__} migration of each database
     * (StoresTest checks that they agree).
     */
    static final int SCHEMA_VERSION = 18;

    /**
     * Migrates over an unpooled connection, before any pool exists. A database already at
     * {@link #SCHEMA_VERSION} is left as it is without starting Flyway, which would find nothing
     * to do after ~0.5 s of loading its classes and scanning the jar for migrations: most of a
     * restart's time (docs/BENCHMARKS.md, start-up).
     */
    private static void migrate(Dialect dialect, DataSource source, String where) {
        SchemaHistory history = history(source);
        if (history != null && history.version() > SCHEMA_VERSION) {
            // Flyway would warn and go on; this build would then write a schema it does not know.
            throw new StoreException("the " + where + " was written by a newer stepstream (its schema is version "
                    + history.version() + "; this one knows up to " + SCHEMA_VERSION
                    + "): run that version or a newer one, or restore a backup from before the upgrade", null);
        }
        if (history != null && history.version() == SCHEMA_VERSION && history.failed() == 0) {
            return; // current: no need for Flyway's own start-up
        }
        try {
            MigrateResult result = Flyway.configure()
                    .dataSource(source)
                    .locations(dialect.migrations())
                    .load()
                    .migrate();
            if (history != null && result.migrationsExecuted > 0) {
                // An upgrade: said once, so that an operator knows from when an older version refuses the store.
                log.info("migrated the {} from schema version {} to {} ({} migration{})", where, result.initialSchemaVersion,
                        result.targetSchemaVersion, result.migrationsExecuted, result.migrationsExecuted == 1 ? "" : "s");
            }
        } catch (FlywayException e) {
            throw new StoreException("could not migrate the " + where + ": " + e.getMessage(), e);
        }
    }

    /** Flyway's history of a database: its newest schema version, and how many migrations failed. */
    private record SchemaHistory(int version, int failed) {}

    /**
     * The database's {@link SchemaHistory}; null when it has none (a new database) or it cannot be
     * read, for Flyway to do the work or report what is wrong.
     */
    private static SchemaHistory history(DataSource source) {
        String sql = "SELECT MAX(CAST(version AS INTEGER)), SUM(CASE WHEN success THEN 0 ELSE 1 END)"
                + " FROM flyway_schema_history WHERE version IS NOT NULL";
        try (Connection connection = source.getConnection();
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            return result.next() ? new SchemaHistory(result.getInt(1), result.getInt(2)) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private static HikariDataSource pool(String name, DataSource source, int size, String where) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setDataSource(source);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("could not open the " + where + ": " + e.getMessage(), e);
        }
    }
}
