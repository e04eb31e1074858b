package dev.stepstream.store;

import dev.stepstream.events.RunStatus;

/**
 * A page request of the runs listing. {@code workflowId}, {@code status}, {@code trigger} (a
 * trigger type) and {@code before} are optional (null); {@code before} is the opaque cursor a
 * previous page returned as next.
 */
public record RunQuery(String workflowId, RunStatus status, String trigger, int limit, String before) {}
