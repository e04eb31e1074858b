package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;

/**
 * One validated step. The fields common to every step are typed here; {@code spec} is the
 * step's whole JSON object (type-specific fields included), whose string values may hold
 * {@code ${…}} expressions that are rendered when the step runs.
 *
 * @param when     the {@code when} value (a boolean, or a string expression), or null
 * @param timeout  null when the step has none
 * @param retry    {@link Retry#NONE} when the step has none
 * @param needs    the ids of the steps it needs (docs/workflows.md, "Steps in parallel"), in
 *                 the order written; empty when it has no {@code needs}
 */
public record Step(String id, String name, StepKind type, JsonNode when, Duration timeout, Retry retry,
                   boolean continueOnError, List<String> needs, ObjectNode spec) {

    /** {@code attempts} counts tries in all (at least 1); {@code delay} is waited between tries. */
    public record Retry(int attempts, Duration delay) {
        public static final Retry NONE = new Retry(1, Duration.ZERO);
    }
}
