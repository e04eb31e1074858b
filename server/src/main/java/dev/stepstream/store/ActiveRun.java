package dev.stepstream.store;

import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * A run as the all-runs stream polls it when it cannot hear the other nodes: enough to
 * announce it queued and to see whether its log moved ({@link Store#activeRuns}).
 */
public record ActiveRun(UUID runId, String workflowId, int workflowVersion, Instant createdAt, RunStatus status,
                        long lastSeq, RunTrigger trigger) {}
