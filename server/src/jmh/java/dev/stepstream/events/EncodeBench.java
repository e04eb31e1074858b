package dev.stepstream.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding an event's envelope, the one time it is encoded (DESIGN.md invariant 5): what a
 * script's output reader pays per line before the line is queued for commit.
 * <ul>
 *   <li>{@code stepLog}: a {@code step_log} as the run's driver makes it for each line
 *       ({@link RunEvent#stepLog}: no payload tree);</li>
 *   <li>{@code stepLogAsTree}: the same event made as every event was before, a payload tree
 *       and {@link RunEvent#create};</li>
 *   <li>{@code prebuiltPayload}: {@link RunEvent#create} alone, around a payload tree that is
 *       already built (a {@code step_complete});</li>
 *   <li>{@code time}: the wire's time format, which every envelope carries;</li>
 *   <li>{@code stepLogBefore} and {@code timeBefore}: how both were done before, for reference.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EncodeBench {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final UUID runId = UUID.randomUUID();
    private final Instant time = Json.now();
    private long seq;
    private ObjectNode stepComplete;

    @Setup
    public void setUp() {
        stepComplete = Json.object().put("stepId", "build").put("stepName", "Build the project")
                .put("status", "success").put("attempt", 1).put("duration", 1234);
    }

    @Benchmark
    public RunEvent stepLog() {
        seq++;
        return RunEvent.stepLog(runId, seq, time, "build", LogLevel.INFO, "compiling module " + seq + " of the project", false);
    }

    @Benchmark
    public RunEvent stepLogAsTree() {
        seq++;
        return RunEvent.create(runId, seq, EventType.STEP_LOG, time, Json.object()
                .put("stepId", "build").put("level", "info")
                .put("message", "compiling module " + seq + " of the project")
                .put("timestamp", Json.time(time)));
    }

    /**
     * The reference: a step_log as every event was encoded before (until 2026-11-29), both
     * payload and envelope built as trees and serialised by the mapper, with the wire time
     * formatted by a {@link DateTimeFormatter} twice. Kept so that one run compares the two.
     */
    @Benchmark
    public byte[] stepLogBefore() {
        seq++;
        ObjectNode payload = Json.object().put("stepId", "build").put("level", "info")
                .put("message", "compiling module " + seq + " of the project").put("timestamp", TIME.format(time));
        ObjectNode envelope = Json.object();
        envelope.put("runId", runId.toString());
        envelope.put("seq", seq);
        envelope.put("type", EventType.STEP_LOG.wire());
        envelope.put("time", TIME.format(time));
        envelope.set("payload", payload);
        return Json.bytes(envelope);
    }

    @Benchmark
    public RunEvent prebuiltPayload() {
        seq++;
        return RunEvent.create(runId, seq, EventType.STEP_COMPLETE, time, stepComplete);
    }

    @Benchmark
    public String time() {
        return Json.time(time);
    }

    /** The reference for {@code time}: the formatter that {@link Json#time} used before. */
    @Benchmark
    public String timeBefore() {
        return TIME.format(time);
    }
}
