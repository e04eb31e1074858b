package dev.stepstream.workflow;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.commons.jexl3.JexlArithmetic;
import org.apache.commons.jexl3.JexlBuilder;
import org.apache.commons.jexl3.JexlContext;
import org.apache.commons.jexl3.JexlEngine;
import org.apache.commons.jexl3.JexlException;
import org.apache.commons.jexl3.JexlExpression;
import org.apache.commons.jexl3.JexlFeatures;
import org.apache.commons.jexl3.JexlInfo;
import org.apache.commons.jexl3.JexlOperator;
import org.apache.commons.jexl3.JexlScript;
import org.apache.commons.jexl3.internal.Script;
import org.apache.commons.jexl3.introspection.JexlPermissions;
import org.apache.commons.jexl3.introspection.JexlUberspect;
import org.apache.commons.jexl3.parser.ASTFunctionNode;
import org.apache.commons.jexl3.parser.ASTIdentifier;
import org.apache.commons.jexl3.parser.ASTJxltLiteral;
import org.apache.commons.jexl3.parser.JexlNode;
import org.apache.commons.logging.impl.NoOpLog;

/**
 * The one JEXL engine, locked down so that an expression can read its scope and compute with
 * it, and nothing else. Three independent fences, so that a gap in one is not a hole:
 * <ol>
 *   <li>the grammar ({@link JexlFeatures}): no method or function calls on objects, no
 *       {@code new}, no assignment or other side effect, no loops, no local variables, no
 *       lambdas, no pragmas, annotations or namespaces: one expression, nothing more;</li>
 *   <li>property access resolves only map keys and list indexes ({@link #STRATEGY}), never
 *       getters or fields, so {@code ''.class} finds nothing;</li>
 *   <li>introspection may touch nothing but {@code Map.get} and {@code List.get}
 *       ({@link DataOnly}): no class, constructor, field or other method is visible, not even
 *       the context's own {@code get}/{@code has}, which top-level function calls would reach.</li>
 * </ol>
 * The engine and its parse cache are thread-safe; each evaluation gets its own context.
 */
final class Sandbox {
    static final Set<String> ROOTS = Set.of("inputs", "vars", "run", "steps", "secrets");
    static final int MAX_LENGTH = 4096;
    static final int MAX_NESTING = 32;
    /** Characters a regular expression may examine in one match, so that {@code =~} cannot hang. */
    static final int REGEX_BUDGET = 1_000_000;
    /**
     * Characters a string built by an expression may have (a concatenation, a template's text):
     * doubling a string a few times would otherwise fill the heap.
     */
    static final int MAX_TEXT = 1 << 20;
    private static final int MAX_QUOTED = 80;

    private static final JexlFeatures FEATURES = new JexlFeatures()
            .methodCall(false).newInstance(false).loops(false).lambda(false).fatArrow(false).thinArrow(false)
            .sideEffect(false).sideEffectGlobal(false).localVar(false).register(false).script(false)
            .pragma(false).pragmaAnywhere(false).annotation(false).namespacePragma(false)
            .importPragma(false).namespaceIdentifier(false).namespaceTest(namespace -> false)
            .structuredLiteral(true).arrayReferenceExpr(true);

    /** Property access: map keys on maps, indexes on lists, nothing on anything else. */
    private static final JexlUberspect.ResolverStrategy STRATEGY = (operator, object) -> {
        if (object instanceof Map<?, ?>) {
            return List.of(JexlUberspect.JexlResolver.MAP);
        }
        if (object instanceof List<?>) {
            return List.of(JexlUberspect.JexlResolver.LIST);
        }
        return List.of();
    };

    private static final JexlEngine ENGINE = new JexlBuilder()
            .features(FEATURES)
            .permissions(new DataOnly())
            .strategy(STRATEGY)
            .arithmetic(new SafeArithmetic())
            .namespaces(Map.of())
            .strict(true)
            .safe(false)
            .silent(false)
            .antish(false)
            .stackOverflow(256)
            .cache(512)
            .logger(new NoOpLog())
            .create();

    private Sandbox() {}

    /** Parses one raw expression (no {@code ${}}); the message of a failure names the expression. */
    static JexlExpression parse(String source) throws ExpressionException {
        if (source.isBlank()) {
            throw new ExpressionException("expression \"" + source + "\" is empty");
        }
        if (source.length() > MAX_LENGTH) {
            throw new ExpressionException(named(source) + " is too long (at most " + MAX_LENGTH + " characters)");
        }
        if (Template.nesting(source) > MAX_NESTING) {
            throw new ExpressionException(named(source) + " is nested too deeply (at most " + MAX_NESTING + " levels)");
        }
        try {
            return ENGINE.createExpression(new JexlInfo("expression", 1, 1), source);
        } catch (JexlException e) {
            throw new ExpressionException(named(source) + parseFailure(e));
        } catch (StackOverflowError e) {
            throw new ExpressionException(named(source) + " is nested too deeply");
        }
    }

    /** Why an expression was refused at parse time; a {@code `…${x}`} template fails through its cause. */
    private static String parseFailure(JexlException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JexlException.Feature feature) {
                return " is not allowed: " + refusal(feature);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JexlException.Parsing || t instanceof JexlException.Tokenization) {
                return " does not parse: " + unexpected((JexlException) t);
            }
        }
        return " does not parse: " + clean(e.getMessage());
    }

    /** Problems with one raw expression: it does not parse, is not allowed, or reads an unknown root. */
    static List<String> problems(String source, Set<String> roots) {
        try {
            JexlExpression expression = parse(source);
            List<String> problems = new ArrayList<>();
            String call = functionCall(expression);
            if (call != null) {
                problems.add(named(source) + " is not allowed: " + call + "(…) is a function call, and expressions call"
                        + " no functions (only size(…) and empty(…), which are operators)");
            }
            for (List<String> path : variables(expression)) {
                if (!roots.contains(path.get(0))) {
                    problems.add(named(source) + " uses unknown variable \"" + path.get(0) + "\" (expressions "
                            + (roots == ROOTS ? "see inputs, vars, run, steps and secrets" : "here see " + String.join(", ", roots.stream().sorted().toList()))
                            + ")" + shellHint(source));
                }
            }
            return problems;
        } catch (ExpressionException e) {
            return List.of(e.getMessage() + shellHint(source));
        }
    }

    /** A shell's own {@code ${HOME}} or {@code ${NAME:-default}}, which a script step's run often holds. */
    private static final Pattern SHELL_PARAMETER =
            Pattern.compile("[A-Z_][A-Z0-9_]*|[A-Za-z_][A-Za-z0-9_]*(:?[-=?+]|##?|%%?|/).*");

    /**
     * For an expression that reads like a shell's parameter ({@code ${HOME}}, {@code ${X:-y}}),
     * how to leave it to the shell: {@code $${HOME}}; else nothing.
     */
    private static String shellHint(String source) {
        return SHELL_PARAMETER.matcher(source).matches()
                ? "; to leave ${" + shorten(source) + "} to a shell, write $${" + shorten(source) + "}"
                : "";
    }

    /**
     * The name of the first function an expression calls ({@code foo} in {@code foo(1)},
     * {@code math:abs} in {@code math:abs(1)}), or null. The grammar lets such calls through
     * (they reach the context and namespaces, of which the sandbox has none), so every one
     * of them would fail when the step runs: they are refused when the workflow is stored.
     * {@code size(x)} and {@code empty(x)} are operators of their own, not calls.
     */
    private static String functionCall(JexlExpression expression) {
        return expression instanceof Script script ? functionCall(syntaxTree(script)) : null;
    }

    /** JEXL keeps a script's syntax tree to itself; the sandbox reads it to see what is called. */
    private static final MethodHandle SYNTAX_TREE;

    static {
        try {
            Method getter = Script.class.getDeclaredMethod("getScript");
            getter.setAccessible(true);
            SYNTAX_TREE = MethodHandles.lookup().unreflect(getter);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static JexlNode syntaxTree(Script script) {
        try {
            return (JexlNode) SYNTAX_TREE.invoke(script);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read an expression's syntax tree", e);
        }
    }

    private static String functionCall(JexlNode node) {
        if (node instanceof ASTJxltLiteral template) {
            return templateCall(template.getLiteral());
        }
        if (node instanceof ASTFunctionNode && node.jjtGetNumChildren() > 0) {
            JexlNode callee = node.jjtGetChild(0);
            if (callee instanceof ASTIdentifier identifier) {
                return identifier.getNamespace() == null ? identifier.getName() : identifier.getNamespace() + ":" + identifier.getName();
            }
            return "a value";
        }
        for (int i = 0; i < node.jjtGetNumChildren(); i++) {
            String found = functionCall(node.jjtGetChild(i));
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /**
     * The first function called in a {@code `…${x}…`} template inside an expression: JEXL parses
     * it apart, as a template of its own, which the syntax tree holds only as text. Null when it
     * calls none (or does not parse: its own parse refuses it then).
     */
    private static String templateCall(String text) {
        Template template = Template.parse(text);
        if (template.error() != null) {
            return null;
        }
        for (String source : template.expressions()) {
            try {
                String found = functionCall(parse(source));
                if (found != null) {
                    return found;
                }
            } catch (ExpressionException refusedElsewhere) {
                // the template's own parse tells
            }
        }
        return null;
    }

    /** The variable paths an expression reads, e.g. {@code [inputs, who]}; distinct, in no set order. */
    static List<List<String>> variables(JexlExpression expression) {
        if (expression instanceof JexlScript script) {
            return script.getVariables().stream().filter(path -> !path.isEmpty()).toList();
        }
        return List.of();
    }

    static Object evaluate(String source, Map<String, Object> scope) throws ExpressionException {
        JexlExpression expression = parse(source);
        try {
            return expression.evaluate(new ScopeContext(scope));
        } catch (JexlException.Property e) {
            // JEXL reports "input.who" (no such variable) as a null property: name the variable instead
            for (List<String> path : variables(expression)) {
                if (!scope.containsKey(path.get(0))) {
                    throw new ExpressionException(named(source) + " failed: undefined variable \"" + path.get(0) + "\"");
                }
            }
            throw new ExpressionException(named(source) + " failed: " + failure(e));
        } catch (RuntimeException e) {
            throw new ExpressionException(named(source) + " failed: " + failure(e));
        } catch (StackOverflowError e) {
            throw new ExpressionException(named(source) + " failed: nested too deeply");
        }
    }

    /** {@code expression "…"}, with long expressions cut so that messages stay short. */
    static String named(String source) {
        return "expression \"" + shorten(source) + "\"";
    }

    static String shorten(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= MAX_QUOTED ? oneLine : oneLine.substring(0, MAX_QUOTED - 1) + "…";
    }

    private static String refusal(JexlException.Feature e) {
        String what = e.getMessage().replaceFirst("^.*?@\\d+:\\d+ ", "").replaceFirst(" error in .*$", "");
        return switch (what) {
            case "method call" -> "method calls are not supported";
            case "create instance" -> "creating objects is not supported";
            case "global assign/modify", "assign/modify", "side effect" -> "assignments are not supported";
            case "local variable" -> "local variables and lambdas are not supported";
            case "function" -> "functions are not supported";
            case "loop" -> "loops are not supported";
            case "pragma" -> "pragmas are not supported";
            case "annotation" -> "annotations are not supported";
            default -> clean(what) + " is not supported";
        };
    }

    private static String unexpected(JexlException e) {
        String near = e.getDetail();
        int column = e.getInfo() == null ? 0 : e.getInfo().getColumn();
        if (near == null || near.isBlank()) {
            return "unexpected end";
        }
        return "unexpected \"" + shorten(near) + "\"" + (column > 0 ? " at column " + column : "");
    }

    private static String failure(RuntimeException e) {
        if (e instanceof JexlException.Variable v) {
            return v.isUndefined() ? "undefined variable \"" + v.getVariable() + "\"" : "variable \"" + v.getVariable() + "\" is null";
        }
        if (e instanceof JexlException.Property p) {
            String property = p.getProperty();
            if (p.getCause() instanceof IndexOutOfBoundsException) {
                return "index " + property + " is out of range";
            }
            if (property.startsWith(".") || property.startsWith("[")) {
                // JEXL names the last step that was found null, e.g. ".missing" in vars.missing.sub
                String name = property.replaceAll("^[.\\[]+|]$", "").replaceAll("^['\"]|['\"]$", "");
                return "cannot read a property of null (after \"" + name + "\")";
            }
            return "undefined property \"" + property + "\"";
        }
        if (e instanceof JexlException.Method m) {
            String name = m.getDetail().replaceFirst("\\(.*$", "");
            return "unknown function \"" + name + "\"";
        }
        if (e instanceof JexlException.StackOverflow) {
            return "nested too deeply";
        }
        String operator = e instanceof JexlException j && j.getDetail() != null
                ? j.getDetail().replaceFirst(" error.*$", "") : "";
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            switch (cause) {
                case JexlArithmetic.NullOperand n -> {
                    return "cannot apply " + operator + " to null";
                }
                case JexlArithmetic.CoercionException c -> {
                    return "cannot apply " + operator + " to these values";
                }
                case ArithmeticException a -> {
                    return arithmetic(operator, String.valueOf(a.getMessage()));
                }
                case RegexTooExpensive r -> {
                    return r.getMessage();
                }
                case Refusal r -> {
                    return r.getMessage();
                }
                case PatternSyntaxException p -> {
                    return "invalid regular expression: " + p.getDescription();
                }
                default -> {
                }
            }
        }
        return clean(e.getMessage());
    }

    /**
     * JEXL's arithmetic failures in the author's words: its own ({@code Object comparison:({a=1} > 1)},
     * {@code BigInteger precision exceeded: limit=114, …}) show Java's rendering of values and
     * its internal limits.
     */
    private static String arithmetic(String operator, String message) {
        if (operator.equals("/") || operator.equals("%") || message.contains("by zero")) {
            return "division by zero";
        }
        if (message.startsWith("Object comparison")) {
            return "cannot compare these values" + (operator.isEmpty() ? "" : " with " + operator)
                    + " (numbers compare with numbers, text with text; objects, lists and null with nothing)";
        }
        if (message.startsWith("Object negate")) {
            return "cannot negate this value (only a number can be)";
        }
        if (message.contains("precision exceeded")) {
            return "the result is too large (whole numbers are limited to about 34 digits)";
        }
        return clean(message);
    }

    /** Strips JEXL's location prefix and anything that names a Java class: messages reach API clients. */
    static String clean(String message) {
        if (message == null || message.isBlank()) {
            return "unknown error";
        }
        String text = message.lines().findFirst().orElse("")
                .replaceFirst("^.*?@\\d+:\\d+ ", "")
                .replace("JEXL error : ", "")
                .replaceAll("\\b([a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*", "a value")
                .strip();
        return text.isEmpty() ? "unknown error" : text;
    }

    /** The scope as JEXL sees it: read-only, and with no public methods that functions could reach. */
    private record ScopeContext(Map<String, Object> scope) implements JexlContext {
        @Override
        public Object get(String name) {
            return scope.get(name);
        }

        @Override
        public void set(String name, Object value) {
            throw new UnsupportedOperationException("expressions cannot assign");
        }

        @Override
        public boolean has(String name) {
            return scope.containsKey(name);
        }
    }

    /** Introspection sees {@code get} on maps and lists, and nothing else at all. */
    private static final class DataOnly implements JexlPermissions {
        @Override
        public boolean allow(Package pack) {
            return true; // decided per class and per member below
        }

        @Override
        public boolean allow(Class<?> clazz) {
            return isData(clazz);
        }

        @Override
        public boolean allow(Constructor<?> constructor) {
            return false;
        }

        @Override
        public boolean allow(Field field) {
            return false;
        }

        @Override
        public boolean allow(Method method) {
            return method.getName().equals("get") && method.getParameterCount() == 1 && isData(method.getDeclaringClass());
        }

        @Override
        public JexlPermissions compose(String... permissions) {
            return this;
        }

        private static boolean isData(Class<?> clazz) {
            return Map.class.isAssignableFrom(clazz) || List.class.isAssignableFrom(clazz);
        }
    }

    /**
     * Strict arithmetic: null is an error in computations and comparisons, but false as a truth
     * value. Literals build ordered JSON-like collections ({@code [1, 2]} is a list,
     * {@code {'a': 1}} a map keeping key order), {@code =~} tests membership in lists and maps,
     * and regular expressions run on a budget.
     */
    private static final class SafeArithmetic extends JexlArithmetic {
        SafeArithmetic() {
            super(true);
        }

        private SafeArithmetic(boolean strict, MathContext context, int scale) {
            super(strict, context, scale);
        }

        @Override
        protected JexlArithmetic createWithOptions(boolean strict, MathContext context, int scale) {
            return new SafeArithmetic(strict, context, scale);
        }

        /** Null is false where a truth value is wanted ({@code !}, {@code &&}, {@code ||}, {@code ?:}). */
        @Override
        public boolean isStrict(JexlOperator operator) {
            return switch (operator) {
                case NOT, CONDITION -> false;
                default -> super.isStrict(operator);
            };
        }

        @Override
        public boolean toBoolean(Object value) {
            return value != null && super.toBoolean(value);
        }

        @Override
        public ArrayBuilder arrayBuilder(int size, boolean extended) {
            List<Object> list = new ArrayList<>(size);
            return new ArrayBuilder() {
                @Override
                public void add(Object value) {
                    list.add(value);
                }

                @Override
                public Object create(boolean extended) {
                    return list;
                }
            };
        }

        @Override
        public MapBuilder mapBuilder(int size, boolean extended) {
            Map<Object, Object> map = new LinkedHashMap<>();
            return new MapBuilder() {
                @Override
                public void put(Object key, Object value) {
                    map.put(key, value);
                }

                @Override
                public Object create() {
                    return map;
                }
            };
        }

        @Override
        public SetBuilder setBuilder(int size, boolean extended) {
            Set<Object> set = new LinkedHashSet<>();
            return new SetBuilder() {
                @Override
                public void add(Object value) {
                    set.add(value);
                }

                @Override
                public Object create() {
                    return set;
                }
            };
        }

        /** {@code +}: a sum, or a concatenation whose text may not grow past {@link #MAX_TEXT}. */
        @Override
        public Object add(Object left, Object right) {
            if (left instanceof String || right instanceof String) {
                // checked before the text is built: each operand may itself be near the limit
                checkLength((long) toString(left).length() + toString(right).length());
            }
            Object sum = super.add(left, right);
            if (sum instanceof String text) {
                checkLength(text.length()); // two maps or lists joined as text
            }
            return sum;
        }

        private static void checkLength(long length) {
            if (length > MAX_TEXT) {
                throw Refusal.tooLong(length);
            }
        }

        /**
         * A value as {@code +} joins it to text: a map or a list as the compact JSON a template
         * writes ({@code 'x' + inputs.o} is {@code x{"a":1}}), never Java's {@code {a=1}}.
         */
        @Override
        public String toString(Object value) {
            if (value instanceof Map<?, ?> || value instanceof Collection<?>) {
                try {
                    return Expressions.asText(value);
                } catch (IllegalArgumentException e) {
                    throw new Refusal(e.getMessage());
                }
            }
            return super.toString(value);
        }

        @Override
        public Boolean contains(Object container, Object value) {
            if (container instanceof Pattern pattern && value != null) {
                return matches(pattern, value.toString());
            }
            if (container instanceof CharSequence pattern && value != null) {
                return matches(Pattern.compile(pattern.toString()), value.toString());
            }
            if (container instanceof Collection<?> collection) {
                for (Object element : collection) {
                    if (equals(element, value)) {
                        return true;
                    }
                }
                return false;
            }
            if (container instanceof Map<?, ?> map) {
                return map.containsKey(value);
            }
            return super.contains(container, value);
        }

        private static boolean matches(Pattern pattern, String input) {
            return pattern.matcher(new BudgetedChars(input, new int[] {REGEX_BUDGET})).matches();
        }
    }

    /** A string that lets a regular expression read only so many characters, then stops it. */
    private record BudgetedChars(String text, int[] budget) implements CharSequence {
        @Override
        public char charAt(int index) {
            if (--budget[0] < 0) {
                throw new RegexTooExpensive();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new BudgetedChars(text.substring(start, end), budget);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static final class RegexTooExpensive extends RuntimeException {
        RegexTooExpensive() {
            super("regular expression takes too long on this text", null, false, false);
        }
    }

    /** An expression asked for something the sandbox refuses; the message says what, in the author's words. */
    static final class Refusal extends RuntimeException {
        Refusal(String message) {
            super(message, null, false, false);
        }

        /** A string an expression would build is longer than {@link #MAX_TEXT}. */
        static Refusal tooLong(long length) {
            return new Refusal("the text would be " + length + " characters, longer than " + MAX_TEXT + " characters (1 MiB)");
        }
    }
}
