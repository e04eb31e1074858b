package dev.stepstream.store;

import java.time.Instant;
import java.util.UUID;

/**
 * A run that was running on a node that is gone, now owned by the node that adopted it,
 * which ends it {@code interrupted} with a {@code run_complete} at {@code lastSeq + 1}.
 */
public record OrphanedRun(UUID runId, String workflowId, Instant startedAt, long lastSeq) {}
