package dev.stepstream.store;

import java.util.UUID;

/** A run deleted lately, as a node that cannot hear the others polls it for its all-runs streams ({@link Store#deletedRuns}). */
public record DeletedRun(UUID runId, String workflowId) {}
