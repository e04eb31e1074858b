package dev.stepstream.store;

import java.time.Instant;

/** A workflow as stored: the definition is the normalised JSON document, without version. */
public record StoredWorkflow(String id, String name, String description, int version, Instant updatedAt,
                             int stepCount, byte[] definition) {}
