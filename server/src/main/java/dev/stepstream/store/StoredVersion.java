package dev.stepstream.store;

import java.time.Instant;

/** One version of a workflow as stored, kept after the workflow is deleted: its normalised JSON definition. */
public record StoredVersion(String workflowId, int version, Instant updatedAt, byte[] definition) {}
