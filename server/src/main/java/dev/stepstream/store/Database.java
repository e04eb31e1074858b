package dev.stepstream.store;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The connection pools of one store and the three ways work runs on them: a write
 * transaction, a single-statement read, and a read of several statements from one snapshot.
 * Every {@link SQLException} leaves as a {@link StoreException} that says what failed.
 *
 * <p>Thread-safety: safe for any number of threads; each call borrows its own connection.
 * Writes go through {@code writer}: for SQLite that pool holds exactly one connection, so
 * writes from the committer and from API threads queue for it in the process instead of
 * spinning on SQLite's busy handler; readers never wait for it (WAL). For PostgreSQL both
 * are the same pool. After each SQLite write, the {@link WalCheckpointer} is asked to move
 * the new pages into the database file, off the writer's thread.
 */
final class Database implements AutoCloseable {

    /** Work on a borrowed connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Dialect dialect;
    private final HikariDataSource writer;
    private final HikariDataSource reader;
    /** SQLite only, else null. */
    private final WalCheckpointer checkpointer;

    Database(Dialect dialect, HikariDataSource writer, HikariDataSource reader, WalCheckpointer checkpointer) {
        this.dialect = dialect;
        this.writer = writer;
        this.reader = reader;
        this.checkpointer = checkpointer;
    }

    Dialect dialect() {
        return dialect;
    }

    /**
     * Runs {@code work} in one transaction on the writer: committed when it returns, rolled
     * back when it throws anything (which is then rethrown; SQL errors wrapped).
     */
    <T> T write(String what, Work<T> work) {
        T result = inTransaction(writer, what, null, work);
        if (checkpointer != null) {
            checkpointer.request();
        }
        return result;
    }

    /** Runs one statement's worth of reading in auto-commit mode. */
    <T> T read(String what, Work<T> work) {
        try (Connection connection = reader.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw failed(what, e);
        }
    }

    /** Runs several reads that must see one consistent state of the database. */
    <T> T snapshot(String what, Work<T> work) {
        return inTransaction(reader, what, dialect.snapshotStatement(), work);
    }

    private <T> T inTransaction(HikariDataSource pool, String what, String firstStatement, Work<T> work) {
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            T result;
            try {
                if (firstStatement != null) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute(firstStatement);
                    }
                }
                result = work.run(connection);
            } catch (Throwable t) {
                rollback(connection, t);
                throw t; // the pool restores auto-commit when the connection goes back
            }
            commit(pool, connection);
            return result;
        } catch (SQLException e) {
            throw failed(what, e);
        }
    }

    /**
     * Commits by going back to auto-commit mode, which JDBC defines as committing the open
     * transaction, and hands the connection back as the pool gave it. On SQLite that is one
     * statement, {@code COMMIT}, where {@code commit()} then {@code setAutoCommit(true)} were
     * three: sqlite-jdbc's {@code commit()} opens the next transaction at once (on the writer a
     * {@code BEGIN IMMEDIATE}, which takes the write lock) and the return to auto-commit ended it
     * with a second {@code COMMIT}. sqlite-jdbc records auto-commit mode before its
     * {@code COMMIT} runs, so after a {@code COMMIT} that failed it can neither roll back nor
     * tell that a transaction is open: the connection is evicted from the pool, and closing it
     * rolls back whatever it still holds.
     */
    private static void commit(HikariDataSource pool, Connection connection) throws SQLException {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            pool.evictConnection(connection);
            throw e;
        }
    }

    private static void rollback(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private StoreException failed(String what, SQLException e) {
        return new StoreException("could not " + what + " (" + dialect.displayName() + "): " + e.getMessage(), e);
    }

    /** @throws StoreException when the database does not answer */
    void ping() {
        read("reach the database", connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT 1");
                return null;
            }
        });
    }

    /** Stops the checkpointer, then closes the pools. */
    @Override
    public void close() {
        if (checkpointer != null) {
            checkpointer.close();
        }
        if (reader != writer) {
            reader.close();
        }
        writer.close();
    }
}
