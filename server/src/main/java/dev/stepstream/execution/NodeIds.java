package dev.stepstream.execution;

import dev.stepstream.store.Store;
import dev.stepstream.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node id is one node's. A node that registers takes a registered id for a previous process of
 * its own, now gone, and makes its runs orphans ({@link Store#registerNode}): right after a
 * crash, but wrong while another live node has the id (two nodes given one {@code --node-id}),
 * whose running runs would end {@code interrupted}. So a node whose id holds a lease that has not
 * ended waits, before it registers, to see which it is. A live node renews its lease every third
 * of it ({@link NodeLease}): a lease that changes within a third of a lease (and a tenth, for the
 * renewal's own write) of its last renewal is a live node's; one that does not was a dead one's,
 * whose runs this node takes up at once, not a lease later. A node stopped cleanly leaves no
 * lease: no wait then.
 */
public final class NodeIds {
    private static final Logger log = LoggerFactory.getLogger(NodeIds.class);

    private NodeIds() {}

    /**
     * Returns once no live node holds {@code nodeId}: at once when no lease holds it, else when
     * its holder has missed a renewal (at most about four tenths of {@code lease}).
     *
     * @throws IllegalStateException when the lease is renewed meanwhile: a live node has this id
     */
    public static void requireUnused(Store store, String nodeId, Duration lease, Clock clock) throws InterruptedException {
        Optional<Instant> seen = store.leaseOf(nodeId);
        if (seen.isEmpty() || !seen.get().isAfter(clock.now())) {
            return;
        }
        // Renewed at (its end − lease), as the holder's clock said; renewed again a third of a lease later if alive.
        Instant renewalDue = seen.get().minus(lease).plus(lease.dividedBy(3)).plus(lease.dividedBy(10));
        if (clock.now().isBefore(renewalDue)) {
            log.info("node id {} holds a lease until {}: waiting until {} to see whether it is renewed (another live"
                    + " node with this id) or not (a process of this node that died)", nodeId, seen.get(), renewalDue);
        }
        Duration pause = lease.dividedBy(20);
        while (true) {
            Optional<Instant> now = store.leaseOf(nodeId);
            if (now.isPresent() && !now.get().equals(seen.get()) && now.get().isAfter(clock.now())) {
                throw new IllegalStateException("a live node has this id (it renewed its lease while this one waited):"
                        + " give each node its own --node-id");
            }
            if (now.isEmpty() || !clock.now().isBefore(renewalDue)) {
                return; // gone, or its renewal missed: a dead node's, whose runs this one takes up
            }
            clock.sleep(pause);
        }
    }
}
