package dev.stepstream.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What one kind of stream connection wrote (writes, events, bytes, and each write's delivery
 * lag as a histogram), counted by the writing thread in a cell of its own and summed when scraped.
 *
 * <p>Why not Micrometer's counters and timer: a delivery to 1,000 subscribers is 1,000 writes
 * on four event loops, each of which recorded into the same shared meters. A timer sample is
 * an atomic increment of a bucket that every loop increments too, two adders, a max and a
 * clock read for its time window: from four threads on two cores 875 ns a write against 65 ns
 * for a cell ({@code bench/jmh.sh WriteMeterBench}), and about a tenth of the server's user CPU
 * in the peers' paced scenario (docs/BENCHMARKS.md). A cell that one thread owns is written
 * with plain stores (release ordered, for the scraper) and shares no cache line with another's.
 *
 * <p>Threads: each platform thread that writes (the event loops) owns one cell, which only it
 * writes; virtual threads, which come and go, share one cell under its lock. A scrape reads
 * every cell and folds those of threads that ended into the shared one, so the cells stay as
 * many as the writing threads alive.
 */
final class WriteTally {
    /** Delivery lag buckets' upper bounds, in milliseconds; the last bucket (+Inf) is implied. */
    static final long[] LAG_BOUNDS_MILLIS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000};
    /**
     * The reported max is the largest lag of the current and the previous window of this many
     * milliseconds (so of the last one to two minutes, as Micrometer's timers report theirs).
     */
    static final long MAX_WINDOW_MILLIS = 60_000;

    static final int WRITES = 0;
    static final int EVENTS = 1;
    static final int BYTES = 2;
    static final int LAG_SUM_MILLIS = 3;
    static final int MAX_WINDOW = 4;
    static final int MAX = 5;
    static final int PREVIOUS_MAX = 6;
    /** Non-cumulative counts of lag samples per bucket, {@code LAG_BOUNDS_MILLIS.length + 1} of them (the last is +Inf). */
    static final int BUCKETS = 7;
    private static final int FIELDS = BUCKETS + LAG_BOUNDS_MILLIS.length + 1;
    /** Longs on each side of a cell's fields, so that no two cells share a cache line. */
    private static final int PAD = 8;

    /** A cell's counts: written by its owner (or, for the shared cell, under its lock), read by scrapes. */
    static final class Cell {
        /** The thread that writes this cell, or null for the shared cell. */
        final Thread owner;
        private final AtomicLongArray values = new AtomicLongArray(PAD + FIELDS + PAD);

        Cell(Thread owner) {
            this.owner = owner;
        }

        /** One write of {@code events} events, {@code bytes} bytes; {@code lagMillis} below 0 when it had no live event. */
        void wrote(int events, long bytes, long lagMillis, long nowMillis) {
            if (owner == null) {
                synchronized (this) {
                    record(events, bytes, lagMillis, nowMillis);
                }
            } else {
                record(events, bytes, lagMillis, nowMillis);
            }
        }

        private void record(int events, long bytes, long lagMillis, long nowMillis) {
            add(WRITES, 1);
            add(EVENTS, events);
            add(BYTES, bytes);
            if (lagMillis < 0) {
                return;
            }
            add(LAG_SUM_MILLIS, lagMillis);
            add(BUCKETS + bucket(lagMillis), 1);
            long window = nowMillis / MAX_WINDOW_MILLIS;
            long current = get(MAX_WINDOW);
            if (window != current) {
                set(PREVIOUS_MAX, window == current + 1 ? get(MAX) : 0);
                set(MAX, 0);
                set(MAX_WINDOW, window);
            }
            if (lagMillis > get(MAX)) {
                set(MAX, lagMillis);
            }
        }

        long get(int field) {
            return values.get(PAD + field);
        }

        private void set(int field, long value) {
            values.lazySet(PAD + field, value);
        }

        /** Only its writer adds, so a plain read and an ordered store are enough. */
        private void add(int field, long n) {
            values.lazySet(PAD + field, values.get(PAD + field) + n);
        }

        /** The cell's max lag of the window {@code window} and the one before it. */
        long maxMillis(long window) {
            long at = get(MAX_WINDOW);
            return at == window ? Math.max(get(MAX), get(PREVIOUS_MAX)) : at == window - 1 ? get(MAX) : 0;
        }

        /** Adds what {@code ended} counted (its thread is gone): the shared cell only, under its lock. */
        synchronized void absorb(Cell ended) {
            for (int field = WRITES; field < FIELDS; field++) {
                if (field < MAX_WINDOW || field >= BUCKETS) {
                    add(field, ended.get(field));
                }
            }
        }
    }

    private static int bucket(long lagMillis) {
        for (int i = 0; i < LAG_BOUNDS_MILLIS.length; i++) {
            if (lagMillis <= LAG_BOUNDS_MILLIS[i]) {
                return i;
            }
        }
        return LAG_BOUNDS_MILLIS.length;
    }

    /** Sums of every cell, taken by one scrape. */
    record Totals(long writes, long events, long bytes, long lagSumMillis, long[] bucketCounts, long maxMillis) {
        long lagCount() {
            long count = 0;
            for (long bucket : bucketCounts) {
                count += bucket;
            }
            return count;
        }
    }

    private final Cell shared = new Cell(null);
    private final List<Cell> owned = new CopyOnWriteArrayList<>();
    /** The cells by their owner, each thread's looked up once per connection at most (see {@link #cellOf}). */
    private final ThreadLocal<Cell> mine = new ThreadLocal<>();

    /** The calling thread's cell: its own if it is a platform thread, else the shared one. */
    Cell cellOf(Thread thread) {
        if (thread.isVirtual()) {
            return shared;
        }
        Cell cell = mine.get();
        if (cell == null) {
            cell = new Cell(thread);
            mine.set(cell);
            owned.add(cell);
        }
        return cell;
    }

    /** Cells kept now: one per live platform thread that wrote, besides the shared one. */
    int cells() {
        return owned.size();
    }

    /** Every cell's counts, summed; folds the cells of threads that ended into the shared one first. */
    Totals totals() {
        List<Cell> ended = new ArrayList<>();
        for (Cell cell : owned) {
            if (!cell.owner.isAlive()) {
                ended.add(cell);
            }
        }
        for (Cell cell : ended) {
            shared.absorb(cell);
            owned.remove(cell);
        }
        long window = System.currentTimeMillis() / MAX_WINDOW_MILLIS;
        long[] sums = new long[FIELDS];
        long max = 0;
        List<Cell> cells = new ArrayList<>(owned);
        cells.add(shared);
        for (Cell cell : cells) {
            for (int field = WRITES; field < FIELDS; field++) {
                sums[field] += cell.get(field);
            }
            max = Math.max(max, cell.maxMillis(window));
        }
        long[] buckets = new long[LAG_BOUNDS_MILLIS.length + 1];
        System.arraycopy(sums, BUCKETS, buckets, 0, buckets.length);
        return new Totals(sums[WRITES], sums[EVENTS], sums[BYTES], sums[LAG_SUM_MILLIS], buckets, max);
    }
}
