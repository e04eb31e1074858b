package dev.stepstream.testing;

import dev.stepstream.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;

/**
 * A clock that moves only when the test says so ({@link #advance}), like db-scheduler's
 * {@code SettableClock}. Its waits last until the clock has been advanced past their end (or
 * their own signal comes): each really waits in short slices and looks at this clock between
 * them, so an {@link #advance} is seen within a slice, with no hook into the waiting code.
 */
public final class ManualClock extends Clock {
    /** How long a wait really waits before it looks at this clock again. */
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final AtomicLong nanos;
    private final long startNanos;
    private final Instant start;

    /** Starting at {@code start}. */
    public ManualClock(Instant start) {
        this.start = start;
        this.startNanos = 1_000_000_000L; // an arbitrary origin, as System.nanoTime's is
        this.nanos = new AtomicLong(startNanos);
    }

    /** Starting now, in real time. */
    public ManualClock() {
        this(Instant.now());
    }

    /** Moves this clock forward by {@code duration}. */
    public void advance(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("a clock does not go back: " + duration);
        }
        nanos.addAndGet(duration.toNanos());
    }

    @Override
    public Instant instant() {
        return start.plusNanos(nanos.get() - startNanos);
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public void awaitNanos(Condition condition, long timeout) throws InterruptedException {
        if (timeout > 0) {
            condition.awaitNanos(Math.min(timeout, SLICE_NANOS)); // the caller loops, looking at this clock
        }
    }

    @Override
    public boolean await(CountDownLatch latch, Duration timeout) throws InterruptedException {
        long deadline = nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - nanoTime();
            if (latch.await(Math.max(0, Math.min(left, SLICE_NANOS)), TimeUnit.NANOSECONDS)) {
                return true;
            }
            if (deadline - nanoTime() <= 0) {
                return false;
            }
        }
    }

    @Override
    public <T> T poll(BlockingQueue<T> queue, long timeout) throws InterruptedException {
        long deadline = nanoTime() + timeout;
        while (true) {
            T item = queue.poll(Math.max(0, Math.min(deadline - nanoTime(), SLICE_NANOS)), TimeUnit.NANOSECONDS);
            if (item != null || deadline - nanoTime() <= 0) {
                return item;
            }
        }
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
        long deadline = nanoTime() + duration.toNanos();
        while (deadline - nanoTime() > 0) {
            Thread.sleep(Duration.ofNanos(SLICE_NANOS));
        }
    }

    @Override
    public String toString() {
        return "ManualClock[" + instant() + "]";
    }
}
