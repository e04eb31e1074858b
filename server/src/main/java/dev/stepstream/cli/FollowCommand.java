package dev.stepstream.cli;

import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream follow RUN_ID [--after N] [--json]}: shows an existing run live, from its
 * first event (or after seq N) to its end, resuming by itself when the connection drops. Exit
 * 0 when the run ends {@code success}, 1 when it ends otherwise, 2 on a usage or connection error.
 */
@Command(name = "follow", description = "Show a run live until it ends (exit 0 success, 1 otherwise).",
        mixinStandardHelpOptions = true)
final class FollowCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run's id (a UUID).")
    String runId;

    @Option(names = "--after", paramLabel = "N", defaultValue = "0",
            description = "Only events after seq N (default 0: the whole run).")
    long after;

    @Option(names = "--json", description = "Print the envelopes as the server sends them, one a line.")
    boolean json;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String id = canonical(spec, runId);
        if (after < 0) {
            throw new ParameterException(spec.commandLine(), "--after: expected a seq of 0 or more, got " + after);
        }
        RunView view = new RunView(spec.commandLine().getOut(), Terminal.detect(), json, options.serverOption());
        return new RunFollower(options.client(), id, view, spec.commandLine().getErr(), spec.qualifiedName(),
                options.serverOption()).follow(after);
    }

    /** Run ids are UUIDs in canonical lowercase text (docs/api.md). */
    static String canonical(CommandSpec spec, String text) {
        try {
            UUID uuid = UUID.fromString(text);
            if (uuid.toString().equalsIgnoreCase(text)) {
                return uuid.toString();
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "RUN_ID: expected a run id (a UUID), got \"" + text + "\"");
    }
}
