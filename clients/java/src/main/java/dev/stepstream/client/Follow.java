package dev.stepstream.client;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One follower of one run: an iterator of its events after {@link FollowOptions#after()}, each
 * once and in seq order, ending after {@code run_complete}. Iterate it on one thread (it is not
 * safe for several) and close it when stopping early:
 *
 * <pre>{@code
 * try (Follow follow = client.follow(runId)) {
 *     for (Event event : follow) {
 *         System.out.println(event.seq() + " " + event.type());
 *     }
 * }
 * }</pre>
 *
 * <p>Resuming: the follower remembers the seq of the last event it yielded ({@link #lastSeq()}).
 * When a connection drops, goes silent, or closes with a code that says so (1001 the server is
 * stopping, 1013 we fell behind, 1011; {@link StepstreamClient#reconnectsAfter}), it connects
 * again with {@code after=<lastSeq>} after a pause ("full jitter": uniform up to
 * base×2<sup>attempt</sup>, capped, at least a server's {@code Retry-After}), and the server
 * sends every later event exactly once. Events at or below the cursor are skipped all the same,
 * and, when no filter leaves events out, a gap in the seqs (which the server never makes) is
 * taken for a lost connection, so an event is never lost nor yielded twice, whatever the
 * connections do.
 *
 * <p>It stops with a {@link StepstreamException}: the server refused (404, 401, 403, 400), closed
 * with 1008 ({@code POLICY}) or another code that says not to reconnect ({@code CLOSED}), the
 * run was deleted ({@code DELETED}), or no connection was usable for
 * {@link FollowOptions#giveUpAfter()} ({@code UNAVAILABLE}).
 */
public final class Follow implements Iterable<Event>, Iterator<Event>, AutoCloseable {
    private static final String RUN_DELETED = "run deleted";

    private final StepstreamClient client;
    private final String runId;
    private final FollowOptions options;
    /** Whether every event comes (no filter): only then does a gap in the seqs mean events were lost. */
    private final boolean whole;

    /** The seq of the last event yielded; the next connection resumes after it. */
    private long lastSeq;
    private int reconnects;
    /** Events of the current message not yet yielded, in seq order. */
    private final ArrayDeque<Event> ready = new ArrayDeque<>();
    private Connection connection;
    /** Why the current connection is to be given up once {@link #ready} is drained (a seq gap), or null. */
    private String abandon;
    private boolean finished;
    private boolean iterated;
    /** The current streak of failed attempts: its length and when it began (nanoTime), 0 when none. */
    private int failures;
    private long failingSince;

    Follow(StepstreamClient client, String runId, FollowOptions options) {
        this.client = client;
        this.runId = runId;
        this.options = options;
        this.lastSeq = options.after();
        this.whole = options.types().isEmpty() && options.steps().isEmpty() && options.minLevel() == null;
    }

    /** The seq of the last event yielded (or {@code after}): pass it as {@code after} to resume later. */
    public long lastSeq() {
        return lastSeq;
    }

    /**
     * How many events {@link #next} returns without waiting: those of the messages already
     * received and not yet yielded. A follower that writes the events out can flush when this is
     * 0, once per message rather than once per event. 0 says nothing of the run: the next event
     * may be on its way.
     */
    public int available() {
        return ready.size();
    }

    /** How many times the follower connected again (or tried to). */
    public int reconnects() {
        return reconnects;
    }

    /** The follow itself, once: a follow is iterated once; follow again with {@code after(lastSeq())}. */
    @Override
    public Iterator<Event> iterator() {
        if (iterated) {
            throw new IllegalStateException("a follow is iterated once; follow again with after(lastSeq())");
        }
        iterated = true;
        return this;
    }

    /** The events as a sequential stream; closing it closes the follow. */
    public Stream<Event> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::close);
    }

    /**
     * Waits for the next event: true when there is one, false after {@code run_complete} (or
     * when the run had ended at or before {@code after}). Blocks while the run is quiet or the
     * follower reconnects; throws {@link StepstreamException} when it cannot go on.
     */
    @Override
    public boolean hasNext() {
        while (ready.isEmpty()) {
            if (finished) {
                return false;
            }
            try {
                advance();
            } catch (InterruptedException e) {
                close();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while following run " + runId, e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }
        return true;
    }

    @Override
    public Event next() {
        if (!hasNext()) {
            throw new NoSuchElementException("run " + runId + " has ended");
        }
        Event event = ready.poll();
        lastSeq = event.seq();
        if (event.isRunComplete()) {
            finished = true;
            release(true);
        }
        return event;
    }

    /** Stops following: the connection is closed; iterating further yields nothing. */
    @Override
    public void close() {
        finished = true;
        ready.clear();
        release(false);
    }

    private void release(boolean normally) {
        if (connection != null) {
            connection.release(normally);
            connection = null;
        }
    }

    /** One step: connect, or take what the connection brings and decide what it means. */
    private void advance() throws InterruptedException {
        if (connection == null) {
            connect();
            return;
        }
        if (abandon != null) {
            String why = abandon;
            abandon = null;
            release(false);
            retry(why, null, true);
            return;
        }
        switch (connection.take()) {
            case Connection.Text text -> accept(text.data());
            case Connection.Closed closed -> {
                release(false);
                ended(closed.code(), closed.reason());
            }
            case Connection.Failed failed -> {
                release(false);
                retry(failed.why(), null, true);
            }
            case Connection.Broken broken -> {
                release(false);
                throw new StepstreamException(broken.why(), StepstreamException.Kind.PROTOCOL, 0, null, null, 0);
            }
        }
    }

    private void connect() throws InterruptedException {
        switch (Connection.open(client.http(), streamUri(), client.token())) {
            case Connection.Opened opened -> {
                connection = opened.connection();
            }
            case Connection.Refused refused -> {
                if (refused.status() == 408 || refused.status() == 429 || refused.status() >= 500) {
                    retry("HTTP " + refused.status() + errorText(refused.body()), refused.retryAfter(), false);
                } else {
                    throw StepstreamClient.errorOf("GET", streamPath(), refused.status(), refused.body());
                }
            }
            case Connection.Unreachable unreachable -> retry(unreachable.why(), null, false);
        }
    }

    /** The envelopes of one message (one a line) past the cursor go to {@link #ready}. */
    private void accept(String message) {
        failures = 0;
        long seen = lastSeq;
        for (String line : message.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> envelope;
            try {
                envelope = Json.parseShallow(line);
            } catch (IllegalArgumentException e) {
                throw protocol("the server sent a line that is not JSON (" + e.getMessage() + "): "
                        + (line.length() > 200 ? line.substring(0, 200) + "…" : line));
            }
            if (!(envelope.get("seq") instanceof Long seq)) {
                continue; // a control message (caught_up, pong: no seq)
            }
            if (seq <= seen) {
                continue; // yielded from an earlier connection
            }
            if (seq > seen + 1 && whole) {
                abandon = "events " + (seen + 1) + (seq - 1 > seen + 1 ? ".." + (seq - 1) : "") + " went missing on the way";
                return;
            }
            Event event = event(envelope, seq, line);
            ready.add(event);
            seen = seq;
            if (event.isRunComplete()) {
                return;
            }
        }
    }

    private static Event event(Map<String, Object> envelope, long seq, String line) {
        return new Event(String.valueOf(envelope.get("runId")), seq, String.valueOf(envelope.get("type")),
                String.valueOf(envelope.get("time")), envelope.get("payload"), line);
    }

    /** The server closed the connection with {@code code}: end, stop, or connect again. */
    private void ended(int code, String reason) throws InterruptedException {
        String described = "closed with " + code + (reason == null || reason.isBlank() ? "" : ": " + reason);
        if (code == 1000) {
            if (RUN_DELETED.equals(reason)) {
                throw new StepstreamException("run " + runId + " was deleted (after seq " + lastSeq + ")",
                        StepstreamException.Kind.DELETED, 0, null, null, code);
            }
            finished = true; // the run had ended at or before our cursor: nothing more will come
            return;
        }
        if (!StepstreamClient.reconnectsAfter(code)) {
            throw new StepstreamException("the server ended the stream: " + described,
                    code == 1008 ? StepstreamException.Kind.POLICY : StepstreamException.Kind.CLOSED, 0, null, null, code);
        }
        retry(described, null, true);
    }

    /** Waits before the next attempt, or gives up once no connection was usable for {@code giveUpAfter}. */
    private void retry(String why, Duration retryAfter, boolean wasConnected) throws InterruptedException {
        long now = System.nanoTime();
        if (failures == 0) {
            failingSince = now;
        }
        Duration failing = Duration.ofNanos(now - failingSince);
        if (failing.compareTo(options.giveUpAfter()) >= 0) {
            throw new StepstreamException("no usable connection for " + failing.toSeconds() + " s (" + why + "); resume with after="
                    + lastSeq, StepstreamException.Kind.UNAVAILABLE, 0, null, null, 0);
        }
        Duration pause = pause(failures, options.backoffBase(), options.backoffCap(), retryAfter,
                ThreadLocalRandom.current().nextDouble());
        Duration left = options.giveUpAfter().minus(failing);
        if (pause.compareTo(left) > 0) {
            pause = left;
        }
        failures++;
        reconnects++;
        options.listener().reconnecting(why, lastSeq, failures, wasConnected, pause);
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

    private String streamPath() {
        return "/api/v2/workflows/runs/" + StepstreamClient.encode(runId) + "/stream";
    }

    private URI streamUri() {
        StringBuilder query = new StringBuilder("batch=1&after=").append(lastSeq);
        param(query, "types", options.types());
        param(query, "steps", options.steps());
        if (options.minLevel() != null) {
            query.append("&minLevel=").append(StepstreamClient.encode(options.minLevel()));
        }
        return client.webSocketUri(streamPath() + "?" + query);
    }

    private static void param(StringBuilder query, String name, List<String> values) {
        if (!values.isEmpty()) {
            query.append('&').append(name).append('=').append(StepstreamClient.encode(String.join(",", values)));
        }
    }

    private static String errorText(String body) {
        String message = StepstreamClient.errorMessage(body);
        return message == null ? "" : ": " + message;
    }

    private static StepstreamException protocol(String message) {
        return new StepstreamException(message, StepstreamException.Kind.PROTOCOL, 0, null, null, 0);
    }
}
