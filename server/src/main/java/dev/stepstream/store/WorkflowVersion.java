package dev.stepstream.store;

import java.time.Instant;

/** One version of a workflow, in a listing of its versions: its number and when it was stored. */
public record WorkflowVersion(int version, Instant updatedAt) {}
