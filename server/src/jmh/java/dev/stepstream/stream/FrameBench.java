package dev.stepstream.stream;

import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Building a subscriber's frames from committed events ({@link Frames}) into a pooled direct
 * buffer, as a connection does for each batch it writes: one frame per envelope (the default)
 * or one newline-delimited frame ({@code batch=1}). Reported per batch of {@code events}
 * envelopes (~200 bytes each); the buffer is sized up front and released after each batch.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FrameBench {
    @Param({"1", "16", "256"})
    public int events;

    private List<RunEvent> batch;

    @Setup
    public void setUp() {
        UUID runId = UUID.randomUUID();
        Instant time = Json.now();
        List<RunEvent> made = new ArrayList<>();
        for (int i = 1; i <= events; i++) {
            made.add(RunEvent.create(runId, i, EventType.STEP_LOG, time, Json.object()
                    .put("stepId", "build").put("level", "info").put("message", "compiling module " + i + " of the project")
                    .put("timestamp", Json.time(time))));
        }
        batch = List.copyOf(made);
    }

    @Benchmark
    public int frameEach() {
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(Frames.eachLength(batch));
        try {
            Frames.writeEach(out, batch);
            return out.readableBytes();
        } finally {
            out.release();
        }
    }

    @Benchmark
    public int linesFrame() {
        int payload = Frames.linesLength(batch);
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(Frames.frameLength(payload));
        try {
            Frames.writeLines(out, batch, payload);
            return out.readableBytes();
        } finally {
            out.release();
        }
    }
}
