package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a workflow's {@code triggers} and {@code concurrency} (docs/workflows.md, "Triggers",
 * "Concurrency") for {@link WorkflowValidator}, into the same {@link Problems}. Owned by one
 * validation call.
 */
final class TriggerValidator {
    /** A trigger's id is a path segment of its webhook's URL. */
    static final Pattern TRIGGER_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    static final int MAX_TRIGGERS = 32;
    private static final List<String> SCHEDULE_FIELDS = List.of("id", "type", "cron", "timezone", "inputs");
    private static final List<String> WEBHOOK_FIELDS = List.of("id", "type", "secret", "inputs");
    private static final List<String> CONCURRENCY_FIELDS = List.of("key", "limit", "onLimit");
    /** What a webhook input's template sees: never secrets (inputs are stored as they are; refused with a reason of their own). */
    private static final Set<String> HOOK_ROOTS = Set.of("body", "headers", "query");
    private static final Set<String> KEY_ROOTS = Set.of("inputs");
    /** A webhook's secret: one secret of the vault, and nothing beside it (docs/workflows.md, "The secret"). */
    private static final Pattern ONE_SECRET = Pattern.compile("\\$\\{\\s*secrets\\.(\\w+)\\s*}");

    private final Map<String, InputSpec> inputs;
    private final Problems problems;

    TriggerValidator(Map<String, InputSpec> inputs, Problems problems) {
        this.inputs = inputs;
        this.problems = problems;
    }

    List<TriggerSpec> triggers(JsonNode node) {
        List<TriggerSpec> triggers = new ArrayList<>();
        if (node == null || node.isNull()) {
            return triggers;
        }
        if (!node.isArray()) {
            problems.add("triggers", "expected a list of triggers, got " + Problems.kind(node));
            return triggers;
        }
        if (node.size() > MAX_TRIGGERS) {
            problems.add("triggers", "at most " + MAX_TRIGGERS + " triggers, got " + node.size());
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String path = Problems.index("triggers", i);
            JsonNode trigger = node.get(i);
            if (!trigger.isObject()) {
                problems.add(path, "expected a mapping like {id: nightly, type: schedule, cron: \"0 3 * * *\"}, got "
                        + Problems.kind(trigger));
                continue;
            }
            String id = id(trigger.get("id"), Problems.field(path, "id"));
            if (id != null && !ids.add(id)) {
                problems.add(Problems.field(path, "id"), "another trigger has the id \"" + id + "\"");
            }
            JsonNode type = trigger.get("type");
            TriggerSpec spec;
            if (type == null || type.isNull()) {
                problems.add(Problems.field(path, "type"), "required (schedule or webhook)");
                continue;
            } else if (type.isTextual() && type.textValue().equals("schedule")) {
                problems.unknownFields(trigger, path, SCHEDULE_FIELDS);
                spec = schedule(trigger, id, path);
            } else if (type.isTextual() && type.textValue().equals("webhook")) {
                problems.unknownFields(trigger, path, WEBHOOK_FIELDS);
                spec = webhook(trigger, id, path);
            } else {
                problems.add(Problems.field(path, "type"), "unknown trigger type " + Problems.quote(type) + " (expected schedule or webhook)");
                continue;
            }
            if (spec != null && id != null) {
                triggers.add(spec);
            }
        }
        return triggers;
    }

    private String id(JsonNode id, String path) {
        if (id == null || id.isNull()) {
            problems.add(path, "required");
            return null;
        }
        if (!id.isTextual() || !TRIGGER_ID.matcher(id.textValue()).matches()) {
            problems.add(path, Problems.quote(id) + " is not a valid trigger id (lowercase letters, digits, _ and -, starting"
                    + " with a letter or digit, at most 64)");
            return null;
        }
        return id.textValue();
    }

    private TriggerSpec schedule(JsonNode trigger, String id, String path) {
        ZoneId zone = ZoneOffset.UTC;
        JsonNode timezone = trigger.get("timezone");
        if (timezone != null && !timezone.isNull()) {
            zone = zone(timezone, Problems.field(path, "timezone"));
        }
        Cron cron = null;
        JsonNode text = trigger.get("cron");
        if (text == null || text.isNull()) {
            problems.add(Problems.field(path, "cron"), "required (e.g. \"0 3 * * 1-5\" or @daily)");
        } else if (!text.isTextual()) {
            problems.add(Problems.field(path, "cron"), "expected a string, got " + Problems.kind(text));
        } else {
            try {
                // Checked whatever the time zone: a bad one is its own problem, and plays no part in the fields.
                cron = Cron.parse(text.textValue(), zone == null ? ZoneOffset.UTC : zone);
                if (cron.next(Instant.now()).isEmpty()) {
                    // 0 0 30 2 *, 0 9 * * 1#6: valid fields that no date has; stored, it would say nextRunAt null for ever.
                    problems.add(Problems.field(path, "cron"), Problems.quote(text) + " is never due: no date matches it");
                    cron = null;
                }
            } catch (IllegalArgumentException e) {
                problems.add(Problems.field(path, "cron"), Problems.quote(text) + " is not a cron expression: " + e.getMessage());
            }
        }
        ObjectNode bound = null;
        JsonNode given = trigger.get("inputs");
        if (given != null && noTemplates(given, Problems.field(path, "inputs"))) {
            return null;
        }
        try {
            bound = Inputs.bind(inputs, given);
        } catch (InvalidException e) {
            e.problems().forEach(problem -> problems.add(path + "." + problem.path(), problem.message())); // inputs.x
        }
        return zone == null || cron == null || bound == null ? null : new TriggerSpec(id, TriggerSpec.Type.SCHEDULE, cron, bound, null);
    }

    /**
     * A schedule's inputs are stored values: a schedule has no request for a {@code ${…}} to
     * read, so one would be kept as text. True when some value has one (each is reported).
     */
    private boolean noTemplates(JsonNode value, String path) {
        if (value.isTextual() && value.textValue().contains("${")) {
            problems.add(path, "a schedule's inputs are values, not templates: a schedule has nothing for ${…} to read"
                    + " (write the value itself)");
            return true;
        }
        boolean found = false;
        for (Map.Entry<String, JsonNode> child : value.properties()) {
            found |= noTemplates(child.getValue(), Problems.field(path, child.getKey()));
        }
        for (int i = 0; value.isArray() && i < value.size(); i++) {
            found |= noTemplates(value.get(i), Problems.index(path, i));
        }
        return found;
    }

    private ZoneId zone(JsonNode timezone, String path) {
        if (timezone.isTextual()) {
            try {
                ZoneId zone = ZoneId.of(timezone.textValue());
                if (ZoneId.getAvailableZoneIds().contains(zone.getId()) || zone.equals(ZoneOffset.UTC)) {
                    return zone;
                }
            } catch (DateTimeException e) {
                // said below
            }
        }
        problems.add(path, Problems.quote(timezone) + " is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)");
        return null;
    }

    private TriggerSpec webhook(JsonNode trigger, String id, String path) {
        String secret = null;
        JsonNode given = trigger.get("secret");
        if (given != null && !given.isNull()) {
            Matcher one = given.isTextual() ? ONE_SECRET.matcher(given.textValue()) : null;
            if (one == null || Expressions.secretNames(given).isEmpty()) {
                problems.add(Problems.field(path, "secret"), "expected a secret, like \"${secrets.HOOK_KEY}\" (a key written out"
                        + " would be stored and shown with the workflow)");
            } else if (!one.matches()) {
                // Text beside the secret (pre-${secrets.K}), or two secrets: part of the key would be
                // written out, stored and shown, and the secret's value alone would not sign.
                problems.add(Problems.field(path, "secret"), "expected one secret and nothing else, like \"${secrets.HOOK_KEY}\""
                        + " (what is written beside it would be stored and shown with the workflow)");
            } else if (!StepValidator.SECRET_NAME.matcher(one.group(1)).matches()) { // as a step's ${secrets.x} is told
                problems.add(Problems.field(path, "secret"), "reads secret \"" + one.group(1) + "\": a secret's name is"
                        + " upper-case letters, digits and _, not first a digit");
            } else {
                secret = given.textValue();
            }
        }
        ObjectNode templates = Json.object();
        JsonNode mapping = trigger.get("inputs");
        if (mapping != null && !mapping.isNull()) {
            if (!mapping.isObject()) {
                problems.add(Problems.field(path, "inputs"), "expected a mapping of input names to values or ${…} over body,"
                        + " headers and query, got " + Problems.kind(mapping));
            } else {
                for (Map.Entry<String, JsonNode> entry : mapping.properties()) {
                    String inputPath = Problems.field(Problems.field(path, "inputs"), entry.getKey());
                    if (!inputs.containsKey(entry.getKey())) {
                        problems.add(inputPath, "unknown input" + (inputs.isEmpty() ? " (the workflow declares none)"
                                : " (declared: " + String.join(", ", inputs.keySet()) + ")"));
                        continue;
                    }
                    checkTemplates(entry.getValue(), inputPath);
                    templates.set(entry.getKey(), entry.getValue());
                }
            }
        }
        for (Map.Entry<String, InputSpec> declared : inputs.entrySet()) {
            if (declared.getValue().required() && declared.getValue().defaultValue() == null && !templates.has(declared.getKey())) {
                problems.add(Problems.field(Problems.field(path, "inputs"), declared.getKey()),
                        "required by the workflow: give it here (e.g. \"${body." + declared.getKey() + "}\")");
            }
        }
        return new TriggerSpec(id, TriggerSpec.Type.WEBHOOK, null, templates, secret);
    }

    private void checkTemplates(JsonNode value, String path) {
        if (value.isTextual()) {
            if (!Expressions.secretNames(value).isEmpty()) {
                problems.add(path, "a secret is not passed as an input (inputs are stored as they are)");
                return;
            }
            check(value.textValue(), path, HOOK_ROOTS);
        } else if (value.isContainerNode()) {
            for (Map.Entry<String, JsonNode> child : value.properties()) {
                checkTemplates(child.getValue(), Problems.field(path, child.getKey()));
            }
            if (value.isArray()) {
                for (int i = 0; i < value.size(); i++) {
                    checkTemplates(value.get(i), Problems.index(path, i));
                }
            }
        }
    }

    private void check(String text, String path, Set<String> roots) {
        for (String problem : Expressions.check(text, roots)) {
            problems.add(path, problem);
        }
    }

    /** A template over {@code inputs} may read only the inputs the workflow declares, as steps may. */
    private void undeclaredInputs(String text, String path) {
        for (Expressions.Reference reference : Expressions.references(text, false)) {
            List<String> variable = reference.path();
            if (variable.size() >= 2 && variable.get(0).equals("inputs") && !inputs.containsKey(variable.get(1))) {
                problems.add(path, StepValidator.undeclaredInput(Sandbox.named(reference.expression()), variable.get(1), inputs.keySet()));
            }
        }
    }

    /** The workflow's concurrency, or null when it has none. */
    Concurrency concurrency(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            problems.add("concurrency", "expected a mapping like {key: \"${inputs.env}\", limit: 1, onLimit: queue}, got "
                    + Problems.kind(node));
            return null;
        }
        problems.unknownFields(node, "concurrency", CONCURRENCY_FIELDS);
        String key = null;
        JsonNode given = node.get("key");
        if (given != null && !given.isNull()) {
            if (!given.isTextual() || given.textValue().isEmpty()) {
                problems.add("concurrency.key", "expected a non-empty string, got " + Problems.quote(given));
            } else {
                List<String> found = Expressions.check(given.textValue(), KEY_ROOTS);
                found.forEach(problem -> problems.add("concurrency.key", problem));
                if (found.isEmpty()) {
                    undeclaredInputs(given.textValue(), "concurrency.key");
                }
                key = given.textValue();
            }
        }
        int limit = 1;
        JsonNode limitNode = node.get("limit");
        if (limitNode != null && !limitNode.isNull()) {
            if (!limitNode.canConvertToExactIntegral() || !limitNode.canConvertToInt() || limitNode.intValue() < 1
                    || limitNode.intValue() > Concurrency.MAX_LIMIT) {
                problems.add("concurrency.limit", "expected a whole number from 1 to " + Concurrency.MAX_LIMIT + ", got "
                        + Problems.quote(limitNode));
            } else {
                limit = limitNode.intValue();
            }
        }
        Concurrency.OnLimit onLimit = Concurrency.OnLimit.QUEUE;
        JsonNode onLimitNode = node.get("onLimit");
        if (onLimitNode != null && !onLimitNode.isNull()) {
            try {
                onLimit = Concurrency.OnLimit.fromWire(onLimitNode.isTextual() ? onLimitNode.textValue() : "");
            } catch (IllegalArgumentException e) {
                problems.add("concurrency.onLimit", "expected queue, skip or cancel-running, got " + Problems.quote(onLimitNode));
            }
        }
        return new Concurrency(key, limit, onLimit);
    }
}
