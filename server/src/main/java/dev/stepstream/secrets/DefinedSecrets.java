package dev.stepstream.secrets;

import dev.stepstream.time.Clock;
import dev.stepstream.time.StopSignal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forms of every secret defined on the cluster, as this node last read them: what every run
 * of the node masks, from its first event, besides the values it reads itself (docs/security.md,
 * "Masking"). One per node, shared by its runs, which read {@link #forms} at every event: a
 * volatile read. No run start reads the store or opens a secret for it.
 *
 * <p>Read at start, before the node runs anything; read again, every value opened and its forms
 * made by the {@link Masker}, whenever the store's secrets version moved on: at once when this
 * node set or deleted a secret (before that call returns, so that a run started after the answer
 * masks the new value), and when the poller, which reads the version every poll interval, sees
 * that another node did. So a change made through another node reaches this node's runs within
 * about a poll interval ({@code --poll-interval}, 1 s by default).
 *
 * <p>Thread-safety: {@code current} is immutable and replaced whole. Reads of the secrets (a set's
 * or a deletion's thread, the poller) take {@code rebuilding} in turn, and each reads the version
 * before the values, so that a snapshot never names a version newer than its values: a change
 * made between the two reads is read again at the next look. {@code problem} is guarded by
 * {@code rebuilding}. The poller is the one thread that waits on {@code stop}.
 */
public final class DefinedSecrets implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DefinedSecrets.class);

    /** The forms of the values read at {@code version}. */
    private record Snapshot(long version, Masker.Forms forms) {
        static final Snapshot NONE = new Snapshot(Long.MIN_VALUE, Masker.Forms.NONE);
    }

    private final Vault vault;
    private final Clock clock;
    private final StopSignal stop;
    private final ReentrantLock rebuilding = new ReentrantLock();
    private volatile Snapshot current = Snapshot.NONE;
    /** What the last read failed with, said once until a read succeeds; null after a success. */
    private String problem;
    private Thread poller;

    private DefinedSecrets(Vault vault, Clock clock) {
        this.vault = vault;
        this.clock = clock;
        this.stop = new StopSignal(clock);
    }

    /**
     * Reads every secret, and from then on follows the changes: those this node makes, and,
     * every {@code poll}, those of other nodes. A node that cannot open the secrets masks none of
     * them, as it can read none (it says why at start).
     */
    public static DefinedSecrets start(Vault vault, Duration poll, Clock clock) {
        DefinedSecrets defined = new DefinedSecrets(vault, clock);
        if (vault.locked().isPresent()) {
            return defined;
        }
        defined.refresh();
        vault.onChange(defined::refresh);
        defined.poller = Thread.ofVirtual().name("secrets-poller").start(() -> defined.poll(poll));
        return defined;
    }

    /** The forms of every secret defined, as this node knows them now. */
    public Masker.Forms forms() {
        return current.forms();
    }

    /** Reads the secrets again if their version moved on since the last read; a failure is logged and the last read stays. */
    void refresh() {
        rebuilding.lock();
        try {
            long version = vault.version();
            if (version != current.version()) {
                List<String> values = vault.values();
                current = new Snapshot(version, Masker.Forms.of(values));
                log.debug("every run masks the {} secrets defined ({} forms), version {}", values.size(), current.forms().size(), version);
            }
            if (problem != null) {
                log.info("secrets read again: every run masks them");
                problem = null;
            }
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.equals(problem)) {
                log.warn("could not read the secrets to mask them in every run (trying again at the next poll): {}", why);
                problem = why;
            }
        } finally {
            rebuilding.unlock();
        }
    }

    private void poll(Duration interval) {
        while (stop.awaitUntil(clock.instant().plus(interval))) {
            refresh();
        }
    }

    /** Stops following other nodes' changes; the last forms read stay. */
    @Override
    public void close() {
        stop.stop();
        if (poller != null) {
            try {
                poller.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
