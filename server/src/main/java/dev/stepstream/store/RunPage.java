package dev.stepstream.store;

import java.util.List;

/** A page of runs, newest first; {@code next} is the cursor of the following page, or null. */
public record RunPage(List<RunSummary> runs, String next) {}
