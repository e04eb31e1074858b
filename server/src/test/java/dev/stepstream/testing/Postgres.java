package dev.stepstream.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A schema of the test's own on the machine's PostgreSQL ({@code STEPSTREAM_TEST_POSTGRES_URL},
 * by default the local server with trust auth), dropped on close. Where no server answers the
 * test is skipped, except in CI (the {@code CI} variable is set), where that is a failure.
 */
public final class Postgres implements AutoCloseable {
    public static final String SERVER = System.getenv().getOrDefault(
            "STEPSTREAM_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private final String schema = "stepstream_test_" + UUID.randomUUID().toString().replace("-", "");

    private Postgres() {}

    /** Creates an empty schema (the store migrates it when it opens). */
    public static Postgres schema() {
        Postgres postgres = new Postgres();
        try (Connection connection = DriverManager.getConnection(withParameter(SERVER, "connectTimeout=5"))) {
            execute(connection, "CREATE SCHEMA " + postgres.schema);
        } catch (SQLException e) {
            String why = "PostgreSQL is not reachable at " + SERVER.replaceAll("(?i)(password=)[^&;]*", "$1***") + ": " + e.getMessage();
            if (System.getenv("CI") != null) {
                fail(why + " (CI is set, so this must not be skipped)", e);
            }
            Assumptions.abort(why + "; skipping (set STEPSTREAM_TEST_POSTGRES_URL)");
        }
        return postgres;
    }

    /** The JDBC URL of the schema, for {@code --db}. */
    public String url() {
        return withParameter(SERVER, "currentSchema=" + schema);
    }

    private static String withParameter(String url, String parameter) {
        return url + (url.contains("?") ? "&" : "?") + parameter;
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public void close() {
        try (Connection connection = DriverManager.getConnection(SERVER)) {
            execute(connection, "DROP SCHEMA " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new AssertionError("could not drop schema " + schema, e);
        }
    }
}
