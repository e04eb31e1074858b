package dev.stepstream.time;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Durations as workflow authors write them: a number and a unit, {@code 250ms}, {@code 2s},
 * {@code 1.5s}, {@code 1m}, {@code 1h}, {@code 90d}, or several of them from the largest unit
 * down, {@code 1m30s}, {@code 1h5m}, {@code 1d12h}. Units are {@code d} (24 hours), {@code h},
 * {@code m}, {@code s} and {@code ms}; each may appear once. Fractions are allowed; anything
 * below a nanosecond is dropped.
 */
public final class Durations {
    private static final String[] UNITS = {"d", "h", "m", "s", "ms"};
    private static final long[] UNIT_NANOS = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L};

    private Durations() {}

    /**
     * Parses a duration such as {@code 250ms}, {@code 2s} or {@code 1m30s}.
     *
     * @throws IllegalArgumentException with the message
     *         {@code expected a duration like 250ms, 2s or 1m, got "x"}, for anything else
     *         (including null, negative numbers and units out of order)
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw invalid("null");
        }
        String s = text.strip();
        BigDecimal nanos = BigDecimal.ZERO;
        int pos = 0;
        int lastUnit = -1;
        while (pos < s.length()) {
            int start = pos;
            while (pos < s.length() && isDigit(s.charAt(pos))) {
                pos++;
            }
            if (pos < s.length() && s.charAt(pos) == '.') {
                pos++;
                int fractionStart = pos;
                while (pos < s.length() && isDigit(s.charAt(pos))) {
                    pos++;
                }
                if (pos == fractionStart) {
                    throw invalid(text);
                }
            }
            if (pos == start || pos - start > 30) {
                throw invalid(text);
            }
            BigDecimal amount = new BigDecimal(s.substring(start, pos));
            int unit = unitAt(s, pos);
            if (unit <= lastUnit) { // no unit, or units not from the largest down
                throw invalid(text);
            }
            lastUnit = unit;
            pos += UNITS[unit].length();
            nanos = nanos.add(amount.multiply(BigDecimal.valueOf(UNIT_NANOS[unit])));
        }
        if (lastUnit < 0) {
            throw invalid(text);
        }
        try {
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException tooLong) {
            throw invalid(text);
        }
    }

    /**
     * Formats a duration the way {@link #parse} reads it, for messages: {@code 250ms},
     * {@code 1.5s}, {@code 1m30s}, {@code 1h}, {@code 90d}; zero is {@code 0s}.
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        if (duration.isZero()) {
            return "0s";
        }
        if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
            return decimal(BigDecimal.valueOf(duration.toNanos(), 6)) + "ms";
        }
        StringBuilder text = new StringBuilder();
        if (duration.toDays() > 0) {
            text.append(duration.toDays()).append('d');
        }
        if (duration.toHoursPart() > 0) {
            text.append(duration.toHoursPart()).append('h');
        }
        if (duration.toMinutesPart() > 0) {
            text.append(duration.toMinutesPart()).append('m');
        }
        BigDecimal seconds = BigDecimal.valueOf(duration.toSecondsPart())
                .add(BigDecimal.valueOf(duration.toNanosPart(), 9));
        if (seconds.signum() > 0) {
            text.append(decimal(seconds)).append('s');
        }
        return text.toString();
    }

    private static int unitAt(String s, int pos) {
        if (s.startsWith("ms", pos)) {
            return 4;
        }
        for (int unit = 0; unit < 4; unit++) {
            if (s.startsWith(UNITS[unit], pos)) {
                return unit;
            }
        }
        return -1;
    }

    private static String decimal(BigDecimal value) {
        return value.stripTrailingZeros().toPlainString();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("expected a duration like 250ms, 2s or 1m, got \"" + text + "\"");
    }
}
