package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream run WORKFLOW [--input k=v]… [--follow]}: executes a workflow and prints
 * the run's id, or with {@code --follow} shows the run until it ends (exit 0 on success, 1 otherwise).
 * Each input value is read as the type the workflow declares for it.
 */
@Command(name = "run", description = "Execute a workflow.", mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "WORKFLOW")
    String workflowId;

    @Option(names = "--input", paramLabel = "NAME=VALUE", description = "An input (repeatable).")
    Map<String, String> inputs = new LinkedHashMap<>();

    @Option(names = "--follow", description = "Show the run live until it ends.")
    boolean follow;

    @Option(names = "--json", description = "With --follow: print the envelopes, one a line.")
    boolean json;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ApiClient client = options.client();
        String path = "/api/v2/workflows/" + URLEncoder.encode(workflowId, StandardCharsets.UTF_8);
        ApiClient.Response definition = client.get(path);
        if (!definition.ok()) {
            spec.commandLine().getErr().println("run: " + definition.errorMessage());
            return Cli.FAILED;
        }
        ObjectNode body = Json.object();
        ObjectNode typed = body.putObject("inputs");
        inputs.forEach((name, value) -> typed.set(name, typedValue(name, value, definition.body().path("inputs").path(name))));
        ApiClient.Response started = client.post(path + "/execute", body);
        if (!started.ok()) {
            started.printError(spec.commandLine().getErr(), "run: ");
            return Cli.FAILED;
        }
        String runId = started.body().path("runId").asText();
        if (!follow) {
            spec.commandLine().getOut().println(runId);
            return Cli.OK;
        }
        RunView view = new RunView(spec.commandLine().getOut(), Terminal.detect(), json);
        return new RunFollower(client, runId, view, spec.commandLine().getErr(), spec.qualifiedName()).follow(0);
    }

    private JsonNode typedValue(String name, String value, JsonNode declared) {
        String type = declared.path("type").asText("string");
        try {
            return switch (type) {
                case "number" -> Json.MAPPER.getNodeFactory().numberNode(new BigDecimal(value.trim()));
                case "boolean" -> switch (value.trim()) {
                    case "true" -> Json.MAPPER.getNodeFactory().booleanNode(true);
                    case "false" -> Json.MAPPER.getNodeFactory().booleanNode(false);
                    default -> throw new NumberFormatException();
                };
                case "object", "array" -> Json.MAPPER.readTree(value);
                default -> Json.MAPPER.getNodeFactory().textNode(value);
            };
        } catch (NumberFormatException | IOException e) {
            throw new ParameterException(spec.commandLine(), "--input " + name + ": expected a " + type + ", got \"" + value + "\"");
        }
    }
}
