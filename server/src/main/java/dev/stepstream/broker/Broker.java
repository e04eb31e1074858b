package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.execution.Executor;
import dev.stepstream.execution.RunListener;
import java.util.Optional;

/**
 * Carries committed events from the node that committed them to every node's hub, and the
 * notices nodes send one another (a run was queued; cancel a run you execute; a decision was taken).
 *
 * <p>Contract, pinned by {@code BrokerContractTest} against every implementation:
 * <ul>
 *   <li>{@link #committed} is called by the committer thread after each commit, in commit
 *       order, and returns without waiting for other nodes (it may block while this node's own
 *       delivery is full: back-pressure, never loss).</li>
 *   <li>Every node's hub hears each event only after it was committed, on one thread, and for
 *       each run in seq order with no gap and no duplicate from the first event it hears of
 *       that run: all events of the runs it follows ({@link Interest}), and the run-level
 *       events ({@code run_start}, {@code step_complete}, {@code run_complete}) of every run.</li>
 *   <li>A followed run whose events the transport lost (a reconnect, an overloaded subscriber,
 *       the broker down) has them delivered from the store within about the poll interval:
 *       a subscriber never waits forever for a {@code run_complete}.</li>
 *   <li>{@link #queued} reaches the hub of every node; {@link #cancel} reaches the named node's
 *       executor (best effort: the store carries the cancel too); {@link #decided} reaches the
 *       named node's executor, or every node's when none is named (best effort too).</li>
 *   <li>{@link #deleted} reaches the hub of every node that follows the run: at once through
 *       the transport (and every node's hub, for its all-runs stream), and, should that lose
 *       it, when the relay finds the followed run gone from the store (within about the poll
 *       interval; then without the run's workflow).</li>
 * </ul>
 */
public interface Broker extends EventLog.Listener, RunListener, Executor.Peers, Interest, AutoCloseable {

    /**
     * Where notices from other nodes go: {@code runQueued} when a run was queued elsewhere (a
     * node with free slots may claim it), {@code cancel} for a run this node executes,
     * {@code decided} when a decision was taken on a step of a run this node holds or that no
     * node holds. Set once, before the node starts.
     */
    void onNotices(Runnable runQueued, java.util.function.Consumer<java.util.UUID> cancel,
                   java.util.function.Consumer<java.util.UUID> decided);

    /**
     * Where the broker counts failed publishes and the gaps it repaired from the store. Set
     * once, before the node starts; the in-process broker has neither.
     */
    default void measure(dev.stepstream.metrics.BrokerMetrics metrics) {
    }

    /** Empty when the broker works; else what is wrong, for {@code /readyz}. May block briefly (a ping). */
    Optional<String> problem();

    @Override
    void close();
}
