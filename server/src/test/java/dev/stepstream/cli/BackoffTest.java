package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pacing of reconnection attempts, on a clock the test moves. */
class BackoffTest {
    @Test
    void pausesDoubleFromAShortStartUpToTwoSecondsThenStopAfterThirtySeconds() {
        long now = 0;
        Backoff backoff = new Backoff(now);
        List<Long> pauses = new ArrayList<>();
        Duration pause;
        while ((pause = backoff.next(now, null)) != null) {
            pauses.add(pause.toMillis());
            now += pause.toNanos();
        }
        assertThat(pauses).startsWith(100L, 200L, 400L, 800L, 1600L, 2000L, 2000L);
        assertThat(pauses.stream().mapToLong(Long::longValue).sum()).isEqualTo(30_000);
        assertThat(backoff.attempts()).isEqualTo(pauses.size());
    }

    @Test
    void aServersRetryAfterIsHonouredButNeverPastTheDeadline() {
        Backoff backoff = new Backoff(0);
        assertThat(backoff.next(0, Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
        assertThat(backoff.next(Duration.ofSeconds(5).toNanos(), Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.next(Duration.ofSeconds(29).toNanos(), Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.next(Duration.ofSeconds(30).toNanos(), null)).isNull();
    }
}
