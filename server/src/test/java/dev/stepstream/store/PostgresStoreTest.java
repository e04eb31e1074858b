package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.stepstream.settings.Redact;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The store contract on a real PostgreSQL server ({@code STEPSTREAM_TEST_POSTGRES_URL}, by
 * default the local one with trust auth). The class works in a schema of its own, dropped
 * afterwards; each test starts from empty tables.
 *
 * <p>Where no server answers the tests are skipped, except in CI (the {@code CI} environment
 * variable is set), where that is a failure: CI must never pass by skipping them silently.
 */
class PostgresStoreTest extends StoreContractTest {

    private static final String SERVER = System.getenv().getOrDefault(
            "STEPSTREAM_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private static final String SCHEMA = "stepstream_test_" + UUID.randomUUID().toString().replace("-", "");

    private static boolean created;

    @BeforeAll
    static void createSchema() throws SQLException {
        try (Connection connection = DriverManager.getConnection(withParameter(SERVER, "connectTimeout=5"))) {
            execute(connection, "CREATE SCHEMA " + SCHEMA);
            created = true;
        } catch (SQLException e) {
            String why = "PostgreSQL is not reachable at " + Redact.url(SERVER) + ": " + e.getMessage();
            if (System.getenv("CI") != null) {
                fail(why + " (CI is set, so this must not be skipped)", e);
            }
            Assumptions.abort(why + "; skipping the PostgreSQL store tests (set STEPSTREAM_TEST_POSTGRES_URL)");
        }
        // Migrate once, so that each test only has to empty the tables.
        Stores.postgres(url()).close();
    }

    @AfterAll
    static void dropSchema() throws SQLException {
        if (created) {
            try (Connection connection = DriverManager.getConnection(SERVER)) {
                execute(connection, "DROP SCHEMA " + SCHEMA + " CASCADE");
            }
        }
    }

    @BeforeEach
    void emptyTheTables() throws SQLException {
        try (Connection connection = DriverManager.getConnection(url())) {
            execute(connection, "TRUNCATE workflows, workflow_versions, runs, run_steps, run_variables, events, nodes, schedule_fires, run_purges, run_deletions");
        }
    }

    @Override
    protected Store openStore() {
        return Stores.postgres(url());
    }

    @Override
    protected boolean sharedByNodes() {
        return true;
    }

    @Test
    void theLogOfDeletionsForgetsThoseAnHourOldAtTheNextDeletion() throws SQLException {
        UUID old = UUID.randomUUID();
        try (Connection connection = DriverManager.getConnection(url());
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO run_deletions (run_id, workflow_id, deleted_at) VALUES (?, 'gone', ?)")) {
            insert.setString(1, old.toString());
            insert.setLong(2, Instant.now().minus(Store.DELETIONS_KEPT).minusSeconds(60).toEpochMilli());
            insert.executeUpdate();
        }
        assertThat(store.deletedRuns(Instant.EPOCH)).containsExactly(new DeletedRun(old, "gone"));

        UUID deleted = finishedRun(1);
        store.deleteRun(deleted);

        assertThat(store.deletedRuns(Instant.EPOCH)).containsExactly(new DeletedRun(deleted, "hello"));
    }

    /**
     * An operator whose PostgreSQL has autovacuum off (as CI's has) is told so when a node opens
     * the database, since the tables would grow for good; one whose server has it on is not.
     */
    @Test
    void openingTheDatabaseWarnsWhenAutovacuumIsOff() throws SQLException {
        boolean off;
        try (Connection connection = DriverManager.getConnection(SERVER); Statement statement = connection.createStatement();
             ResultSet setting = statement.executeQuery("SHOW autovacuum")) {
            off = setting.next() && setting.getString(1).equals("off");
        }
        var storesLog = (Logger) LoggerFactory.getLogger(Stores.class);
        var messages = new ListAppender<ILoggingEvent>();
        messages.start();
        storesLog.addAppender(messages);
        try {
            Stores.postgres(url()).close();
        } finally {
            storesLog.detachAppender(messages);
        }
        var warnings = messages.list.stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
        if (off) {
            assertThat(warnings).singleElement().asString().startsWith("autovacuum is off on the PostgreSQL database ")
                    .contains("never reused", "docs/operations.md").doesNotContain("password");
        } else {
            assertThat(warnings).isEmpty();
        }
    }

    private static String url() {
        return withParameter(SERVER, "currentSchema=" + SCHEMA);
    }

    private static String withParameter(String url, String parameter) {
        return url + (url.contains("?") ? "&" : "?") + parameter;
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
