package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import io.vertx.core.Context;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One run's recent committed events and its subscribers. A topic exists while the run has
 * subscribers; a subscriber registers before it reads history from the store, so every event
 * committed after that read is in the ring (or, if the ring has moved past it, in the store).
 *
 * <p>Threads: only the committer thread (through {@link Hub}) writes the ring and
 * {@code lastSeq}; subscribers read them from their event loops. A slot is written before
 * {@code lastSeq} (volatile) is raised, so a reader that sees {@code lastSeq} sees the events
 * up to it, unless the ring has already overwritten them: {@link #at} then answers null and
 * the subscriber reads the store. Events are immutable, so a slot read is always whole.
 */
final class Topic {
    /**
     * Events a ring keeps at most: a power of two. A burst longer than this reaches subscribers
     * that fall behind it from the store instead (a page read per subscriber), which costs far
     * more than the ring's memory: 8,192 slots hold ~2 MB of typical envelopes per followed run.
     */
    static final int CAPACITY = 8192;
    /** A new ring's slots: a quiet run's topic costs little more than its subscribers. */
    static final int INITIAL = 64;

    final UUID runId;
    private final RingBudget budget;
    /**
     * The ring: replaced by one twice as big (committer thread) when it is full, the budget has
     * room and it is under {@link #CAPACITY}. Written before {@code lastSeq}, so a reader that
     * sees a seq sees the ring that holds it (or a bigger one).
     */
    private volatile AtomicReferenceArray<RunEvent> ring;
    /** Slots taken from the budget; -1 once given back (the topic is gone): a late growth then returns its own. */
    private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastSeq;
    final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    /**
     * The same subscribers by the event loop they write on, so that a commit wakes each loop
     * once (one task that pumps its subscribers of this run) instead of scheduling a task per
     * subscriber: with 1,000 subscribers that is 2 tasks per commit, not 1,000. Keyed by the
     * Netty event loop, since each connection has a Vert.x context of its own (a duplicate of
     * its server's); the task runs in the first member's context, on that same thread. At most
     * one entry per event loop; an emptied entry stays until the topic goes.
     */
    private final Map<io.netty.channel.EventLoop, Loop> loops = new ConcurrentHashMap<>();

    /** One event loop's subscribers of this run, and whether a wake of them is already scheduled. */
    private static final class Loop {
        final Context context;
        final Set<Subscriber> members = ConcurrentHashMap.newKeySet();
        final AtomicBoolean scheduled = new AtomicBoolean();

        Loop(Context context) {
            this.context = context;
        }

        void wake() {
            if (scheduled.compareAndSet(false, true)) {
                context.runOnContext(ignored -> {
                    scheduled.set(false);
                    for (Subscriber subscriber : members) {
                        subscriber.pump();
                    }
                });
            }
        }
    }

    Topic(UUID runId, RingBudget budget) {
        this.runId = runId;
        this.budget = budget;
        budget.takeAnyway(INITIAL);
        held.set(INITIAL);
        this.ring = new AtomicReferenceArray<>(INITIAL);
    }

    /** Gives the ring's slots back to the budget: the topic is gone (Hub, under its per-run lock). */
    void release() {
        int slots = held.getAndSet(-1);
        if (slots > 0) {
            budget.give(slots);
        }
    }

    /**
     * Committer thread only. The ring keeps the envelope bytes, not the producer's payload tree
     * (which a stream filter re-reads from the bytes, once per event, if it needs it).
     */
    void put(RunEvent event) {
        AtomicReferenceArray<RunEvent> slots = ring;
        int size = slots.length();
        RunEvent replaced = slots.get((int) (event.seq() & (size - 1)));
        if (replaced != null && replaced.seq() < event.seq() && size < CAPACITY) {
            slots = grow(slots);
        }
        slots.set((int) (event.seq() & (slots.length() - 1)),
                RunEvent.stored(event.runId(), event.seq(), event.type(), event.time(), event.json()));
        if (event.seq() > lastSeq) {
            lastSeq = event.seq();
        }
    }

    /**
     * The ring, twice as big, holding what the old one held, if the budget gives the slots
     * (and the topic is not gone meanwhile); else the old ring, which then wraps. Committer thread.
     */
    private AtomicReferenceArray<RunEvent> grow(AtomicReferenceArray<RunEvent> old) {
        int size = old.length();
        if (!budget.take(size)) {
            return old;
        }
        int before = held.get();
        if (before < 0 || !held.compareAndSet(before, before + size)) {
            budget.give(size); // released meanwhile: the topic is gone
            return old;
        }
        AtomicReferenceArray<RunEvent> bigger = new AtomicReferenceArray<>(size * 2);
        for (int i = 0; i < size; i++) {
            RunEvent event = old.get(i);
            if (event != null) {
                bigger.set((int) (event.seq() & (size * 2 - 1)), event);
            }
        }
        ring = bigger;
        return bigger;
    }

    /** Slots of this topic's ring now. */
    int size() {
        return ring.length();
    }

    /** Under the hub's per-run lock (Hub.subscribe). */
    void add(Subscriber subscriber) {
        subscribers.add(subscriber);
        loops.computeIfAbsent(eventLoop(subscriber), loop -> new Loop(subscriber.context())).members.add(subscriber);
    }

    /** Under the hub's per-run lock (Hub.unsubscribe). */
    void remove(Subscriber subscriber) {
        subscribers.remove(subscriber);
        Loop loop = loops.get(eventLoop(subscriber));
        if (loop != null) {
            loop.members.remove(subscriber);
        }
    }

    private static io.netty.channel.EventLoop eventLoop(Subscriber subscriber) {
        return VertxInternals.eventLoop(subscriber.context());
    }

    /** Committer (or relay) thread: wakes every subscriber, one task per event loop, for what was just put. */
    void wakeAll() {
        for (Loop loop : loops.values()) {
            loop.wake();
        }
    }

    /** The event with this seq if the ring still holds it, else null. */
    RunEvent at(long seq) {
        AtomicReferenceArray<RunEvent> slots = ring;
        RunEvent event = slots.get((int) (seq & (slots.length() - 1)));
        return event != null && event.seq() == seq ? event : null;
    }

    /** The highest seq published since this topic was created (0 if none). */
    long lastSeq() {
        return lastSeq;
    }
}
