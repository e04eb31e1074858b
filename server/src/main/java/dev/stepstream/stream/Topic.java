package dev.stepstream.stream;

import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.store.RunPosition;
import io.vertx.core.Context;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
    /**
     * Slots taken from the budget for the ring and the events in it ({@link RingBudget#extraSlots});
     * -1 once given back (the topic is gone): a late growth or event then returns its own.
     */
    private final AtomicInteger held = new AtomicInteger();
    /**
     * The seq up to which {@link #evictLarge} has looked at this ring's events: it goes on from
     * there. Committer thread only.
     */
    private long evictedThrough;
    private volatile long lastSeq;
    /**
     * Set once the topic is in the hub's map ({@link #live}): from then on the hub finds it for
     * every event committed, and the ring gets them.
     */
    private volatile long liveSinceNanos;
    private volatile boolean live;
    /**
     * The last seq of the run's stored log as seen by a store read that began after this topic
     * was live (-1 until a subscriber has made one): every later event was committed after that
     * read began, so while this topic was live, and went to the ring. A subscriber past it has
     * all the stored history it lacks in the ring (or learns from {@link #at} that the ring has
     * moved past it), so it needs no read of its own: in a reconnect storm, the clients of a
     * run that resume with {@code after} cost the store one read instead of one each.
     */
    private final AtomicLong storedThrough = new AtomicLong(-1);
    private volatile boolean deleted;
    /** The last stored page a read since live found (see {@link #storedThrough}); its slots are the budget's. Guarded by this. */
    private volatile History.Page keptPage;
    private boolean released; // guarded by this
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
        synchronized (this) {
            released = true;
            if (keptPage != null) {
                budget.give(RingBudget.slotsOf(keptPage.events()));
                keptPage = null;
            }
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
        int index = (int) (event.seq() & (slots.length() - 1));
        RunEvent overwritten = slots.get(index);
        int extra = RingBudget.extraSlots(event) - (overwritten == null ? 0 : RingBudget.extraSlots(overwritten));
        if (extra > 0 && !hold(extra, false)) {
            hold(extra, true);
            evictLarge(slots, event.seq());
        } else if (extra < 0) {
            unhold(-extra);
        }
        slots.set(index, RunEvent.stored(event.runId(), event.seq(), event.type(), event.time(), event.json()));
        if (event.seq() > lastSeq) {
            lastSeq = event.seq();
        }
    }

    /**
     * Takes {@code count} slots for this ring, if the budget has them or {@code anyway}; true when
     * taken (or the topic is gone, which holds nothing). Committer thread.
     */
    private boolean hold(int count, boolean anyway) {
        if (anyway) {
            budget.takeAnyway(count);
        } else if (!budget.take(count)) {
            return false;
        }
        int before;
        do {
            before = held.get();
            if (before < 0) {
                budget.give(count); // released meanwhile: the topic is gone
                return true;
            }
        } while (!held.compareAndSet(before, before + count));
        return true;
    }

    /** Gives back {@code count} slots this ring held, unless the topic is gone (it gave them all back). Committer thread. */
    private void unhold(int count) {
        int before;
        do {
            before = held.get();
            if (before < 0) {
                return;
            }
        } while (!held.compareAndSet(before, before - count));
        budget.give(count);
    }

    /**
     * The budget is spent and this ring took an event's slots anyway: drops the ring's oldest
     * large events (those that take more than their ring slot) before {@code seq}, until the
     * budget is within its bound again or there are none left. Their subscribers, if any are
     * that far behind, read them from the store, where every event in a ring already is.
     * Committer thread.
     */
    private void evictLarge(AtomicReferenceArray<RunEvent> slots, long seq) {
        long from = Math.max(evictedThrough + 1, seq - slots.length() + 1);
        for (long at = from; at < seq && budget.exhausted(); at++) {
            int index = (int) (at & (slots.length() - 1));
            RunEvent old = slots.get(index);
            if (old != null && old.seq() == at && RingBudget.extraSlots(old) > 0) {
                slots.set(index, null);
                unhold(RingBudget.extraSlots(old));
            }
            evictedThrough = at;
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

    /**
     * The topic is in the hub's map: called after each subscribe returns (the first call
     * counts). A time taken now is after the topic could first be found. Any thread.
     */
    void live() {
        if (!live) {
            liveSinceNanos = System.nanoTime();
            live = true;
        }
    }

    /**
     * A store read that began after this topic was live found the run's log ending with
     * {@code page} (it {@linkplain History.Page#reachesEnd reaches the end}): every later event
     * is the ring's to have. The page itself is kept, while the ring budget has room for its
     * events, so that subscribers joining behind its end read it from here, not from the store.
     * A read that began before the topic was live says nothing. Any thread.
     */
    void storedThrough(History.Page page) {
        if (!live || page.readStartedNanos() - liveSinceNanos <= 0) {
            return;
        }
        long through = page.storedThrough();
        storedThrough.accumulateAndGet(through, Math::max);
        if (!page.events().isEmpty() && page.whole()) {
            keep(page);
        }
    }

    /** Keeps {@code page} instead of the kept one if it reaches further and the budget has its slots. */
    private synchronized void keep(History.Page page) {
        History.Page kept = keptPage;
        if (released || kept != null && kept.storedThrough() >= page.storedThrough() || !budget.take(RingBudget.slotsOf(page.events()))) {
            return;
        }
        keptPage = page;
        if (kept != null) {
            budget.give(RingBudget.slotsOf(kept.events()));
        }
    }

    /**
     * The kept page if it holds the event after {@code cursor} (the subscriber is behind what
     * the store held when it was read), else null; never once the run is deleted.
     */
    History.Page keptPageAfter(long cursor) {
        History.Page kept = keptPage;
        return kept != null && !deleted && cursor >= kept.after() && cursor < kept.storedThrough() ? kept : null;
    }

    /**
     * Whether every event after {@code seq} that is committed is in the ring, or was (see
     * {@link #storedThrough}); never once the run is deleted, so that a stream opening in that
     * moment reads the store and finds out.
     */
    boolean ringHasAllAfter(long seq) {
        long through = storedThrough.get();
        return !deleted && through >= 0 && seq >= through;
    }

    /**
     * Where the run's log stands, as far as this topic can tell without the store: null unless
     * a read since it was live has told it where the stored log ended (see
     * {@link #storedThrough}), the run is not deleted, and it holds the last event it knows of
     * (to tell whether that is the run's {@code run_complete}), or when {@code after} is past
     * that event (the client may have seen one the ring has yet to get: the store can tell).
     * A run whose last event here is not its {@code run_complete} counts as running.
     */
    RunPosition knownPosition(long after) {
        long through = storedThrough.get();
        if (deleted || through < 0) {
            return null;
        }
        long last = Math.max(through, lastSeq);
        if (after > last) {
            return null;
        }
        RunEvent newest = at(last);
        if (newest == null) {
            History.Page kept = keptPage;
            newest = kept != null && !kept.events().isEmpty() && kept.storedThrough() == last ? kept.events().getLast() : null;
        }
        if (newest == null) {
            return null;
        }
        return new RunPosition(newest.type() == EventType.RUN_COMPLETE ? newest.endStatus() : RunStatus.RUNNING, last);
    }

    /** The run was deleted (Hub, before it ends the streams). Any thread. */
    void runDeleted() {
        deleted = true;
    }

    /** The highest seq published since this topic was created (0 if none). */
    long lastSeq() {
        return lastSeq;
    }
}
