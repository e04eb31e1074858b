package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ${…}} expressions in workflow string values (docs/workflows.md, "Expressions").
 *
 * <p>An expression is one JEXL expression over the scope {@code inputs}, {@code vars},
 * {@code run} ({@code run.id}, {@code run.workflowId}) and {@code steps}
 * ({@code steps.<id>.status}), held as plain maps, lists, strings, numbers, booleans and nulls
 * (see {@link #toJava}). It may read properties ({@code inputs.who}, {@code vars['x']},
 * {@code vars.list[0]}), compute ({@code + - * / %}, integer division on integers), compare,
 * combine ({@code && || ! ?: ??}, ternary), concatenate strings with {@code +}, write list and
 * map literals, test membership and regular expressions ({@code =~}), and nothing else: no
 * method or function calls, no {@code new}, no assignment, no loops, no class access.
 *
 * <p>The scope passed in must hold all four names (an empty map where there is nothing yet):
 * an expression that reads a name the scope lacks fails.
 *
 * <p>Strictness: an undefined top-level variable is an error; a key missing from a map reads
 * as null (so {@code when: ${vars.done}} is false before {@code done} is set); reading a
 * property of null is an error unless written with {@code ?.}; arithmetic on null is an error.
 *
 * <p>Every method is thread-safe. Error messages name the expression and never contain Java
 * class names or stack traces: they are shown to API clients.
 */
public final class Expressions {
    /** Collections that are not lists (JEXL ranges such as {@code 1..1000000000}) may not grow larger. */
    static final int MAX_COLLECTION = 100_000;

    private static final JsonNodeFactory NODES = Json.MAPPER.getNodeFactory();

    private Expressions() {}

    /**
     * Evaluates one raw expression (no {@code ${}}), e.g. {@code inputs.times * 2}.
     *
     * @return the value: null, String, Boolean, a Number, a List or a Map
     * @throws ExpressionException when it does not parse, is not allowed, or fails; the message
     *         is {@code expression "…" failed: …} or similar
     */
    public static Object evaluate(String expression, Map<String, Object> scope) throws ExpressionException {
        return Sandbox.evaluate(expression, scope);
    }

    /**
     * Renders every string value in {@code template} (recursively through objects and arrays;
     * object keys are left alone). A string that is exactly one {@code ${…}} becomes that
     * value with its JSON type; any other string with expressions becomes text, each value
     * joined as text: null as the empty string, strings as themselves, numbers and booleans as
     * in JSON, objects and arrays as compact JSON. <code>$${</code> is a literal <code>${</code>.
     *
     * <p>Strings without <code>${</code> are not touched, and an object or array in which nothing
     * changed is returned as is: the result shares nodes with the template, and neither may be
     * modified.
     *
     * @throws ExpressionException for the first expression that fails, naming it
     */
    public static JsonNode render(JsonNode template, Map<String, Object> scope) throws ExpressionException {
        return render(template, scope, null);
    }

    /**
     * Like {@link #render(JsonNode, Map)} for a field at {@code path} ({@code url},
     * {@code vars}): the message of a failure starts with the path of the string that failed,
     * as validation's do ({@code vars.s: expression "…" failed: …},
     * {@code headers.Accept: …}), so that the author finds it.
     *
     * @param path the field's path, or null for no prefix
     */
    public static JsonNode render(JsonNode template, Map<String, Object> scope, String path) throws ExpressionException {
        if (template == null) {
            return null;
        }
        if (template.isTextual()) {
            try {
                return renderText(template, scope);
            } catch (ExpressionException e) {
                throw path == null ? e : new ExpressionException(path + ": " + e.getMessage());
            }
        }
        if (template.isObject()) {
            ObjectNode rendered = null;
            Iterator<Map.Entry<String, JsonNode>> fields = template.properties().iterator();
            int index = 0;
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                JsonNode value = render(field.getValue(), scope, path == null ? null : Problems.field(path, field.getKey()));
                if (rendered == null && value != field.getValue()) {
                    rendered = copyFirst((ObjectNode) template, index);
                }
                if (rendered != null) {
                    rendered.set(field.getKey(), value);
                }
                index++;
            }
            return rendered == null ? template : rendered;
        }
        if (template.isArray()) {
            ArrayNode rendered = null;
            for (int i = 0; i < template.size(); i++) {
                JsonNode value = render(template.get(i), scope, path == null ? null : Problems.index(path, i));
                if (rendered == null && value != template.get(i)) {
                    rendered = NODES.arrayNode(template.size());
                    for (int j = 0; j < i; j++) {
                        rendered.add(template.get(j));
                    }
                }
                if (rendered != null) {
                    rendered.add(value);
                }
            }
            return rendered == null ? template : rendered;
        }
        return template;
    }

    /**
     * Decides a step's {@code when}. No {@code when} (Java null) is true: the step runs. A
     * boolean node is itself. A string with <code>${</code> is rendered; any other string is
     * evaluated as one raw expression ({@code vars.n > 3}). The value must then be a boolean or
     * the text {@code true}/{@code false}; null counts as false.
     *
     * @throws ExpressionException when the expression fails, or with
     *         {@code when: expected true or false, got …} for any other value
     */
    public static boolean test(JsonNode when, Map<String, Object> scope) throws ExpressionException {
        if (when == null) {
            return true;
        }
        Object value;
        if (when.isBoolean() || when.isNull()) {
            value = toJava(when);
        } else if (when.isTextual() && Template.mayContainExpressions(when.asText())) {
            value = toJava(render(when, scope, "when"));
        } else if (when.isTextual()) {
            try {
                value = evaluate(when.asText(), scope);
            } catch (ExpressionException e) {
                throw new ExpressionException("when: " + e.getMessage());
            }
        } else {
            throw new ExpressionException("when: expected true or false, got " + describe(when));
        }
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        if ("true".equals(value) || "false".equals(value)) {
            return Boolean.parseBoolean((String) value);
        }
        throw new ExpressionException("when: expected true or false, got " + describe(toJsonOrText(value)));
    }

    /**
     * Checks a string value when a workflow is registered: each {@code ${…}} must be closed,
     * parse, use only what the sandbox allows, and read only {@code inputs}, {@code vars},
     * {@code run} and {@code steps}.
     *
     * @return one message per problem, each naming its expression; empty when all is well
     */
    public static List<String> check(String text) {
        return check(text, Sandbox.ROOTS);
    }

    /** Like {@link #check}, for a field whose expressions see only {@code roots} (a webhook's see {@code body}…). */
    public static List<String> check(String text, Set<String> roots) {
        if (!Template.mayContainExpressions(text)) {
            return List.of();
        }
        Template template = Template.parse(text);
        List<String> problems = new ArrayList<>();
        for (String expression : template.expressions()) {
            problems.addAll(Sandbox.problems(expression, roots));
        }
        if (template.error() != null) {
            problems.add(template.error());
        }
        return problems;
    }

    /** Like {@link #check} for one raw expression, such as a {@code when} without <code>${</code>. */
    static List<String> checkExpression(String expression) {
        return Sandbox.problems(expression, Sandbox.ROOTS);
    }

    /** A variable path an expression reads ({@code [inputs, who]}), with the expression for messages. */
    record Reference(String expression, List<String> path) {}

    /** The variable paths read by the valid expressions of a string value ({@code raw}: the whole text is one). */
    static List<Reference> references(String text, boolean raw) {
        List<String> sources = raw ? List.of(text)
                : Template.mayContainExpressions(text) ? Template.parse(text).expressions() : List.of();
        List<Reference> references = new ArrayList<>();
        for (String source : sources) {
            try {
                for (List<String> path : Sandbox.variables(Sandbox.parse(source))) {
                    references.add(new Reference(source, path));
                }
            } catch (ExpressionException reportedByCheck) {
                // check() reports it
            }
        }
        return references;
    }

    /**
     * The names of the secrets a step's fields read ({@code ${secrets.NAME}}), in the order
     * they appear: what a run's driver resolves (and masks) before the step runs. Fields read
     * as written ({@code name}, {@code id}…) read none; {@code spec} may also be one string value.
     */
    public static Set<String> secretNames(JsonNode spec) {
        Set<String> names = new LinkedHashSet<>();
        if (!spec.isObject()) {
            collectSecrets(spec, null, names);
            return names;
        }
        JsonNode when = spec.get("when");
        spec.properties().forEach(field -> {
            if (!StepValidator.LITERAL.contains(field.getKey())) { // a name's ${secrets.X} is text, not a read
                collectSecrets(field.getValue(), when, names);
            }
        });
        return names;
    }

    private static void collectSecrets(JsonNode node, JsonNode when, Set<String> names) {
        if (node.isTextual()) {
            String text = node.textValue();
            boolean raw = node == when && !Template.mayContainExpressions(text);
            for (Reference reference : references(text, raw)) {
                if (reference.path().size() >= 2 && reference.path().get(0).equals("secrets")) {
                    names.add(reference.path().get(1));
                }
            }
        } else if (node.isContainerNode()) {
            node.forEach(child -> collectSecrets(child, when, names));
        }
    }

    /**
     * JSON to the scope's plain values: objects become insertion-ordered maps, arrays lists,
     * numbers Integer, Long, BigInteger, BigDecimal or Double as stored, null and missing null.
     * The result is new and owned by the caller.
     */
    public static Object toJava(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(field -> map.put(field.getKey(), toJava(field.getValue())));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(element -> list.add(toJava(element)));
            return list;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isNumber()) {
            return node.numberValue();
        }
        if (node.isBinary()) {
            return Base64.getEncoder().encodeToString(((com.fasterxml.jackson.databind.node.BinaryNode) node).binaryValue());
        }
        return node.asText();
    }

    /**
     * A value of the scope or of an expression to JSON: maps to objects (keys as text), lists,
     * sets and arrays to arrays, numbers, strings, booleans, null. A JsonNode is returned as is.
     *
     * @throws IllegalArgumentException for a value JSON cannot hold (an infinite number, one of
     *         more than {@link Json#MAX_NUMBER_CHARS} characters written out, a collection larger
     *         than {@value #MAX_COLLECTION} that is not a list, another type)
     */
    public static JsonNode toJson(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof CharSequence || value instanceof Character) {
            return NODES.textNode(value.toString());
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return NODES.numberNode(((Number) value).intValue());
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof BigInteger b) {
            return NODES.numberNode(storable(b));
        }
        if (value instanceof BigDecimal d) {
            return NODES.numberNode(storable(d));
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("the result is not a finite number");
            }
            return NODES.numberNode(d);
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            map.forEach((k, v) -> object.set(String.valueOf(k), toJson(v)));
            return object;
        }
        if (value instanceof Collection<?> collection) {
            if (!(value instanceof List<?>) && collection.size() > MAX_COLLECTION) {
                throw new IllegalArgumentException("the result has " + collection.size()
                        + " elements, more than " + MAX_COLLECTION);
            }
            ArrayNode array = NODES.arrayNode(collection.size());
            collection.forEach(element -> array.add(toJson(element)));
            return array;
        }
        if (value.getClass().isArray()) {
            int length = java.lang.reflect.Array.getLength(value);
            ArrayNode array = NODES.arrayNode(length);
            for (int i = 0; i < length; i++) {
                array.add(toJson(java.lang.reflect.Array.get(value, i)));
            }
            return array;
        }
        if (value instanceof Number n) {
            return NODES.numberNode(storable(new BigDecimal(n.toString())));
        }
        throw new IllegalArgumentException("the result cannot be represented as JSON");
    }

    /** {@code number}, unless it is too long written out to be stored and read back ({@link Json#MAX_NUMBER_CHARS}). */
    private static <N extends Number> N storable(N number) {
        long length = Json.writtenLength(number);
        if (length > Json.MAX_NUMBER_CHARS) {
            throw new IllegalArgumentException("the result is too large: " + Json.numberTooLongWhy(length));
        }
        return number;
    }

    private static JsonNode renderText(JsonNode node, Map<String, Object> scope) throws ExpressionException {
        String text = node.textValue();
        if (!Template.mayContainExpressions(text)) {
            return node;
        }
        Template template = Template.parse(text);
        if (template.error() != null) {
            throw new ExpressionException(template.error());
        }
        if (template.isSingleExpression()) {
            String source = template.expressions().get(0);
            return toJson(source, Sandbox.evaluate(source, scope));
        }
        StringBuilder joined = new StringBuilder();
        for (Template.Part part : template.parts()) {
            switch (part) {
                case Template.Literal literal -> joined.append(literal.text());
                case Template.Expression expression -> {
                    String value = asText(toJson(expression.source(), Sandbox.evaluate(expression.source(), scope)));
                    long length = (long) joined.length() + value.length();
                    if (length > Sandbox.MAX_TEXT) {
                        throw new ExpressionException(Sandbox.named(expression.source()) + " failed: "
                                + Sandbox.Refusal.tooLong(length).getMessage());
                    }
                    joined.append(value);
                }
            }
        }
        return NODES.textNode(joined.toString());
    }

    private static JsonNode toJson(String source, Object value) throws ExpressionException {
        try {
            return toJson(value);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException(Sandbox.named(source) + " failed: " + e.getMessage());
        }
    }

    /**
     * A value of an expression as text, the one rendering for both a template's parts and
     * {@code +}: null is empty, strings are themselves, the rest is compact JSON.
     *
     * @throws IllegalArgumentException for a value JSON cannot hold (see {@link #toJson(Object)})
     */
    static String asText(Object value) {
        return asText(toJson(value));
    }

    /** A value as joined into text: null is empty, strings are themselves, the rest is JSON. */
    private static String asText(JsonNode value) {
        if (value.isNull()) {
            return "";
        }
        if (value.isTextual()) {
            return value.textValue();
        }
        return Json.text(value);
    }

    private static JsonNode toJsonOrText(Object value) {
        try {
            return toJson(value);
        } catch (IllegalArgumentException e) {
            return NODES.textNode(String.valueOf(value));
        }
    }

    private static String describe(JsonNode value) {
        String json = Json.text(value);
        return json.length() <= 60 ? json : json.substring(0, 59) + "…";
    }

    private static ObjectNode copyFirst(ObjectNode template, int count) {
        ObjectNode copy = NODES.objectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = template.properties().iterator();
        for (int i = 0; i < count; i++) {
            Map.Entry<String, JsonNode> field = fields.next();
            copy.set(field.getKey(), field.getValue());
        }
        return copy;
    }
}
