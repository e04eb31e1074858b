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
 * {@code stepstream approve RUN_ID STEP [--comment TEXT]} and {@code stepstream reject …}
 * (docs/clients.md, "The stepstream command line"): takes the decision an approval step waits
 * for. The two differ only in the decision, so they are this one class and two names. Exit 0
 * when the server took the decision (an approved run goes on; a rejected one ends
 * {@code failed}), 1 when it refused (no such run or step; a step that waits for no decision,
 * one having been taken already), 2 on a usage or connection error or a bad comment.
 */
abstract sealed class DecisionCommand implements Callable<Integer> permits DecisionCommand.Approve, DecisionCommand.Reject {
    @Command(name = "approve", description = "Approve an approval step that waits: the run goes on.",
            mixinStandardHelpOptions = true)
    static final class Approve extends DecisionCommand {
        Approve() {
            super(true);
        }
    }

    @Command(name = "reject", description = "Reject an approval step that waits: the step and the run fail.",
            mixinStandardHelpOptions = true)
    static final class Reject extends DecisionCommand {
        Reject() {
            super(false);
        }
    }

    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run's id (a UUID).")
    String runId;

    @Parameters(index = "1", paramLabel = "STEP", description = "The id of the step that waits for a decision.")
    String stepId;

    @Option(names = "--comment", paramLabel = "TEXT", description = "Why; kept with the decision in the run's log.")
    String comment;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    private final boolean approved;

    private DecisionCommand(boolean approved) {
        this.approved = approved;
    }

    @Override
    public Integer call() {
        String id = FollowCommand.canonical(spec, runId);
        ObjectNode body = Json.object();
        if (comment != null) {
            body.put("comment", comment);
        }
        ApiClient.Response response = options.client().post("/api/v2/workflows/runs/" + id + "/steps/" + ApiClient.segment("STEP", stepId)
                + (approved ? "/approve" : "/reject"), body);
        if (!response.ok()) {
            return response.refused(spec);
        }
        Terminal.printf(spec.commandLine().getOut(), "run %s: step \"%s\" %s%n", id, stepId, approved ? "approved" : "rejected");
        return Cli.OK;
    }
}
