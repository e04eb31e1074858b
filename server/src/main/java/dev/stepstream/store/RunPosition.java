package dev.stepstream.store;

import dev.stepstream.events.RunStatus;

/** Where a run's log stands: its status and the seq of its last stored event (0 if none). */
public record RunPosition(RunStatus status, long lastSeq) {}
