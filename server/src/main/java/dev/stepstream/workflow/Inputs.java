package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Fits the inputs given to a run ({@code POST …/execute}) to the inputs its workflow declares. */
public final class Inputs {
    private Inputs() {}

    /**
     * Binds given inputs to declared ones.
     *
     * @param declared the workflow's inputs, in declaration order
     * @param given    the request's {@code inputs}: null, missing or JSON null for none, else an object.
     *                 An input given as null counts as not given
     * @return the run's inputs: each declared input that was given or has a default, in
     *         declaration order; nothing else
     * @throws InvalidException listing every problem: {@code inputs: expected an object, got array},
     *         {@code inputs.times: required}, {@code inputs.times: expected number, got string},
     *         {@code inputs.foo: unknown input (declared: who, times)}
     */
    public static ObjectNode bind(Map<String, InputSpec> declared, JsonNode given) throws InvalidException {
        boolean none = given == null || given.isNull() || given.isMissingNode();
        if (!none && !given.isObject()) {
            throw new InvalidException(List.of(new Problem("inputs", "expected an object, got " + typeOf(given))));
        }
        Problems problems = new Problems();
        ObjectNode bound = Json.object();
        declared.forEach((name, spec) -> {
            JsonNode value = none ? null : given.get(name);
            String path = Problems.field("inputs", name);
            if (value == null || value.isNull()) {
                if (spec.defaultValue() != null) {
                    bound.set(name, spec.defaultValue().deepCopy());
                } else if (spec.required()) {
                    problems.add(path, "required");
                }
            } else if (!spec.type().accepts(value)) {
                problems.add(path, "expected " + spec.type().wire() + ", got " + typeOf(value));
            } else {
                bound.set(name, value.deepCopy());
            }
        });
        if (!none) {
            for (String name : (Iterable<String>) given::fieldNames) {
                if (!declared.containsKey(name)) {
                    problems.add(Problems.field("inputs", name), declared.isEmpty() ? "unknown input (this workflow has no inputs)"
                            : "unknown input (declared: " + String.join(", ", declared.keySet()) + ")");
                }
            }
        }
        problems.throwIfAny();
        return bound;
    }

    /** The JSON type of a value, in the words inputs are declared with: string, number, boolean, object, array, null. */
    static String typeOf(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case OBJECT, POJO -> "object";
            case ARRAY -> "array";
            case NULL, MISSING -> "null";
            default -> value.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }
}
