package dev.stepstream.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream retry RUN_ID [--from failed|start|STEP] [--follow]} (docs/clients.md, "The
 * stepstream command line"; docs/workflows.md, "Retrying a run"): starts a new run of an ended
 * run's workflow version and inputs, which reuses the results of the steps that need not run
 * again, and prints its id, or with {@code --follow} shows it until it ends, as {@code run} does.
 * Exit 1 when the server refuses (no such run, a run that has not ended, a workflow no longer
 * valid), 2 on a usage or connection error or a {@code --from} that names no step of the run.
 */
@Command(name = "retry", description = "Run an ended run again, reusing the results of the steps that need not run again.",
        mixinStandardHelpOptions = true)
final class RetryCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The id of the run to retry (a UUID); it has ended.")
    String runId;

    @Option(names = "--from", paramLabel = "failed|start|STEP",
            description = "What runs again: failed (the default: the steps that did not succeed), start (every step),"
                    + " or a step id (that step and those after it, or that need it).")
    String from;

    @Mixin
    FollowOptions follow;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String id = FollowCommand.canonical(spec, runId);
        // Without --from, no from: the server's default is the one documented.
        ObjectNode body = Json.object();
        if (from != null) {
            body.put("from", from);
        }
        ApiClient client = options.client();
        ApiClient.Response started = client.post("/api/v2/workflows/runs/" + id + "/retry", body);
        if (!started.ok()) {
            return started.refused(spec);
        }
        return follow.printOrFollow(started.body(), client, options);
    }
}
