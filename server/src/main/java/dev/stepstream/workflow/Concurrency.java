package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Map;

/**
 * A workflow's {@code concurrency} (docs/workflows.md, "Concurrency"): at most {@code limit} runs
 * of one key running at once, across the cluster; {@code key} is a template over {@code inputs}
 * (the workflow id when not given); past the limit, {@code onLimit} says what a new run does.
 */
public record Concurrency(String key, int limit, OnLimit onLimit) {
    public static final int MAX_LIMIT = 1000;
    /** A key is cut to this many characters. */
    public static final int MAX_KEY_CHARS = 256;

    /**
     * The key of a run of workflow {@code workflowId} with these inputs: {@code key} rendered
     * over {@code inputs} (as text, cut at {@link #MAX_KEY_CHARS}), or the workflow id.
     * @throws InvalidException at {@code concurrency.key} when the template fails on these inputs
     */
    public String keyOf(String workflowId, ObjectNode inputs) throws InvalidException {
        if (key == null) {
            return workflowId;
        }
        try {
            JsonNode rendered = Expressions.render(TextNode.valueOf(key), Map.of("inputs", Expressions.toJava(inputs)));
            String text = rendered == null || rendered.isNull() ? "" : rendered.isTextual() ? rendered.textValue() : rendered.toString();
            return text.length() > MAX_KEY_CHARS ? text.substring(0, MAX_KEY_CHARS) : text;
        } catch (ExpressionException e) {
            throw new InvalidException(List.of(new Problem("concurrency.key", e.getMessage())));
        }
    }

    public enum OnLimit {
        /** Stays queued until a slot frees, first come first served. */
        QUEUE("queue"),
        /** Ends at once, cancelled, with error {@code concurrency limit}. */
        SKIP("skip"),
        /** Cancels the oldest running run of the key, and takes its slot when it has ended. */
        CANCEL_RUNNING("cancel-running");

        private final String wire;

        OnLimit(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static OnLimit fromWire(String wire) {
            for (OnLimit value : values()) {
                if (value.wire.equals(wire)) {
                    return value;
                }
            }
            throw new IllegalArgumentException("unknown onLimit " + wire);
        }
    }
}
