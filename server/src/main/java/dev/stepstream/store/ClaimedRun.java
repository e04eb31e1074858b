package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * A run a node has claimed: what it needs to execute it (the definition and inputs it was
 * queued with), its status (queued; running, handed back to be resumed; or waiting for a
 * decision), where its log ends ({@code lastSeq}, 0 before its first event), and
 * whether a cancel was asked for before the claim; {@code parent} is null unless a
 * {@code workflow} step started it, and {@code retry} null unless a retry made it; {@code trigger}
 * says what started it. {@code overLimit}: claimed only to be ended {@code cancelled} at once,
 * because its concurrency key is at its limit and its workflow says {@code onLimit: skip}.
 */
public record ClaimedRun(UUID runId, String workflowId, int workflowVersion, RunStatus status, JsonNode inputs, byte[] definition,
                         Instant createdAt, long lastSeq, boolean cancelRequested, RunParent parent, RunRetry retry,
                         RunTrigger trigger, boolean overLimit) {}
