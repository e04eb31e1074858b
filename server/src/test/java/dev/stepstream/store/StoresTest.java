package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Choosing and opening a store from the {@code --db} setting. */
class StoresTest {

    @TempDir
    Path dir;

    @Test
    void noUrlMeansSqliteInTheDataDirectoryWhichIsCreated() {
        Path dataDir = dir.resolve("data/nested");

        try (Store store = Stores.open(null, dataDir)) {
            store.ping();
        }
        try (Store store = Stores.open("  ", dataDir)) {
            store.ping();
        }

        assertThat(dataDir.resolve("stepstream.db")).isRegularFile();
    }

    @Test
    void anUnsupportedUrlIsRejectedByNameWithoutItsPassword() {
        assertThatThrownBy(() -> Stores.open("jdbc:mysql://bob:secret@db.example/app?password=hunter2", dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported database URL")
                .hasMessageContaining("jdbc:mysql://***@db.example/app?password=***")
                .hasMessageNotContaining("secret")
                .hasMessageNotContaining("hunter2");
        // A password with an @ in it, as people write them (RFC 3986 wants %40): all of it hidden.
        assertThatThrownBy(() -> Stores.open("jdbc:mysql://bob:p@ss@word@db.example/app", dir))
                .hasMessageContaining("jdbc:mysql://***@db.example/app")
                .hasMessageNotContaining("ss@")
                .hasMessageNotContaining("word");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aMalformedPostgresUrlIsRejected() {
        assertThatThrownBy(() -> Stores.postgres("jdbc:postgresql://[nonsense"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a PostgreSQL JDBC URL");
    }

    @Test
    void anUnreachablePostgresFailsSayingWhereWithoutThePassword() {
        String url = "jdbc:postgresql://127.0.0.1:1/none?user=nobody&password=hunter2&connectTimeout=2";

        assertThatThrownBy(() -> Stores.open(url, dir))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("PostgreSQL database jdbc:postgresql://127.0.0.1:1/none?user=nobody&password=***")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aSqliteFileThatIsNotADatabaseFailsAsAStoreError() throws Exception {
        Path file = dir.resolve("stepstream.db");
        Files.writeString(file, "this is not a database, and it is long enough to have a header".repeat(20));

        assertThatThrownBy(() -> Stores.sqlite(file))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void theSchemaVersionIsTheNewestMigrationOfEachDatabase() throws Exception {
        Pattern versioned = Pattern.compile("V(\\d+)__.+\\.sql");
        for (String database : List.of("sqlite", "postgresql")) {
            Path migrations = Path.of(Stores.class.getResource("/db/migration/" + database).toURI());
            int newest = 0;
            try (var files = Files.list(migrations)) {
                for (Path file : files.toList()) {
                    Matcher name = versioned.matcher(file.getFileName().toString());
                    assertThat(name.matches()).as("%s is named V<n>__<what>.sql", file).isTrue();
                    newest = Math.max(newest, Integer.parseInt(name.group(1)));
                }
            }
            assertThat(newest).as("the newest %s migration", database).isEqualTo(Stores.SCHEMA_VERSION);
        }
    }

    @Test
    void aDatabaseAtAnOlderSchemaIsMigratedWhenOpenedAndACurrentOneIsLeftAsItIs() throws Exception {
        Path file = dir.resolve("old.db");
        String url = "jdbc:sqlite:" + file;
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/sqlite").target("1").load().migrate();
        assertThat(tables(url)).doesNotContain("nodes");

        var storesLog = (Logger) LoggerFactory.getLogger(Stores.class);
        var logged = new ListAppender<ILoggingEvent>();
        logged.start();
        storesLog.addAppender(logged);
        try (Store store = Stores.sqlite(file)) {
            store.ping();
        } finally {
            storesLog.detachAppender(logged);
        }
        assertThat(tables(url)).contains("runs", "nodes");
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).as("the upgrade said once")
                .containsOnlyOnce("migrated the SQLite database " + file + " from schema version 1 to " + migrationCount("sqlite")
                        + " (" + (migrationCount("sqlite") - 1) + " migrations)");
        // One history row per migration file.
        String allApplied = migrationCount("sqlite") + " versions, all successful";
        assertThat(history(url)).isEqualTo(allApplied);

        try (Store store = Stores.sqlite(file)) {
            store.ping();
        }
        assertThat(history(url)).isEqualTo(allApplied);
    }

    /** A store a newer stepstream migrated is not this build's to write: refused, and left as it was. */
    @Test
    void aDatabaseANewerVersionMigratedIsRefusedAndLeftAlone() throws Exception {
        Path file = dir.resolve("newer.db");
        String url = "jdbc:sqlite:" + file;
        try (Store store = Stores.sqlite(file)) {
            store.ping();
        }
        int newer = Stores.SCHEMA_VERSION + 1;
        try (Connection connection = DriverManager.getConnection(url); var statement = connection.createStatement()) {
            statement.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
                    + " checksum, installed_by, installed_on, execution_time, success) VALUES (1000, '" + newer
                    + "', 'from the future', 'SQL', 'V" + newer + "__from_the_future.sql', 0, '', CURRENT_TIMESTAMP, 1, 1)");
        }
        String before = history(url);

        assertThatThrownBy(() -> Stores.sqlite(file)).isInstanceOf(StoreException.class)
                .hasMessage("the SQLite database " + file.toAbsolutePath() + " was written by a newer stepstream (its schema is"
                        + " version " + newer + "; this one knows up to " + Stores.SCHEMA_VERSION
                        + "): run that version or a newer one, or restore a backup from before the upgrade");
        assertThat(history(url)).isEqualTo(before);
    }

    @Test
    void theVersionsThatRunsUsedBeforeVersionsWereKeptBecomeReadable() throws Exception {
        Path file = dir.resolve("before-versions.db");
        String url = "jdbc:sqlite:" + file;
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/sqlite").target("11").load().migrate();
        try (Connection connection = DriverManager.getConnection(url); var statement = connection.createStatement()) {
            statement.execute("INSERT INTO workflows (id, version, updated_at, step_count, definition)"
                    + " VALUES ('hello', 3, 3000, 1, CAST('{\"v\":3}' AS BLOB))");
            for (String[] run : new String[][] {{"a", "1", "1000"}, {"b", "1", "1500"}, {"c", "2", "2000"}, {"d", "3", "3500"}}) {
                statement.execute("INSERT INTO runs (run_id, workflow_id, workflow_version, status, inputs, definition, created_at)"
                        + " VALUES ('" + run[0] + "', 'hello', " + run[1] + ", 'success', CAST('{}' AS BLOB),"
                        + " CAST('{\"v\":" + run[1] + "}' AS BLOB), " + run[2] + ")");
            }
            // Deleted at version 2 and created again before versions were kept: at version 1 now.
            statement.execute("INSERT INTO workflows (id, version, updated_at, step_count, definition)"
                    + " VALUES ('again', 1, 5000, 1, CAST('{\"again\":1}' AS BLOB))");
            statement.execute("INSERT INTO runs (run_id, workflow_id, workflow_version, status, inputs, definition, created_at)"
                    + " VALUES ('e', 'again', 2, 'success', CAST('{}' AS BLOB), CAST('{\"old\":2}' AS BLOB), 4000)");
        }

        try (Store store = Stores.sqlite(file)) {
            assertThat(store.listWorkflowVersions("hello")).containsExactly(
                    new WorkflowVersion(3, java.time.Instant.ofEpochMilli(3000)),
                    new WorkflowVersion(2, java.time.Instant.ofEpochMilli(2000)),
                    new WorkflowVersion(1, java.time.Instant.ofEpochMilli(1000)));
            assertThat(new String(store.findWorkflowVersion("hello", 1).orElseThrow().definition())).isEqualTo("{\"v\":1}");
            assertThat(store.listWorkflowVersions("again")).extracting(WorkflowVersion::version).containsExactly(2, 1);
            PutOutcome changed = store.putWorkflow(new WorkflowDraft("again", null, null, 1, "{\"again\":2}".getBytes()),
                    java.time.Instant.ofEpochMilli(6000));
            assertThat(changed.workflow().version()).as("past the version the old run used").isEqualTo(3);
            assertThat(new String(store.findWorkflowVersion("again", 2).orElseThrow().definition())).isEqualTo("{\"old\":2}");
        }
    }

    @Test
    void aNewSqliteFileGivesFreePagesBackAndAnOlderOneIsConvertedOnceKeepingItsRuns() throws Exception {
        Path fresh = dir.resolve("fresh.db");
        try (Store store = Stores.sqlite(fresh)) {
            store.ping();
        }
        assertThat(autoVacuum("jdbc:sqlite:" + fresh)).as("incremental").isEqualTo(2);

        Path file = dir.resolve("older.db");
        String url = "jdbc:sqlite:" + file;
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/sqlite").target("12").load().migrate();
        try (Connection connection = DriverManager.getConnection(url); var statement = connection.createStatement()) {
            statement.execute("INSERT INTO runs (run_id, workflow_id, workflow_version, status, inputs, definition, created_at)"
                    + " VALUES ('" + java.util.UUID.nameUUIDFromBytes(new byte[] {1}) + "', 'hello', 1, 'success',"
                    + " CAST('{}' AS BLOB), CAST('{}' AS BLOB), 1000)");
        }
        assertThat(autoVacuum(url)).as("as files were made before").isZero();

        try (Store store = Stores.sqlite(file)) {
            assertThat(store.findRun(java.util.UUID.nameUUIDFromBytes(new byte[] {1}))).isPresent();
        }
        assertThat(autoVacuum(url)).isEqualTo(2);
    }

    private static int autoVacuum(String url) throws Exception {
        try (Connection connection = DriverManager.getConnection(url);
             ResultSet result = connection.createStatement().executeQuery("PRAGMA auto_vacuum")) {
            result.next();
            return result.getInt(1);
        }
    }

    private static long migrationCount(String database) throws Exception {
        try (var files = Files.list(Path.of(Stores.class.getResource("/db/migration/" + database).toURI()))) {
            return files.count();
        }
    }

    private static List<String> tables(String url) throws Exception {
        try (Connection connection = DriverManager.getConnection(url);
             ResultSet result = connection.createStatement().executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            List<String> names = new java.util.ArrayList<>();
            while (result.next()) {
                names.add(result.getString(1));
            }
            return names;
        }
    }

    private static String history(String url) throws Exception {
        try (Connection connection = DriverManager.getConnection(url);
             ResultSet result = connection.createStatement().executeQuery(
                     "SELECT COUNT(*), SUM(success) FROM flyway_schema_history WHERE version IS NOT NULL")) {
            result.next();
            return result.getInt(1) + " versions, " + (result.getInt(2) == result.getInt(1) ? "all successful" : "some failed");
        }
    }
}
