package dev.stepstream.workflow;

import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A schedule's cron expression in its time zone (docs/workflows.md, "Triggers"): five fields
 * (minute hour day-of-month month day-of-week), or six with seconds first, or {@code @hourly},
 * {@code @daily}, {@code @weekly}, {@code @monthly}, {@code @yearly}. Parsing and due times are
 * cron-utils'; this class fixes the dialect and the rule for daylight-saving changes.
 *
 * <p>Immutable and thread-safe.
 */
public final class Cron {
    private static final CronDefinition FIVE = CronDefinitionBuilder.defineCron()
            .withMinutes().and()
            .withHours().and()
            .withDayOfMonth().supportsL().supportsW().supportsLW().supportsQuestionMark().and()
            .withMonth().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).supportsHash().supportsL()
                .supportsQuestionMark().and()
            .withSupportedNicknameHourly().withSupportedNicknameDaily().withSupportedNicknameMidnight()
            .withSupportedNicknameWeekly().withSupportedNicknameMonthly().withSupportedNicknameYearly()
            .withSupportedNicknameAnnually()
            .instance();
    private static final CronDefinition SIX = CronDefinitionBuilder.defineCron()
            .withSeconds().and()
            .withMinutes().and()
            .withHours().and()
            .withDayOfMonth().supportsL().supportsW().supportsLW().supportsQuestionMark().and()
            .withMonth().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).supportsHash().supportsL()
                .supportsQuestionMark().and()
            .instance();

    private final String text;
    private final ZoneId zone;
    private final ExecutionTime times;

    private Cron(String text, ZoneId zone, ExecutionTime times) {
        this.text = text;
        this.zone = zone;
        this.times = times;
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code text} */
    public static Cron parse(String text, ZoneId zone) {
        String trimmed = text.strip();
        int fields = trimmed.startsWith("@") ? 5 : trimmed.split("\\s+").length;
        if (fields != 5 && fields != 6) {
            throw new IllegalArgumentException("expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds"
                    + " first, or @hourly, @daily, @weekly, @monthly, @yearly; got " + fields + " fields");
        }
        try {
            var cron = new CronParser(fields == 5 ? FIVE : SIX).parse(trimmed);
            cron.validate();
            return new Cron(trimmed, zone, ExecutionTime.forCron(cron));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() == null ? "not a cron expression" : e.getMessage());
        }
    }

    /** The first due time strictly after {@code after}, if any is ever due. */
    public Optional<Instant> next(Instant after) {
        return times.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }

    /** The last due time at or before {@code at}, if any was. */
    public Optional<Instant> latest(Instant at) {
        ZonedDateTime when = ZonedDateTime.ofInstant(at, zone);
        if (times.isMatch(when.withNano(0)) && when.getNano() == 0) {
            return Optional.of(at);
        }
        return times.lastExecution(when).map(ZonedDateTime::toInstant);
    }

    public ZoneId zone() {
        return zone;
    }

    @Override
    public String toString() {
        return text + " (" + zone + ")";
    }
}
