package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.stepstream.time.Durations;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the {@code steps} of one workflow and builds its {@link Step}s, normalising each step
 * object in place (it belongs to the definition being built). Owned by one validation call.
 */
final class StepValidator {
    static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final int MAX_STEPS = 1000;
    static final int MAX_ATTEMPTS = 100;
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern HTTP_URL = Pattern.compile("(?i)https?://.+");
    private static final List<String> COMMON = List.of("id", "name", "type", "needs", "when", "timeout", "retry", "continueOnError");
    private static final Map<StepKind, List<String>> FIELDS = new EnumMap<>(Map.of(
            StepKind.LOG, List.of("message", "level"),
            StepKind.SET, List.of("vars"),
            StepKind.SLEEP, List.of("duration"),
            StepKind.HTTP, List.of("method", "url", "headers", "body", "expectStatus", "saveAs"),
            StepKind.SCRIPT, List.of("run", "workdir", "env", "saveAs"),
            StepKind.FAIL, List.of("message"),
            StepKind.WORKFLOW, List.of("workflow", "inputs"),
            StepKind.APPROVAL, List.of("message")));
    /**
     * Fields whose values are read as they are, never rendered: expressions there would be a
     * mistake, except in {@code name}, which is text for people and keeps a {@code ${…}} as written.
     */
    static final Set<String> LITERAL = Set.of("id", "name", "type", "needs", "level", "method", "timeout", "retry",
            "continueOnError", "expectStatus", "saveAs", "workflow");
    private static final List<String> LEVELS = List.of("debug", "info", "warn", "error");
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    private static final List<String> RETRY_FIELDS = List.of("attempts", "delay");
    private static final List<String> RUN_FIELDS = List.of("id", "workflowId");
    /** A secret's name, as docs/security.md says (the secrets package checks it when one is set). */
    static final Pattern SECRET_NAME = Pattern.compile("[A-Z_][A-Z0-9_]{0,63}");
    private static final String DURATION_HINT = "expected a duration like 250ms, 2s or 1m, got ";

    private final boolean allowScripts;
    private final HttpTargets httpTargets;
    private final Set<String> inputs;
    private final Problems problems;
    /** Step id to its index, first occurrence; for duplicates and for references to steps. */
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<Located> references = new ArrayList<>();
    /** Each step's type (null when not valid), by step index; for the references' checks. */
    private final List<StepKind> kinds = new ArrayList<>();
    /** Each step's needs as written (valid ids only), by step index; for the graph's checks. */
    private final List<List<String>> needs = new ArrayList<>();
    /** The index of the step being checked: where a reference found now is. */
    private int current;

    private record Located(String path, int stepIndex, Expressions.Reference reference) {}

    StepValidator(boolean allowScripts, HttpTargets httpTargets, Set<String> inputs, Problems problems) {
        this.allowScripts = allowScripts;
        this.httpTargets = httpTargets;
        this.inputs = inputs;
        this.problems = problems;
    }

    List<Step> steps(JsonNode node) {
        List<Step> steps = new ArrayList<>();
        if (node == null || node.isNull()) {
            problems.add("steps", "required");
            return steps;
        }
        if (!node.isArray()) {
            problems.add("steps", "expected a list of steps, got " + Problems.kind(node));
            return steps;
        }
        if (node.isEmpty()) {
            problems.add("steps", "at least one step is required");
        }
        if (node.size() > MAX_STEPS) {
            problems.add("steps", "at most " + MAX_STEPS + " steps are allowed, got " + node.size());
        }
        for (int i = 0; i < node.size(); i++) {
            current = i;
            Step step = step(node.get(i), Problems.index("steps", i), i);
            if (step != null) {
                steps.add(step);
            }
        }
        boolean graph = needs.stream().anyMatch(list -> !list.isEmpty());
        boolean acyclic = checkNeeds();
        checkReferences(graph, acyclic);
        return steps;
    }

    private Step step(JsonNode node, String path, int index) {
        if (!node.isObject()) {
            problems.add(path, "expected a mapping, got " + Problems.kind(node));
            needs.add(List.of());
            kinds.add(null);
            return null;
        }
        ObjectNode spec = (ObjectNode) node;
        String id = id(spec.get("id"), Problems.field(path, "id"), index);
        List<String> stepNeeds = needs(spec.get("needs"), Problems.field(path, "needs"));
        needs.add(stepNeeds);
        String name = text(spec, "name", path, false);
        StepKind kind = kind(spec.get("type"), Problems.field(path, "type"));
        kinds.add(kind);
        if (kind != null) {
            List<String> known = new ArrayList<>(COMMON);
            known.addAll(FIELDS.get(kind));
            problems.unknownFields(spec, path, known);
        }
        JsonNode when = when(spec.get("when"), Problems.field(path, "when"));
        Duration timeout = timeout(spec.get("timeout"), Problems.field(path, "timeout"));
        Step.Retry retry = retry(spec.get("retry"), Problems.field(path, "retry"));
        boolean continueOnError = bool(spec.get("continueOnError"), Problems.field(path, "continueOnError"));
        if (kind != null) {
            switch (kind) {
                case LOG -> log(spec, path);
                case SET -> set(spec, path);
                case SLEEP -> sleep(spec, path);
                case HTTP -> http(spec, path);
                case SCRIPT -> script(spec, path);
                case FAIL -> text(spec, "message", path, false);
                case WORKFLOW -> workflow(spec, path);
                case APPROVAL -> approval(spec, path);
            }
        }
        spec.properties().forEach(field -> {
            if (!LITERAL.contains(field.getKey()) && !field.getKey().equals("when")) {
                expressions(field.getValue(), Problems.field(path, field.getKey()));
            }
        });
        if (id == null || kind == null) {
            return null;
        }
        return new Step(id, name == null ? id : name, kind, when, timeout, retry, continueOnError, stepNeeds, spec);
    }

    private String id(JsonNode node, String path, int index) {
        if (node == null || node.isNull()) {
            problems.add(path, "required");
            return null;
        }
        if (!node.isTextual() || !STEP_ID.matcher(node.textValue()).matches()) {
            problems.add(path, notAStepId(node));
            return null;
        }
        String id = node.textValue();
        if (ids.putIfAbsent(id, index) != null) {
            problems.add(path, "duplicate id \"" + id + "\"");
        }
        return id;
    }

    /** Why {@code node} is no step id. YAML reads {@code id: 5} as a number, which the author meant as text. */
    private static String notAStepId(JsonNode node) {
        if (node.isNumber() && STEP_ID.matcher(node.asText()).matches()) {
            return "got the number " + node.asText() + ": a step id is text, so quote it (\"" + node.asText() + "\")";
        }
        return Problems.quote(node) + " is not a valid step id (letters, digits, _ and -, at most 64)";
    }

    /** The ids listed, checked for form here and against the other steps by {@link #checkNeeds}. */
    private List<String> needs(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            problems.add(path, "expected a list of step ids like [build, test], got " + Problems.kind(node));
            return List.of();
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode need = node.get(i);
            String needPath = Problems.index(path, i);
            if (!need.isTextual() || !STEP_ID.matcher(need.textValue()).matches()) {
                problems.add(needPath, notAStepId(need));
            } else if (ids.contains(need.textValue())) {
                problems.add(needPath, "\"" + need.textValue() + "\" is listed twice");
            } else {
                ids.add(need.textValue());
            }
        }
        return List.copyOf(ids);
    }

    /**
     * Every need names another step, and the needs form no cycle (each cycle is reported once,
     * at the needs of its first step, naming it: {@code a → b → a}). True when there is no cycle.
     */
    private boolean checkNeeds() {
        for (int i = 0; i < needs.size(); i++) {
            String self = idAt(i);
            List<String> list = needs.get(i);
            for (int n = 0; n < list.size(); n++) {
                String need = list.get(n);
                String path = Problems.index(Problems.field(Problems.index("steps", i), "needs"), n);
                if (need.equals(self)) {
                    problems.add(path, "a step cannot need itself");
                } else if (!ids.containsKey(need)) {
                    problems.add(path, "\"" + need + "\" names no step" + Problems.suggestion(need, ids.keySet()));
                }
            }
        }
        // Depth-first: 0 unvisited, 1 on the current path, 2 done.
        int[] state = new int[needs.size()];
        boolean acyclic = true;
        for (int i = 0; i < needs.size(); i++) {
            acyclic &= visit(i, state, new ArrayList<>());
        }
        return acyclic;
    }

    private boolean visit(int index, int[] state, List<Integer> path) {
        if (state[index] == 2) {
            return true;
        }
        if (state[index] == 1) {
            List<Integer> cycle = new ArrayList<>(path.subList(path.indexOf(index), path.size()));
            int first = cycle.stream().min(Integer::compare).orElseThrow();
            Collections.rotate(cycle, -cycle.indexOf(first));
            StringBuilder names = new StringBuilder();
            for (int step : cycle) {
                names.append(idAt(step)).append(" → ");
            }
            names.append(idAt(first));
            problems.add(Problems.field(Problems.index("steps", first), "needs"), "cycle: " + names);
            return false;
        }
        state[index] = 1;
        path.add(index);
        boolean acyclic = true;
        for (String need : needs.get(index)) {
            Integer next = ids.get(need);
            if (next != null && next != index) {
                acyclic &= visit(next, state, path);
            }
        }
        path.remove(path.size() - 1);
        state[index] = 2;
        return acyclic;
    }

    /** The id of the step at {@code index} (its first holder; a duplicate id has none of its own). */
    private String idAt(int index) {
        for (Map.Entry<String, Integer> entry : ids.entrySet()) {
            if (entry.getValue() == index) {
                return entry.getKey();
            }
        }
        return "steps[" + index + "]";
    }

    private StepKind kind(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            problems.add(path, "required");
            return null;
        }
        for (StepKind kind : StepKind.values()) {
            if (node.isTextual() && kind.wire().equals(node.textValue())) {
                if (kind == StepKind.SCRIPT && !allowScripts) {
                    problems.add(path, "script steps are disabled on this server (start it with --allow-scripts)");
                }
                return kind;
            }
        }
        List<String> names = List.of(StepKind.values()).stream().map(StepKind::wire).toList();
        problems.add(path, "unknown step type " + Problems.quote(node) + " (expected " + Problems.alternatives(names) + ")");
        return null;
    }

    private JsonNode when(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (node.isBoolean()) {
            return node;
        }
        if (!node.isTextual()) {
            problems.add(path, "expected true, false or an expression, got " + Problems.kind(node));
            return null;
        }
        String text = node.textValue();
        boolean raw = !Template.mayContainExpressions(text);
        List<String> found = raw ? Expressions.checkExpression(text) : Expressions.check(text);
        found.forEach(message -> problems.add(path, message));
        if (found.isEmpty()) {
            Expressions.references(text, raw).forEach(reference -> references.add(new Located(path, current, reference)));
        }
        return node;
    }

    /** An approval: a message for the person who decides; a decision is final, so no retry. */
    private void approval(ObjectNode spec, String path) {
        text(spec, "message", path, true);
        if (spec.has("retry")) {
            problems.add(Problems.field(path, "retry"), "an approval step is not retried: its decision is final");
        }
    }

    private Duration timeout(JsonNode node, String path) {
        Duration timeout = duration(node, path);
        if (timeout != null && timeout.isZero()) {
            problems.add(path, "must be longer than 0s");
        }
        return timeout;
    }

    private Step.Retry retry(JsonNode node, String path) {
        if (node == null) {
            return Step.Retry.NONE;
        }
        if (!node.isObject()) {
            problems.add(path, "expected a mapping like {attempts: 3, delay: 1s}, got " + Problems.kind(node));
            return Step.Retry.NONE;
        }
        problems.unknownFields(node, path, RETRY_FIELDS);
        JsonNode attempts = node.get("attempts");
        String attemptsPath = Problems.field(path, "attempts");
        int count = 1;
        if (attempts == null || attempts.isNull()) {
            problems.add(attemptsPath, "required");
        } else if (!attempts.canConvertToExactIntegral() || !attempts.canConvertToInt()
                || attempts.intValue() < 1 || attempts.intValue() > MAX_ATTEMPTS) {
            problems.add(attemptsPath, "expected a whole number from 1 to " + MAX_ATTEMPTS + ", got " + Problems.quote(attempts));
        } else {
            count = attempts.intValue();
        }
        Duration delay = duration(node.get("delay"), Problems.field(path, "delay"));
        return new Step.Retry(count, delay == null ? Duration.ZERO : delay);
    }

    private Duration duration(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            problems.add(path, DURATION_HINT + Problems.quote(node));
            return null;
        }
        try {
            return Durations.parse(node.textValue());
        } catch (IllegalArgumentException e) {
            problems.add(path, e.getMessage());
            return null;
        }
    }

    private boolean bool(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            problems.add(path, "expected true or false, got " + Problems.quote(node));
            return false;
        }
        return node.booleanValue();
    }

    private void log(ObjectNode spec, String path) {
        text(spec, "message", path, true);
        JsonNode level = spec.get("level");
        if (level != null && !(level.isTextual() && LEVELS.contains(level.textValue()))) {
            problems.add(Problems.field(path, "level"),
                    "unknown level " + Problems.quote(level) + " (expected " + Problems.alternatives(LEVELS) + ")");
        }
    }

    private void set(ObjectNode spec, String path) {
        JsonNode vars = spec.get("vars");
        String varsPath = Problems.field(path, "vars");
        if (vars == null || vars.isNull()) {
            problems.add(varsPath, "required");
        } else if (!vars.isObject()) {
            problems.add(varsPath, "expected a mapping of variable names to values, got " + Problems.kind(vars));
        } else if (vars.isEmpty()) {
            problems.add(varsPath, "at least one variable is required");
        } else {
            for (String name : (Iterable<String>) vars::fieldNames) {
                if (!WorkflowValidator.NAME.matcher(name).matches()) {
                    problems.add(Problems.field(varsPath, name), "invalid variable name (" + WorkflowValidator.NAME_RULE + ")");
                }
            }
        }
    }

    private void sleep(ObjectNode spec, String path) {
        JsonNode duration = spec.get("duration");
        String durationPath = Problems.field(path, "duration");
        if (duration == null || duration.isNull()) {
            problems.add(durationPath, "required");
        } else if (!(duration.isTextual() && Template.mayContainExpressions(duration.textValue()))) {
            duration(duration, durationPath); // an expression is checked with the others, and parsed when the step runs
        }
    }

    private void http(ObjectNode spec, String path) {
        String url = text(spec, "url", path, true);
        if (url != null && !url.startsWith("${") && !HTTP_URL.matcher(url).matches()) {
            problems.add(Problems.field(path, "url"), "expected an http:// or https:// URL, got " + Problems.quote(spec.get("url")));
        } else if (url != null && !Template.mayContainExpressions(url)) {
            String refused = httpTargets.refusalOf(url);
            if (refused != null) {
                problems.add(Problems.field(path, "url"), refused);
            }
        }
        String method = text(spec, "method", path, false);
        if (method != null) {
            String upper = method.toUpperCase(Locale.ROOT);
            if (METHODS.contains(upper)) {
                spec.put("method", upper);
            } else {
                problems.add(Problems.field(path, "method"),
                        "unknown method " + Problems.quote(spec.get("method")) + " (expected " + Problems.alternatives(METHODS) + ")");
            }
        }
        textMap(spec, "headers", path, HEADER_NAME, "invalid header name");
        JsonNode expect = spec.get("expectStatus");
        String expectPath = Problems.field(path, "expectStatus");
        if (expect != null && !expect.isNull()) {
            if (!expect.isArray() || expect.isEmpty()) {
                problems.add(expectPath, "expected a list of status codes like [200, 201], got " + Problems.quote(expect));
            } else {
                for (int i = 0; i < expect.size(); i++) {
                    JsonNode status = expect.get(i);
                    if (!status.canConvertToExactIntegral() || status.asInt() < 100 || status.asInt() > 599) {
                        problems.add(Problems.index(expectPath, i), "expected a status code from 100 to 599, got " + Problems.quote(status));
                    }
                }
            }
        }
        saveAs(spec, path);
    }

    private void script(ObjectNode spec, String path) {
        String run = text(spec, "run", path, true);
        if (run != null && run.isBlank()) {
            problems.add(Problems.field(path, "run"), "must not be empty");
        }
        text(spec, "workdir", path, false);
        textMap(spec, "env", path, ENV_NAME, "invalid environment variable name");
        saveAs(spec, path);
    }

    private void workflow(ObjectNode spec, String path) {
        String workflow = text(spec, "workflow", path, true);
        if (workflow != null && !WorkflowValidator.isWorkflowId(workflow)) {
            problems.add(Problems.field(path, "workflow"), Problems.quote(spec.get("workflow"))
                    + " is not a valid workflow id (" + WorkflowValidator.WORKFLOW_ID_RULE + ")");
        }
        JsonNode inputs = spec.get("inputs");
        if (inputs != null && !inputs.isNull() && !inputs.isObject()) {
            problems.add(Problems.field(path, "inputs"), "expected a mapping of input names to values, got " + Problems.kind(inputs));
        }
    }

    private void saveAs(ObjectNode spec, String path) {
        JsonNode saveAs = spec.get("saveAs");
        if (saveAs != null && !(saveAs.isTextual() && WorkflowValidator.NAME.matcher(saveAs.textValue()).matches())) {
            problems.add(Problems.field(path, "saveAs"), Problems.quote(saveAs) + " is not a valid variable name ("
                    + WorkflowValidator.NAME_RULE + ")");
        }
    }

    /**
     * A text field. Numbers and booleans are accepted and stored as text ({@code message: 42}),
     * since YAML types them before the author thinks of them as text.
     */
    private String text(ObjectNode spec, String field, String path, boolean required) {
        JsonNode value = spec.get(field);
        String fieldPath = Problems.field(path, field);
        if (value == null || value.isNull()) {
            if (required) {
                problems.add(fieldPath, "required");
            }
            return null;
        }
        if (value.isNumber() || value.isBoolean()) {
            spec.put(field, value.asText());
            return value.asText();
        }
        if (!value.isTextual()) {
            problems.add(fieldPath, "expected a string, got " + Problems.kind(value));
            return null;
        }
        return value.textValue();
    }

    /** A mapping of names to text ({@code headers}, {@code env}); number and boolean values become text. */
    private void textMap(ObjectNode spec, String field, String path, Pattern names, String badName) {
        JsonNode map = spec.get(field);
        String mapPath = Problems.field(path, field);
        if (map == null || map.isNull()) {
            return;
        }
        if (!map.isObject()) {
            problems.add(mapPath, "expected a mapping of names to strings, got " + Problems.kind(map));
            return;
        }
        for (String name : fieldNames(map)) {
            String entryPath = Problems.field(mapPath, name);
            if (!names.matcher(name).matches()) {
                problems.add(entryPath, badName);
            }
            JsonNode value = map.get(name);
            if (value.isNumber() || value.isBoolean()) {
                ((ObjectNode) map).set(name, TextNode.valueOf(value.asText()));
            } else if (!value.isTextual()) {
                problems.add(entryPath, "expected a string, got " + Problems.kind(value));
            }
        }
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Checks every string under {@code node} as a template, reporting at the string's own path. */
    private void expressions(JsonNode node, String path) {
        if (node.isTextual()) {
            String text = node.textValue();
            if (Template.mayContainExpressions(text)) {
                List<String> found = Expressions.check(text);
                found.forEach(message -> problems.add(path, message));
                Expressions.references(text, false).forEach(reference -> references.add(new Located(path, current, reference)));
            }
        } else if (node.isObject()) {
            node.properties().forEach(field -> expressions(field.getValue(), Problems.field(path, field.getKey())));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                expressions(node.get(i), Problems.index(path, i));
            }
        }
    }

    /**
     * Expressions may only name declared inputs, existing steps and the run's own fields: typos
     * surface now. A step's outputs may be read only where that step has surely ended: by the
     * steps after it in a list, by the steps that need it (directly or not) in a graph; so may
     * the step as a whole ({@code steps.build}, {@code steps.build[k]}), outputs included. A step
     * read by a computed id ({@code steps[inputs.s]}), or all steps, is refused: which step that
     * is, and whether it has ended, cannot be known before the run.
     */
    private void checkReferences(boolean graph, boolean acyclic) {
        for (Located located : references) {
            List<String> variable = located.reference().path();
            if (variable.equals(List.of("steps"))) {
                // steps[inputs.s], or steps as a whole: which step is read, and whether it has ended, is unknown now
                problems.add(located.path(), Sandbox.named(located.reference().expression()) + " reads steps without naming one:"
                        + " write steps.<id>.status or steps.<id>.outputs.<name>, so that only steps that have surely ended are read");
                continue;
            }
            if (variable.size() < 2) {
                continue;
            }
            String root = variable.get(0);
            String name = variable.get(1);
            String expression = Sandbox.named(located.reference().expression());
            switch (root) {
                case "inputs" -> {
                    if (!inputs.contains(name)) {
                        problems.add(located.path(), undeclaredInput(expression, name, inputs));
                    }
                }
                case "steps" -> {
                    Integer read = ids.get(name);
                    if (read == null) {
                        problems.add(located.path(), expression + " reads step \"" + name + "\", which does not exist"
                                + Problems.suggestion(name, ids.keySet()));
                    } else if ((variable.size() == 2 || variable.get(2).equals("outputs")) && acyclic
                            && !(graph ? needsOf(located.stepIndex()).contains(read) : read < located.stepIndex())) {
                        problems.add(located.path(), expression + " reads the outputs of step \"" + name + "\", which "
                                + (read == located.stepIndex() ? "is this step itself"
                                : graph ? "this step does not need (add it to needs)" : "runs after this one"));
                    }
                }
                case "secrets" -> {
                    if (!SECRET_NAME.matcher(name).matches()) {
                        problems.add(located.path(), expression + " reads secret \"" + name + "\": a secret's name is upper-case"
                                + " letters, digits and _, not first a digit");
                    } else if (located.path().matches("steps\\[\\d+]\\.inputs(\\..*)?") && kinds.get(located.stepIndex()) == StepKind.WORKFLOW) {
                        problems.add(located.path(), expression + ": a secret is not passed to another workflow's run"
                                + " (its inputs are stored as they are); read ${secrets." + name + "} in that workflow's steps");
                    }
                }
                case "run" -> {
                    if (!RUN_FIELDS.contains(name)) {
                        problems.add(located.path(), expression + " reads run." + name + ", which does not exist (run has id and workflowId)");
                    }
                }
                default -> {
                }
            }
        }
    }

    /** Why reading {@code inputs.<name>} is refused, when the workflow does not declare it; one wording for every field. */
    static String undeclaredInput(String expression, String name, Set<String> inputs) {
        return expression + " reads input \"" + name + "\", which is not declared"
                + (inputs.isEmpty() ? " (this workflow has no inputs)" : " (declared: " + String.join(", ", inputs) + ")");
    }

    /** The indexes of the steps that the step at {@code index} needs, directly or not (the needs are acyclic). */
    private Set<Integer> needsOf(int index) {
        Set<Integer> found = new HashSet<>();
        ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(index));
        while (!todo.isEmpty()) {
            for (String need : needs.get(todo.pop())) {
                Integer next = ids.get(need);
                if (next != null && found.add(next)) {
                    todo.push(next);
                }
            }
        }
        return found;
    }
}
