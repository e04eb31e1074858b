package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.store.Fixtures.Log;
import dev.stepstream.testing.Commits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on SQLite: a fresh database file per test. */
class SqliteStoreTest extends StoreContractTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("stepstream.db");
    }

    @Override
    protected Store openStore() {
        return Stores.sqlite(file());
    }

    @Test
    void committedPagesReachTheDatabaseFileWithoutWaitingForTheWriter() throws IOException {
        UUID runId = UUID.randomUUID();
        store.createRun(Fixtures.newRun(runId, "hello", Fixtures.T0, "greet"));
        long before = Files.size(file());
        Log log = new Log(runId);
        Commits.commit(store, List.of(log.runStart()));

        // About 1.5 MB of events: far below the writer's own checkpoint bound, so only the
        // background checkpointer moves them from the write-ahead log into the file.
        Commits.commit(store, log.logs("greet", 5_000));

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (Files.size(file()) < before + 1_000_000 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        assertThat(Files.size(file())).isGreaterThan(before + 1_000_000);
    }
}
