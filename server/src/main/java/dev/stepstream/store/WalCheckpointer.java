package dev.stepstream.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies committed pages from SQLite's write-ahead log into the database file on a thread of
 * its own. Left to SQLite, the connection that commits runs the checkpoint every 1,000 pages,
 * inside its commit, and waits for the checkpoint's fsyncs: the committer, and every
 * subscriber waiting for its batch, would stall every few megabytes of events (measured:
 * about a third of the committer's time in a step_log flood). Here a write only asks for a
 * checkpoint ({@link #request}); requests made while one runs fold into the next.
 *
 * <p>A PASSIVE checkpoint never blocks readers or the writer, and the writer still checkpoints
 * by itself at a much higher bound ({@link Stores}), so the log stays bounded even when this
 * thread falls behind a flood. A failed checkpoint is logged and retried at the next request;
 * it loses nothing, as the pages stay in the log.
 *
 * <p>Thread-safety: {@link #request} from any thread; the checkpointer thread alone uses its
 * connection.
 */
final class WalCheckpointer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);

    /**
     * The least time from one checkpoint's start to the next. A flood commits every few
     * milliseconds; a checkpoint after each one made this thread preempt the committer hundreds
     * of times a second on two cores, and copy (and sync) the same b-tree pages again and
     * again. Meanwhile the log grows by at most what the committer writes in this time
     * (a few MB), far below the writer's own bound.
     */
    static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    private final Connection connection;
    private final Thread thread;
    private final AtomicLong completed = new AtomicLong();
    /** Set by {@link #request}, cleared by the checkpointer when it starts a checkpoint. */
    private final AtomicBoolean requested = new AtomicBoolean();
    private volatile boolean closed;

    private WalCheckpointer(Connection connection) {
        this.connection = connection;
        this.thread = Thread.ofPlatform().name("stepstream-sqlite-checkpointer").daemon().unstarted(this::run);
    }

    static WalCheckpointer start(DataSource source) throws SQLException {
        WalCheckpointer checkpointer = new WalCheckpointer(source.getConnection());
        checkpointer.thread.start();
        return checkpointer;
    }

    /**
     * Asks for a checkpoint soon; never blocks. Only the request that raises the flag wakes the
     * thread: the rest find a checkpoint already asked for, and waking the thread for each
     * commit (a hundred a second at a paced run's rate) only cut its rest between checkpoints
     * short, for it to find its interval not yet over and sleep again.
     */
    void request() {
        if (!requested.getAndSet(true)) {
            LockSupport.unpark(thread);
        }
    }

    /** How many checkpoints have completed, for tests. */
    long completed() {
        return completed.get();
    }

    private void run() {
        while (!closed) {
            while (!requested.getAndSet(false) && !closed) {
                LockSupport.park(this);
            }
            if (closed) {
                break;
            }
            long started = System.nanoTime();
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
                completed.incrementAndGet();
            } catch (SQLException e) {
                log.warn("background WAL checkpoint failed; the writer's own checkpoints still bound the log", e);
            }
            long next = started + MIN_INTERVAL.toNanos();
            for (long left = next - System.nanoTime(); left > 0 && !closed; left = next - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
        }
    }

    /** Finishes a checkpoint under way, then stops the thread and closes its connection. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("could not close the checkpointer's connection", e);
        }
    }
}
