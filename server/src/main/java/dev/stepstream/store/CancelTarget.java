package dev.stepstream.store;

import dev.stepstream.events.RunStatus;

/**
 * An unfinished run whose cancel was just recorded: its status, and the node that executes
 * it ({@code owner}, null while no node has claimed it).
 */
public record CancelTarget(RunStatus status, String owner) {}
