package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A topic's ring: allocated as its run's events come, within the node's budget. */
class TopicTest {
    static RunEvent line(UUID runId, long seq) {
        return RunEvent.stepLog(runId, seq, Instant.parse("2026-12-04T00:00:00Z"), "a", LogLevel.INFO, "line " + seq, false);
    }

    static void putAll(Topic topic, long from, long to) {
        for (long seq = from; seq <= to; seq++) {
            topic.put(line(topic.runId, seq));
        }
    }

    @Test
    void aRingStartsSmallAndGrowsAsItsRunsEventsComeKeepingWhatItHeld() {
        RingBudget budget = new RingBudget(1_000_000);
        Topic topic = new Topic(UUID.randomUUID(), budget);
        assertThat(topic.size()).isEqualTo(Topic.INITIAL);
        assertThat(budget.used()).isEqualTo(Topic.INITIAL);

        putAll(topic, 1, 10_000);

        assertThat(topic.size()).isEqualTo(Topic.CAPACITY);
        assertThat(budget.used()).isEqualTo(Topic.CAPACITY);
        for (long seq = 10_000 - Topic.CAPACITY + 1; seq <= 10_000; seq++) {
            assertThat(topic.at(seq)).as("seq %d", seq).isNotNull().extracting(RunEvent::seq).isEqualTo(seq);
        }
        assertThat(topic.at(10_000 - Topic.CAPACITY)).as("past the ring: read from the store").isNull();
        assertThat(topic.at(10_001)).isNull();

        topic.release();
        assertThat(budget.used()).isZero();
    }

    @Test
    void aRingTheBudgetCannotGrowWrapsAndGrowsOnceAnotherTopicGaveItsSlotsBack() {
        RingBudget budget = new RingBudget(255);
        Topic busy = new Topic(UUID.randomUUID(), budget);
        putAll(busy, 1, 200);
        assertThat(busy.size()).as("64, then 128; 256 would pass the budget").isEqualTo(128);
        assertThat(budget.used()).isEqualTo(128);

        Topic other = new Topic(UUID.randomUUID(), budget); // a topic gets its first 64 slots whatever the budget
        assertThat(budget.used()).isEqualTo(192);
        putAll(other, 1, 100);
        assertThat(other.size()).isEqualTo(Topic.INITIAL);
        assertThat(other.at(100)).isNotNull();
        assertThat(other.at(36)).as("wrapped").isNull();
        assertThat(other.at(37)).isNotNull();

        busy.release();
        putAll(other, 101, 200);
        assertThat(other.size()).isEqualTo(128);
        assertThat(other.at(73)).isNotNull();
        assertThat(budget.used()).isEqualTo(128);
    }
}
