package dev.stepstream.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, instead of sleeping a guessed time. */
public final class Await {
    private Await() {}

    /** Polls {@code probe} until it returns non-null (its value is returned) or the deadline passes. */
    public static <T> T until(String what, Duration timeout, Supplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = 5;
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            }
            try {
                Thread.sleep(pauseMs); // a polling interval, not a synchronisation guess
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what);
            }
            pauseMs = Math.min(pauseMs * 2, 100);
        }
    }
}
