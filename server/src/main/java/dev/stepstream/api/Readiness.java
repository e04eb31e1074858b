package dev.stepstream.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What {@code /readyz} asks (docs/operations.md, "Health"): each part the node needs, by name ({@code store},
 * and {@code broker} when there is one), with a ping that throws when the part does not answer.
 *
 * <p>A check that hangs (a database behind a cut network waits for its connect timeout) is
 * reported down after {@link #WAIT}; while it is still running, later probes wait on the same
 * ping instead of starting another, so a probe every second cannot pile up threads.
 *
 * <p>Threads: checks are added while wiring, before the server listens; {@link #check} is
 * called from any thread and blocks up to {@link #WAIT}: call it off the event loop.
 */
public final class Readiness {
    static final Duration WAIT = Duration.ofSeconds(2);

    private final Map<String, Check> checks = new LinkedHashMap<>();

    /** Adds a part to check: {@code ping} returns when it answers and throws, saying why, when it does not. */
    public void add(String name, Runnable ping) {
        checks.put(name, new Check(ping));
    }

    /** Each part's state, in the order added: {@code "up"}, or {@code "down: <why>"}. */
    Map<String, String> check() {
        Map<String, CompletableFuture<String>> pending = new LinkedHashMap<>();
        checks.forEach((name, check) -> pending.put(name, check.start()));
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, String> states = new LinkedHashMap<>();
        pending.forEach((name, answer) -> states.put(name, await(answer, deadline)));
        return states;
    }

    private static String await(CompletableFuture<String> answer, long deadline) {
        try {
            String failure = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return failure == null ? "up" : "down: " + failure;
        } catch (TimeoutException e) {
            return "down: no answer within " + WAIT.toSeconds() + " s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "down: interrupted";
        } catch (ExecutionException e) {
            return "down: " + e.getCause();
        }
    }

    /** One part's ping, at most one running at a time. */
    private static final class Check {
        private final Runnable ping;
        private final AtomicReference<CompletableFuture<String>> running = new AtomicReference<>();

        Check(Runnable ping) {
            this.ping = ping;
        }

        /** The running ping's answer (null: up; else why not), or a new ping's. */
        CompletableFuture<String> start() {
            while (true) {
                CompletableFuture<String> current = running.get();
                if (current != null && !current.isDone()) {
                    return current;
                }
                CompletableFuture<String> next = new CompletableFuture<>();
                if (running.compareAndSet(current, next)) {
                    Thread.ofVirtual().name("readiness-check").start(() -> next.complete(ping()));
                    return next;
                }
            }
        }

        private String ping() {
            try {
                ping.run();
                return null;
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                return message.lines().findFirst().orElse(message);
            }
        }
    }
}
