package dev.stepstream.time;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stop of a background thread that waits, on the {@link Clock} or in real time, between
 * rounds of work (the scheduler, the retention sweeper): its waits end early, returning false,
 * once {@link #stop} is called from any thread.
 *
 * <p>Thread-safety: {@code stopped} is guarded by {@code lock}, whose condition wakes the
 * waiter; the lock is held only to read or set the flag and to wait.
 */
public final class StopSignal {
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stop = lock.newCondition();
    private boolean stopped; // guarded by lock

    public StopSignal(Clock clock) {
        this.clock = clock;
    }

    /** Waits until {@code until} on the clock. @return false once stopped */
    public boolean awaitUntil(Instant until) {
        lock.lock();
        try {
            while (!stopped) {
                long left = Duration.between(clock.instant(), until).toNanos();
                if (left <= 0) {
                    return true;
                }
                clock.awaitNanos(stop, left);
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits {@code nanos} of real time, whatever the clock says (for pauses measured against
     * real work, such as a write's length). @return false once stopped
     */
    public boolean awaitRealNanos(long nanos) {
        lock.lock();
        try {
            long deadline = System.nanoTime() + nanos;
            for (long left = nanos; left > 0 && !stopped; left = deadline - System.nanoTime()) {
                stop.awaitNanos(left);
            }
            return !stopped;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    public boolean stopped() {
        lock.lock();
        try {
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    /** Stops: every wait under way or to come returns false at once. */
    public void stop() {
        lock.lock();
        try {
            stopped = true;
            stop.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
