package dev.stepstream.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Due times of schedules (docs/workflows.md, "Schedules"): month ends, the @ forms, seconds, and
 * the daylight-saving rule: a local time that does not exist is skipped, a repeated one fires
 * once (its first time), in Europe/Paris and America/New_York.
 */
class CronTest {
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    @Test
    void theThirtyFirstSkipsTheMonthsThatHaveNone() {
        assertThat(sequence("0 0 31 * *", ZoneOffset.UTC, "2026-01-01T00:00:00Z", 5)).containsExactly(
                "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                "2026-08-31T00:00:00Z");
    }

    @Test
    void lastDayOfTheMonthAndMonthlyFollowTheCalendar() {
        assertThat(sequence("0 0 L * *", ZoneOffset.UTC, "2026-01-15T00:00:00Z", 3))
                .containsExactly("2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z");
        assertThat(sequence("0 0 L 2 *", ZoneOffset.UTC, "2027-06-01T00:00:00Z", 2))
                .containsExactly("2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z");
        assertThat(sequence("@monthly", ZoneOffset.UTC, "2026-01-15T00:00:00Z", 3))
                .containsExactly("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        assertThat(sequence("0 0 29 2 *", ZoneOffset.UTC, "2026-01-01T00:00:00Z", 2))
                .containsExactly("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z");
    }

    @Test
    void theAtFormsAreTheirFiveFieldEquivalents() {
        String from = "2026-05-13T10:20:30Z"; // a Wednesday
        assertThat(sequence("@hourly", ZoneOffset.UTC, from, 2)).containsExactly("2026-05-13T11:00:00Z", "2026-05-13T12:00:00Z");
        assertThat(sequence("@daily", ZoneOffset.UTC, from, 2)).containsExactly("2026-05-14T00:00:00Z", "2026-05-15T00:00:00Z");
        assertThat(sequence("@weekly", ZoneOffset.UTC, from, 2)).containsExactly("2026-05-17T00:00:00Z", "2026-05-24T00:00:00Z");
        assertThat(sequence("@yearly", ZoneOffset.UTC, from, 2)).containsExactly("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
    }

    @Test
    void sundayIsZeroOrSevenAndWeekdaysAreOneToFive() {
        String from = "2026-01-15T00:00:00Z"; // a Thursday
        assertThat(sequence("0 0 * * 0", ZoneOffset.UTC, from, 1)).containsExactly("2026-01-18T00:00:00Z");
        assertThat(sequence("0 0 * * 7", ZoneOffset.UTC, from, 1)).containsExactly("2026-01-18T00:00:00Z");
        assertThat(sequence("0 9 * * 1-5", ZoneOffset.UTC, from, 3))
                .containsExactly("2026-01-15T09:00:00Z", "2026-01-16T09:00:00Z", "2026-01-19T09:00:00Z");
    }

    @Test
    void namesNearestWeekdaysNthWeekdaysAndTheOtherAtFormsWorkAsDocumented() {
        String from = "2026-01-15T00:00:00Z";
        assertThat(sequence("0 0 1 FEB,MAR *", ZoneOffset.UTC, from, 2)).containsExactly("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z");
        assertThat(sequence("0 9 * * MON", ZoneOffset.UTC, from, 1)).containsExactly("2026-01-19T09:00:00Z");
        assertThat(sequence("0 9 * * 1#1", ZoneOffset.UTC, from, 2)).containsExactly("2026-02-02T09:00:00Z", "2026-03-02T09:00:00Z");
        // The 15th of February 2026 is a Sunday: its nearest weekday is Monday the 16th.
        assertThat(sequence("0 0 15W * *", ZoneOffset.UTC, "2026-02-01T00:00:00Z", 1)).containsExactly("2026-02-16T00:00:00Z");
        assertThat(sequence("0-30/10 8 * * *", ZoneOffset.UTC, from, 4)).containsExactly(
                "2026-01-15T08:00:00Z", "2026-01-15T08:10:00Z", "2026-01-15T08:20:00Z", "2026-01-15T08:30:00Z");
        assertThat(sequence("@midnight", ZoneOffset.UTC, from, 1)).containsExactly("2026-01-16T00:00:00Z");
        assertThat(sequence("@annually", ZoneOffset.UTC, from, 1)).containsExactly("2027-01-01T00:00:00Z");
    }

    /** As crontab(5) says, and Vixie cron, cronie and every crontab a user copies a line from do. */
    @Test
    void aDayOfTheMonthAndADayOfTheWeekBothGivenFireOnEither() {
        String from = "2026-12-06T00:00:00Z"; // a Sunday
        assertThat(sequence("0 0 1,15 * MON", ZoneOffset.UTC, from, 4))
                .containsExactly("2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z", "2026-12-15T00:00:00Z", "2026-12-21T00:00:00Z");
        assertThat(sequence("0 0 13 * 5", ZoneOffset.UTC, from, 3))
                .containsExactly("2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z", "2026-12-18T00:00:00Z");
        assertThat(Cron.parse("0 0 13 * 5", ZoneOffset.UTC).latest(Instant.parse("2026-12-12T12:00:00Z")))
                .contains(Instant.parse("2026-12-11T00:00:00Z"));
        // Either one alone restricts the days as before.
        assertThat(sequence("0 0 13 * *", ZoneOffset.UTC, from, 1)).containsExactly("2026-12-13T00:00:00Z");
    }

    @Test
    void sixFieldsPutSecondsFirst() {
        assertThat(sequence("* * * * * *", ZoneOffset.UTC, "2026-01-15T00:00:00.500Z", 3))
                .containsExactly("2026-01-15T00:00:01Z", "2026-01-15T00:00:02Z", "2026-01-15T00:00:03Z");
        assertThat(sequence("30 0 12 * * *", ZoneOffset.UTC, "2026-01-15T00:00:00Z", 1)).containsExactly("2026-01-15T12:00:30Z");
    }

    @Test
    void anythingButFiveOrSixFieldsIsRefused() {
        assertThatThrownBy(() -> Cron.parse("* * * *", ZoneOffset.UTC)).hasMessageContaining("got 4 fields");
        assertThatThrownBy(() -> Cron.parse("* * * * * * *", ZoneOffset.UTC)).hasMessageContaining("got 7 fields");
        assertThatThrownBy(() -> Cron.parse("@fortnightly", ZoneOffset.UTC)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void latestIsInclusiveAndNextIsStrict() {
        Cron everyMinute = Cron.parse("* * * * *", ZoneOffset.UTC);
        Instant due = Instant.parse("2026-01-15T10:00:00Z");
        assertThat(everyMinute.latest(due)).contains(due);
        assertThat(everyMinute.latest(due.plusMillis(999))).contains(due);
        assertThat(everyMinute.latest(due.minusMillis(1))).contains(due.minusSeconds(60));
        assertThat(everyMinute.next(due)).contains(due.plusSeconds(60));
        assertThat(everyMinute.next(due.minusMillis(1))).contains(due);
    }

    // --- clocks go forward: the local times in between never happen, and are skipped ----------

    @Test
    void aDailyTimeInTheSpringGapIsSkippedInParis() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST.
        assertThat(local("30 2 * * *", PARIS, "2026-03-27T00:00:00Z", 4)).containsExactly(
                "2026-03-27T02:30+01:00", "2026-03-28T02:30+01:00", "2026-03-30T02:30+02:00", "2026-03-31T02:30+02:00");
        assertThat(Cron.parse("30 2 * * *", PARIS).latest(Instant.parse("2026-03-29T12:00:00Z")))
                .contains(Instant.parse("2026-03-28T01:30:00Z"));
    }

    @Test
    void aDailyTimeInTheSpringGapIsSkippedInNewYork() {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT.
        assertThat(local("30 2 * * *", NEW_YORK, "2026-03-06T00:00:00Z", 4)).containsExactly(
                "2026-03-06T02:30-05:00", "2026-03-07T02:30-05:00", "2026-03-09T02:30-04:00", "2026-03-10T02:30-04:00");
    }

    @Test
    void anIntervalSkipsTheMissingHourAndGoesOnAfterIt() {
        assertThat(local("*/30 * * * *", PARIS, "2026-03-29T00:00:00Z", 4)).containsExactly(
                "2026-03-29T01:30+01:00", "2026-03-29T03:00+02:00", "2026-03-29T03:30+02:00", "2026-03-29T04:00+02:00");
        assertThat(local("* 2 * * *", NEW_YORK, "2026-03-08T06:00:00Z", 1)).containsExactly("2026-03-09T02:00-04:00");
        assertThat(local("* * * * * *", NEW_YORK, "2026-03-08T06:59:58Z", 3)).containsExactly(
                "2026-03-08T01:59:59-05:00", "2026-03-08T03:00-04:00", "2026-03-08T03:00:01-04:00");
    }

    // --- clocks go back: the local times in between happen twice, and fire once -------------

    @Test
    void aDailyTimeInTheAutumnOverlapFiresOnceInParis() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00 to 03:00 happens twice.
        assertThat(local("30 2 * * *", PARIS, "2026-10-24T00:00:00Z", 3)).containsExactly(
                "2026-10-24T02:30+02:00", "2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00");
        assertThat(local("30 1 * * *", PARIS, "2026-10-24T00:00:00Z", 3)).containsExactly(
                "2026-10-25T01:30+02:00", "2026-10-26T01:30+01:00", "2026-10-27T01:30+01:00");
    }

    @Test
    void aDailyTimeInTheAutumnOverlapFiresOnceInNewYork() {
        // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00 to 02:00 happens twice.
        assertThat(local("30 1 * * *", NEW_YORK, "2026-10-31T00:00:00Z", 3)).containsExactly(
                "2026-10-31T01:30-04:00", "2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00");
    }

    @Test
    void anIntervalFiresEachRepeatedLocalTimeOnceThenWaitsForTheHourAfter() {
        assertThat(local("*/30 * * * *", NEW_YORK, "2026-11-01T04:00:00Z", 5)).containsExactly(
                "2026-11-01T00:30-04:00", "2026-11-01T01:00-04:00", "2026-11-01T01:30-04:00",
                "2026-11-01T02:00-05:00", "2026-11-01T02:30-05:00");
        assertThat(local("0 * * * *", PARIS, "2026-10-24T23:00:00Z", 3)).containsExactly(
                "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00", "2026-10-25T04:00+01:00");
    }

    @Test
    void inTheSecondPassOfARepeatedHourNothingOfThatHourIsDueAgain() {
        Cron halfHours = Cron.parse("*/30 * * * *", NEW_YORK);
        Instant secondPass = Instant.parse("2026-11-01T06:10:00Z"); // 01:10 EST
        assertThat(halfHours.latest(secondPass)).contains(Instant.parse("2026-11-01T05:30:00Z")); // 01:30 EDT
        assertThat(halfHours.next(secondPass)).contains(Instant.parse("2026-11-01T07:00:00Z")); // 02:00 EST
        Instant firstPass = Instant.parse("2026-11-01T05:10:00Z"); // 01:10 EDT
        assertThat(halfHours.latest(firstPass)).contains(Instant.parse("2026-11-01T05:00:00Z"));
        assertThat(halfHours.next(firstPass)).contains(Instant.parse("2026-11-01T05:30:00Z"));
    }

    /** Walking by next() and asking latest() agree on every due time, across both changes of a year. */
    @Test
    void latestAndNextAgreeAcrossAYearOfChanges() {
        for (ZoneId zone : List.of(PARIS, NEW_YORK)) {
            for (String text : List.of("*/30 * * * *", "30 1 * * *", "30 2 * * *", "15 * * * *", "0 2 13 * 5")) {
                Cron cron = Cron.parse(text, zone);
                Instant previous = cron.next(Instant.parse("2026-01-01T00:00:00Z")).orElseThrow();
                while (previous.isBefore(Instant.parse("2027-01-01T00:00:00Z"))) {
                    Instant due = cron.next(previous).orElseThrow();
                    assertThat(due).as("%s in %s after %s", text, zone, previous).isAfter(previous);
                    assertThat(cron.latest(due)).as("%s in %s at %s", text, zone, due).contains(due);
                    assertThat(cron.latest(due.minusSeconds(1))).as("%s in %s before %s", text, zone, due).contains(previous);
                    previous = due;
                }
            }
        }
    }

    private static List<String> sequence(String text, ZoneId zone, String from, int count) {
        return walk(text, zone, from, count).stream().map(Instant::toString).toList();
    }

    /** Due times as local times with their offsets, as a reader of the zone's clocks sees them. */
    private static List<String> local(String text, ZoneId zone, String from, int count) {
        return walk(text, zone, from, count).stream().map(due -> due.atZone(zone).toOffsetDateTime().toString()).toList();
    }

    private static List<Instant> walk(String text, ZoneId zone, String from, int count) {
        Cron cron = Cron.parse(text, zone);
        List<Instant> due = new ArrayList<>();
        Instant at = Instant.parse(from);
        for (int i = 0; i < count; i++) {
            Optional<Instant> next = cron.next(at);
            if (next.isEmpty()) {
                break;
            }
            at = next.get();
            due.add(at);
        }
        return due;
    }
}
