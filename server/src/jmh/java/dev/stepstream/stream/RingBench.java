package dev.stepstream.stream;

import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import java.time.Instant;
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
 * A run's ring of recent committed events ({@link Topic}): the committer puts each event once,
 * and every subscriber reads it back by seq ({@code at}), so {@code at} is paid once per event
 * per subscriber. {@code putThenAt} is one event's life in the ring with one reader; {@code at}
 * a hit, {@code atMissed} a seq the ring has moved past (a subscriber that must read the store).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RingBench {
    private static final int EVENTS = 4 * Topic.CAPACITY;

    private final RunEvent[] events = new RunEvent[EVENTS];
    private Topic topic;
    private int next;
    private long reading;

    @Setup
    public void setUp() {
        UUID runId = UUID.randomUUID();
        Instant time = Json.now();
        for (int i = 0; i < EVENTS; i++) {
            events[i] = RunEvent.create(runId, i + 1, EventType.STEP_LOG, time, Json.object()
                    .put("stepId", "build").put("level", "info").put("message", "line " + (i + 1))
                    .put("timestamp", Json.time(time)));
        }
        topic = new Topic(runId, new RingBudget(1_000_000));
        for (int i = 0; i < Topic.CAPACITY; i++) {
            topic.put(events[i]);
        }
        next = Topic.CAPACITY;
    }

    @Benchmark
    public RunEvent putThenAt() {
        RunEvent event = events[next];
        next = (next + 1) % EVENTS;
        if (next == 0) {
            // Seqs may only grow in a ring; start over with a fresh topic.
            topic = new Topic(event.runId(), new RingBudget(1_000_000));
        }
        topic.put(event);
        return topic.at(event.seq());
    }

    @Benchmark
    public RunEvent at() {
        long last = topic.lastSeq();
        reading = reading >= last || reading < last - Topic.CAPACITY + 1 ? last - Topic.CAPACITY + 1 : reading + 1;
        return topic.at(reading);
    }

    @Benchmark
    public RunEvent atMissed() {
        return topic.at(Math.max(1, topic.lastSeq() - Topic.CAPACITY));
    }
}
