package dev.stepstream.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A watch of the all-runs stream (docs/api.md): what happens to every run, or to one workflow's
 * ({@link WatchOptions#workflowId()}), as it happens, for a dashboard. An iterator of
 * {@link RunWatchItem}s that does not end by itself. Iterate it on one thread (it is not safe
 * for several) and close it to stop; leaving a try-with-resources block does:
 *
 * <pre>{@code
 * try (RunWatch watch = client.watchRuns(WatchOptions.DEFAULTS.workflowId("deploy"))) {
 *     for (RunWatchItem item : watch) {
 *         if (item.isConnected()) {
 *             board.show(client.runs(Map.of("workflowId", "deploy"))); // what happened meanwhile is not sent
 *         } else {
 *             board.apply(item);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>The stream has no history and no resume: each time a connection opens, the first and every
 * later one, the watch yields {@link RunWatchItem#isConnected() connected} before the server's
 * items, the moment to list the runs over REST. A connection that drops, goes silent, or closes
 * with a code that says so ({@link StepstreamClient#reconnectsAfter}: 1013 among them, which the
 * server sends a reader that fell more than 4,096 items behind) is made again after a pause, as
 * a {@link Follow}'s is; silence, and which connections are usable, are judged as for a follow. The next message is read from the socket only once the last one was
 * taken, so a slow reader slows the server, which closes it with 1013, rather than filling memory.
 *
 * <p>It stops with a {@link StepstreamException}: the server refused (400 a bad parameter,
 * 401, 403), closed with 1008 ({@code POLICY}) or another code that says not to reconnect, 1000
 * included ({@code CLOSED}), or no connection was usable for {@link WatchOptions#giveUpAfter()}
 * ({@code UNAVAILABLE}). To stop it from another thread, interrupt the one that iterates:
 * {@link #hasNext()} then closes the watch and throws an {@link IllegalStateException}.
 */
public final class RunWatch implements Iterable<RunWatchItem>, Iterator<RunWatchItem>, AutoCloseable {
    private static final String PATH = "/api/v2/stream";

    private final Reconnector connections;
    /** Items of the current message (or {@code connected}) not yet yielded, in the order they came. */
    private final ArrayDeque<RunWatchItem> ready = new ArrayDeque<>();
    private boolean closed;
    private boolean iterated;

    RunWatch(StepstreamClient client, WatchOptions options) {
        String path = options.workflowId() == null ? PATH : PATH + "?workflowId=" + StepstreamClient.encode(options.workflowId());
        this.connections = new Reconnector(client, options.backoffBase(), options.backoffCap(), options.giveUpAfter(),
                new Reconnector.Target() {
                    @Override
                    public String path() {
                        return path;
                    }

                    @Override
                    public String howToGoOn() {
                        return "";
                    }

                    @Override
                    public void reconnecting(String why, int attempt, boolean wasConnected, Duration pause) {
                        options.listener().reconnecting(why, attempt, wasConnected, pause);
                    }
                });
    }

    /** How many times the watch connected again (or tried to). */
    public int reconnects() {
        return connections.reconnects();
    }

    /** The watch itself, once: a watch is iterated once; watch again for another. */
    @Override
    public Iterator<RunWatchItem> iterator() {
        if (iterated) {
            throw new IllegalStateException("a watch is iterated once; watch again (it begins with connected)");
        }
        iterated = true;
        return this;
    }

    /** The items as a sequential stream, without end; closing it closes the watch. */
    public Stream<RunWatchItem> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::close);
    }

    /**
     * Waits for the next item: true when there is one, false only once the watch is closed.
     * Blocks while nothing happens or the watch reconnects; throws {@link StepstreamException}
     * when it cannot go on.
     */
    @Override
    public boolean hasNext() {
        while (ready.isEmpty()) {
            if (closed) {
                return false;
            }
            try {
                advance();
            } catch (InterruptedException e) {
                close();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while watching runs", e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }
        return true;
    }

    @Override
    public RunWatchItem next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the watch is closed");
        }
        return ready.poll();
    }

    /** Stops watching: the connection is closed; iterating further yields nothing. */
    @Override
    public void close() {
        closed = true;
        ready.clear();
        connections.release(false);
    }

    private void advance() throws InterruptedException {
        switch (connections.next()) {
            case Reconnector.Opened opened -> ready.add(RunWatchItem.CONNECTED);
            case Reconnector.Message message -> accept(message.text());
            case Reconnector.ClosedNormally normally -> throw Reconnector.closedFinally(1000, normally.reason());
        }
    }

    /** The items of one message, one a line, go to {@link #ready}. */
    private void accept(String message) {
        for (String line : Connection.lines(message)) {
            ready.add(RunWatchItem.of(Connection.fields(line), line));
        }
    }
}
