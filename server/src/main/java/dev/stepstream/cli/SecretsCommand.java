package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.secrets.Vault;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code stepstream secrets set NAME | list | delete NAME | rotate-key} (docs/clients.md, "The
 * stepstream command line"): manages a server's secrets, with an admin's token when credentials
 * are on. No command prints a value, and the server never sends one. Exit 1 when the server
 * refuses (no such secret, refused credentials), 2 on a usage or connection error, a 400 included.
 */
@Command(name = "secrets", description = "Manage a server's secrets (role admin).", mixinStandardHelpOptions = true,
        subcommands = {SecretsCommand.Set.class, SecretsCommand.List.class, SecretsCommand.Delete.class,
            SecretsCommand.RotateKey.class})
final class SecretsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (set, list, delete, rotate-key)");
    }

    /** The name checked as the server checks it, so that a bad one is not first prompted for a value. */
    private static String checked(CommandSpec spec, String name) {
        try {
            Vault.checkName(name);
            return name;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * A value is read from stdin only: given as an argument it would stay in the shell's history
     * and be shown by {@code ps} to every user of the machine, so there is no option for it, and
     * an argument too many is refused without being repeated.
     */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Create or replace a secret, its value read from stdin (never from the command line).",
                "The value is all of stdin less one trailing newline, so that both `echo` and `echo -n` give the same"
                    + " value (inner newlines are kept). At a terminal it is asked for, and typed without echo (one line).",
                "Examples: printf %%s \"$TOKEN\" | stepstream secrets set DEPLOY_TOKEN;"
                    + " stepstream secrets set TLS_KEY < key.pem"})
    static final class Set implements Callable<Integer> {
        /** What stdin may hold: the largest value and a trailing CR LF. */
        private static final int MAX_STDIN_BYTES = Vault.MAX_BYTES + 2;

        @Parameters(index = "0", paramLabel = "NAME",
                description = "Upper-case letters, digits and _, not first a digit; at most 64.")
        String name;

        /** Whatever else is on the command line, perhaps a value: refused in call(), never echoed as picocli would. */
        @Unmatched
        java.util.List<String> unmatched = new java.util.ArrayList<>();

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        private final InputStream stdin;

        /** Reads the process's stdin (picocli's own factory, as in a CommandLine built outside Cli.run). */
        Set() {
            this(System.in);
        }

        Set(InputStream stdin) {
            this.stdin = stdin;
        }

        @Override
        public Integer call() {
            if (!unmatched.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "NAME is the only argument: the value is read from stdin,"
                        + " never from the command line (where the shell's history and ps would show it)");
            }
            checked(spec, name);
            String value = value();
            ApiClient.Response response = options.client().put("/api/v2/secrets/" + ApiClient.segment("NAME", name),
                    Json.bytes(Json.object().put("value", value)), "application/json");
            if (!response.ok()) {
                return response.refused(spec);
            }
            spec.commandLine().getOut().println("secret " + name + (response.status() == 201 ? " set" : " replaced"));
            return Cli.OK;
        }

        /** Typed at the terminal, or else all of stdin; never empty. */
        private String value() {
            // Only the process's own stdin can be the console's; one given by a test never is.
            Console terminal = stdin == System.in ? Terminal.console() : null;
            String value = terminal != null ? typed(terminal) : piped();
            if (value.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "value: empty; give it on stdin,"
                        + " e.g. printf %s \"$VALUE\" | " + spec.qualifiedName() + " " + name);
            }
            return value;
        }

        private String typed(Console terminal) {
            PrintWriter err = spec.commandLine().getErr();
            err.print("value for " + name + " (input hidden): ");
            err.flush();
            char[] typed = terminal.readPassword(); // null at end of input (Ctrl-D)
            if (typed == null) {
                return "";
            }
            String value = new String(typed);
            Arrays.fill(typed, ' ');
            return value;
        }

        /** All of stdin, as strict UTF-8 (a byte replaced would store another secret), less one trailing newline. */
        private String piped() {
            byte[] bytes;
            try {
                bytes = stdin.readNBytes(MAX_STDIN_BYTES + 1);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "value: cannot read stdin: " + ApiClient.words(e));
            }
            if (bytes.length > MAX_STDIN_BYTES) {
                throw new ParameterException(spec.commandLine(), "value: at most 64 KiB; stdin holds more");
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ParameterException(spec.commandLine(), "value: stdin is not UTF-8 text");
            }
            if (text.endsWith("\r\n")) {
                return text.substring(0, text.length() - 2);
            }
            return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the secrets' names and when each was last set.")
    static final class List implements Callable<Integer> {
        @Option(names = "--json", description = "Print the API's JSON.")
        boolean json;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient.Response response = options.client().get("/api/v2/secrets");
            if (!response.ok()) {
                return response.refused(spec);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JsonOutput.of(response.body()));
                return Cli.OK;
            }
            Table table = new Table("NAME", "UPDATED");
            for (JsonNode secret : response.body().path("secrets")) {
                table.add(secret.path("name").asText(), secret.path("updatedAt").asText());
            }
            table.print(out);
            return Cli.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a secret; a step that names it afterwards fails.")
    static final class Delete implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient.Response response = options.client().delete("/api/v2/secrets/" + ApiClient.segment("NAME", checked(spec, name)));
            if (!response.ok()) {
                return response.refused(spec);
            }
            spec.commandLine().getOut().println("secret " + name + " deleted");
            return Cli.OK;
        }
    }

    @Command(name = "rotate-key", mixinStandardHelpOptions = true,
            description = {"Make a new data key and seal every secret again under it, while runs go on.",
                "After a change of master key (every node started with the new key and --secrets-previous-key), it also"
                    + " seals the older data keys under the new master key, after which the previous one is no longer needed."})
    static final class RotateKey implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient.Response response = options.client().post("/api/v2/secrets/rotate-key", Json.object());
            if (!response.ok()) {
                return response.refused(spec);
            }
            int resealed = response.body().path("resealed").asInt();
            int rewrapped = response.body().path("rewrapped").asInt();
            Terminal.printf(spec.commandLine().getOut(), "sealed %d %s again under key %s%n", resealed,
                    resealed == 1 ? "secret" : "secrets", response.body().path("keyId").asText());
            if (rewrapped > 0) {
                spec.commandLine().getOut().println("sealed " + rewrapped + " older data " + (rewrapped == 1 ? "key" : "keys")
                        + " under the new master key: the previous master key is no longer needed");
            }
            return Cli.OK;
        }
    }
}
