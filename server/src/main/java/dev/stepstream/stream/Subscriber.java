package dev.stepstream.stream;

import dev.stepstream.events.EventFilter;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import io.vertx.core.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One connection's view of one run: a cursor over the run's log and a small state machine
 * (DESIGN.md invariant 4). It owns no queue: it writes only while its socket is writable,
 * taking events from the topic's ring, or, when the cursor is behind the ring (a late joiner,
 * a slow reader), one page at a time from the store. So a slow reader delays only itself, and
 * every event reaches it exactly once, in seq order: the cursor moves over each seq once.
 *
 * <p>Threads: everything but {@link #wake} runs on the connection's event loop, which owns all
 * the mutable fields (see {@link Pump}); the committer thread only wakes it.
 */
final class Subscriber extends Pump {
    /** Events one write gathers: one frame with {@code batch=1}, up to about 64 KiB. */
    private static final int MAX_CHUNK_EVENTS = 256;
    private static final int MAX_CHUNK_BYTES = 64 * 1024;
    /** Chunks one turn of the event loop may write before it lets other connections run. */
    private static final int MAX_CHUNKS_PER_TURN = 16;
    /** The chunk list's capacity kept between turns; a larger one, grown by a burst, is dropped. */
    private static final int CHUNK_KEPT = 8;

    private enum Next { MORE, FETCHING, CAUGHT_UP }

    private final Hub hub;
    private final Topic topic;
    private final History history;
    private final StreamSink sink;
    private final EventFilter filter;
    /** The run's last seq when the stream opened: the store holds every event up to it unless the run is deleted. */
    private final long storedAtOpen;

    private long cursor;           // the last seq this connection has passed (sent or filtered out)
    private long lastSent;         // the last seq written, for caught_up
    private boolean historyDone;   // a store page reached the end of the log: newer events are in the ring
    private long lastCut = -1;     // where the last store page read stopped, if it was cut (History.startOf)
    private boolean fetching;
    private boolean caughtUpSent;
    private boolean finished;      // run_complete has been passed
    private List<RunEvent> page = List.of();
    private int pageIndex;
    /**
     * The events of one send, reused from send to send: a live stream sends one event a turn,
     * and a new list for each was four fifths of what the server allocated at 100 events/s to
     * 1,000 clients (docs/BENCHMARKS.md, issue 21). The sinks copy the events into a buffer
     * before {@code send} returns, so nothing keeps the list. Cut back after a burst.
     */
    private ArrayList<RunEvent> chunk = new ArrayList<>(CHUNK_KEPT);

    Subscriber(Hub hub, Topic topic, History history, StreamSink sink, EventFilter filter, Context context,
               long after, long storedAtOpen, boolean runAlreadyEnded, long writeTimeoutMs) {
        super(context, writeTimeoutMs);
        this.hub = hub;
        this.topic = topic;
        this.history = history;
        this.sink = sink;
        this.filter = filter;
        this.cursor = after;
        this.storedAtOpen = storedAtOpen;
        this.finished = runAlreadyEnded;
    }

    /**
     * Writes what is ready while the socket is writable, and flushes once at the end of the
     * turn: one system call for up to {@value #MAX_CHUNKS_PER_TURN} chunks. Event loop only.
     */
    @Override
    void pump() {
        if (paused()) {
            return;
        }
        try {
            writeTurn();
        } finally {
            sink.flush();
        }
    }

    private void writeTurn() {
        ArrayList<RunEvent> chunk = this.chunk;
        chunk.clear(); // a send that threw left its events in it
        boolean grown = false;
        try {
            for (int turn = 0; turn < MAX_CHUNKS_PER_TURN; turn++) {
                if (sink.writeQueueFull()) {
                    sink.flush(); // the socket may take it all at once
                    if (sink.writeQueueFull()) {
                        awaitDrain();
                        return;
                    }
                }
                Next next = collect(chunk);
                if (!chunk.isEmpty()) {
                    grown |= chunk.size() > CHUNK_KEPT;
                    sink.send(chunk);
                    lastSent = chunk.get(chunk.size() - 1).seq();
                    chunk.clear();
                }
                if (next == Next.FETCHING) {
                    return;
                }
                if (next == Next.CAUGHT_UP) {
                    caughtUp();
                    return;
                }
            }
            wake(); // more to write: continue after the other connections of this loop had their turn
        } finally {
            if (grown) {
                this.chunk = new ArrayList<>(CHUNK_KEPT);
            }
        }
    }

    /** Moves the cursor over ready events, gathering those that pass the filter into {@code chunk}. */
    private Next collect(List<RunEvent> chunk) {
        int bytes = 0;
        while (chunk.size() < MAX_CHUNK_EVENTS && bytes < MAX_CHUNK_BYTES) {
            if (finished) {
                return Next.CAUGHT_UP; // nothing follows run_complete
            }
            RunEvent event = nextEvent();
            if (event == null) {
                if (!historyDone && topic.ringHasAllAfter(cursor)) {
                    historyDone = true; // another subscriber's read since the topic was live covers this one
                }
                if (!historyDone || cursor < topic.lastSeq()) {
                    History.Page kept = topic.keptPageAfter(cursor);
                    if (kept != null) {
                        // The stored page another subscriber read since the topic was live: it
                        // holds the event after the cursor, and the ring has every one after it.
                        page = kept.events();
                        pageIndex = 0;
                        historyDone = true;
                        lastCut = -1;
                        continue;
                    }
                    fetch();
                    return Next.FETCHING;
                }
                return Next.CAUGHT_UP;
            }
            cursor = event.seq();
            if (event.type() == EventType.RUN_COMPLETE) {
                finished = true;
            }
            if (filter.accepts(event)) {
                chunk.add(event);
                bytes += event.json().length;
            }
        }
        return Next.MORE;
    }

    /** The event after the cursor from the current store page or the ring, or null. */
    private RunEvent nextEvent() {
        while (pageIndex < page.size()) {
            RunEvent event = page.get(pageIndex++);
            if (event.seq() == cursor + 1) {
                return event;
            }
        }
        page = List.of();
        pageIndex = 0;
        return topic.at(cursor + 1);
    }

    private void fetch() {
        if (fetching) {
            return;
        }
        fetching = true;
        long committed = Math.max(storedAtOpen, topic.lastSeq()); // before the read: the store has these
        history.page(topic.runId, History.startOf(cursor, lastCut))
                .thenCompose(read -> {
                    if (missesEvents(read, committed)) {
                        return history.position(topic.runId).thenApply(run -> run.isPresent() ? read : null);
                    }
                    if (read.reachesEnd()) {
                        // On the reading thread, before the read is no longer shared: a stream
                        // opening from now on finds the page in the topic instead of reading again.
                        topic.storedThrough(read);
                    }
                    return CompletableFuture.completedFuture(read);
                })
                .whenComplete((read, failure) -> context.runOnContext(ignored -> {
                    fetching = false;
                    if (isClosed()) {
                        return;
                    }
                    if (failure != null) {
                        close(CloseCode.INTERNAL, "history unavailable; reconnect with after");
                        return;
                    }
                    if (read == null) {
                        close(CloseCode.NORMAL, CloseCode.RUN_DELETED);
                        return;
                    }
                    page = read.events();
                    pageIndex = 0;
                    lastCut = read.cut() ? read.storedThrough() : -1;
                    if (read.reachesEnd()) {
                        historyDone = true;
                    }
                    pump();
                }));
    }

    /**
     * Whether a page lacks events the store had before it was read: a hole at its start, or an
     * end short of {@code committed}. That happens when the run was deleted and its events are
     * being purged, or when the page was read (for another connection) before the last commits;
     * the run's row tells which.
     */
    private static boolean missesEvents(History.Page read, long committed) {
        if (!read.events().isEmpty() && read.events().getFirst().seq() != read.after() + 1) {
            return true;
        }
        return read.reachesEnd() && read.storedThrough() < committed;
    }

    /**
     * Any thread: the run was deleted ({@link Hub#deleted}): the stream ends with 1000
     * {@value CloseCode#RUN_DELETED} on its event loop, wherever it is in the history.
     */
    void runDeleted() {
        context.runOnContext(ignored -> close(CloseCode.NORMAL, CloseCode.RUN_DELETED));
    }

    /**
     * {@code caught_up}, once; then the end of the stream if the run has ended. Where a sink
     * sends none after the run_complete (SSE), it still does when its filter left the
     * run_complete out: that caught_up is what moves the client to the run's end, so that its
     * reconnect finds nothing after it (204) instead of asking again from its last event.
     */
    private void caughtUp() {
        if (!caughtUpSent && (!finished || sink.caughtUpAfterRunComplete() || lastSent < cursor)) {
            caughtUpSent = true;
            sink.caughtUp(caughtUp(topic.runId, lastSent), cursor);
        }
        if (finished) {
            close(CloseCode.NORMAL, "run complete");
        }
    }

    /**
     * {@code {"type":"caught_up","runId":…,"payload":{"seq":N}}}, written as text: one per stream,
     * 10,000 at once in a reconnect storm, on a new process's cold JIT, where building a tree and
     * serialising it cost more than the rest of the message's way.
     */
    static byte[] caughtUp(UUID runId, long seq) {
        return ("{\"type\":\"caught_up\",\"runId\":\"" + runId + "\",\"payload\":{\"seq\":" + seq + "}}")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    void onDrain(Runnable drained) {
        sink.onDrain(drained);
    }

    @Override
    void sendClose(CloseCode code, String reason) {
        sink.close(code, reason);
    }

    @Override
    void unsubscribe() {
        hub.unsubscribe(this);
    }

    Topic topic() {
        return topic;
    }

}
