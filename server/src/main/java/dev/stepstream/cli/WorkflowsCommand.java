package dev.stepstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code stepstream workflows apply FILE… | list | get ID [--version N] | delete ID} (docs/clients.md,
 * "The stepstream command line"): registers, lists, shows and deletes a server's workflows. Exit
 * 1 when the server refuses (no such workflow or version, an invalid file), 2 on a usage or
 * connection error, a 400 included. {@code workflows check FILE…} ({@link WorkflowsCheck}) checks
 * files as {@code apply} would send them, without a server.
 */
@Command(name = "workflows", description = "Manage workflows on a server.", mixinStandardHelpOptions = true,
        subcommands = {WorkflowsCommand.Apply.class, WorkflowsCommand.List.class, WorkflowsCommand.Get.class,
            WorkflowsCommand.Delete.class, WorkflowsCheck.class})
final class WorkflowsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (apply, check, list, get, delete)");
    }

    /** Whether a workflow file is JSON ({@code .json}) rather than YAML: how {@code apply} sends it and {@code check} reads it. */
    static boolean isJson(Path file) {
        return file.getFileName().toString().endsWith(".json");
    }

    /**
     * The id a workflow file is applied under: its {@code id}, or else the file's name without
     * its extension, as the API takes a definition without one (the workflows directory is
     * stricter: it requires the id).
     */
    static String idOf(JsonNode document, Path file) {
        JsonNode id = document.path("id");
        if (id.isTextual() && !id.asText().isEmpty()) {
            return id.asText();
        }
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** The path of a workflow, its id encoded ({@link ApiClient#segment}): an id the server cannot have is simply not found there. */
    private static String workflowPath(String id) {
        return "/api/v2/workflows/" + ApiClient.segment("ID", id);
    }

    @Command(name = "apply", description = "Create or replace workflows from YAML or JSON files.", mixinStandardHelpOptions = true)
    static final class Apply implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE")
        java.util.List<Path> files;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient client = options.client();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            // Each file is applied whatever became of the others; the exit code is the worst of
            // theirs: 2 when one could not be read or did not parse (a 400), else 1 when one was refused.
            int exit = Cli.OK;
            for (Path file : files) {
                exit = Math.max(exit, apply(client, file, out, err));
            }
            return exit;
        }

        /** Applies one file; its exit code (docs/clients.md): 0, 1 refused (a 422), 2 unreadable or a 400. */
        private static int apply(ApiClient client, Path file, PrintWriter out, PrintWriter err) {
            byte[] body;
            try {
                body = Files.readAllBytes(file);
            } catch (IOException e) {
                Terminal.printf(err, "%s: cannot read: %s%n", file.toString(), e.getMessage());
                return Cli.USAGE;
            }
            boolean json = isJson(file);
            String id = idOf(body, file);
            String path;
            try {
                path = workflowPath(id);
            } catch (Cli.Exit noId) {
                Terminal.printf(err, "%s: %s%n", file.toString(), noId.getMessage());
                return Cli.USAGE;
            }
            ApiClient.Response response = client.put(path, body, json ? "application/json" : "application/yaml");
            if (response.ok()) {
                Terminal.printf(out, "%s: %s workflow %s, version %d%n", file.toString(), response.status() == 201 ? "created" : "applied",
                        response.body().path("id").asText(id), response.body().path("version").asInt());
                return Cli.OK;
            }
            response.printError(err, file + ": ");
            return response.status() == 400 ? Cli.USAGE : Cli.FAILED;
        }

        /** The id in the file, or else the file's name without its extension ({@link WorkflowsCommand#idOf}). */
        private static String idOf(byte[] body, Path file) {
            JsonNode document = MissingNode.getInstance();
            try {
                document = java.util.Objects.requireNonNullElse(new YAMLMapper().readTree(body), document);
            } catch (IOException | RuntimeException e) {
                // The server reports what is wrong with the file, with line and column.
            }
            return WorkflowsCommand.idOf(document, file);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the workflows: id, name, version, steps, last change.")
    static final class List implements Callable<Integer> {
        @Option(names = "--json", description = "Print the API's JSON.")
        boolean json;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient.Response response = options.client().get("/api/v2/workflows");
            if (!response.ok()) {
                return response.refused(spec);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JsonOutput.of(response.body()));
                return Cli.OK;
            }
            Table table = new Table("ID", "NAME", "VERSION", "STEPS", "UPDATED").alignRight(2, 3);
            for (JsonNode workflow : response.body().path("workflows")) {
                table.add(workflow.path("id").asText(), name(workflow), workflow.path("version").asText(),
                        workflow.path("steps").asText(), workflow.path("updatedAt").asText());
            }
            table.print(out);
            return Cli.OK;
        }

        /** The name, which defaults to the id (docs/workflows.md). */
        private static String name(JsonNode workflow) {
            JsonNode name = workflow.path("name");
            return name.isTextual() ? name.asText() : workflow.path("id").asText();
        }
    }

    /**
     * Prints a workflow's definition as YAML that {@code workflows apply} takes back: the fields
     * the server adds ({@code version}, {@code updatedAt}, a schedule's {@code nextRunAt}) are
     * left out of it, the version and its time said in a comment above it.
     */
    @Command(name = "get", description = "Print a workflow's definition as YAML (the current version, or the one --version names).")
    static final class Get implements Callable<Integer> {
        /** Its own, without the standard options: their {@code --version} would be stepstream's, not the workflow's. */
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Parameters(index = "0", paramLabel = "ID", description = "The workflow's id.")
        String id;

        @Option(names = "--version", paramLabel = "N", description = "A kept version, a deleted workflow's too (1 or more).")
        Integer version;

        @Option(names = "--json", description = "Print the API's JSON, version and update time included.")
        boolean json;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (version != null && version < 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--version: expected 1 or more, got " + version);
            }
            ApiClient.Response response = options.client().get(workflowPath(id) + (version == null ? "" : "?version=" + version));
            if (!response.ok()) {
                return response.refused(spec);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JsonOutput.of(response.body()));
                return Cli.OK;
            }
            if (!(response.body() instanceof ObjectNode answer)) {
                throw new ApiClient.ConnectionException("the server answered no workflow definition");
            }
            ObjectNode definition = answer.deepCopy();
            definition.remove(java.util.List.of("version", "updatedAt"));
            for (JsonNode trigger : definition.path("triggers")) {
                if (trigger instanceof ObjectNode fields) {
                    fields.remove("nextRunAt");
                }
            }
            Terminal.printf(out, "# workflow %s, version %s, updated %s%n", answer.path("id").asText(id),
                    answer.path("version").asText(), answer.path("updatedAt").asText());
            // YAML escapes the controls in a string; whatever it would leave a terminal to obey is shown instead.
            for (String line : yaml(definition).split("\n", -1)) {
                if (!line.isEmpty()) {
                    Terminal.printf(out, "%s%n", line);
                }
            }
            return Cli.OK;
        }

        private static String yaml(JsonNode definition) {
            try {
                return new YAMLMapper().disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                        .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
                        .writeValueAsString(definition);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a JSON tree that cannot be written as YAML", e);
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a workflow; the runs it made keep their history, and its versions stay readable.")
    static final class Delete implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "The workflow's id.")
        String id;

        @Mixin
        ClientOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ApiClient.Response response = options.client().delete(workflowPath(id));
            if (!response.ok()) {
                return response.refused(spec);
            }
            Terminal.printf(spec.commandLine().getOut(), "workflow %s deleted%n", id);
            return Cli.OK;
        }
    }
}
