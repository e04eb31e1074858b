package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.stepstream.json.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * Types YAML scalars by the YAML 1.2 core schema: a plain {@code true}, {@code 12},
 * {@code 1.5} or {@code null} is a boolean, number or null; everything else, and every quoted
 * or block scalar, is text. Unlike YAML 1.1, {@code yes}, {@code no}, {@code on} and
 * {@code off} stay text ({@code country: NO} is Norway), {@code 012} is twelve, and
 * {@code 1_000} is text. Explicit tags {@code !!str}, {@code !!int}, {@code !!float},
 * {@code !!bool} and {@code !!null} are honoured; other tags leave the text as it is.
 */
final class YamlScalars {
    /** As {@link Json#MAPPER}: longer numbers are refused, for parsing them costs quadratic time. */
    static final int MAX_NUMBER_LENGTH = Json.MAX_NUMBER_CHARS;
    private static final String CORE = "tag:yaml.org,2002:";
    private static final Pattern NULL = Pattern.compile("null|Null|NULL|~|");
    private static final Pattern TRUE = Pattern.compile("true|True|TRUE");
    private static final Pattern FALSE = Pattern.compile("false|False|FALSE");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern OCTAL = Pattern.compile("0o[0-7]+");
    private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]+");
    private static final Pattern FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    private static final Pattern NOT_FINITE = Pattern.compile("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    private static final JsonNodeFactory NODES = Json.MAPPER.getNodeFactory();

    private YamlScalars() {}

    /**
     * The JSON value of a scalar.
     *
     * @throws IllegalArgumentException with a message for the user when the scalar is a number
     *         JSON cannot hold, or does not fit its explicit tag
     */
    static JsonNode resolve(ScalarEvent scalar) {
        String value = scalar.getValue();
        String tag = scalar.getTag();
        if (tag == null) {
            return scalar.isPlain() ? plain(value) : NODES.textNode(value);
        }
        JsonNode node = switch (tag) {
            case CORE + "null" -> NULL.matcher(value).matches() ? NODES.nullNode() : null;
            case CORE + "bool" -> bool(value);
            case CORE + "int" -> integer(value);
            case CORE + "float" -> FLOAT.matcher(value).matches() ? decimal(value) : integer(value);
            default -> NODES.textNode(value); // !!str, the non-specific "!", !!binary, custom tags
        };
        if (node == null) {
            throw new IllegalArgumentException("\"" + value + "\" is not a valid !!" + tag.substring(CORE.length()));
        }
        return node;
    }

    private static JsonNode plain(String value) {
        if (NULL.matcher(value).matches()) {
            return NODES.nullNode();
        }
        JsonNode bool = bool(value);
        if (bool != null) {
            return bool;
        }
        if ("0123456789+-.".indexOf(value.charAt(0)) < 0) {
            return NODES.textNode(value); // the common case, words, settled without a regex
        }
        JsonNode integer = integer(value);
        if (integer != null) {
            return integer;
        }
        if (FLOAT.matcher(value).matches()) {
            return decimal(value);
        }
        if (NOT_FINITE.matcher(value).matches()) {
            throw new IllegalArgumentException("\"" + value + "\" is not a number JSON can hold");
        }
        return NODES.textNode(value);
    }

    private static JsonNode bool(String value) {
        if (TRUE.matcher(value).matches()) {
            return NODES.booleanNode(true);
        }
        return FALSE.matcher(value).matches() ? NODES.booleanNode(false) : null;
    }

    private static JsonNode integer(String value) {
        BigInteger number;
        if (DECIMAL.matcher(value).matches()) {
            number = new BigInteger(checkLength(value));
        } else if (OCTAL.matcher(value).matches()) {
            number = new BigInteger(checkLength(value).substring(2), 8);
        } else if (HEX.matcher(value).matches()) {
            number = new BigInteger(checkLength(value).substring(2), 16);
        } else {
            return null;
        }
        if (number.bitLength() >= 64) {
            checkWrittenLength(number); // 0x and 98 digits is 118 written out; under 64 bits, at most 20
        }
        if (number.bitLength() < 32) {
            return NODES.numberNode(number.intValue());
        }
        return number.bitLength() < 64 ? NODES.numberNode(number.longValue()) : NODES.numberNode(number);
    }

    private static JsonNode decimal(String value) {
        BigDecimal number = new BigDecimal(checkLength(value));
        checkWrittenLength(number); // 1e400 is short, but 401 characters written out
        return NODES.numberNode(number);
    }

    private static void checkWrittenLength(Number number) {
        long length = Json.writtenLength(number);
        if (length > Json.MAX_NUMBER_CHARS) {
            throw new IllegalArgumentException(Json.numberTooLongWhy(length));
        }
    }

    private static String checkLength(String number) {
        if (number.length() > MAX_NUMBER_LENGTH) {
            throw new IllegalArgumentException("a number has more than " + MAX_NUMBER_LENGTH + " characters");
        }
        return number;
    }
}
