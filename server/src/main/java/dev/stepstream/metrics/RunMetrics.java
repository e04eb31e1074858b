package dev.stepstream.metrics;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.execution.RunListener;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.workflow.StepKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Runs and steps: runs started and finished by final status (from the committed log, so a run
 * counts once it is stored, whichever way it ended: by its driver, a cancel before it started,
 * or recovery), the runs running and queued now (from the executor), and step durations by step
 * type and status (told by the executor as each step completes).
 *
 * <p>Threads: {@link #committed} runs on the committer thread, {@link #stepCompleted} on run
 * threads; both only increment meters, resolved up front.
 */
public final class RunMetrics implements EventLog.Listener, RunListener {
    private final MeterRegistry registry;
    private final Counter started;
    private final Map<RunStatus, Counter> completed = new EnumMap<>(RunStatus.class);
    private final Timer[][] steps = new Timer[StepKind.values().length][StepStatus.values().length];

    RunMetrics(MeterRegistry registry) {
        this.registry = registry;
        started = Counter.builder("stepstream.runs.started").description("Runs that started").register(registry);
        for (RunStatus status : RunStatus.values()) {
            if (status.isTerminal()) {
                completed.put(status, Counter.builder("stepstream.runs.completed")
                        .description("Runs that ended, by final status").tag("status", status.wire()).register(registry));
            }
        }
        for (StepKind kind : StepKind.values()) {
            for (StepStatus status : StepStatus.values()) {
                if (!status.isTerminal()) {
                    continue; // a step completes in a final status
                }
                steps[kind.ordinal()][status.ordinal()] = Timer.builder("stepstream.step.duration")
                        .description("How long steps took (their last attempt), by step type and final status")
                        .tags("type", kind.wire(), "status", status.wire())
                        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(1),
                                Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10))
                        .register(registry);
            }
        }
    }

    /** Publishes the executor's figures, read at each scrape. */
    public void executor(IntSupplier running, IntSupplier queued) {
        Gauge.builder("stepstream.runs.active", running::getAsInt).description("Runs this node executes now, or keeps queued")
                .tag("state", "running").register(registry);
        Gauge.builder("stepstream.runs.active", queued::getAsInt).description("Runs this node executes now, or keeps queued")
                .tag("state", "queued").register(registry);
    }

    @Override
    public void committed(List<RunEvent> batch) {
        for (int i = 0; i < batch.size(); i++) {
            RunEvent event = batch.get(i);
            if (event.type() == EventType.RUN_START) {
                started.increment();
            } else if (event.type() == EventType.RUN_COMPLETE) {
                Counter counter = completed.get(statusOf(event));
                if (counter != null) {
                    counter.increment();
                }
            }
        }
    }

    private static RunStatus statusOf(RunEvent event) {
        try {
            return event.endStatus();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void stepCompleted(StepKind type, StepStatus status, long durationMs) {
        steps[type.ordinal()][status.ordinal()].record(durationMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {}

    @Override
    public void recovered(UUID runId, String workflowId) {}
}
