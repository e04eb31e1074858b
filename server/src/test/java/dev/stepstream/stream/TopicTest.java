package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunPosition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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

    /** A log line of {@code kib} KiB, as a build printing minified JSON makes. */
    static RunEvent longLine(UUID runId, long seq, int kib) {
        return RunEvent.stepLog(runId, seq, Instant.parse("2026-12-04T00:00:00Z"), "a", LogLevel.INFO, "x".repeat(kib << 10), false);
    }

    @Test
    void largeEventsTakeTheBudgetBySizeAndARingOfThemDropsItsOldestOnesWhenItIsSpent() {
        RingBudget budget = new RingBudget(2_000);
        UUID runId = UUID.randomUUID();
        int each = 1 + RingBudget.extraSlots(longLine(runId, 1, 4)); // 4 KiB: 17 slots
        assertThat(each).isEqualTo(17);
        Topic topic = new Topic(runId, budget);
        for (long seq = 1; seq <= 40; seq++) {
            topic.put(longLine(runId, seq, 4));
        }
        assertThat(budget.used()).as("the ring's 64 slots and 16 more for each line").isEqualTo(Topic.INITIAL + 40 * (each - 1));

        for (long seq = 41; seq <= 1_000; seq++) {
            topic.put(longLine(runId, seq, 4));
            assertThat(budget.used()).as("within the budget but for the line just put, at seq %d", seq)
                    .isLessThanOrEqualTo(budget.slots() + each);
            assertThat(topic.at(seq)).as("the newest line is always there").isNotNull();
        }
        long held = java.util.stream.LongStream.rangeClosed(1_001 - topic.size(), 1_000).filter(seq -> topic.at(seq) != null).count();
        assertThat(topic.size()).as("the ring grew while the budget let it").isEqualTo(128);
        assertThat(held).as("lines the ring holds, the oldest dropped for the budget (read from the store)")
                .isLessThan(topic.size()).isLessThanOrEqualTo(budget.slots() / (each - 1));
        assertThat(topic.at(1_000 - held + 1)).isNotNull();

        Topic small = new Topic(UUID.randomUUID(), budget); // its first 64 slots whatever the budget
        putAll(small, 1, 50);
        assertThat(small.at(50)).isNotNull();
        topic.release();
        small.release();
        assertThat(budget.used()).isZero();
    }

    static History.Page page(UUID runId, long after, long through, long readStartedNanos) {
        List<RunEvent> events = new ArrayList<>();
        for (long seq = after + 1; seq <= through; seq++) {
            events.add(line(runId, seq));
        }
        return new History.Page(after, events, true, readStartedNanos);
    }

    @Test
    void theStoredPageOfAReadSinceTheTopicWasLiveIsKeptWithinTheBudgetAndGivenBack() {
        RingBudget budget = new RingBudget(1_000);
        Topic topic = new Topic(UUID.randomUUID(), budget);
        long beforeLive = System.nanoTime();
        topic.live();
        topic.storedThrough(page(topic.runId, 0, 40, beforeLive));
        assertThat(topic.keptPageAfter(0)).as("a read that began before the topic was live says nothing").isNull();
        assertThat(topic.ringHasAllAfter(40)).isFalse();

        topic.storedThrough(page(topic.runId, 0, 40, System.nanoTime()));
        assertThat(topic.ringHasAllAfter(40)).isTrue();
        assertThat(topic.ringHasAllAfter(39)).isFalse();
        assertThat(topic.keptPageAfter(0)).isNotNull();
        assertThat(topic.keptPageAfter(39)).as("it holds seq 40").isNotNull();
        assertThat(topic.keptPageAfter(40)).as("past its end: the ring's").isNull();
        assertThat(budget.used()).isEqualTo(Topic.INITIAL + 40);

        topic.storedThrough(page(topic.runId, 0, 50, System.nanoTime()));
        assertThat(budget.used()).as("the further page replaces the first").isEqualTo(Topic.INITIAL + 50);
        topic.storedThrough(page(topic.runId, 0, 5_000, System.nanoTime()));
        assertThat(topic.keptPageAfter(45)).as("no room in the budget: the kept page stays").isNotNull()
                .extracting(History.Page::storedThrough).isEqualTo(50L);
        assertThat(topic.ringHasAllAfter(5_000)).isTrue();

        topic.runDeleted();
        assertThat(topic.keptPageAfter(0)).as("a deleted run's streams read the store, and learn it").isNull();
        assertThat(topic.ringHasAllAfter(5_000)).isFalse();
        topic.release();
        assertThat(budget.used()).isZero();
    }

    @Test
    void aTopicTellsWhereItsRunsLogStandsOnlyWhenAReadSinceItWasLiveToldIt() {
        RingBudget budget = new RingBudget(1_000);
        Topic topic = new Topic(UUID.randomUUID(), budget);
        topic.live();
        assertThat(topic.knownPosition(0)).as("no read yet: ask the store").isNull();

        topic.storedThrough(page(topic.runId, 0, 3, System.nanoTime()));
        assertThat(topic.knownPosition(2)).isEqualTo(new RunPosition(RunStatus.RUNNING, 3));
        assertThat(topic.knownPosition(4)).as("past what it knows: the store may know more").isNull();

        putAll(topic, 4, 5);
        assertThat(topic.knownPosition(5)).isEqualTo(new RunPosition(RunStatus.RUNNING, 5));
        topic.put(RunEvent.create(topic.runId, 6, EventType.RUN_COMPLETE, Instant.parse("2026-12-04T00:00:00Z"),
                Json.object().put("status", "failed").put("duration", 5)));
        assertThat(topic.knownPosition(6)).as("its run_complete: ended")
                .isEqualTo(new RunPosition(RunStatus.FAILED, 6));

        topic.runDeleted();
        assertThat(topic.knownPosition(0)).as("deleted: the store answers 404").isNull();
        topic.release();
    }
}
