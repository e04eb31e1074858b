package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code stepstream runs}: the newest runs as a table. */
@Command(name = "runs", description = "List runs, newest first.", mixinStandardHelpOptions = true)
final class RunsCommand implements Callable<Integer> {
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

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        StringBuilder query = new StringBuilder("?limit=").append(limit);
        if (workflow != null) {
            query.append("&workflowId=").append(URLEncoder.encode(workflow, StandardCharsets.UTF_8));
        }
        if (status != null) {
            query.append("&status=").append(URLEncoder.encode(status, StandardCharsets.UTF_8));
        }
        if (trigger != null) {
            query.append("&trigger=").append(URLEncoder.encode(trigger, StandardCharsets.UTF_8));
        }
        ApiClient.Response response = options.client().get("/api/v2/workflows/runs" + query);
        PrintWriter out = spec.commandLine().getOut();
        if (!response.ok()) {
            return response.refused(spec);
        }
        if (json) {
            out.println(JsonOutput.of(response.body()));
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
        return Cli.OK;
    }

    /** {@code schedule nightly}, {@code webhook push}, {@code retry}, {@code manual}: the type, and the id of a trigger of the workflow's. */
    private static String trigger(JsonNode trigger) {
        String type = trigger.path("type").asText("-");
        return (type.equals("schedule") || type.equals("webhook")) && trigger.path("id").isTextual()
                ? type + " " + trigger.path("id").asText() : type;
    }
}
