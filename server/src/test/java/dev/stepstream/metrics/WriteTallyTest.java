package dev.stepstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.metrics.WriteTally.Totals;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteTallyTest {
    private static final long NOW = 1_800_000_000_000L;

    private static void write(WriteTally tally, int events, long bytes, long lagMillis, long nowMillis) {
        tally.cellOf(Thread.currentThread()).wrote(events, bytes, lagMillis, nowMillis);
    }

    @Test
    void writesOfThreadsThatEndedStayCountedAndTheirCellsGo() throws Exception {
        WriteTally tally = new WriteTally();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int n = 0; n < 10_000; n++) {
                    write(tally, 2, 100, 3, NOW);
                }
            }));
        }
        for (int i = 0; i < 100; i++) {
            threads.add(Thread.ofVirtual().start(() -> write(tally, 1, 10, -1, NOW)));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(tally.cells()).as("a cell per platform thread that wrote").isEqualTo(4);

        Totals totals = tally.totals();
        assertThat(totals.writes()).isEqualTo(40_100);
        assertThat(totals.events()).isEqualTo(80_100);
        assertThat(totals.bytes()).isEqualTo(4_001_000);
        assertThat(totals.lagCount()).as("writes with no live event have no lag").isEqualTo(40_000);
        assertThat(totals.lagSumMillis()).isEqualTo(120_000);
        assertThat(tally.cells()).as("the ended threads' cells were folded into the shared one").isZero();
        assertThat(tally.totals().writes()).as("and still count").isEqualTo(40_100);
    }

    @Test
    void lagFallsInTheBucketOfItsUpperBound() {
        WriteTally tally = new WriteTally();
        for (long lag : new long[] {0, 1, 2, 3, 10, 11, 10_000, 10_001, 60_000}) {
            write(tally, 1, 1, lag, NOW);
        }
        long[] buckets = tally.totals().bucketCounts();
        assertThat(buckets).hasSize(WriteTally.LAG_BOUNDS_MILLIS.length + 1);
        assertThat(buckets[0]).as("≤ 1 ms").isEqualTo(2);
        assertThat(buckets[1]).as("≤ 2 ms").isEqualTo(1);
        assertThat(buckets[2]).as("≤ 5 ms").isEqualTo(1);
        assertThat(buckets[3]).as("≤ 10 ms").isEqualTo(1);
        assertThat(buckets[4]).as("≤ 25 ms").isEqualTo(1);
        assertThat(buckets[12]).as("≤ 10 s").isEqualTo(1);
        assertThat(buckets[13]).as("+Inf").isEqualTo(2);
    }

    @Test
    void maxIsTheLargestLagOfTheLastOneToTwoWindows() {
        WriteTally tally = new WriteTally();
        long window = WriteTally.MAX_WINDOW_MILLIS;
        long now = System.currentTimeMillis();
        write(tally, 1, 1, 900, now - 2 * window);
        write(tally, 1, 1, 700, now - window);
        assertThat(tally.totals().maxMillis()).as("the previous window's max, not the one before it").isEqualTo(700);
        write(tally, 1, 1, 50, now);
        assertThat(tally.totals().maxMillis()).isEqualTo(700);
        write(tally, 1, 1, 800, now);
        assertThat(tally.totals().maxMillis()).isEqualTo(800);
    }
}
