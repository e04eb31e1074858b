package dev.stepstream.client;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keeps one stream connected, a {@link Follow}'s or a {@link RunWatch}'s: opens its connections
 * one after another and hands over what each brings. The streams' one place for what ends a
 * stream and what is tried again:
 *
 * <ul>
 *   <li>a refused upgrade: 408, 429 and 5xx are tried again (after at least the server's
 *       {@code Retry-After}), any other status is final ({@link StepstreamClient#errorOf});
 *   <li>a close: 1000 goes to the stream, which says what it means; the codes of
 *       {@link StepstreamClient#reconnectsAfter} are tried again; any other is final
 *       ({@code POLICY} for 1008, else {@code CLOSED});
 *   <li>a lost, unreachable or silent connection is tried again; a message that breaks the
 *       protocol is final ({@code PROTOCOL});
 *   <li>each try waits {@link #pause} first, and once no connection was usable for
 *       {@code giveUpAfter} the stream fails with {@code UNAVAILABLE}.
 * </ul>
 *
 * <p>A connection is usable once a message came, or once it stayed open
 * {@link Liveness#steady()} and did not go silent: the all-runs stream may stay quiet for hours,
 * while a server that accepts each connection and closes it at once (1011 from a node whose store
 * is down) is failing, and is given the backoff's growing pauses rather than a reconnect at the
 * base pace for ever. So is a connection that went silent ({@link Connection.Silent}) before it
 * brought a message, however long it was open: connections that a hung proxy accepts and never
 * serves add up to {@code giveUpAfter} like any other failures, rather than each counting as
 * usable and the stream reconnecting every 45 s for ever.
 *
 * <p>Threads: owned by the thread that iterates its stream, as the stream is; nothing here is
 * safe for several.
 */
final class Reconnector {
    /** What the stream's connection brought. */
    sealed interface Arrival {}

    /** A connection opened: the first, or again. */
    record Opened() implements Arrival {}

    /** A whole text message. */
    record Message(String text) implements Arrival {}

    /** The server closed with 1000, the connection is let go; whether that ends the stream is the stream's to say. */
    record ClosedNormally(String reason) implements Arrival {}

    /** What differs between the streams a reconnector keeps. */
    interface Target {
        /**
         * The API's path of the next connection, with its query: the stream's position as of
         * now. The client puts it after the server's URL ({@link StepstreamClient#webSocketUri}).
         */
        String path();

        /** What the error of giving up adds, how to go on ({@code "; resume with after=41"}), or "". */
        String howToGoOn();

        /**
         * Told before each pause: the connection ended, or could not be made. An exception
         * thrown here ends the stream (the connection is already let go).
         */
        void reconnecting(String why, int attempt, boolean wasConnected, Duration pause);
    }

    private static final Opened OPENED = new Opened();

    private final StepstreamClient client;
    private final Duration backoffBase;
    private final Duration backoffCap;
    private final Duration giveUpAfter;
    private final Target target;

    private Connection connection;
    private int reconnects;
    /** The current streak of failed attempts: its length and when it began (nanoTime), 0 when none. */
    private int failures;
    private long failingSince;
    /** When the current connection opened (nanoTime). */
    private long openedAt;

    Reconnector(StepstreamClient client, Duration backoffBase, Duration backoffCap, Duration giveUpAfter, Target target) {
        this.client = client;
        this.backoffBase = backoffBase;
        this.backoffCap = backoffCap;
        this.giveUpAfter = giveUpAfter;
        this.target = target;
    }

    /** The check both option records make of their backoff; the message names the setting. */
    static void checkBackoff(Duration base, Duration cap, Duration giveUpAfter) {
        Objects.requireNonNull(base, "backoffBase");
        Objects.requireNonNull(cap, "backoffCap");
        Objects.requireNonNull(giveUpAfter, "giveUpAfter");
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff: expected 0 < base <= cap, got base " + base + " and cap " + cap);
        }
    }

    /** How many times the stream connected again (or tried to). */
    int reconnects() {
        return reconnects;
    }

    /**
     * Waits for what comes next: a connection that opened, a message, or a close with 1000.
     * Connects when there is no connection, and again, after a pause, whenever the rules above
     * say so; throws {@link StepstreamException} when they say the stream cannot go on.
     */
    Arrival next() throws InterruptedException {
        while (true) {
            if (connection == null) {
                if (connect()) {
                    return OPENED;
                }
                continue;
            }
            switch (connection.take()) {
                case Connection.Text text -> {
                    failures = 0; // usable: a failure after this begins a new streak, from the base again
                    return new Message(text.data());
                }
                case Connection.Closed closed -> {
                    release(false);
                    if (closed.code() == 1000) {
                        return new ClosedNormally(closed.reason());
                    }
                    ended(closed.code(), closed.reason());
                }
                case Connection.Failed failed -> {
                    release(false);
                    lost(failed.why());
                }
                case Connection.Silent silent -> {
                    release(false);
                    retry(silent.why(), null, true); // open in name only: usable only if it brought a message
                }
                case Connection.Broken broken -> {
                    release(false);
                    throw new StepstreamException(broken.why(), StepstreamException.Kind.PROTOCOL, 0, null, null, 0);
                }
            }
        }
    }

    /** Gives the connection up for {@code why} and connects again, as after a lost one. */
    void drop(String why) throws InterruptedException {
        release(false);
        lost(why);
    }

    /** Lets the connection go, if there is one; {@code normally} as {@link Connection#release} says. */
    void release(boolean normally) {
        if (connection != null) {
            connection.release(normally);
            connection = null;
        }
    }

    /** One attempt: true when it opened; false when it is to be tried again (after the pause, already waited). */
    private boolean connect() throws InterruptedException {
        String path = target.path();
        switch (Connection.open(client.http(), client.webSocketUri(path), client.token(), client.liveness())) {
            case Connection.Opened opened -> {
                connection = opened.connection();
                openedAt = System.nanoTime();
                return true;
            }
            case Connection.Refused refused -> {
                if (refused.status() == 408 || refused.status() == 429 || refused.status() >= 500) {
                    retry("HTTP " + refused.status() + errorText(refused.body()), refused.retryAfter(), false);
                    return false;
                }
                int query = path.indexOf('?');
                throw StepstreamClient.errorOf("GET", query < 0 ? path : path.substring(0, query), refused.status(), refused.body());
            }
            case Connection.Unreachable unreachable -> {
                retry(unreachable.why(), null, false);
                return false;
            }
        }
    }

    /** The server closed with {@code code}, not 1000: stop, or connect again. */
    private void ended(int code, String reason) throws InterruptedException {
        if (!StepstreamClient.reconnectsAfter(code)) {
            throw closedFinally(code, reason);
        }
        lost(closed(code, reason));
    }

    /**
     * The connection that was open ended for {@code why} (not silent): usable if it stayed open
     * {@link Liveness#steady()}, though quiet, so that a failure after it waits from the base
     * again; then connect again.
     */
    private void lost(String why) throws InterruptedException {
        if (System.nanoTime() - openedAt >= client.liveness().steady().toNanos()) {
            failures = 0;
        }
        retry(why, null, true);
    }

    /** The error of a close that says not to reconnect: {@code POLICY} for 1008, else {@code CLOSED}. */
    static StepstreamException closedFinally(int code, String reason) {
        return new StepstreamException("the server ended the stream: " + closed(code, reason),
                code == 1008 ? StepstreamException.Kind.POLICY : StepstreamException.Kind.CLOSED, 0, null, null, code);
    }

    private static String closed(int code, String reason) {
        return "closed with " + code + (reason == null || reason.isBlank() ? "" : ": " + reason);
    }

    /** Waits before the next attempt, or gives up once no connection was usable for {@code giveUpAfter}. */
    private void retry(String why, Duration retryAfter, boolean wasConnected) throws InterruptedException {
        long now = System.nanoTime();
        if (failures == 0) {
            failingSince = now;
        }
        Duration failing = Duration.ofNanos(now - failingSince);
        if (failing.compareTo(giveUpAfter) >= 0) {
            throw new StepstreamException("no usable connection for " + failing.toSeconds() + " s (" + why + ")" + target.howToGoOn(),
                    StepstreamException.Kind.UNAVAILABLE, 0, null, null, 0);
        }
        Duration pause = pause(failures, backoffBase, backoffCap, retryAfter, ThreadLocalRandom.current().nextDouble());
        Duration left = giveUpAfter.minus(failing);
        if (pause.compareTo(left) > 0) {
            pause = left;
        }
        failures++;
        reconnects++;
        target.reconnecting(why, failures, wasConnected, pause);
        Thread.sleep(pause);
    }

    /**
     * The pause before attempt {@code attempt} (0-based) of a streak: "full jitter", {@code random}
     * (in [0, 1)) times min(cap, base × 2^attempt), but at least {@code retryAfter}.
     */
    static Duration pause(int attempt, Duration base, Duration cap, Duration retryAfter, double random) {
        long ceiling = Math.min(cap.toNanos(), base.toNanos() << Math.min(attempt, 30));
        if (ceiling < 0) {
            ceiling = cap.toNanos();
        }
        Duration pause = Duration.ofNanos((long) (random * ceiling));
        return retryAfter != null && retryAfter.compareTo(pause) > 0 ? retryAfter : pause;
    }

    private static String errorText(String body) {
        String message = StepstreamClient.errorMessage(body);
        return message == null ? "" : ": " + message;
    }
}
