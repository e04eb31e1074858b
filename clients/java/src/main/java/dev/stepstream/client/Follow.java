package dev.stepstream.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
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
 * <p>Silence (docs/clients.md, the rule the client libraries share): a connection quiet for 15 s
 * is sent a ping frame, and one from which nothing was heard for 45 s, a ping gone unanswered, is
 * lost. Silence is judged only while no message waits for the follower, and counts from the last
 * thing heard (the pongs included) or the last message taken, whichever is later; it is watched
 * on a thread of the connection's own, so a follower that spends a minute on one event of a
 * quiet run keeps its healthy connection. A connection is usable once it brought a message, or
 * stayed open 5 s without going silent: one that went silent before any message counts toward
 * {@link FollowOptions#giveUpAfter()} however long it was open.
 *
 * <p>It stops with a {@link StepstreamException}: the server refused (404, 401, 403, 400), closed
 * with 1008 ({@code POLICY}) or another code that says not to reconnect ({@code CLOSED}), the
 * run was deleted ({@code DELETED}), or no connection was usable for
 * {@link FollowOptions#giveUpAfter()} ({@code UNAVAILABLE}).
 */
public final class Follow implements Iterable<Event>, Iterator<Event>, AutoCloseable {
    private static final String RUN_DELETED = "run deleted";

    private final String runId;
    private final FollowOptions options;
    /** Whether every event comes (no filter): only then does a gap in the seqs mean events were lost. */
    private final boolean whole;
    private final Reconnector connections;

    /** The seq of the last event yielded; the next connection resumes after it. */
    private long lastSeq;
    /** Events of the current message not yet yielded, in seq order. */
    private final ArrayDeque<Event> ready = new ArrayDeque<>();
    /** Why the current connection is to be given up once {@link #ready} is drained (a seq gap), or null. */
    private String abandon;
    private boolean finished;
    private boolean iterated;

    Follow(StepstreamClient client, String runId, FollowOptions options) {
        this.runId = runId;
        this.options = options;
        this.lastSeq = options.after();
        this.whole = options.types().isEmpty() && options.steps().isEmpty() && options.minLevel() == null;
        this.connections = new Reconnector(client, options.backoffBase(), options.backoffCap(), options.giveUpAfter(),
                new Reconnector.Target() {
                    @Override
                    public String path() {
                        return streamPath();
                    }

                    @Override
                    public String howToGoOn() {
                        return "; resume with after=" + lastSeq;
                    }

                    @Override
                    public void reconnecting(String why, int attempt, boolean wasConnected, Duration pause) {
                        options.listener().reconnecting(why, lastSeq, attempt, wasConnected, pause);
                    }
                });
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
        return connections.reconnects();
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
            connections.release(true);
        }
        return event;
    }

    /** Stops following: the connection is closed; iterating further yields nothing. */
    @Override
    public void close() {
        finished = true;
        ready.clear();
        connections.release(false);
    }

    /** One step: take what the connections bring and decide what it means. */
    private void advance() throws InterruptedException {
        if (abandon != null) {
            String why = abandon;
            abandon = null;
            connections.drop(why);
            return;
        }
        switch (connections.next()) {
            case Reconnector.Opened opened -> {}
            case Reconnector.Message message -> accept(message.text());
            case Reconnector.ClosedNormally closed -> ended(closed.reason());
        }
    }

    /** The envelopes of one message (one a line) past the cursor go to {@link #ready}. */
    private void accept(String message) {
        long seen = lastSeq;
        for (String line : Connection.lines(message)) {
            Map<String, Object> envelope = Connection.fields(line);
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

    /** The server closed the connection with 1000: the run is over, or gone. */
    private void ended(String reason) {
        if (RUN_DELETED.equals(reason)) {
            throw new StepstreamException("run " + runId + " was deleted (after seq " + lastSeq + ")",
                    StepstreamException.Kind.DELETED, 0, null, null, 1000);
        }
        finished = true; // the run had ended at or before our cursor: nothing more will come
    }

    /** The stream's path and query, resuming after {@link #lastSeq}. */
    private String streamPath() {
        StringBuilder path = new StringBuilder("/api/v2/workflows/runs/").append(StepstreamClient.encode(runId))
                .append("/stream?batch=1&after=").append(lastSeq);
        param(path, "types", options.types());
        param(path, "steps", options.steps());
        if (options.minLevel() != null) {
            path.append("&minLevel=").append(StepstreamClient.encode(options.minLevel()));
        }
        return path.toString();
    }

    private static void param(StringBuilder query, String name, List<String> values) {
        if (!values.isEmpty()) {
            query.append('&').append(name).append('=').append(StepstreamClient.encode(String.join(",", values)));
        }
    }
}
