package dev.stepstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream cancel RUN_ID} (docs/clients.md, "The stepstream command line"): asks the server to cancel
 * a run. Exit 0 when the cancel was accepted (the run ends {@code cancelled} shortly), 1 when
 * it was refused (no such run; a run that has already ended), 2 on a usage or connection error.
 */
@Command(name = "cancel", description = "Cancel a run (it ends cancelled; a running script is killed).",
        mixinStandardHelpOptions = true)
final class CancelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run's id (a UUID).")
    String runId;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String id = FollowCommand.canonical(spec, runId);
        ApiClient.Response response = options.client().post("/api/v2/workflows/runs/" + id + "/cancel",
                dev.stepstream.json.Json.object());
        if (!response.ok()) {
            return response.refused(spec);
        }
        spec.commandLine().getOut().println("run " + id + ": cancel requested");
        return Cli.OK;
    }
}
