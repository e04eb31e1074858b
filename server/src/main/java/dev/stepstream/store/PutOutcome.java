package dev.stepstream.store;

/** The result of a put: {@code created} for a new id, {@code changed} when the version grew. */
public record PutOutcome(StoredWorkflow workflow, boolean created, boolean changed) {}
