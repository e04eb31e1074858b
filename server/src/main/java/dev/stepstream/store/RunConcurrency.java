package dev.stepstream.store;

/**
 * A run's place in a concurrency group (docs/workflows.md, "Concurrency"): its key, the most runs
 * of that key running at once, and what it does past them: {@code queue}, {@code skip} or
 * {@code cancel-running}.
 */
public record RunConcurrency(String key, int limit, String onLimit) {}
