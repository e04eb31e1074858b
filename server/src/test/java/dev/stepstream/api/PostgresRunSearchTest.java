package dev.stepstream.api;

import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** {@link RunSearchTest} on PostgreSQL: the search and the log download through HTTP. */
class PostgresRunSearchTest extends RunSearchTest {
    private Postgres postgres;

    @Override
    TestServer startServer(Path dir) {
        postgres = Postgres.schema();
        return TestServer.start(dir, config -> config.withDb(postgres.url()));
    }

    /** Runs before the superclass's {@code stop}: the server goes first, then its schema. */
    @AfterAll
    void dropSchema() {
        stop();
        if (postgres != null) {
            postgres.close();
        }
    }
}
