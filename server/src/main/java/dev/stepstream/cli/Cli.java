package dev.stepstream.cli;

import dev.stepstream.settings.ConfigException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code stepstream} command and its subcommands. Exit codes: 0 ok, 1 failed, 2 usage or connection error. */
@Command(name = "stepstream", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "A workflow engine whose runs can be watched live, step by step.",
        subcommands = {ServeCommand.class, WorkflowsCommand.class, RunCommand.class, FollowCommand.class, RunsCommand.class,
            CancelCommand.class, DeleteCommand.class, RetryCommand.class, DecisionCommand.Approve.class, DecisionCommand.Reject.class, TokenCommand.class,
            StatusCommand.class, SecretsCommand.class, LogsCommand.class})
public final class Cli implements Runnable {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    /** Ends a command: one line on stderr, after the command's name, and the exit code. */
    static class Exit extends RuntimeException {
        private final int code;

        Exit(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        int code() {
            return code;
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (serve, workflows, run, follow, runs, logs, cancel, delete, retry, approve, reject, token, status, secrets)");
    }

    public static int run(String[] args) {
        return run(args, System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    /** Runs the command line with the given output streams and nothing on stdin; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, InputStream.nullInputStream(), out, err);
    }

    /**
     * Runs the command line with the given stdin (read by {@code secrets set}, and only System.in
     * can be a terminal to prompt at) and output streams; returns the exit code.
     */
    public static int run(String[] args, InputStream in, PrintWriter out, PrintWriter err) {
        // The command asked for alone, under its full name (so its usage and errors read the
        // same): picocli reads the annotations of every command it is given, which for all of
        // them cost ~0.4 s of the server's start-up, and as much of every client command's.
        CommandLine.IFactory factory = factory(in);
        CommandLine commandLine = args.length > 0 ? subcommand(args[0], factory) : null;
        if (commandLine != null) {
            args = Arrays.copyOfRange(args, 1, args.length);
        } else {
            commandLine = new CommandLine(new Cli(), factory);
        }
        commandLine.setOut(out);
        commandLine.setErr(err);
        UsageText.install(commandLine);
        commandLine.setParameterExceptionHandler((ex, ignored) -> {
            // One line that names the flag and what is wrong (README.md, "Running it"). Picocli
            // says "option option '--x'" in some of its messages (those of map options).
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            ex.getCommandLine().getErr().println(command + ": " + ex.getMessage().replace("option option", "option")
                    + " (see " + command + " --help)");
            return USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, line, parseResult) -> {
            if (ex instanceof ConfigException) {
                line.getErr().println(line.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                return USAGE;
            }
            if (ex instanceof Exit exit) {
                // Made safe (SafeText, no colour): the message may quote the server, or a run.
                line.getErr().println(line.getCommandSpec().qualifiedName() + ": "
                        + SafeText.sanitise(exit.getMessage(), false, System.lineSeparator()));
                return exit.code();
            }
            throw ex;
        });
        return commandLine.execute(args);
    }

    /** The command line of the subcommand called {@code name}, built without the others; null if there is none. */
    private static CommandLine subcommand(String name, CommandLine.IFactory factory) {
        for (Class<?> type : Cli.class.getAnnotation(Command.class).subcommands()) {
            if (type.getAnnotation(Command.class).name().equals(name)) {
                return new CommandLine(type, factory).setCommandName("stepstream " + name);
            }
        }
        return null;
    }

    /** Picocli's factory, but the command that reads stdin is given {@code in}. */
    private static CommandLine.IFactory factory(InputStream in) {
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                return type == SecretsCommand.Set.class ? type.cast(new SecretsCommand.Set(in))
                        : CommandLine.defaultFactory().create(type);
            }
        };
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"stepstream " + (version == null ? "development build" : version)};
        }
    }
}
