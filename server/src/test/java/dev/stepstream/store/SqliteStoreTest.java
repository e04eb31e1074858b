package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.store.Fixtures.Log;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Commits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

    @Override
    protected boolean sharedByNodes() {
        return false;
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

    /**
     * The file shrinks while the store is open: nine tenths of a 1,000,000-event store deleted
     * and the free pages given back, the file is at most a fifth of what it was, and the runs
     * kept are whole.
     */
    @Test
    void theFileShrinksByFourFifthsOnceNineTenthsOfAMillionEventsAreDeleted() throws IOException {
        int runs = 100;
        int logsPerRun = 10_000 - 2;
        List<UUID> runIds = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            UUID runId = UUID.randomUUID();
            runIds.add(runId);
            store.createRun(Fixtures.newRun(runId, "hello", Fixtures.T0, "greet"));
            Log log = new Log(runId);
            Commits.commit(store, List.of(log.runStart()));
            for (int from = 0; from < logsPerRun; from += 5_000) {
                Commits.commit(store, log.logs("greet", Math.min(5_000, logsPerRun - from)));
            }
            Commits.commit(store, List.of(log.runComplete("success", 10, null)));
        }
        store.close(); // its last connection checkpoints the whole log into the file
        long before = Files.size(file());
        store = openStore();

        for (UUID runId : runIds.subList(0, runs * 9 / 10)) {
            assertThat(store.deleteRun(runId)).isInstanceOf(RunDeletion.Deleted.class);
            store.purgeEvents(runId);
        }
        long reclaimed = 0;
        for (long bytes; (bytes = store.reclaim(256)) > 0; ) {
            reclaimed += bytes;
        }
        assertThat(reclaimed).isPositive();
        Await.until("the file to shrink to a fifth (" + before + " bytes before)", Duration.ofSeconds(30),
                () -> size(file()) <= before / 5 ? true : null);
        assertThat(store.usage().reclaimableBytes()).isZero();
        for (UUID kept : runIds.subList(runs * 9 / 10, runs)) {
            assertThat(store.lastSeqs(List.of(kept))).containsEntry(kept, (long) logsPerRun + 2);
            assertThat(store.events(kept, logsPerRun - 10, 100)).hasSize(12);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
