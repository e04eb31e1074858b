package dev.stepstream.broker;

import dev.stepstream.events.RunEvent;
import dev.stepstream.store.RunTrigger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * What nodes send one another over the transport. A message is one header line,
 * {@code <kind> <origin node id>}, then its body:
 * <ul>
 *   <li>{@code E}: events, one stored envelope per line, exactly the bytes that were committed
 *       (encoded once, DESIGN.md invariant 5: no node re-encodes them);</li>
 *   <li>{@code Q}: a run was queued: {@code runId workflowId workflowVersion epochMillis triggerType triggerId dueMillis}
 *       ({@code -} for a trigger's null; a node of an earlier version sends the first four only: manual);</li>
 *   <li>{@code C}: cancel this run: {@code runId};</li>
 *   <li>{@code D}: a decision was taken on a step of this run: {@code runId};</li>
 *   <li>{@code X}: this finished run was deleted (its streams end): {@code runId workflowId}
 *       (a node of an earlier version sends the first only).</li>
 * </ul>
 * Envelopes hold no raw newline (JSON escapes it in strings), so lines split them safely.
 */
final class Messages {
    /** A decoded message: its kind, the node that sent it, and its body. */
    record Message(char kind, String origin, byte[] bytes, int bodyStart) {
        List<RunEvent> events() {
            List<RunEvent> events = new ArrayList<>();
            int start = bodyStart;
            for (int i = bodyStart; i <= bytes.length; i++) {
                if (i == bytes.length || bytes[i] == '\n') {
                    if (i > start) {
                        events.add(RunEvent.fromJson(Arrays.copyOfRange(bytes, start, i)));
                    }
                    start = i + 1;
                }
            }
            return events;
        }

        String[] fields() {
            return new String(bytes, bodyStart, bytes.length - bodyStart, StandardCharsets.UTF_8).trim().split(" ");
        }
    }

    private Messages() {}

    static byte[] events(String origin, List<RunEvent> events) {
        byte[] header = header('E', origin);
        int size = header.length;
        for (RunEvent event : events) {
            size += event.json().length + 1;
        }
        byte[] message = new byte[size];
        System.arraycopy(header, 0, message, 0, header.length);
        int at = header.length;
        for (RunEvent event : events) {
            byte[] json = event.json();
            System.arraycopy(json, 0, message, at, json.length);
            at += json.length;
            message[at++] = '\n';
        }
        return message;
    }

    static byte[] queued(String origin, UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
        return text('Q', origin, runId + " " + workflowId + " " + workflowVersion + " " + at.toEpochMilli() + " " + trigger.type()
                + " " + (trigger.id() == null ? "-" : trigger.id()) + " " + (trigger.dueAt() == null ? "-" : trigger.dueAt().toEpochMilli()));
    }

    /** The trigger of a {@code Q} message's fields (manual from a node that sends none). */
    static RunTrigger trigger(String[] fields) {
        if (fields.length < 7) {
            return RunTrigger.MANUAL;
        }
        return new RunTrigger(fields[4], fields[5].equals("-") ? null : fields[5],
                fields[6].equals("-") ? null : Instant.ofEpochMilli(Long.parseLong(fields[6])));
    }

    static byte[] cancel(String origin, UUID runId) {
        return text('C', origin, runId.toString());
    }

    static byte[] decided(String origin, UUID runId) {
        return text('D', origin, runId.toString());
    }

    static byte[] deleted(String origin, UUID runId, String workflowId) {
        return text('X', origin, workflowId == null ? runId.toString() : runId + " " + workflowId);
    }

    /** The workflow of an {@code X} message's fields; null from a node that sends none. */
    static String deletedWorkflow(String[] fields) {
        return fields.length < 2 ? null : fields[1];
    }

    /** @throws IllegalArgumentException when the bytes are not a message */
    static Message decode(byte[] bytes) {
        int newline = 0;
        while (newline < bytes.length && bytes[newline] != '\n') {
            newline++;
        }
        if (newline < 3 || newline == bytes.length || bytes[1] != ' ') {
            throw new IllegalArgumentException("not a stepstream message");
        }
        String origin = new String(bytes, 2, newline - 2, StandardCharsets.UTF_8);
        return new Message((char) bytes[0], origin, bytes, newline + 1);
    }

    private static byte[] header(char kind, String origin) {
        return (kind + " " + origin + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] text(char kind, String origin, String body) {
        return (kind + " " + origin + "\n" + body).getBytes(StandardCharsets.UTF_8);
    }
}
