package dev.stepstream.cli;

import java.util.UUID;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --follow} and {@code --json} of the commands that start a run ({@code run},
 * {@code retry}), and what they do with the run started: print its id, or follow it to its end.
 */
final class FollowOptions {
    @Option(names = "--follow", description = "Show the run live until it ends.")
    boolean follow;

    @Option(names = "--json", description = "Print the server's answer as JSON; with --follow, the envelopes, one a line.")
    boolean json;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /**
     * Prints the run's id (the server's answer, so made safe) on a line of its own, or with
     * {@code --json} the whole answer as JSON, and returns 0; with {@code --follow}, shows the run
     * until it ends instead and returns 0 when it ended {@code success}, 1 otherwise
     * ({@link RunFollower}).
     *
     * @param started the server's 202 answer: {@code {"runId", …}}
     */
    int printOrFollow(com.fasterxml.jackson.databind.JsonNode started, ApiClient client, ClientOptions options) {
        String runId = started.path("runId").asText();
        if (!isRunId(runId)) {
            // Never put into a stream's URL: the server's answer is not a run id.
            Terminal.printf(command.commandLine().getErr(), "%s: the server answered no run id (got \"%s\")%n",
                    command.qualifiedName(), runId.length() > 64 ? runId.substring(0, 64) + "…" : runId);
            return Cli.FAILED;
        }
        if (!follow) {
            if (json) {
                command.commandLine().getOut().println(JsonOutput.of(started));
                command.commandLine().getOut().flush();
            } else {
                Terminal.printf(command.commandLine().getOut(), "%s%n", runId);
            }
            return Cli.OK;
        }
        RunView view = new RunView(command.commandLine().getOut(), Terminal.detect(), json, options.serverOption());
        return new RunFollower(client, runId, view, command.commandLine().getErr(), command.qualifiedName(),
                options.serverOption()).follow(0);
    }

    private static boolean isRunId(String text) {
        try {
            return UUID.fromString(text).toString().equals(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
