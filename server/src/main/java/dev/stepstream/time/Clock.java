package dev.stepstream.time;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

/**
 * The one source of time for everything time-driven (DESIGN.md v2.1): leases, heartbeats, the
 * relay's checks, the executor's polls, token expiry, rate limits, and later schedules and
 * retention. {@link #system()} is real time; tests pass a clock they move by hand
 * ({@code testing/ManualClock}), so that a lease lapses or a ping falls due when the test says
 * so rather than after a real wait.
 *
 * <p>It is a {@link java.time.Clock} (UTC) for libraries that take one, plus a monotonic
 * {@link #nanoTime()} and the timed waits of {@code java.util.concurrent}, measured in this
 * clock's time. Every wait may return early (as {@link Condition#awaitNanos} may): callers
 * re-check their own state and this clock, in a loop, as they would with the JDK's.
 */
public abstract class Clock extends java.time.Clock {

    /** Real time: the system's UTC clock and {@link System#nanoTime()}. */
    public static Clock system() {
        return SystemClock.INSTANCE;
    }

    /** Monotonic nanoseconds, for deadlines and durations (not related to the wall time). */
    public abstract long nanoTime();

    /** The wall time to the millisecond, as events and leases record it. */
    public final Instant now() {
        return instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /** {@link Condition#awaitNanos}, the condition's lock held, for up to {@code nanos} of this clock's time. */
    public abstract void awaitNanos(Condition condition, long nanos) throws InterruptedException;

    /** {@link CountDownLatch#await(long, TimeUnit)} for up to {@code timeout} of this clock's time: true once it is open. */
    public abstract boolean await(CountDownLatch latch, Duration timeout) throws InterruptedException;

    /** {@link BlockingQueue#poll(long, TimeUnit)} for up to {@code nanos} of this clock's time: null if nothing came. */
    public abstract <T> T poll(BlockingQueue<T> queue, long nanos) throws InterruptedException;

    /** {@link Thread#sleep(Duration)} for {@code duration} of this clock's time. */
    public abstract void sleep(Duration duration) throws InterruptedException;

    @Override
    public final ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** This clock, always in UTC: time zones are the business of whoever formats a time. */
    @Override
    public final java.time.Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.equals(zone)) {
            throw new UnsupportedOperationException("stepstream's clock is UTC");
        }
        return this;
    }

    private static final class SystemClock extends Clock {
        static final SystemClock INSTANCE = new SystemClock();

        @Override
        public Instant instant() {
            return Instant.now();
        }

        @Override
        public long millis() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void awaitNanos(Condition condition, long nanos) throws InterruptedException {
            condition.awaitNanos(nanos);
        }

        @Override
        public boolean await(CountDownLatch latch, Duration timeout) throws InterruptedException {
            return latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public <T> T poll(BlockingQueue<T> queue, long nanos) throws InterruptedException {
            return queue.poll(nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            Thread.sleep(duration);
        }

        @Override
        public String toString() {
            return "Clock.system()";
        }
    }
}
