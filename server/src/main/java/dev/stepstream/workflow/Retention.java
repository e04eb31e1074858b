package dev.stepstream.workflow;

import java.time.Duration;

/**
 * A workflow's {@code retention} (docs/workflows.md, "Retention"): how long its finished runs
 * are kept and how many of its newest runs, on top of the server's {@code --retention}. A
 * finished run past either this or the server's limit is deleted; runs that have not ended are
 * never deleted, and count towards {@code maxRuns}.
 *
 * @param maxAge  how long after it ended a run is kept, or null for the server's limit only
 * @param maxRuns how many of the workflow's newest runs are kept, or 0 for no count limit
 */
public record Retention(Duration maxAge, int maxRuns) {
    public static final int MAX_RUNS = 10_000_000;

    /** Whether it limits anything. */
    public boolean limits() {
        return maxAge != null || maxRuns > 0;
    }
}
