package dev.stepstream.retention;

import java.lang.management.ManagementFactory;

/**
 * Whether the processors this server runs on (its container's, where it has a CPU limit) were
 * mostly busy lately: the sweeper then rests longer, as it does while events wait to be stored,
 * so that deleting old runs takes little from streams and runs that keep the machine busy
 * without filling the event log (a fan-out to many clients is CPU, not store writes).
 *
 * <p>The JDK reports the load since it was last asked; this asks at most every
 * {@link #SAMPLE_NANOS}, so that a figure spans a few hundred of the kernel's ticks' worth of
 * time rather than one or two.
 *
 * <p>Threads: the sweeper's only.
 */
public final class ProcessorLoad {
    /** The share of the processors in use at or above which they count as busy. */
    static final double BUSY = 0.75;
    static final long SAMPLE_NANOS = 250_000_000;

    private final com.sun.management.OperatingSystemMXBean os =
            ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean bean ? bean : null;
    private long sampledAt;
    private boolean sampled;
    private boolean busy;

    /** True when the processors were at least {@link #BUSY} in use over the last sample (never, where the JDK cannot tell). */
    public boolean busy() {
        long now = System.nanoTime();
        if (os != null && (!sampled || now - sampledAt >= SAMPLE_NANOS)) {
            busy = os.getCpuLoad() >= BUSY;
            sampled = true;
            sampledAt = now;
        }
        return busy;
    }
}
