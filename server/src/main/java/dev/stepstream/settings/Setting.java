package dev.stepstream.settings;

import dev.stepstream.time.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * One setting of {@code serve}, defined once: its name (the flag {@code --name}, the variable
 * {@code STEPSTREAM_NAME}, the config-file key {@code name}), how its text becomes a value, its
 * default and its help. The command line's options and the resolution of every source
 * ({@link Settings}) are built from these; a package that owns a setting declares it beside
 * the record of its settings (docs/architecture.md, "Settings").
 *
 * <p>Immutable.
 */
public final class Setting<T> {

    /** Turns a setting's text into its value; throws {@link IllegalArgumentException} saying what was expected. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String text);
    }

    private final String name;
    private final String label;
    private final T defaultValue;
    private final String defaultText;
    private final String help;
    private final Parser<T> parser;
    private final boolean optionalValue;

    private Setting(String name, String label, T defaultValue, String defaultText, String help, Parser<T> parser,
                    boolean optionalValue) {
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("a setting's name is lower case with dashes: " + name);
        }
        this.name = name;
        this.label = label;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText;
        this.help = Objects.requireNonNull(help, "help");
        this.parser = parser;
        this.optionalValue = optionalValue;
    }

    /** A setting of any type; its default is shown in the help as {@code defaultValue} prints, if not null. */
    public static <T> Setting<T> of(String name, String label, T defaultValue, String help, Parser<T> parser) {
        return new Setting<>(name, label, defaultValue, defaultValue == null ? null : String.valueOf(defaultValue), help,
                parser, false);
    }

    /** Text that may not be blank; null when not set, unless a default is given. */
    public static Setting<String> text(String name, String label, String defaultValue, String help) {
        return of(name, label, defaultValue, help, text -> {
            if (text.isBlank()) {
                throw new IllegalArgumentException("must not be empty");
            }
            return text;
        });
    }

    /** A whole number from {@code min} to {@code max}. */
    public static Setting<Integer> integer(String name, int defaultValue, int min, int max, String help) {
        return of(name, "N", defaultValue, help, text -> {
            try {
                int parsed = Integer.parseInt(text.trim());
                if (parsed >= min && parsed <= max) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("expected a whole number from " + min + " to " + max + ", got \"" + text + "\"");
        });
    }

    /** A positive duration such as 500ms, 10s or 1m. */
    public static Setting<Duration> duration(String name, Duration defaultValue, String help) {
        return new Setting<>(name, "DURATION", defaultValue, defaultValue == null ? null : Durations.format(defaultValue),
                help, Setting::positiveDuration, false);
    }

    /**
     * A comma list, empty by default (and when blank), each item trimmed and in lower case, and
     * each one {@code valid}, else the error says it expected {@code expected} and names the item.
     */
    public static Setting<List<String>> lowerCaseList(String name, String label, String help,
                                                      Predicate<String> valid, String expected) {
        return of(name, label, List.<String>of(), help, text -> {
            List<String> items = new ArrayList<>();
            if (text.isBlank()) {
                return List.of();
            }
            for (String item : text.split(",")) {
                String trimmed = item.trim().toLowerCase(Locale.ROOT);
                if (!valid.test(trimmed)) {
                    throw new IllegalArgumentException("expected " + expected + ", got \"" + item.trim() + "\"");
                }
                items.add(trimmed);
            }
            return List.copyOf(items);
        });
    }

    /** A switch, off by default: {@code --name} alone turns it on, {@code --name=false} off. */
    public static Setting<Boolean> bool(String name, String help) {
        return new Setting<>(name, "BOOL", false, null, help, Setting::bool, true);
    }

    private static Duration positiveDuration(String text) {
        try {
            Duration parsed = Durations.parse(text.trim());
            if (!parsed.isZero() && !parsed.isNegative()) {
                return parsed;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException("expected a duration like 500ms, 10s or 1m, got \"" + text + "\"");
    }

    private static Boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException("expected true or false (or yes/no, on/off, 1/0), got \"" + text + "\"");
        };
    }

    /** The same setting with its default described in words in the help (a default computed at start-up). */
    public Setting<T> defaultShownAs(String text) {
        return new Setting<>(name, label, defaultValue, text, help, parser, optionalValue);
    }

    public String name() {
        return name;
    }

    /** {@code --name}. */
    public String flag() {
        return "--" + name;
    }

    /** {@code STEPSTREAM_NAME}, dashes as underscores. */
    public String variable() {
        return "STEPSTREAM_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The placeholder of its value in the help: N, DURATION, FILE… */
    public String label() {
        return label;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** The help line: what it does, and its default when it has one to show. */
    public String help() {
        return defaultText == null ? help : help + " (default " + defaultText + ")";
    }

    /** Whether the flag may stand alone (a switch). */
    public boolean optionalValue() {
        return optionalValue;
    }

    T parse(String text) {
        return parser.parse(text);
    }

    /** Whether {@code text} is a value of this setting (parses); a command line asks it of what follows a switch. */
    public boolean accepts(String text) {
        try {
            parser.parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return flag();
    }
}
