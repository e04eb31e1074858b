package dev.stepstream.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The machine's Redis at 127.0.0.1:6379, driven with {@code redis-cli}: only stepstream's own
 * tests use it, so they may cut its clients off or restart it. A test that stops it starts it
 * again in a {@code finally}, exactly as CI starts it.
 */
public final class Redis {
    public static final String URL = "redis://127.0.0.1:6379";

    private Redis() {}

    /** Skips the test when Redis does not answer, except in CI, where that is a failure. */
    public static void require() {
        if (!answers()) {
            String why = "Redis does not answer at " + URL;
            if (System.getenv("CI") != null) {
                fail(why + " (CI is set, so this must not be skipped)");
            }
            Assumptions.abort(why + "; skipping");
        }
    }

    public static boolean answers() {
        try {
            return cli("ping").trim().equals("PONG");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Runs {@code redis-cli} against the test Redis and returns what it printed. */
    public static String cli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379"));
        command.addAll(List.of(args));
        return run(command);
    }

    /** Cuts every pub/sub connection (Lettuce reconnects and subscribes again by itself). */
    public static void killPubSubConnections() {
        cli("CLIENT", "KILL", "TYPE", "pubsub");
    }

    /** How many connections are subscribed to {@code channel}. */
    public static int subscribers(String channel) {
        String[] lines = cli("PUBSUB", "NUMSUB", channel).trim().split("\n");
        return Integer.parseInt(lines[lines.length - 1].trim());
    }

    /** Stops Redis (without saving) and waits until it no longer answers. */
    public static void stop() {
        try {
            cli("SHUTDOWN", "NOSAVE");
        } catch (RuntimeException e) {
            // redis-cli reports the dropped connection of a shutdown as an error
        }
        Await.until("Redis has stopped", Duration.ofSeconds(10), () -> answers() ? null : true);
    }

    /** Starts Redis exactly as CI does, and waits until it answers. */
    public static void start() {
        if (!answers()) {
            run(List.of("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                    "--save", "", "--appendonly", "no"));
        }
        Await.until("Redis answers", Duration.ofSeconds(10), () -> answers() ? true : null);
    }

    private static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(command + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
