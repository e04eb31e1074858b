package dev.stepstream.store;

import static dev.stepstream.store.Fixtures.T0;
import static dev.stepstream.store.Fixtures.newRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    /**
     * A node stopped inside a transaction (paused after its lease's UPDATE, before the commit)
     * holds its row's lock. Another node's adoption waits on that row, on the thread that also
     * renews that node's lease: the server ends the stalled session once it has waited longer
     * than the store's stall limit, so the adoption goes on then, not when the stalled node wakes.
     */
    @Test
    void aNodeStalledInsideATransactionHoldsTheOthersUpOnlyUntilItsStallLimit() throws Exception {
        UUID runId = UUID.randomUUID();
        store.createRun(newRun(runId, "hello", T0, "a"));
        store.registerNode("stalled", T0, T0.plusSeconds(15));
        store.registerNode("taker", T0, T0.plusSeconds(600));
        store.claimRun(runId, "stalled");
        store.commit("stalled", List.of(new Fixtures.Log(runId).runStart()));

        try (Connection stalled = Stores.postgresSource(url(), Duration.ofSeconds(1)).getConnection()) {
            stalled.setAutoCommit(false);
            execute(stalled, "UPDATE nodes SET lease_until = lease_until WHERE node_id = 'stalled'");

            var adoption = CompletableFuture.supplyAsync(() -> store.adoptOrphans("taker", T0.plusSeconds(60)));

            assertThat(adoption.get(15, TimeUnit.SECONDS)).extracting(OrphanedRun::runId).containsExactly(runId);
            assertThatThrownBy(() -> execute(stalled, "SELECT 1")).as("the stalled session was ended")
                    .isInstanceOf(SQLException.class);
        }
    }

    /** A value the URL's own options give for the stall limit is the one the server uses. */
    @Test
    void theUrlsOwnOptionsWinOverTheStallLimit() throws SQLException {
        String ownOptions = withParameter(url(), "options=-c%20idle_in_transaction_session_timeout%3D2min");
        try (Connection connection = Stores.postgresSource(ownOptions, Duration.ofSeconds(1)).getConnection();
             Statement statement = connection.createStatement();
             ResultSet setting = statement.executeQuery("SHOW idle_in_transaction_session_timeout")) {
            assertThat(setting.next()).isTrue();
            assertThat(setting.getString(1)).isEqualTo("2min");
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
