package dev.stepstream.store;

import java.util.UUID;

/**
 * What a run retries: the run ({@code runId}) and from where, {@code failed}, {@code start} or a
 * step id (docs/workflows.md, "Retrying a run").
 */
public record RunRetry(UUID runId, String from) {}
