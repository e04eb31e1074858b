package dev.stepstream.cli;

import dev.stepstream.security.Role;
import dev.stepstream.security.TokenFile;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
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
            try {
                return Path.of(value);
            } catch (InvalidPathException e) {
                throw new ParameterException(spec.commandLine(), named(value) + ": not a path (" + e.getReason() + ")");
            }
        }

        /**
         * A tokens file that cannot be read, written or parsed: a usage error, exit 2, in one line
         * that names where the file came from, the file, and why in words (never the Java
         * exception's message alone, which for a missing file is only its name).
         */
        Cli.Exit unusable(Path path, Exception e) {
            String why = switch (e) {
                case NoSuchFileException missing -> "no such file";
                case AccessDeniedException denied -> "permission denied";
                case FileSystemException other when other.getReason() != null -> other.getReason();
                case CharacterCodingException notText -> "not UTF-8 text";
                case IllegalArgumentException malformed -> "not a tokens file: " + malformed.getMessage();
                default -> ApiClient.words(e);
            };
            return new Cli.Exit(Cli.USAGE, named(path.toString()) + ": " + why);
        }

        private String named(String value) {
            return (file != null ? "--tokens-file " : "STEPSTREAM_TOKENS_FILE ") + value;
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
                if (Files.exists(path)) {
                    TokenFile.read(path); // a file that does not parse is the file's problem, not --name's
                }
            } catch (IOException | IllegalArgumentException e) {
                throw file.unusable(path, e);
            }
            String token;
            try {
                token = TokenFile.create(path, name, parsed);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            } catch (IOException e) {
                throw file.unusable(path, e);
            }
            spec.commandLine().getOut().println(token);
            Terminal.printf(spec.commandLine().getErr(), "token %s (%s) added to %s; it is shown only this once%n",
                    name, parsed.wire(), path.toString());
            return Cli.OK;
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
            boolean revoked;
            try {
                revoked = TokenFile.revoke(path, name);
            } catch (IOException e) {
                throw file.unusable(path, e);
            }
            if (!revoked) {
                // As a refused request: the file is there, the token is not (exit 1).
                throw new Cli.Exit(Cli.FAILED, "no token named " + name + " in " + path);
            }
            Terminal.printf(spec.commandLine().getErr(), "token %s revoked%n", name);
            return Cli.OK;
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
            TokenFile tokens;
            try {
                tokens = TokenFile.read(path);
            } catch (IOException | IllegalArgumentException e) {
                throw file.unusable(path, e);
            }
            for (TokenFile.Entry entry : tokens.entries()) {
                Terminal.printf(spec.commandLine().getOut(), "%-32s %s%n", entry.name(), entry.role().wire());
            }
            return Cli.OK;
        }
    }
}
