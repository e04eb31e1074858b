package dev.stepstream.workflow;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.reader.UnicodeReader;

/**
 * Turns a request body or a workflow file into a JSON tree, or says where and why it does not
 * parse. Syntax only: whether the tree is a valid workflow is {@link WorkflowValidator}'s job.
 *
 * <p>A document may have at most {@value #MAX_BYTES} bytes. YAML is read as one document,
 * nested at most {@value #MAX_DEPTH} levels, with no duplicate keys, by SnakeYAML's event parser
 * under {@link LoaderOptions} limits. Anchors, aliases and merge keys ({@code <<: *defaults})
 * work, within limits that stop alias bombs at once: at most {@value #MAX_ALIASES} aliases,
 * which together may copy at most {@value #MAX_ALIAS_WEIGHT} nodes and characters; an alias
 * cannot be a key nor refer to the node that contains it. (Jackson's YAML parser is not used:
 * it hands an alias over as the anchor's name and drops the anchors of scalars.) Plain scalars
 * are typed by the YAML 1.2 core schema ({@link YamlScalars}).
 */
public final class WorkflowParser {
    static final int MAX_BYTES = 2 * 1024 * 1024;
    static final int MAX_CODE_POINTS = MAX_BYTES;
    static final int MAX_DEPTH = 100;
    static final int MAX_ALIASES = 50;
    static final long MAX_ALIAS_WEIGHT = 1_000_000;

    private static final ObjectReader JSON = Json.MAPPER.reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES); // 100.0 stays 100.0, as in YAML
    private static final JsonNodeFactory NODES = Json.MAPPER.getNodeFactory();

    private WorkflowParser() {}

    /**
     * Parses a document.
     *
     * @param json true when the request's content type is JSON: then the body is strict JSON
     *             (no comments, no duplicate keys, nothing after the value); otherwise YAML
     * @return the document's tree: any JSON value, which need not be a valid workflow
     * @throws SyntaxException with a short message and the 1-based line and column where
     *         parsing stopped; an empty document is {@code ("empty document", 1, 1)}
     */
    public static JsonNode parse(byte[] body, boolean json) throws SyntaxException {
        if (body == null || body.length == 0) {
            throw new SyntaxException("empty document", 1, 1);
        }
        if (body.length > MAX_BYTES) {
            // checked before parsing: the YAML scanner would take seconds to reach its own limit
            throw new SyntaxException("the document is larger than " + MAX_BYTES / 1024 / 1024 + " MiB", 1, 1);
        }
        return json ? parseJson(body) : parseYaml(body);
    }

    private static JsonNode parseJson(byte[] body) throws SyntaxException {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw syntax(e);
        } catch (IOException e) {
            throw new SyntaxException(clean(e.getMessage()), 1, 1);
        }
        if (node == null || node.isMissingNode()) {
            throw new SyntaxException("empty document", 1, 1);
        }
        Json.TooLong tooLong = Json.numberTooLong(node, "");
        if (tooLong != null) {
            throw new SyntaxException(tooLong.message(), 1, 1);
        }
        return node;
    }

    private static JsonNode parseYaml(byte[] body) throws SyntaxException {
        try {
            Parser parser = new ParserImpl(new StreamReader(new UnicodeReader(new ByteArrayInputStream(body))),
                    loaderOptions());
            parser.getEvent(); // stream start
            if (parser.checkEvent(Event.ID.StreamEnd)) {
                throw new SyntaxException("empty document", 1, 1);
            }
            parser.getEvent(); // document start
            JsonNode root = new YamlTree(parser).value(parser.getEvent(), 1).node();
            parser.getEvent(); // document end
            if (!parser.checkEvent(Event.ID.StreamEnd)) {
                throw syntax("expected one document, found several (a second ---)", parser.peekEvent().getStartMark());
            }
            if (root.isNull()) {
                throw new SyntaxException("empty document", 1, 1);
            }
            return root;
        } catch (MarkedYAMLException e) {
            throw syntax(yamlMessage(e), e.getProblemMark());
        } catch (ReaderException e) {
            int[] at = lineAndColumn(body, e.getPosition());
            throw new SyntaxException(String.format("character U+%04X is not allowed in YAML", e.getCodePoint()), at[0], at[1]);
        } catch (YAMLException e) {
            if (e.getCause() instanceof CharacterCodingException) {
                throw new SyntaxException("the document is not valid UTF-8", 1, 1);
            }
            if (String.valueOf(e.getMessage()).contains("exceeds the limit")) {
                throw new SyntaxException("the document is longer than " + MAX_CODE_POINTS + " characters", 1, 1);
            }
            throw new SyntaxException(clean(e.getMessage()), 1, 1);
        }
    }

    /** The 1-based line and column of a code point index in a UTF-8 body (for errors that only have an index). */
    private static int[] lineAndColumn(byte[] body, int index) {
        String text = new String(body, StandardCharsets.UTF_8);
        int line = 1;
        int column = 1;
        for (int i = 0, n = 0; i < text.length() && n < index; i += Character.charCount(text.codePointAt(i)), n++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new int[] {line, column};
    }

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CODE_POINTS);
        options.setNestingDepthLimit(MAX_DEPTH);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setAllowRecursiveKeys(false);
        options.setAllowDuplicateKeys(false);
        return options;
    }

    /**
     * Builds the tree from the YAML parser's events, typing scalars and expanding aliases.
     * Owned by one parse call. Each built node carries its height and weight (nodes plus
     * characters, aliases expanded), so that an alias is charged for what it copies before it
     * copies it.
     */
    private static final class YamlTree {
        private record Built(JsonNode node, int height, long weight) {}

        private final Parser parser;
        private final Map<String, Built> anchors = new HashMap<>();
        private final Set<String> open = new HashSet<>();
        private int aliases;
        private long copied;

        YamlTree(Parser parser) {
            this.parser = parser;
        }

        Built value(Event event, int depth) throws SyntaxException {
            if (event instanceof AliasEvent alias) {
                return alias(alias, depth);
            }
            if (depth > MAX_DEPTH) {
                throw syntax("nested more than " + MAX_DEPTH + " levels deep", event.getStartMark());
            }
            String anchor = event instanceof NodeEvent node ? node.getAnchor() : null;
            if (anchor != null) {
                open.add(anchor);
            }
            Built built = switch (event) {
                case MappingStartEvent start -> mapping(depth);
                case SequenceStartEvent start -> sequence(depth);
                case ScalarEvent scalar -> scalar(scalar);
                default -> throw syntax("unexpected " + event.getEventId(), event.getStartMark());
            };
            if (anchor != null) {
                open.remove(anchor);
                anchors.put(anchor, built);
            }
            return built;
        }

        private Built mapping(int depth) throws SyntaxException {
            ObjectNode object = NODES.objectNode();
            List<Built> merges = new ArrayList<>();
            int height = 1;
            long weight = 1;
            while (!parser.checkEvent(Event.ID.MappingEnd)) {
                Event keyEvent = parser.getEvent();
                if (!(keyEvent instanceof ScalarEvent keyScalar)) {
                    throw syntax("a mapping key must be a plain value (not a list, a mapping or an alias)",
                            keyEvent.getStartMark());
                }
                String key = keyScalar.getValue();
                Built value = value(parser.getEvent(), depth + 1);
                height = Math.max(height, value.height() + 1);
                weight += value.weight() + key.length();
                if (key.equals("<<") && keyScalar.isPlain()) {
                    merges.add(value);
                } else if (object.has(key)) {
                    throw syntax("duplicate key \"" + key + "\"", keyEvent.getStartMark());
                } else {
                    object.set(key, value.node());
                }
            }
            Mark end = parser.getEvent().getStartMark();
            for (Built merge : merges) {
                merge(object, merge.node(), end);
            }
            return new Built(object, height, weight);
        }

        /** YAML merge keys: the merged mappings' keys are added where the mapping has none of its own. */
        private void merge(ObjectNode into, JsonNode merged, Mark at) throws SyntaxException {
            if (merged.isArray()) {
                for (JsonNode each : merged) {
                    merge(into, each, at);
                }
            } else if (merged.isObject()) {
                merged.properties().forEach(field -> into.putIfAbsent(field.getKey(), field.getValue()));
            } else {
                throw syntax("<< merges a mapping or a list of mappings", at);
            }
        }

        private Built sequence(int depth) throws SyntaxException {
            ArrayNode array = NODES.arrayNode();
            int height = 1;
            long weight = 1;
            while (!parser.checkEvent(Event.ID.SequenceEnd)) {
                Built value = value(parser.getEvent(), depth + 1);
                height = Math.max(height, value.height() + 1);
                weight += value.weight();
                array.add(value.node());
            }
            parser.getEvent();
            return new Built(array, height, weight);
        }

        private Built scalar(ScalarEvent scalar) throws SyntaxException {
            try {
                return new Built(YamlScalars.resolve(scalar), 0, 1 + scalar.getValue().length());
            } catch (IllegalArgumentException e) {
                throw syntax(e.getMessage(), scalar.getStartMark());
            }
        }

        private Built alias(AliasEvent alias, int depth) throws SyntaxException {
            String name = alias.getAnchor();
            Mark at = alias.getStartMark();
            if (open.contains(name)) {
                throw syntax("alias *" + name + " refers to a node that contains it", at);
            }
            Built target = anchors.get(name);
            if (target == null) {
                throw syntax("alias *" + name + " has no anchor &" + name + " before it", at);
            }
            if (++aliases > MAX_ALIASES) {
                throw syntax("more than " + MAX_ALIASES + " aliases", at);
            }
            copied += target.weight();
            if (copied > MAX_ALIAS_WEIGHT) {
                throw syntax("aliases expand to more than " + MAX_ALIAS_WEIGHT + " nodes and characters", at);
            }
            if (depth + target.height() - 1 > MAX_DEPTH) {
                throw syntax("alias *" + name + " nests the document more than " + MAX_DEPTH + " levels deep", at);
            }
            return new Built(target.node().deepCopy(), target.height(), target.weight());
        }
    }

    private static SyntaxException syntax(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        int line = at == null || at.getLineNr() < 1 ? 1 : at.getLineNr();
        int column = at == null || at.getColumnNr() < 1 ? 1 : at.getColumnNr();
        return new SyntaxException(clean(e.getOriginalMessage()), line, column);
    }

    private static SyntaxException syntax(String message, Mark at) {
        return at == null ? new SyntaxException(message, 1, 1)
                : new SyntaxException(message, at.getLine() + 1, at.getColumn() + 1);
    }

    private static String yamlMessage(MarkedYAMLException e) {
        String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem().strip();
        Mark context = e.getContextMark();
        if (e.getContext() == null || context == null) {
            return problem;
        }
        return problem + " (" + e.getContext() + " started at line " + (context.getLine() + 1)
                + ", column " + (context.getColumn() + 1) + ")";
    }

    /**
     * Jackson's message, made short: its first line only, without the source excerpt, the
     * {@code at [Source: …]} suffix or the names of Java classes and features: the one wording
     * of a document that does not parse, for workflows and for JSON request bodies alike.
     */
    public static String clean(String message) {
        if (message == null || message.isBlank()) {
            return "invalid document";
        }
        String text = message.lines().findFirst().orElse("").strip();
        if (text.startsWith("Duplicate field ")) {
            return "duplicate key \"" + text.substring("Duplicate field ".length()).replace("'", "") + "\"";
        }
        if (text.startsWith("Trailing token")) {
            return "unexpected content after the document";
        }
        if (text.startsWith("Document nesting depth")) {
            return "nested too deeply";
        }
        if (text.startsWith("Non-standard token '")) {
            // NaN, Infinity, -Infinity: Jackson offers a parser feature, which means nothing to the author
            String token = text.substring("Non-standard token '".length()).replaceFirst("'.*$", "");
            return token + " is not a JSON number (JSON has no NaN or Infinity: write a number, or null)";
        }
        int aside = text.indexOf(" (not recognized as one since");
        if (aside > 0) {
            text = text.substring(0, aside);
        }
        text = text.replaceAll("\\s*\\(start marker at \\[Source:.*?]\\)", "")
                .replaceAll("\\s*at \\[Source:.*$", "")
                .replaceAll("\\s*\\(from `[^`]*`\\)", "")
                .replaceAll("\\s*\\(for `[^`]*`.*?\\)", "")
                .replaceAll(":?\\s*enable `[^`]*` to allow.*$", "")
                .replaceAll("`[^`]*`", "")
                .replaceAll("\\b([a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*", "")
                .strip();
        if (text.isEmpty()) {
            return "invalid document";
        }
        return Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
}
