package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.JsonTrees;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a run's envelopes for a person: steps as they start and end with status, duration
 * and outputs, log lines by level, variable changes. Once two steps have run at once (a
 * graph), every line of a step says which step it is of, so that the lines of steps running
 * side by side stay readable; each event is one whole line. A step that waits for a decision
 * says so with its message, and under it the commands that take the decision; its end says
 * what was decided, by whom and why. A step that a retry reuses (docs/workflows.md, "Retrying a
 * run") did not run: it is one line that says so, with how it ended in the run retried, and its
 * variable changes under it. With {@code json}, the envelopes as the server sent them, one per
 * line, except that DEL and C1 controls are escaped ({@link JsonOutput#line}).
 *
 * <p>Every piece of text that comes from the run (names, messages, errors, values) goes
 * through {@link Terminal#line} or {@link Terminal#lines} ({@link SafeText}): colours kept on a
 * terminal, removed otherwise, every other control sequence shown, never interpreted. A
 * message of several lines goes on under its first line, indented to where it starts.
 *
 * <p>The status line: on an interactive terminal ({@link Terminal#interactive}, never with
 * {@code json} nor when piped), once nothing has been printed for a second while a step runs,
 * the last line of the screen says which steps run and for how long ({@code ⠙ build running
 * 12s}), redrawn in place about once a second by a ticker ({@link #start}, {@link #stop}). It is
 * erased before anything else is printed, so it never ends up among the log lines.
 *
 * <p>Who owns the output: this view, under its own lock. {@link #show} (the follower's
 * connection thread), the ticker's virtual thread and {@link #stop} (also from the Ctrl-C
 * shutdown hook, before its notice goes to stderr on the same screen) all write under it.
 */
final class RunView {
    private final PrintWriter out;
    private final Terminal terminal;
    private final boolean json;
    /** {@code --server URL} when one was given, to repeat in the commands suggested. */
    private final String serverOption;
    private final Set<String> running = new HashSet<>();
    /** The steps' names by id, from their step_start (step_waiting carries the id only). */
    private final Map<String, String> names = new HashMap<>();
    /** The id of the run that this one retries, from its run_start; null if none, or if run_start was not shown. */
    private String retryOf;
    /**
     * The lines of the variable changes of reused steps, by step id, until their step_complete. A
     * reused step has no step_start, and its variable_changes come before its step_complete; held
     * back, they are shown under its line as a step's variable changes are, not above it.
     */
    private final Map<String, List<String>> held = new HashMap<>();
    private boolean parallel;

    private static final String SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    private static final Duration SILENCE = Duration.ofSeconds(1);
    /** Whether this view draws a status line at all: an interactive terminal, and not {@code json}. */
    private final boolean live;
    /** The running steps that do not wait for a decision, by id: their name and when they started (the event's time). */
    private final Map<String, Started> ticking = new LinkedHashMap<>();
    private record Started(String name, Instant at) {}
    /** When this view last printed a line; the status line appears after {@link #SILENCE} without one. */
    private Instant lastPrinted = Instant.now();
    /** Whether the status line is on the screen now, to be erased before the next line. */
    private boolean statusShown;
    private int frame;
    /** The ticker's virtual thread, from {@link #start} to {@link #stop}; null when none runs. */
    private Thread ticker;

    RunView(PrintWriter out, Terminal terminal, boolean json, String serverOption) {
        this.out = out;
        this.terminal = terminal;
        this.json = json;
        this.serverOption = serverOption;
        this.live = terminal.interactive() && !json;
    }

    /** Starts the ticker that redraws the status line about once a second; nothing unless {@link #live}. */
    synchronized void start() {
        if (!live || ticker != null) {
            return;
        }
        ticker = Thread.ofVirtual().name("stepstream-status").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(1000);
                    tick();
                }
            } catch (InterruptedException stopped) {
                // stop() ends the ticker
            }
        });
    }

    /** Stops the ticker, erases the status line and flushes; safe to call more than once, from any thread. */
    synchronized void stop() {
        if (ticker != null) {
            ticker.interrupt();
            ticker = null;
        }
        eraseStatus();
        out.flush();
    }

    private synchronized void tick() {
        if (ticker == null || ticking.isEmpty() || Duration.between(lastPrinted, Instant.now()).compareTo(SILENCE) < 0) {
            return;
        }
        Instant now = Instant.now();
        StringBuilder status = new StringBuilder();
        for (Started step : ticking.values()) {
            long seconds = Math.max(0, Duration.between(step.at(), now).toSeconds());
            status.append(status.isEmpty() ? "" : ", ").append(step.name()).append("  running ").append(elapsed(seconds));
        }
        String text = status.length() > 70 ? status.substring(0, 69) + "…" : status.toString();
        frame = (frame + 1) % SPINNER.length();
        // Carriage return and erase line: the status line is redrawn in place, never wraps (it is cut to fit).
        out.print("\r\u001b[2K" + terminal.yellow(String.valueOf(SPINNER.charAt(frame))) + " " + terminal.dim(text));
        out.flush();
        statusShown = true;
    }

    /** {@code 12s}, {@code 3m05s}, {@code 1h02m}. */
    static String elapsed(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format("%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }

    /** Erases the status line, if shown, so that a notice can take its place on the screen (stderr shares it). */
    synchronized void eraseStatus() {
        if (statusShown) {
            out.print("\r\u001b[2K");
            out.flush();
            statusShown = false;
        }
    }

    /** Keeps track of the steps that tick: started and not waiting for a decision nor ended. */
    private void track(JsonNode envelope, String type, JsonNode p) {
        String stepId = p.path("stepId").asText();
        switch (type) {
            case "step_start" -> ticking.put(stepId, new Started(terminal.line(p.path("stepName").asText()), time(envelope)));
            case "step_waiting", "step_complete" -> ticking.remove(stepId);
            case "run_complete" -> ticking.clear();
            default -> { }
        }
    }

    /** The event's time; now when it has none or cannot be read. */
    private static Instant time(JsonNode envelope) {
        try {
            return Instant.parse(envelope.path("time").asText());
        } catch (DateTimeParseException e) {
            return Instant.now();
        }
    }

    /** Whether this view prints the envelopes as received ({@code --json}): {@link #showJson}, not {@link #show}. */
    boolean json() {
        return json;
    }

    /** Shows one envelope as received ({@code --json}); it reaches the output at the next {@link #flush}. */
    synchronized void showJson(String text) {
        println(JsonOutput.line(text));
    }

    /**
     * Shows one envelope, parsed, for a person (with {@code --json}, {@link #showJson}); it
     * reaches the output at the next {@link #flush}.
     */
    synchronized void show(JsonNode envelope) {
        JsonNode p = envelope.path("payload");
        String type = envelope.path("type").asText();
        if (live) {
            track(envelope, type, p);
        }
        if (type.equals("step_start")) {
            running.add(p.path("stepId").asText());
            names.put(p.path("stepId").asText(), p.path("stepName").asText());
            parallel |= running.size() > 1;
        } else if (type.equals("step_complete")) {
            running.remove(p.path("stepId").asText());
        }
        String stepId = text(p.path("stepId"));
        String step = parallel ? terminal.dim("[" + stepId + "] ") : "";
        if (type.equals("run_start") && p.hasNonNull("retryOf")) {
            retryOf = p.path("retryOf").path("runId").asText();
        }
        String line = switch (type) {
            case "run_start" -> terminal.bold("run " + text(envelope.path("runId")) + " of "
                    + text(p.path("workflowId")) + " (version " + text(p.path("workflowVersion")) + ") started"
                    + (retryOf == null ? "" : ", retry of run " + terminal.line(retryOf) + " from " + from(p.path("retryOf").path("from").asText())));
            case "step_start" -> "▶ " + text(p.path("stepName"))
                    + (p.path("attempt").asInt() > 1 ? terminal.dim(" (attempt " + p.path("attempt").asInt() + ")") : "");
            case "step_log" -> {
                String level = p.path("level").asText();
                // The lines after a message's first go on under it: past the step and the level.
                String indent = " ".repeat(2 + (parallel ? stepId.length() + 3 : 0) + Math.max(5, level.length()) + 1);
                yield "  " + step + level(level) + " " + terminal.lines(p.path("message").asText(), indent)
                        + (p.path("truncated").asBoolean() ? terminal.dim(" [truncated]") : "");
            }
            case "variable_change" -> "  " + step + terminal.dim("vars." + text(p.path("varName")) + ": ")
                    + switch (p.path("changeType").asText()) {
                        case "create" -> "= " + json(p.path("newValue"));
                        case "delete" -> "deleted (was " + json(p.path("oldValue")) + ")";
                        default -> json(p.path("oldValue")) + " → " + json(p.path("newValue"));
                    };
            case "step_waiting" -> waiting(envelope.path("runId").asText(), p);
            case "step_complete" -> (p.path("reused").asBoolean() ? reused(p)
                    : status(p.path("status").asText()) + " " + text(p.path("stepName"))
                    + terminal.dim(" " + text(p.path("status")) + " in " + Terminal.duration(p.path("duration").asLong())))
                    + (p.hasNonNull("decision") ? ": " + decision(p.path("decision"))
                    : p.hasNonNull("error") ? ": " + terminal.red(terminal.lines(p.path("error").asText(), "  ")) : "")
                    // An approval step's outputs are its decision, shown above.
                    + (p.path("outputs").equals(p.path("decision")) ? "" : outputs(p.path("outputs")))
                    + heldLines(p.path("stepId").asText());
            case "run_resumed" -> terminal.bold("run resumed on " + text(p.path("node")))
                    + (p.path("restartedSteps").isEmpty() ? "" : terminal.dim(", starting again: "
                    + String.join(", ", p.path("restartedSteps").valueStream().map(this::text).toList())));
            case "run_complete" -> terminal.bold("run " + colourStatus(p.path("status").asText())
                    + " in " + Terminal.duration(p.path("duration").asLong()))
                    + (p.hasNonNull("error") ? ": " + terminal.lines(p.path("error").asText(), "  ") : "");
            default -> terminal.line(JsonTrees.write(envelope));
        };
        if (type.equals("variable_change") && retryOf != null && !names.containsKey(p.path("stepId").asText())) {
            // A step that has not started changes a variable: in a retry, a reused step restoring what it set.
            held.computeIfAbsent(p.path("stepId").asText(), id -> new ArrayList<>()).add(line);
            return;
        }
        eraseStatus();
        println(line);
        lastPrinted = Instant.now();
    }

    /**
     * A line, without the flush that {@link PrintWriter#println} makes on an auto-flushing writer
     * (as the CLI's is): a run's history can be 100,000s of lines, one write each otherwise.
     */
    private void println(String line) {
        out.print(line);
        out.print(System.lineSeparator());
    }

    /** Sends what was shown to the output: the follower calls it whenever its next event would have to wait. */
    synchronized void flush() {
        out.flush();
    }

    /**
     * The head of a reused step's line: that it is reused, from which run (when its run_start was
     * shown), and how it ended there. It ended {@code success}, or {@code skipped} by its {@code when}.
     */
    private String reused(JsonNode p) {
        String status = p.path("status").asText();
        return (status.equals("success") ? terminal.green("↺") : terminal.dim("↺")) + " " + text(p.path("stepName"))
                + " reused" + (retryOf == null ? "" : " from run " + terminal.line(retryOf.substring(0, Math.min(8, retryOf.length()))))
                + terminal.dim(" (" + terminal.line(status) + " in " + Terminal.duration(p.path("duration").asLong()) + ")");
    }

    /** The variable changes held back for the step, each on a line of its own; none once shown. */
    private String heldLines(String stepId) {
        List<String> lines = held.remove(stepId);
        return lines == null ? "" : System.lineSeparator() + String.join(System.lineSeparator(), lines);
    }

    /** A retry's {@code from} in words: {@code failed}, {@code start}, or {@code step "deploy"}. */
    private String from(String from) {
        return from.equals("failed") || from.equals("start") ? from : "step \"" + terminal.line(from) + "\"";
    }

    /**
     * A step that waits for a decision, and on a line under it the two commands that take it
     * (with {@code --server} when one was given, so that they reach the same server).
     */
    private String waiting(String runId, JsonNode p) {
        String stepId = p.path("stepId").asText();
        String decide = " " + terminal.line(runId) + " " + terminal.line(stepId) + serverOption;
        return terminal.yellow("⏸") + " " + terminal.line(names.getOrDefault(stepId, stepId)) + " waits for a decision: "
                + terminal.bold(terminal.lines(p.path("message").asText(), "  ")) + System.lineSeparator()
                + "  " + terminal.dim("stepstream approve" + decide + "  |  stepstream reject" + decide);
    }

    /** What was decided, by whom, and the comment quoted: {@code approved by ann: "go"}. A rejection in red, as a failure. */
    private String decision(JsonNode decision) {
        String text = (decision.path("approved").asBoolean() ? "approved" : "rejected") + " by " + text(decision.path("by"))
                + (decision.path("comment").isTextual() ? ": " + json(decision.path("comment")) : "");
        return decision.path("approved").asBoolean() ? text : terminal.red(text);
    }

    /** The outputs on a line of their own under the step's end: {@code name=value}, long values shortened. */
    private String outputs(JsonNode outputs) {
        if (!outputs.isObject() || outputs.isEmpty()) {
            return "";
        }
        StringBuilder line = new StringBuilder(System.lineSeparator()).append("  ").append(terminal.dim("outputs:"));
        outputs.properties().forEach(field -> {
            String value = field.getValue().isTextual() ? field.getValue().textValue() : JsonTrees.write(field.getValue());
            // Cut before it is made safe: a cut made after could leave half an escape sequence.
            line.append(' ').append(terminal.line(field.getKey())).append('=')
                    .append(terminal.line(value.length() > 60 ? value.substring(0, 60) + "…" : value));
        });
        return line.toString();
    }

    /** A text field of an event, on one line, safe to print. */
    private String text(JsonNode node) {
        return terminal.line(node.asText());
    }

    /** A value as JSON, safe to print: JSON escapes C0 controls, but not DEL nor C1 ones. */
    private String json(JsonNode node) {
        return terminal.line(JsonTrees.write(node)); // as its toString, which would build a mapper
    }

    private String level(String level) {
        String padded = String.format("%-5s", terminal.line(level));
        return switch (level) {
            case "error" -> terminal.red(padded);
            case "warn" -> terminal.yellow(padded);
            case "debug" -> terminal.dim(padded);
            default -> padded;
        };
    }

    private String status(String status) {
        return switch (status) {
            case "success" -> terminal.green("✔");
            case "failed" -> terminal.red("✘");
            case "skipped" -> terminal.dim("↷");
            default -> terminal.yellow("■");
        };
    }

    private String colourStatus(String status) {
        return switch (status) {
            case "success" -> terminal.green(status);
            case "failed" -> terminal.red(status);
            default -> terminal.yellow(terminal.line(status));
        };
    }
}
