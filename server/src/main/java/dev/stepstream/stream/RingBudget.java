package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of ring slots ({@link Topic}): a ring starts small and grows as its run's
 * events come, while the budget has room, up to {@link Topic#CAPACITY}. So memory follows what
 * runs actually send rather than how many are followed, and a node following thousands of busy
 * runs stays within a bound: a ring that may not grow keeps its size and wraps (its slow
 * subscribers then read the store, as with any burst longer than a ring).
 *
 * <p>A slot stands for {@value #BYTES_PER_SLOT} bytes: a ring's slot holds an event of that
 * size, and an event held in memory takes one more slot for each further {@value #BYTES_PER_SLOT}
 * bytes of its envelope ({@link #extraSlots}), so that the bound is one of bytes. A ring of
 * 8,192 log lines of 16 KiB would otherwise hold 128 MiB on a budget that counted 2 MiB.
 *
 * <p>Threads: any; the count is atomic.
 */
final class RingBudget {
    /** The envelope size the default budget assumes per slot, typical of step logs. */
    private static final long BYTES_PER_SLOT = 256;

    private final long slots;
    private final AtomicLong used = new AtomicLong();

    RingBudget(long slots) {
        this.slots = slots;
    }

    /** A quarter of the heap's limit, in slots of typical envelopes: for a 1 GiB heap, a million. */
    static RingBudget forHeap(long maxHeapBytes) {
        return new RingBudget(Math.max(Topic.CAPACITY, maxHeapBytes / 4 / BYTES_PER_SLOT));
    }

    /** The slots an event takes beyond its ring slot: one for each {@value #BYTES_PER_SLOT} bytes of its envelope past the first. */
    static int extraSlots(RunEvent event) {
        return (event.json().length - 1) / (int) BYTES_PER_SLOT;
    }

    /** The slots events take held outside a ring (a kept page): one each, and their {@link #extraSlots}. */
    static int slotsOf(List<RunEvent> events) {
        int slots = 0;
        for (RunEvent event : events) {
            slots += 1 + extraSlots(event);
        }
        return slots;
    }

    /** Whether every slot is taken, or more (taken anyway). */
    boolean exhausted() {
        return used.get() >= slots;
    }

    /** Takes {@code count} slots if the budget has them. */
    boolean take(int count) {
        while (true) {
            long now = used.get();
            if (now + count > slots) {
                return false;
            }
            if (used.compareAndSet(now, now + count)) {
                return true;
            }
        }
    }

    /** Takes {@code count} slots whatever the budget says: a ring's first few, which every topic needs. */
    void takeAnyway(int count) {
        used.addAndGet(count);
    }

    void give(int count) {
        used.addAndGet(-count);
    }

    /** Slots held by every ring now. */
    long used() {
        return used.get();
    }

    long slots() {
        return slots;
    }
}
