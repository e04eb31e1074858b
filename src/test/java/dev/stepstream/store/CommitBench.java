package dev.stepstream.store;

import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * How fast the committer can store a script's output flood: 1,000,000 small {@code step_log}
 * events of one run, committed in batches of 2,000 from one thread, as the event log's
 * committer does. Not a test (timings on a shared machine make flaky tests); run it by hand:
 * <pre>
 * ./mvnw -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.stepstream.store.CommitBench [JDBC_URL]
 * </pre>
 * Without a URL it uses a fresh SQLite file in a temporary directory; with a
 * {@code jdbc:postgresql:} URL, that database. Only {@link Store#commit} is timed, not the
 * making of the events. Besides wall-clock throughput it prints the committing thread's CPU
 * time, which says more than the wall clock when other processes compete for the cores.
 */
final class CommitBench {

    private static final int EVENTS = 1_000_000;
    private static final int BATCH = 2_000;

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("stepstream-bench");
        Path file = dir.resolve("stepstream.db");
        Path wal = dir.resolve("stepstream.db-wal");
        boolean sqlite = args.length == 0;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (Store store = sqlite ? Stores.sqlite(file) : Stores.postgres(args[0])) {
            UUID runId = UUID.randomUUID();
            store.createRun(new NewRun(runId, "bench", 1, Fixtures.json("{}"), Fixtures.json("{}"), Json.now(),
                    List.of(new NewRun.StepRef("build", "build"))));
            Instant time = Json.now();
            long wallNanos = 0;
            long cpuNanos = 0;
            long largestWal = 0;
            for (long seq = 0; seq < EVENTS; ) {
                List<RunEvent> batch = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    seq++;
                    batch.add(RunEvent.create(runId, seq, EventType.STEP_LOG, time, Json.object()
                            .put("stepId", "build").put("level", "info")
                            .put("message", "compiling module " + seq + " of the project")
                            .put("timestamp", Json.time(time))));
                }
                long wallStart = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                store.commit(batch);
                cpuNanos += threads.getCurrentThreadCpuTime() - cpuStart;
                wallNanos += System.nanoTime() - wallStart;
                if (sqlite && Files.exists(wal)) {
                    largestWal = Math.max(largestWal, Files.size(wal));
                }
            }
            System.out.printf("%s: %,d step_log events (%d-byte envelopes) in batches of %,d: %.2f s, %,.0f events/s;"
                            + " committing thread CPU %.2f s%n",
                    sqlite ? "SQLite" : "PostgreSQL", EVENTS, store.events(runId, 0, 1).getFirst().json().length,
                    BATCH, wallNanos / 1e9, EVENTS / (wallNanos / 1e9), cpuNanos / 1e9);
            if (sqlite) {
                System.out.printf("database file %,d bytes; largest write-ahead log seen %,d bytes%n",
                        Files.size(file), largestWal);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
