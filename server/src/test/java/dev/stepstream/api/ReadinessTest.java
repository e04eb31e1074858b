package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TcpProxy;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} follows the store: a server on a real PostgreSQL, reached through a TCP proxy
 * that the test cuts and restores. Skipped where PostgreSQL does not answer, except in CI.
 */
@Timeout(120)
class ReadinessTest {
    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final String SCHEMA = "stepstream_ready_" + UUID.randomUUID().toString().replace("-", "");

    @TempDir
    Path dir;

    @BeforeAll
    static void createSchema() {
        try (Connection connection = DriverManager.getConnection(SERVER + "&connectTimeout=5");
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + SCHEMA);
        } catch (SQLException e) {
            String why = "PostgreSQL is not reachable at 127.0.0.1:5432: " + e.getMessage();
            if (System.getenv("CI") != null) {
                fail(why + " (CI is set, so this must not be skipped)", e);
            }
            Assumptions.abort(why);
        }
    }

    @AfterAll
    static void dropSchema() throws SQLException {
        try (Connection connection = DriverManager.getConnection(SERVER);
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }

    @Test
    void readinessSaysTheStoreIsDownWhileItIsUnreachableAndRecoversWhenItIsBack() {
        try (TcpProxy proxy = TcpProxy.to("127.0.0.1", 5432);
             TestServer server = TestServer.start(dir, defaults -> Config.resolve(Map.of(
                     "port", "0", "data-dir", dir.toString(), "workflows-dir", dir.resolve("none").toString(),
                     "db", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test?user=postgres&currentSchema=" + SCHEMA
                             + "&connectTimeout=2&socketTimeout=5"), Map.of()))) {
            TestServer.Response ready = server.get("/readyz");
            assertThat(ready.status()).as(ready.text()).isEqualTo(200);
            assertThat(ready.body().path("store").asText()).isEqualTo("up");

            proxy.cut();
            TestServer.Response down = Await.until("/readyz answers 503", Duration.ofSeconds(30), () -> {
                TestServer.Response now = server.get("/readyz");
                return now.status() == 503 ? now : null;
            });
            assertThat(down.body().path("error").path("code").asText()).isEqualTo("not_ready");
            assertThat(down.body().path("error").path("message").asText()).startsWith("not ready: store is down");
            assertThat(down.body().path("error").path("details").path("store").asText()).startsWith("down: ");
            assertThat(server.get("/healthz").status()).as("the process still serves").isEqualTo(200);
            TestServer.Response still = server.get("/readyz");
            assertThat(still.status()).as("still down while the store is unreachable: %s", still.text()).isEqualTo(503);
            assertThat(still.body().path("error").path("details").path("store").asText()).startsWith("down: ");

            proxy.restore();
            TestServer.Response back = Await.until("/readyz answers 200 again", Duration.ofSeconds(60), () -> {
                TestServer.Response now = server.get("/readyz");
                return now.status() == 200 ? now : null;
            });
            assertThat(back.body().path("status").asText()).isEqualTo("ready");
            assertThat(server.get("/api/v2/workflows").status()).isEqualTo(200);
        }
    }
}
