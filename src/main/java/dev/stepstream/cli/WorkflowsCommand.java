package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code stepstream workflows apply FILE…}: registers workflow files with a server. */
@Command(name = "workflows", description = "Manage workflows on a server.", mixinStandardHelpOptions = true,
        subcommands = WorkflowsCommand.Apply.class)
final class WorkflowsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (apply)");
    }

    @Command(name = "apply", description = "Create or replace workflows from YAML or JSON files.", mixinStandardHelpOptions = true)
    static final class Apply implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE")
        List<Path> files;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient client = options.client();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            boolean allApplied = true;
            for (Path file : files) {
                allApplied &= apply(client, file, out, err);
            }
            return allApplied ? Cli.OK : Cli.FAILED;
        }

        private static boolean apply(ApiClient client, Path file, PrintWriter out, PrintWriter err) {
            byte[] body;
            try {
                body = Files.readAllBytes(file);
            } catch (IOException e) {
                Terminal.printf(err, "%s: cannot read: %s%n", file.toString(), e.getMessage());
                return false;
            }
            boolean json = file.getFileName().toString().endsWith(".json");
            String id = idOf(body, file);
            ApiClient.Response response = client.put("/api/v2/workflows/" + URLEncoder.encode(id, StandardCharsets.UTF_8),
                    body, json ? "application/json" : "application/yaml");
            if (response.ok()) {
                Terminal.printf(out, "%s: %s workflow %s, version %d%n", file.toString(), response.status() == 201 ? "created" : "applied",
                        response.body().path("id").asText(id), response.body().path("version").asInt());
                return true;
            }
            response.printError(err, file + ": ");
            return false;
        }

        /** The id in the file, or else the file's name without its extension. */
        private static String idOf(byte[] body, Path file) {
            try {
                JsonNode id = new YAMLMapper().readTree(body).path("id");
                if (id.isTextual() && !id.asText().isEmpty()) {
                    return id.asText();
                }
            } catch (IOException | RuntimeException e) {
                // The server reports what is wrong with the file, with line and column.
            }
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            return dot > 0 ? name.substring(0, dot) : name;
        }
    }
}
