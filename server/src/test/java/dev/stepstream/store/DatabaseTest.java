package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** A write transaction's end on the one SQLite writer: what a commit that fails leaves behind. */
class DatabaseTest {

    @TempDir
    Path dir;

    /**
     * In rollback-journal mode a reader's open transaction holds a shared lock, so the writer's
     * {@code COMMIT} cannot take the exclusive lock it needs and fails once its busy timeout
     * passes, with its transaction still open. The write must fail, store nothing, and leave the
     * writer able to write once the reader is gone (not holding the failed transaction, nor
     * believing it has none).
     */
    @Test
    void aWriteWhoseCommitFailsStoresNothingAndTheWriterWritesOnAfterIt() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("test.db");
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.DELETE);
        config.setBusyTimeout(50);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        SQLiteDataSource source = new SQLiteDataSource(config);
        source.setUrl(url);
        HikariConfig pool = new HikariConfig();
        pool.setDataSource(source);
        pool.setMaximumPoolSize(1);
        try (HikariDataSource writer = new HikariDataSource(pool);
             Database db = new Database(Dialect.SQLITE, writer, writer, null)) {
            db.write("create the table", connection -> {
                try (Statement create = connection.createStatement()) {
                    create.execute("CREATE TABLE t (v INTEGER)");
                }
                return null;
            });

            try (Connection reader = DriverManager.getConnection(url)) {
                reader.setAutoCommit(false);
                try (Statement select = reader.createStatement(); ResultSet rows = select.executeQuery("SELECT v FROM t")) {
                    rows.next(); // the read transaction now holds its shared lock
                }
                assertThatThrownBy(() -> db.write("insert 1", connection -> insert(connection, 1)))
                        .isInstanceOf(StoreException.class)
                        .hasMessageStartingWith("could not insert 1 (SQLite)");
                reader.rollback();
            }

            db.write("insert 2", connection -> insert(connection, 2));
            assertThat(values(db)).containsExactly(2);
        }
    }

    private static Void insert(Connection connection, int value) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
            insert.setInt(1, value);
            insert.executeUpdate();
        }
        return null;
    }

    private static List<Integer> values(Database db) {
        return db.read("read the table", connection -> {
            List<Integer> values = new ArrayList<>();
            try (Statement select = connection.createStatement(); ResultSet rows = select.executeQuery("SELECT v FROM t ORDER BY v")) {
                while (rows.next()) {
                    values.add(rows.getInt(1));
                }
            }
            return values;
        });
    }
}
