package dev.stepstream.stream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live run-level feed of the all-runs stream: a ring of the latest items, each numbered by
 * a feed-wide sequence, and the dashboards reading it. No history: a dashboard starts at the
 * feed's current end. A dashboard that falls a whole ring behind is closed with 1013 (it
 * reloads the runs over REST and follows again).
 *
 * <p>Threads: the committer thread, the threads that queue runs and those that tell of a
 * deletion (a request's, the sweeper's, the broker's relay) publish, serialised by
 * {@code publishLock} (held only to number and store an item); dashboards read from their
 * event loops, validating each slot by its sequence as {@link Topic} does.
 */
final class RunFeed {
    static final int CAPACITY = 4096;

    /** One item: the workflow it belongs to (for {@code ?workflowId=}) and its JSON. */
    record Item(long feedSeq, String workflowId, byte[] json) {}

    private final AtomicReferenceArray<Item> ring = new AtomicReferenceArray<>(CAPACITY);
    private final ReentrantLock publishLock = new ReentrantLock();
    private volatile long lastSeq; // written under publishLock
    final Set<FeedSubscriber> subscribers = ConcurrentHashMap.newKeySet();

    void publish(String workflowId, byte[] json) {
        publishLock.lock();
        try {
            long seq = lastSeq + 1;
            ring.set((int) (seq & (CAPACITY - 1)), new Item(seq, workflowId, json));
            lastSeq = seq;
        } finally {
            publishLock.unlock();
        }
        for (FeedSubscriber subscriber : subscribers) {
            subscriber.wake();
        }
    }

    Item at(long seq) {
        Item item = ring.get((int) (seq & (CAPACITY - 1)));
        return item != null && item.feedSeq() == seq ? item : null;
    }

    long lastSeq() {
        return lastSeq;
    }
}
