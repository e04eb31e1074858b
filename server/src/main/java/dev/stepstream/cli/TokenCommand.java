package dev.stepstream.cli;

import dev.stepstream.security.Role;
import dev.stepstream.security.TokenFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream token create|revoke|list}: manages the tokens file of {@code serve
 * --tokens-file}. A running server reads the file again within seconds of a change; the streams
 * of a revoked token are closed with 1008.
 */
@Command(name = "token", description = "Manage the bearer tokens of a tokens file.", mixinStandardHelpOptions = true,
        subcommands = {TokenCommand.Create.class, TokenCommand.Revoke.class, TokenCommand.List.class})
final class TokenCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (create, revoke, list)");
    }

    /** {@code --tokens-file}, or {@code $STEPSTREAM_TOKENS_FILE}. */
    static final class FileOption {
        @Option(names = "--tokens-file", paramLabel = "FILE", description = "The tokens file (default $STEPSTREAM_TOKENS_FILE).")
        String file;

        Path path(CommandSpec spec) {
            String value = file != null ? file : System.getenv("STEPSTREAM_TOKENS_FILE");
            if (value == null || value.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--tokens-file is required (or set STEPSTREAM_TOKENS_FILE)");
            }
            return Path.of(value);
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a token: its hash goes into the file, the token is printed once and kept nowhere.")
    static final class Create implements Callable<Integer> {
        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "viewer, operator or admin.")
        String role;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "Who it is for (letters, digits, _.@-).")
        String name;

        @picocli.CommandLine.Mixin
        FileOption file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Role parsed = Role.fromWire(role);
            if (parsed == null) {
                throw new ParameterException(spec.commandLine(), "--role: expected viewer, operator or admin, got \"" + role + "\"");
            }
            Path path = file.path(spec);
            try {
                String token = TokenFile.create(path, name, parsed);
                spec.commandLine().getOut().println(token);
                Terminal.printf(spec.commandLine().getErr(), "token %s (%s) added to %s; it is shown only this once%n",
                        name, parsed.wire(), path.toString());
                return Cli.OK;
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            } catch (IOException e) {
                Terminal.printf(spec.commandLine().getErr(), "token create: cannot write %s: %s%n", path.toString(), e.getMessage());
                return Cli.FAILED;
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Remove a token from the file.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @picocli.CommandLine.Mixin
        FileOption file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Path path = file.path(spec);
            try {
                if (!Files.exists(path) || !TokenFile.revoke(path, name)) {
                    Terminal.printf(spec.commandLine().getErr(), "token revoke: no token named %s in %s%n", name, path.toString());
                    return Cli.FAILED;
                }
                Terminal.printf(spec.commandLine().getErr(), "token %s revoked%n", name);
                return Cli.OK;
            } catch (IOException e) {
                Terminal.printf(spec.commandLine().getErr(), "token revoke: cannot rewrite %s: %s%n", path.toString(), e.getMessage());
                return Cli.FAILED;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the tokens' names and roles.")
    static final class List implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        FileOption file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Path path = file.path(spec);
            try {
                for (TokenFile.Entry entry : TokenFile.read(path).entries()) {
                    Terminal.printf(spec.commandLine().getOut(), "%-32s %s%n", entry.name(), entry.role().wire());
                }
                return Cli.OK;
            } catch (IOException | IllegalArgumentException e) {
                Terminal.printf(spec.commandLine().getErr(), "token list: %s: %s%n", path.toString(), e.getMessage());
                return Cli.FAILED;
            }
        }
    }
}
