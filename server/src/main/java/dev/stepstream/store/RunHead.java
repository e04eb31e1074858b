package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * What a row of the runs listing ({@link RunSummary}) and a run's detail ({@link RunDetail}) both
 * say of a run, so that the API writes these fields once for both (docs/api.md, "Runs").
 * Nullable: {@code startedAt}, {@code finishedAt}, {@code durationMs}, {@code error}.
 */
public interface RunHead {
    UUID runId();

    String workflowId();

    String workflowName();

    int workflowVersion();

    RunStatus status();

    JsonNode inputs();

    Instant createdAt();

    Instant startedAt();

    Instant finishedAt();

    Long durationMs();

    String error();

    long lastSeq();

    RunTrigger trigger();
}
