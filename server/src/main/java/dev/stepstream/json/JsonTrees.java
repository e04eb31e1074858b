package dev.stepstream.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;

/**
 * The parsing rules of every JSON document stepstream reads ({@link #LIMITS}: nesting and size
 * limits), and a reader of a document into a tree and a writer of a tree into text without an
 * {@code ObjectMapper}, for the client commands: building the mapper costs a new JVM about
 * 30 ms (its date formats and their locale data), a third of what is left of a command like
 * {@code stepstream runs} after the JVM's start (docs/BENCHMARKS.md, issue 21, target 4). The
 * tree is the one {@link Json#MAPPER} reads: decimals as written ({@code BigDecimal}, trailing zeros kept),
 * integers as int, long or BigInteger by size, the last of repeated names. The text is the one
 * {@link JsonNode#toString()} writes (which builds a mapper of its own on first use).
 */
public final class JsonTrees {
    /** Nesting and size limits that protect the server from hostile documents: every factory's. */
    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(200)
            .maxNumberLength(Json.MAX_NUMBER_CHARS)
            .maxStringLength(4 * 1024 * 1024)
            .build();

    /**
     * This class's own factory. {@link Json#MAPPER} has another with the same limits
     * ({@link #factory}), since a mapper's builder sets its write features on the factory it is
     * given, which would change what {@link #write} writes depending on whether the mapper was built.
     */
    private static final JsonFactory FACTORY = factory();

    /** A new factory with {@link #LIMITS}. */
    static JsonFactory factory() {
        return JsonFactory.builder().streamReadConstraints(LIMITS).build();
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance; // keeps decimals as given (Jackson 2.15+)

    private JsonTrees() {}

    /** The document in {@code bytes} as a tree, as {@code Json.MAPPER.readTree(bytes)} reads it. */
    public static JsonNode read(byte[] bytes) throws IOException {
        try (JsonParser parser = FACTORY.createParser(bytes)) {
            return document(parser);
        }
    }

    /** The document in {@code text} as a tree, as {@code Json.MAPPER.readTree(text)} reads it. */
    public static JsonNode read(String text) throws IOException {
        try (JsonParser parser = FACTORY.createParser(text)) {
            return document(parser);
        }
    }

    private static JsonNode document(JsonParser parser) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            return NODES.missingNode();
        }
        return read(parser); // what follows the document is left unread, as the mapper leaves it
    }

    /** The value at the parser's current token, and everything inside it; iterative, so depth costs no stack. */
    private static JsonNode read(JsonParser parser) throws IOException {
        Deque<JsonNode> open = new ArrayDeque<>();
        Deque<String> names = new ArrayDeque<>();
        for (JsonToken token = parser.currentToken(); ; token = parser.nextToken()) {
            if (token == null) {
                throw new IOException("the JSON document ends inside a value");
            }
            JsonNode value;
            switch (token) {
                case FIELD_NAME -> {
                    names.push(parser.currentName());
                    continue;
                }
                case START_OBJECT -> {
                    open.push(NODES.objectNode());
                    continue;
                }
                case START_ARRAY -> {
                    open.push(NODES.arrayNode());
                    continue;
                }
                case END_OBJECT, END_ARRAY -> value = open.pop();
                case VALUE_STRING -> value = NODES.textNode(parser.getText());
                case VALUE_NUMBER_INT -> value = switch (parser.getNumberType()) {
                    case INT -> NODES.numberNode(parser.getIntValue());
                    case LONG -> NODES.numberNode(parser.getLongValue());
                    default -> NODES.numberNode(parser.getBigIntegerValue());
                };
                case VALUE_NUMBER_FLOAT -> value = NODES.numberNode(parser.getDecimalValue());
                case VALUE_TRUE -> value = NODES.booleanNode(true);
                case VALUE_FALSE -> value = NODES.booleanNode(false);
                case VALUE_NULL -> value = NODES.nullNode();
                default -> throw new IOException("unexpected " + token + " in a JSON document");
            }
            JsonNode parent = open.peek();
            if (parent == null) {
                return value;
            }
            if (parent instanceof ObjectNode object) {
                object.set(names.pop(), value);
            } else {
                ((ArrayNode) parent).add(value);
            }
        }
    }

    /** {@code node} as {@link JsonNode#toString()} writes it. */
    public static String write(JsonNode node) {
        return write(node, (CharacterEscapes) null);
    }

    /**
     * {@code node} as {@link JsonNode#toString()} writes it, but with {@code escapes} (when not
     * null) for the characters of its strings and names.
     */
    public static String write(JsonNode node, CharacterEscapes escapes) {
        if (node.isMissingNode()) {
            return ""; // as its toString
        }
        StringWriter text = new StringWriter();
        try (JsonGenerator generator = FACTORY.createGenerator(text)) {
            if (escapes != null) {
                generator.setCharacterEscapes(escapes);
            }
            writeTree(node, generator);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail: a node with no JSON of its own (a POJO)
        }
        return text.toString();
    }

    /** Writes the tree; iterative, as {@link #read(JsonParser)} reads, so depth costs no stack. */
    private static void writeTree(JsonNode root, JsonGenerator generator) throws IOException {
        Deque<Iterator<?>> open = new ArrayDeque<>(); // an object's properties or an array's values
        JsonNode next = root;
        while (true) {
            if (next != null) {
                if (next.isObject()) {
                    generator.writeStartObject();
                    open.push(next.properties().iterator());
                } else if (next.isArray()) {
                    generator.writeStartArray();
                    open.push(next.iterator());
                } else {
                    scalar(next, generator);
                }
                next = null;
            }
            Iterator<?> container = open.peek();
            if (container == null) {
                return;
            }
            if (!container.hasNext()) {
                open.pop();
                if (generator.getOutputContext().inObject()) {
                    generator.writeEndObject();
                } else {
                    generator.writeEndArray();
                }
                continue;
            }
            Object item = container.next();
            if (item instanceof Map.Entry<?, ?> property) {
                generator.writeFieldName((String) property.getKey());
                next = (JsonNode) property.getValue();
            } else {
                next = (JsonNode) item;
            }
        }
    }

    /** A value that holds no other, written as the node's own {@code serialize} writes it. */
    private static void scalar(JsonNode node, JsonGenerator generator) throws IOException {
        switch (node.getNodeType()) {
            case STRING -> generator.writeString(node.textValue());
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> generator.writeNumber(node.intValue());
                    case LONG -> generator.writeNumber(node.longValue());
                    case BIG_INTEGER -> generator.writeNumber(node.bigIntegerValue());
                    case FLOAT -> generator.writeNumber(node.floatValue());
                    case DOUBLE -> generator.writeNumber(node.doubleValue());
                    case BIG_DECIMAL -> generator.writeNumber(node.decimalValue());
                }
            }
            case BOOLEAN -> generator.writeBoolean(node.booleanValue());
            case NULL, MISSING -> generator.writeNull();
            case BINARY -> generator.writeBinary(node.binaryValue());
            default -> throw new IOException("a " + node.getNodeType() + " node has no JSON of its own");
        }
    }
}
