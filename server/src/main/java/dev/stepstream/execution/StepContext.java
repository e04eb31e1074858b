package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.LogLevel;
import dev.stepstream.workflow.ExpressionException;
import dev.stepstream.workflow.Step;
import java.net.http.HttpClient;
import java.time.Duration;

/**
 * What a step may use while it runs, and nothing else. One context serves one attempt of
 * one step and is used from that attempt's thread (and threads the step starts, such as a
 * script's output readers: {@link #log} and {@link #setVariable} are thread-safe).
 * After the attempt ends, further calls are ignored, so a straggling thread cannot write
 * into a later step.
 */
public interface StepContext {

    Step step();

    /** The run the step belongs to. */
    java.util.UUID runId();

    /**
     * The step's field {@code name} with its {@code ${…}} expressions evaluated against the
     * run's current inputs, variables and step statuses; null when the field is absent.
     */
    JsonNode field(String name) throws ExpressionException;

    /** Emits a {@code step_log} (a message over 16 KiB is cut and marked truncated). */
    void log(LogLevel level, String message);

    /** Sets a run variable; a null or JSON null value deletes it. Emits {@code variable_change} if it changed. */
    void setVariable(String name, JsonNode value);

    /** The shared HTTP client of the server. */
    HttpClient http();

    /** Where {@code http} steps may send requests (the server's {@code --http-allow}). */
    dev.stepstream.workflow.HttpTargets httpTargets();

    /** The step's timeout, or null when it has none. */
    Duration timeout();

    /** The runs this step may start as children of its own (a {@code workflow} step's). */
    ChildRuns children();
}
