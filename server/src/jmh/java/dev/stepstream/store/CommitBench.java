package dev.stepstream.store;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.testing.Commits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The committer: {@value #EVENTS} ready-made {@code step_log} events of one run appended to an
 * {@link EventLog} whose batches go to {@link Store#commit} on a SQLite file (WAL,
 * {@code synchronous=NORMAL}, as a server opens it), and waited for until committed. Reported
 * as events per second. {@code batch} is the event log's largest batch (the server's is 4,096;
 * 1 is a transaction per event). The events are made before each invocation, so encoding is
 * not measured here (see {@code EncodeBench}); the database file grows over the run as a
 * server's would.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// sqlite-jdbc loads its native library; JDK 24+ warns unless it may.
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class CommitBench {
    static final int EVENTS = 8_192;

    @Param({"1", "100", "4096"})
    public int batch;

    private Path dir;
    private Store store;
    private EventLog eventLog;
    private final UUID runId = UUID.randomUUID();
    private long lastSeq;
    private List<RunEvent> next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("stepstream-commit-bench");
        store = Stores.sqlite(dir.resolve(Stores.SQLITE_FILE_NAME));
        store.createRun(new NewRun(runId, "bench", 1, Fixtures.json("{}"), Fixtures.json("{}"), Json.now(),
                List.of(new NewRun.StepRef("build", "build"))));
        store.registerNode(Commits.NODE, Json.now(), Json.now().plusSeconds(3600));
        store.claimRun(runId, Commits.NODE);
        eventLog = new EventLog(events -> store.commit(Commits.NODE, events), 16_384, batch);
        eventLog.append(RunEvent.create(runId, ++lastSeq, EventType.RUN_START, Json.now(),
                Json.object().put("workflowId", "bench").put("workflowVersion", 1)));
    }

    @Setup(Level.Invocation)
    public void makeEvents() {
        Instant time = Json.now();
        List<RunEvent> events = new ArrayList<>(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
            lastSeq++;
            events.add(RunEvent.create(runId, lastSeq, EventType.STEP_LOG, time, Json.object()
                    .put("stepId", "build").put("level", "info")
                    .put("message", "compiling module " + lastSeq + " of the project")
                    .put("timestamp", Json.time(time))));
        }
        next = events;
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void appendAndAwaitCommit() throws InterruptedException {
        for (RunEvent event : next) {
            eventLog.append(event);
        }
        if (!eventLog.awaitCommitted(Duration.ofMinutes(5))) {
            throw new IllegalStateException("not committed within 5 minutes");
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        eventLog.close();
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
