package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.client.RunWatch;
import dev.stepstream.client.RunWatchItem;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.client.StepstreamException;
import dev.stepstream.client.WatchOptions;
import dev.stepstream.json.Json;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code stepstream runs}: the newest runs as a table; with {@code --watch}, then a line for each
 * change as the all-runs stream tells it, until Ctrl-C (the JVM's 130), the list again after each
 * reconnection (the stream has no history: docs/clients.md, "Watching every run").
 */
@Command(name = "runs", description = "List runs, newest first.", mixinStandardHelpOptions = true)
final class RunsCommand implements Callable<Integer> {
    /** Runs whose workflow the watch remembers, for the lines of items that do not name it. */
    private static final int REMEMBERED = 10_000;

    @Option(names = "--workflow", paramLabel = "ID", description = "Only runs of this workflow.")
    String workflow;

    @Option(names = "--status", paramLabel = "STATUS", description = "Only runs in this status.")
    String status;

    @Option(names = "--trigger", paramLabel = "TYPE",
            description = "Only runs started this way: manual, schedule, webhook, retry or workflow.")
    String trigger;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N runs (1..500, default 50).")
    int limit;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Option(names = "--watch", description = "After the list, print a line for each change to a run (of --workflow, or of"
            + " every workflow) as it happens, until Ctrl-C; after a lost connection, the list again. With --json, the"
            + " stream's items as JSON lines.")
    boolean watch;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (watch && (status != null || trigger != null)) {
            throw new ParameterException(spec.commandLine(), "--watch shows every change to the runs of --workflow (or of"
                    + " every workflow): it does not take --status or --trigger");
        }
        ApiClient client = options.client();
        PrintWriter out = spec.commandLine().getOut();
        return watch ? watch(client, out) : list(client, out);
    }

    private int list(ApiClient client, PrintWriter out) {
        ApiClient.Response response = client.get(path(limit));
        if (!response.ok()) {
            return response.refused(spec);
        }
        if (json) {
            out.println(JsonOutput.of(response.body()));
            out.flush();
            return Cli.OK;
        }
        Table table = new Table("RUN ID", "WORKFLOW", "STATUS", "CREATED", "DURATION", "TRIGGER");
        for (JsonNode run : response.body().path("runs")) {
            JsonNode duration = run.path("duration");
            table.add(run.path("runId").asText(), run.path("workflowId").asText(), run.path("status").asText(),
                    run.path("createdAt").asText(), duration.isNumber() ? Terminal.duration(duration.asLong()) : "-",
                    trigger(run.path("trigger")));
        }
        table.print(out);
        out.flush();
        return Cli.OK;
    }

    /** The listing's path with this command's filters, at most {@code count} runs. */
    private String path(int count) {
        StringBuilder query = new StringBuilder("/api/v2/workflows/runs?limit=").append(count);
        if (workflow != null) {
            query.append("&workflowId=").append(URLEncoder.encode(workflow, StandardCharsets.UTF_8));
        }
        if (status != null) {
            query.append("&status=").append(URLEncoder.encode(status, StandardCharsets.UTF_8));
        }
        if (trigger != null) {
            query.append("&trigger=").append(URLEncoder.encode(trigger, StandardCharsets.UTF_8));
        }
        return query.toString();
    }

    /**
     * Lists at each connection of the all-runs stream, the moment nothing of the runs is missed
     * (what happened while it was not connected is not sent), then prints each change. The list
     * is read once first over REST alone, so that no server, or a refusal, says so at once rather
     * than after the watch has tried to connect for {@link RunFollower#GIVE_UP_AFTER}.
     */
    private int watch(ApiClient client, PrintWriter out) {
        ApiClient.Response probe = client.get(path(1));
        if (!probe.ok()) {
            return probe.refused(spec);
        }
        Map<String, String> workflows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > REMEMBERED;
            }
        };
        WatchOptions watchOptions = WatchOptions.DEFAULTS.workflowId(workflow).giveUpAfter(RunFollower.GIVE_UP_AFTER);
        try (StepstreamClient library = client.library(); RunWatch runs = library.watchRuns(watchOptions)) {
            boolean first = true;
            for (RunWatchItem item : runs) {
                if (item.isConnected()) {
                    if (!first && !json) {
                        out.println("-- connected again; the runs as they are now:");
                    }
                    first = false;
                    int listed = list(client, out);
                    if (listed != Cli.OK) {
                        return listed;
                    }
                    continue;
                }
                out.println(json ? item.json() : change(item, workflows));
                out.flush();
            }
        } catch (StepstreamException e) {
            throw e.kind() == StepstreamException.Kind.UNAVAILABLE
                    ? new ApiClient.ConnectionException("lost the stream of runs and could not connect again for "
                            + RunFollower.GIVE_UP_AFTER.toSeconds() + " s: " + e.getMessage())
                    : ApiClient.isNotStepstreams(e) ? client.notStepstreams(e) : new ApiClient.RefusedException(e.getMessage());
        } catch (IllegalStateException e) {
            if (!Thread.currentThread().isInterrupted()) {
                throw e;
            }
            return 130; // the watching thread was interrupted (in-process): the code Ctrl-C ends the JVM with
        }
        return Cli.OK;
    }

    /**
     * One change as a line: {@code 2026-12-06T05:00:00.123Z  RUN_ID  WORKFLOW  what}, the time
     * when it came (run_progress and run_deleted carry none, and one clock keeps the lines in order).
     */
    private static String change(RunWatchItem item, Map<String, String> workflows) {
        Map<String, Object> payload = item.payload();
        if (payload.get("workflowId") instanceof String workflowId) {
            workflows.put(item.runId(), workflowId);
        }
        String what = switch (item.type()) {
            case "run_queued" -> "queued (" + trigger(Json.MAPPER.valueToTree(
                    payload.get("trigger") instanceof Map<?, ?> trigger ? trigger : Map.of())) + ")";
            case "run_start" -> "running";
            case "run_resumed" -> "resumed";
            case "run_progress" -> "step " + payload.get("stepId") + ": " + payload.get("status");
            case "run_complete" -> payload.get("status")
                    + (payload.get("duration") instanceof Number millis ? " in " + Terminal.duration(millis.longValue()) : "");
            case "run_deleted" -> "deleted";
            case null -> "?";
            default -> item.type();
        };
        String workflowId = "run_deleted".equals(item.type()) ? workflows.remove(item.runId()) : workflows.get(item.runId());
        return Terminal.plain(Json.time(Instant.now()) + "  " + item.runId() + "  " + (workflowId == null ? "-" : workflowId) + "  " + what);
    }

    /** {@code schedule nightly}, {@code webhook push}, {@code retry}, {@code manual}: the type, and the id of a trigger of the workflow's. */
    private static String trigger(JsonNode trigger) {
        String type = trigger.path("type").asText("-");
        return (type.equals("schedule") || type.equals("webhook")) && trigger.path("id").isTextual()
                ? type + " " + trigger.path("id").asText() : type;
    }
}
