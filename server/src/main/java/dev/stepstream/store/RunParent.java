package dev.stepstream.store;

import java.util.UUID;

/**
 * The run and step that started a run (a {@code workflow} step's child), and how deep it
 * nests: 1 for a child of a run that has no parent.
 */
public record RunParent(UUID runId, String stepId, int depth) {}
