package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import dev.stepstream.time.Durations;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a parsed document against docs/workflows.md and builds the
 * {@link Workflow}. Every problem is collected, each with its path ({@code id},
 * {@code inputs.times.type}, {@code steps[3].type}, {@code steps[1].vars.count}), so that one
 * 422 response lists them all. Unknown fields are problems everywhere: a typo must not pass
 * as an ignored field.
 *
 * <p>Immutable and thread-safe.
 */
public final class WorkflowValidator {
    private static final Pattern WORKFLOW_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** What {@link #isWorkflowId} accepts, in words, for the messages that refuse one. */
    public static final String WORKFLOW_ID_RULE = "lowercase letters, digits, _ and -, starting with a letter or digit, at most 64";
    /** Input and variable names: what an expression can read as {@code inputs.x} or {@code vars.x}. */
    static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    static final String NAME_RULE = "letters, digits and _, not starting with a digit, at most 64";
    private static final List<String> FIELDS = List.of("id", "name", "description", "inputs", "maxParallel", "onInterrupt",
            "triggers", "concurrency", "retention", "steps");
    private static final List<String> RETENTION_FIELDS = List.of("maxAge", "maxRuns");

    /** An id the API's paths use for something else ({@code /api/v2/workflows/runs}): no workflow may be stored under it. */
    private static final String RESERVED_ID = "runs";

    /** Whether {@code id} can name a workflow: the one rule for workflow ids, wherever one is given. */
    public static boolean isWorkflowId(String id) {
        return WORKFLOW_ID.matcher(id).matches();
    }
    private static final List<String> INPUT_FIELDS = List.of("type", "required", "default");

    private final boolean allowScripts;
    private final HttpTargets httpTargets;

    /** @param allowScripts whether this server runs {@code script} steps (its {@code --allow-scripts} flag) */
    public WorkflowValidator(boolean allowScripts) {
        this(allowScripts, HttpTargets.ANY);
    }

    /** @param httpTargets where {@code http} steps may send requests: a URL written out that may not be called is a problem */
    public WorkflowValidator(boolean allowScripts, HttpTargets httpTargets) {
        this.allowScripts = allowScripts;
        this.httpTargets = httpTargets;
    }

    /**
     * Validates a document and builds the workflow.
     *
     * @param doc        the parsed document ({@link WorkflowParser#parse}); it is not modified
     * @param expectedId the id from the request path, or null when loading a file. A document
     *                   without {@code id} takes this one; a document whose {@code id} differs is
     *                   a problem at {@code id}
     * @return the workflow; its {@code definition} is a normalised copy of {@code doc}: the id
     *         filled in (first, when the document had none), an http {@code method} upper-cased,
     *         numbers and booleans given for text ({@code message}, header and env values) turned
     *         to text, and otherwise the document as given, field order kept. Defaults are not
     *         written into it: a step's {@code name} defaults to its id, the workflow's to its id
     * @throws InvalidException listing every problem found
     */
    public Workflow validate(JsonNode doc, String expectedId) throws InvalidException {
        if (doc == null || !doc.isObject()) {
            throw new InvalidException(List.of(new Problem("", "a workflow must be a mapping, got " + Problems.kind(doc))));
        }
        Problems problems = new Problems();
        problems.unknownFields(doc, "", FIELDS);
        String id = id(doc.get("id"), expectedId, problems);
        String name = optionalText(doc, "name", problems);
        String description = optionalText(doc, "description", problems);
        Map<String, InputSpec> inputs = inputs(doc.get("inputs"), problems);
        ObjectNode definition = definition((ObjectNode) doc, id);
        int maxParallel = maxParallel(doc.get("maxParallel"), problems);
        boolean resumes = resumes(doc.get("onInterrupt"), problems);
        TriggerValidator triggerValidator = new TriggerValidator(inputs, problems);
        List<TriggerSpec> triggers = triggerValidator.triggers(doc.get("triggers"));
        Concurrency concurrency = triggerValidator.concurrency(doc.get("concurrency"));
        Retention retention = retention(doc.get("retention"), problems);
        List<Step> steps = new StepValidator(allowScripts, httpTargets, inputs.keySet(), problems).steps(definition.get("steps"));
        problems.throwIfAny();
        return new Workflow(id, name == null ? id : name, description, Collections.unmodifiableMap(inputs),
                List.copyOf(steps), maxParallel, resumes, List.copyOf(triggers), concurrency, retention, definition);
    }

    /**
     * Validates a definition that is to be stored, as the API and the workflows directory take one
     * and {@code stepstream workflows check} checks one: as {@link #validate}, and its id may not be
     * {@value #RESERVED_ID}. (A definition stored already is read back with {@link #validate}.)
     *
     * @throws InvalidException listing every problem found; the reserved id is a problem of its
     *         own, once the rest is valid
     */
    public Workflow validateNew(JsonNode doc, String expectedId) throws InvalidException {
        Workflow workflow = validate(doc, expectedId);
        if (RESERVED_ID.equals(workflow.id())) {
            throw new InvalidException(List.of(new Problem("id", "\"" + RESERVED_ID + "\" is reserved")));
        }
        return workflow;
    }

    private static String id(JsonNode given, String expectedId, Problems problems) {
        String id;
        if (given == null || given.isNull()) {
            if (expectedId == null) {
                problems.add("id", "required");
                return null;
            }
            id = expectedId;
        } else if (!given.isTextual()) {
            problems.add("id", "expected a string, got " + Problems.kind(given));
            return null;
        } else {
            id = given.textValue();
            if (expectedId != null && !id.equals(expectedId)) {
                problems.add("id", "does not match the path's id \"" + expectedId + "\"");
                return null;
            }
        }
        if (!isWorkflowId(id)) {
            problems.add("id", Problems.quote(Json.MAPPER.getNodeFactory().textNode(id)) + " is not a valid workflow id ("
                    + WORKFLOW_ID_RULE + ")");
            return null;
        }
        return id;
    }

    private static int maxParallel(JsonNode node, Problems problems) {
        if (node == null || node.isNull()) {
            return Workflow.DEFAULT_MAX_PARALLEL;
        }
        if (!node.canConvertToExactIntegral() || !node.canConvertToInt()
                || node.intValue() < 1 || node.intValue() > Workflow.MAX_PARALLEL) {
            problems.add("maxParallel", "expected a whole number from 1 to " + Workflow.MAX_PARALLEL + ", got " + Problems.quote(node));
            return Workflow.DEFAULT_MAX_PARALLEL;
        }
        return node.intValue();
    }

    /**
     * The {@code retention} of a definition stored after validation, or null when it has none
     * (or, stored under other rules, one that does not read as valid now).
     */
    public static Retention retentionOf(JsonNode definition) {
        Problems problems = new Problems();
        Retention retention = retention(definition.get("retention"), problems);
        return problems.isEmpty() ? retention : null;
    }

    private static Retention retention(JsonNode node, Problems problems) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            problems.add("retention", "expected a mapping like {maxAge: 30d, maxRuns: 200}, got " + Problems.kind(node));
            return null;
        }
        problems.unknownFields(node, "retention", RETENTION_FIELDS);
        Duration maxAge = null;
        JsonNode age = node.get("maxAge");
        if (age != null && !age.isNull()) {
            try {
                maxAge = Durations.parse(age.isTextual() ? age.textValue() : null);
                if (maxAge.isZero()) {
                    problems.add("retention.maxAge", "expected a duration above zero such as 7d or 12h, got " + Problems.quote(age));
                }
            } catch (IllegalArgumentException e) {
                problems.add("retention.maxAge", "expected a duration such as 7d or 12h, got " + Problems.quote(age));
            }
        }
        int maxRuns = 0;
        JsonNode runs = node.get("maxRuns");
        if (runs != null && !runs.isNull()) {
            if (!runs.canConvertToExactIntegral() || !runs.canConvertToInt()
                    || runs.intValue() < 1 || runs.intValue() > Retention.MAX_RUNS) {
                problems.add("retention.maxRuns", "expected a whole number from 1 to " + Retention.MAX_RUNS + ", got "
                        + Problems.quote(runs));
            } else {
                maxRuns = runs.intValue();
            }
        }
        return new Retention(maxAge, maxRuns);
    }

    private static boolean resumes(JsonNode node, Problems problems) {
        if (node == null || node.isNull() || (node.isTextual() && node.textValue().equals("fail"))) {
            return false;
        }
        if (node.isTextual() && node.textValue().equals("resume")) {
            return true;
        }
        problems.add("onInterrupt", "expected fail or resume, got " + Problems.quote(node));
        return false;
    }

    private static String optionalText(JsonNode object, String field, Problems problems) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            problems.add(field, "expected a string, got " + Problems.kind(value));
            return null;
        }
        return value.textValue();
    }

    private static Map<String, InputSpec> inputs(JsonNode node, Problems problems) {
        Map<String, InputSpec> inputs = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return inputs;
        }
        if (!node.isObject()) {
            problems.add("inputs", "expected a mapping of input names to {type, required, default}, got "
                    + Problems.kind(node));
            return inputs;
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String path = Problems.field("inputs", entry.getKey());
            if (!NAME.matcher(entry.getKey()).matches()) {
                problems.add(path, "invalid input name (" + NAME_RULE + ")");
            }
            InputSpec spec = input(entry.getValue(), path, problems);
            if (spec != null) {
                inputs.put(entry.getKey(), spec);
            }
        }
        return inputs;
    }

    private static InputSpec input(JsonNode spec, String path, Problems problems) {
        if (spec == null || !spec.isObject()) {
            problems.add(path, "expected a mapping like {type: string}, got " + Problems.kind(spec));
            return null;
        }
        problems.unknownFields(spec, path, INPUT_FIELDS);
        InputType type = inputType(spec.get("type"), Problems.field(path, "type"), problems);
        JsonNode required = spec.get("required");
        if (required != null && !required.isBoolean()) {
            problems.add(Problems.field(path, "required"), "expected true or false, got " + Problems.quote(required));
        }
        JsonNode defaultValue = spec.get("default");
        if (defaultValue != null && defaultValue.isNull()) {
            defaultValue = null;
        }
        if (type != null && defaultValue != null && !type.accepts(defaultValue)) {
            problems.add(Problems.field(path, "default"), "expected " + type.wire() + ", got " + Inputs.typeOf(defaultValue));
        }
        return type == null ? null : new InputSpec(type, required != null && required.asBoolean(), defaultValue);
    }

    private static InputType inputType(JsonNode type, String path, Problems problems) {
        if (type == null || type.isNull()) {
            problems.add(path, "required");
            return null;
        }
        for (InputType candidate : InputType.values()) {
            if (candidate.wire().equals(type.asText()) && type.isTextual()) {
                return candidate;
            }
        }
        List<String> names = List.of(InputType.values()).stream().map(InputType::wire).toList();
        problems.add(path, "unknown type " + Problems.quote(type) + " (expected " + Problems.alternatives(names) + ")");
        return null;
    }

    /** A copy of the document with the id filled in; the steps in it are normalised in place later. */
    private static ObjectNode definition(ObjectNode doc, String id) {
        ObjectNode definition = Json.object();
        if (!doc.hasNonNull("id")) {
            definition.put("id", id); // first; a document that has its id keeps it where it is
        }
        doc.properties().forEach(field -> definition.set(field.getKey(), field.getKey().equals("id")
                ? Json.MAPPER.getNodeFactory().textNode(id) : field.getValue().deepCopy()));
        return definition;
    }
}
