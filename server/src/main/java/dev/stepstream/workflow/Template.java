package dev.stepstream.workflow;

import java.util.ArrayList;
import java.util.List;

/**
 * A string value split into literal text and {@code ${…}} expressions. <code>$${</code> stands for a
 * literal <code>${</code>. The closing brace of an expression is found by counting brackets outside
 * quoted strings, so <code>${ {'a': '}'}.a }</code> is one expression.
 *
 * @param parts  literals and expressions in order; adjacent literals are merged
 * @param error  why the text is not a valid template (an unclosed <code>${</code> or an empty
 *               expression), or null; parts holds what came before the error
 */
record Template(List<Part> parts, String error) {

    sealed interface Part permits Literal, Expression {}

    record Literal(String text) implements Part {}

    /** {@code source} is the text between <code>${</code> and <code>}</code>, as written. */
    record Expression(String source) implements Part {}

    /** True when the text may hold an expression or an escape; false means it is plain text. */
    static boolean mayContainExpressions(String text) {
        return text.contains("${");
    }

    static Template parse(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int pos = 0;
        while (pos < text.length()) {
            if (text.startsWith("$${", pos)) {
                literal.append("${");
                pos += 3;
            } else if (text.startsWith("${", pos)) {
                int end = closingBrace(text, pos + 2);
                if (end < 0) {
                    return new Template(List.copyOf(flush(parts, literal)), "expression \"" + Sandbox.shorten(text.substring(pos))
                            + "\" is not closed with \"}\"");
                }
                String source = text.substring(pos + 2, end);
                if (source.isBlank()) {
                    return new Template(List.copyOf(flush(parts, literal)), "expression \"${" + source + "}\" is empty");
                }
                flush(parts, literal).add(new Expression(source));
                pos = end + 1;
            } else {
                literal.append(text.charAt(pos));
                pos++;
            }
        }
        return new Template(List.copyOf(flush(parts, literal)), null);
    }

    /** True when the whole text is one expression, whose value then keeps its type. */
    boolean isSingleExpression() {
        return error == null && parts.size() == 1 && parts.get(0) instanceof Expression;
    }

    List<String> expressions() {
        return parts.stream().filter(Expression.class::isInstance).map(p -> ((Expression) p).source()).toList();
    }

    private static List<Part> flush(List<Part> parts, StringBuilder literal) {
        if (!literal.isEmpty()) {
            parts.add(new Literal(literal.toString()));
            literal.setLength(0);
        }
        return parts;
    }

    /**
     * The index of the {@code }} that closes an expression starting at {@code from}, or -1. Quotes
     * ({@code '}, {@code "}, {@code `}) hide brackets; a backslash escapes the next character in a quote.
     */
    static int closingBrace(String text, int from) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth = Math.max(0, depth - 1);
            } else if (c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            }
        }
        return -1;
    }

    /** The deepest bracket nesting in an expression, outside quotes; the parser recurses on it. */
    static int nesting(String source) {
        int depth = 0;
        int max = 0;
        char quote = 0;
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                max = Math.max(max, ++depth);
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
        }
        return max;
    }
}
