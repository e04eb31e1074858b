package dev.stepstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream delete RUN_ID} (docs/clients.md, "The stepstream command line"): deletes a
 * finished run, its history and everything it stored (role admin). Exit 0 when it was deleted,
 * 1 when it was refused (no such run; a run that has not finished), 2 on a usage or connection error.
 */
@Command(name = "delete", description = "Delete a finished run and its history (role admin).",
        mixinStandardHelpOptions = true)
final class DeleteCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run's id (a UUID).")
    String runId;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String id = FollowCommand.canonical(spec, runId);
        ApiClient.Response response = options.client().delete("/api/v2/workflows/runs/" + id);
        if (!response.ok()) {
            return response.refused(spec);
        }
        Terminal.printf(spec.commandLine().getOut(), "deleted run %s%n", id);
        return Cli.OK;
    }
}
