package dev.stepstream.store;

import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.UUID;

/** One row of the runs listing; {@code trigger} says what started the run. */
public record RunSummary(UUID runId, String workflowId, int workflowVersion, RunStatus status, Instant createdAt,
                         Instant startedAt, Instant finishedAt, Long durationMs, String error, long lastSeq,
                         RunTrigger trigger) {}
