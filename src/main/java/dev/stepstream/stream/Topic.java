package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
     * Events the ring keeps: a power of two. A burst longer than this reaches subscribers that
     * fall behind it from the store instead (a page read per subscriber), which costs far more
     * than the ring's memory: 8,192 slots hold ~2 MB of typical envelopes per followed run.
     */
    static final int CAPACITY = 8192;

    final UUID runId;
    private final AtomicReferenceArray<RunEvent> ring = new AtomicReferenceArray<>(CAPACITY);
    private volatile long lastSeq;
    final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();

    Topic(UUID runId) {
        this.runId = runId;
    }

    /**
     * Committer thread only. The ring keeps the envelope bytes, not the producer's payload tree
     * (which a stream filter re-reads from the bytes, once per event, if it needs it).
     */
    void put(RunEvent event) {
        ring.set((int) (event.seq() & (CAPACITY - 1)),
                RunEvent.stored(event.runId(), event.seq(), event.type(), event.time(), event.json()));
        if (event.seq() > lastSeq) {
            lastSeq = event.seq();
        }
    }

    /** Committer thread only: wakes every subscriber once for what was just put. */
    void wakeAll() {
        for (Subscriber subscriber : subscribers) {
            subscriber.wake();
        }
    }

    /** The event with this seq if the ring still holds it, else null. */
    RunEvent at(long seq) {
        RunEvent event = ring.get((int) (seq & (CAPACITY - 1)));
        return event != null && event.seq() == seq ? event : null;
    }

    /** The highest seq published since this topic was created (0 if none). */
    long lastSeq() {
        return lastSeq;
    }
}
