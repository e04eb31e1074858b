package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.UUID;

/**
 * A queued run a node has claimed: what it needs to execute it (the definition and inputs it
 * was queued with), where its log ends ({@code lastSeq}, 0 before its first event), and
 * whether a cancel was asked for before the claim; {@code parent} is null unless a
 * {@code workflow} step started it.
 */
public record ClaimedRun(UUID runId, String workflowId, int workflowVersion, JsonNode inputs, byte[] definition,
                         Instant createdAt, long lastSeq, boolean cancelRequested, RunParent parent) {}
