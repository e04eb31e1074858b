package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * {@code stepstream run WORKFLOW [--input k=v]… [--follow] [--json]}: executes a workflow and prints
 * the run's id (with {@code --json} the server's answer), or with {@code --follow} shows the run until it ends (exit 0 on success, 1 otherwise).
 * Each input value is read as the type the workflow declares for it.
 */
@Command(name = "run", description = "Execute a workflow.", mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "WORKFLOW")
    String workflowId;

    // A list, not a map: picocli's own NAME=VALUE errors read "option option '--input'".
    @Option(names = "--input", paramLabel = "NAME=VALUE", description = "An input (repeatable).")
    List<String> inputs = new ArrayList<>();

    @Mixin
    FollowOptions follow;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Map<String, String> given = inputs();
        ApiClient client = options.client();
        String path = "/api/v2/workflows/" + ApiClient.segment("WORKFLOW", workflowId);
        ApiClient.Response definition = client.get(path);
        String prefix = spec.qualifiedName() + ": ";
        if (!definition.ok()) {
            Terminal.printf(spec.commandLine().getErr(), "%s%s%n", prefix, definition.errorMessage());
            return definition.status() == 400 ? Cli.USAGE : Cli.FAILED;
        }
        ObjectNode body = Json.object();
        ObjectNode typed = body.putObject("inputs");
        given.forEach((name, value) -> typed.set(name, typedValue(name, value, definition.body().path("inputs").path(name))));
        ApiClient.Response started = client.post(path + "/execute", body);
        if (!started.ok()) {
            started.printError(spec.commandLine().getErr(), prefix);
            // As every command (ApiClient.Response#refused): a 400 is a usage error, exit 2.
            return started.status() == 400 ? Cli.USAGE : Cli.FAILED;
        }
        return follow.printOrFollow(started.body(), client, options);
    }

    /** The {@code --input NAME=VALUE} options by name; a later one for a name wins. */
    private Map<String, String> inputs() {
        Map<String, String> byName = new LinkedHashMap<>();
        for (String input : inputs) {
            int equals = input.indexOf('=');
            if (equals <= 0) {
                throw new ParameterException(spec.commandLine(), "--input: expected NAME=VALUE, got \"" + input + "\"");
            }
            byName.put(input.substring(0, equals), input.substring(equals + 1));
        }
        return byName;
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
            String article = type.matches("[aeiou].*") ? "an " : "a "; // an object, an array; a number
            throw new ParameterException(spec.commandLine(), "--input " + name + ": expected " + article + type + ", got \"" + value + "\"");
        }
    }
}
