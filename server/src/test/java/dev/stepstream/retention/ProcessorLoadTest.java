package dev.stepstream.retention;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ProcessorLoadTest {

    @Test
    @Timeout(30)
    void processorsAllSpinningCountAsBusy() throws InterruptedException {
        ProcessorLoad load = new ProcessorLoad();
        load.busy(); // the JDK's first figure covers everything since the process started
        AtomicBoolean spin = new AtomicBoolean(true);
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            spinners.add(Thread.ofPlatform().daemon().start(() -> {
                long x = 0;
                while (spin.get()) {
                    x += System.nanoTime() & 1;
                }
                if (x == -1) {
                    System.out.println(x);
                }
            }));
        }
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean busy = false;
            while (!busy && System.nanoTime() < deadline) {
                Thread.sleep(50); // polls a figure that changes at most every 250 ms; not a synchronisation
                busy = load.busy();
            }
            assertThat(busy).as("a thread spinning on every processor makes them busy within 10 s").isTrue();
        } finally {
            spin.set(false);
            for (Thread spinner : spinners) {
                spinner.join();
            }
        }
    }
}
