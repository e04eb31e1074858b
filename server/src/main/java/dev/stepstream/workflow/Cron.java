package dev.stepstream.workflow;

import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A schedule's cron expression in its time zone (docs/workflows.md, "Triggers"): five fields
 * (minute hour day-of-month month day-of-week), or six with seconds first, or {@code @hourly},
 * {@code @daily}, {@code @weekly}, {@code @monthly}, {@code @yearly}. Parsing and matching are
 * cron-utils'; this class fixes the dialect and the rule for daylight-saving changes.
 *
 * <p>The dialect is crontab's (Vixie cron's, as in crontab(5)): when both the day of the month
 * and the day of the week are restricted (neither is {@code *}), a day matching either is due,
 * so that a line copied from a crontab fires on the same days ({@code 0 0 1,15 * MON}: the 1st,
 * the 15th and every Monday). cron-utils matches both instead once {@code ?} (Quartz's "no
 * value") is allowed in either field, so it is not.
 *
 * <p>The fields are matched against the zone's wall-clock times, and a matching local time is
 * due at the instant it happens: a local time that does not exist (the clocks go forward over
 * it) is not due at all, and one that happens twice (the clocks go back) is due once, the first
 * time. So in Europe/Paris, {@code 30 2 * * *} does not fire on the last Sunday of March, and
 * {@code 30 1 * * *} fires once on the last Sunday of October; {@code 0 * * * *} fires for 02:00
 * once on that day too (it then waits two hours for 03:00). cron-utils alone fires a repeated
 * local time twice (at both offsets), so the zone's rules are applied here, on local date-times.
 *
 * <p>Immutable and thread-safe.
 */
public final class Cron {
    private static final CronDefinition FIVE = CronDefinitionBuilder.defineCron()
            .withMinutes().and()
            .withHours().and()
            .withDayOfMonth().supportsL().supportsW().supportsLW().and()
            .withMonth().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).supportsHash().supportsL().and()
            .withSupportedNicknameHourly().withSupportedNicknameDaily().withSupportedNicknameMidnight()
            .withSupportedNicknameWeekly().withSupportedNicknameMonthly().withSupportedNicknameYearly()
            .withSupportedNicknameAnnually()
            .instance();
    private static final CronDefinition SIX = CronDefinitionBuilder.defineCron()
            .withSeconds().and()
            .withMinutes().and()
            .withHours().and()
            .withDayOfMonth().supportsL().supportsW().supportsLW().and()
            .withMonth().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).supportsHash().supportsL().and()
            .instance();

    private final String text;
    private final ZoneId zone;
    private final ExecutionTime times;
    /** Seconds with six fields, else minutes: a due time is whole in it (cron-utils matches 10:00:30 to a five-field 10:00). */
    private final ChronoUnit unit;

    private Cron(String text, ZoneId zone, ExecutionTime times, ChronoUnit unit) {
        this.text = text;
        this.zone = zone;
        this.times = times;
        this.unit = unit;
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code text} */
    public static Cron parse(String text, ZoneId zone) {
        String trimmed = text.strip();
        if (trimmed.startsWith("@") && !NICKNAMES.contains(trimmed)) {
            throw new IllegalArgumentException("unknown shorthand \"" + trimmed + "\" (expected " + String.join(", ", NICKNAMES.subList(0, 6))
                    + " or " + NICKNAMES.get(6) + ")");
        }
        int fields = trimmed.startsWith("@") ? 5 : trimmed.split("\\s+").length;
        if (fields != 5 && fields != 6) {
            throw new IllegalArgumentException("expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds"
                    + " first, or @hourly, @daily, @weekly, @monthly, @yearly; got " + fields + " fields");
        }
        try {
            var cron = new CronParser(fields == 5 ? FIVE : SIX).parse(trimmed);
            cron.validate();
            return new Cron(trimmed, zone, ExecutionTime.forCron(cron), fields == 6 ? ChronoUnit.SECONDS : ChronoUnit.MINUTES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() == null ? "not a cron expression" : reworded(e.getMessage(), trimmed, fields));
        }
    }

    private static final List<String> NICKNAMES = List.of("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually");
    private static final List<String> FIELD_NAMES = List.of("second", "minute", "hour", "day-of-month", "month", "day-of-week");
    private static final List<String> RANGES = List.of("0, 59", "0, 59", "0, 23", "1, 31", "1, 12", "0, 7");
    private static final Pattern OUT_OF_RANGE = Pattern.compile("(Value|Period) (-?\\d+) not in range \\[(-?\\d+), (-?\\d+)]");
    private static final Pattern INVALID_CHARS = Pattern.compile("Invalid chars in expression! Expression: .*? Invalid chars:\\s*(.*)");

    /**
     * cron-utils' messages in the author's words ({@code Value 61 not in range [0, 59]} is
     * "minute: 61 is not from 0 to 59"), naming the field where it can be told.
     */
    private static String reworded(String message, String text, int fields) {
        String plain = message.replaceFirst("^Failed to parse cron expression\\.\\s*", "").strip();
        Matcher range = OUT_OF_RANGE.matcher(plain);
        if (range.find()) {
            boolean step = range.group(1).equals("Period");
            String value = range.group(2);
            String field = fieldOf(text, fields, (step ? "/" : "") + value, range.group(3) + ", " + range.group(4));
            String prefix = field == null ? "" : field + ": ";
            return step
                    ? prefix + "a step of /" + value + " is not from 1 to " + range.group(4)
                    : prefix + value + " is not from " + range.group(3) + " to " + range.group(4);
        }
        Matcher chars = INVALID_CHARS.matcher(plain);
        if (chars.find()) {
            String bad = chars.group(1).strip();
            return bad.isEmpty() ? "an empty value in a field (two commas in a row?)"
                    : "unexpected \"" + bad.toLowerCase(Locale.ROOT) + "\" (fields hold numbers, *, lists, ranges, steps,"
                            + " JAN-DEC, SUN-SAT, L, W and #)";
        }
        if (plain.startsWith("Invalid expression: ")) {
            return "cannot read \"" + plain.substring("Invalid expression: ".length()) + "\"";
        }
        return plain;
    }

    /** The name of the first field whose range is {@code range} and which holds {@code token}, or null. */
    private static String fieldOf(String text, int fields, String token, String range) {
        String[] parts = text.split("\\s+");
        int first = fields == 6 ? 0 : 1;
        for (int i = 0; i < parts.length && first + i < FIELD_NAMES.size(); i++) {
            if (RANGES.get(first + i).equals(range)
                    && Pattern.compile("(^|[^0-9/])" + Pattern.quote(token) + "($|[^0-9])").matcher(parts[i]).find()) {
                return FIELD_NAMES.get(first + i);
            }
        }
        return null;
    }

    /** The first due time strictly after {@code after}, if any is ever due. */
    public Optional<Instant> next(Instant after) {
        ZonedDateTime at = after.atZone(zone);
        LocalDateTime from = at.toLocalDateTime().truncatedTo(unit);
        if (inLaterPass(at)) {
            // Every local time of the repeated hour was due in its first pass, which is over.
            from = zone.getRules().getTransition(from).getDateTimeBefore().minus(1, unit);
        }
        while (true) {
            Optional<LocalDateTime> local = times.nextExecution(wall(from)).map(ZonedDateTime::toLocalDateTime);
            if (local.isEmpty()) {
                return Optional.empty();
            }
            Optional<Instant> due = instant(local.get());
            if (due.isPresent() && due.get().isAfter(after)) {
                return due;
            }
            // A local time in a gap never happens, nor does the rest of the gap: go on from its end.
            ZoneOffsetTransition gap = zone.getRules().getTransition(local.get());
            from = gap != null && gap.isGap() ? gap.getDateTimeAfter().minus(1, unit) : local.get();
        }
    }

    /** The last due time at or before {@code at}, if any was. */
    public Optional<Instant> latest(Instant at) {
        ZonedDateTime when = at.atZone(zone);
        LocalDateTime from = when.toLocalDateTime().truncatedTo(unit);
        if (inLaterPass(when)) {
            // The whole repeated hour was due in its first pass: its last local time is the latest.
            from = zone.getRules().getTransition(from).getDateTimeBefore();
        } else if (times.isMatch(wall(from))) {
            Optional<Instant> due = instant(from);
            if (due.isPresent() && !due.get().isAfter(at)) {
                return due;
            }
        }
        while (true) {
            Optional<LocalDateTime> local = times.lastExecution(wall(from)).map(ZonedDateTime::toLocalDateTime);
            if (local.isEmpty()) {
                return Optional.empty();
            }
            Optional<Instant> due = instant(local.get());
            if (due.isPresent() && !due.get().isAfter(at)) {
                return due;
            }
            ZoneOffsetTransition gap = zone.getRules().getTransition(local.get()); // as in next, from the gap's start
            from = gap != null && gap.isGap() ? gap.getDateTimeBefore() : local.get();
        }
    }

    /**
     * When a local time is due: none in a gap (it never happens), the first of the two in an
     * overlap (it happens twice and fires once), else its one instant.
     */
    private Optional<Instant> instant(LocalDateTime local) {
        if (zone.getRules().getValidOffsets(local).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(ZonedDateTime.ofLocal(local, zone, null).withEarlierOffsetAtOverlap().toInstant());
    }

    /** Whether {@code at} is in the second pass of a repeated local hour (after the clocks went back). */
    private static boolean inLaterPass(ZonedDateTime at) {
        return at.withEarlierOffsetAtOverlap().toInstant().isBefore(at.toInstant());
    }

    /**
     * A local date-time as cron-utils' argument: in UTC, where no time is skipped or repeated,
     * so that it matches the fields against wall-clock times and nothing else; the zone's rules
     * are applied here ({@link #instant}), not by cron-utils.
     */
    private static ZonedDateTime wall(LocalDateTime local) {
        return local.atZone(ZoneOffset.UTC);
    }

    public ZoneId zone() {
        return zone;
    }

    @Override
    public String toString() {
        return text + " (" + zone + ")";
    }
}
