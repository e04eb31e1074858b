package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One of a workflow's {@code triggers} (docs/workflows.md, "Triggers"): a schedule ({@code cron},
 * in {@code timezone}, its inputs bound already) or a webhook ({@code secret}, a template that
 * reads a secret, or null; its inputs templates over {@code body}, {@code headers} and
 * {@code query}).
 */
public record TriggerSpec(String id, Type type, Cron cron, ObjectNode inputs, String secret) {
    public enum Type {
        SCHEDULE("schedule"), WEBHOOK("webhook");

        private final String wire;

        Type(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }
}
