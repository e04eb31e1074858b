package dev.stepstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The guard that fails server tests on a blocked event loop really hears Vert.x's warning. */
@Timeout(30)
class BlockedThreadGuardTest {
    static {
        System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    }

    @Test
    void aBlockedEventLoopIsRecorded() throws Exception {
        int before = BlockedThreadGuard.warnings().size();
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(50).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
        try {
            vertx.runOnContext(ignored -> {
                try {
                    Thread.sleep(400); // deliberately blocks the event loop: the thing the guard exists for
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Await.until("Vert.x warns of the blocked thread", Duration.ofSeconds(5),
                    () -> BlockedThreadGuard.warnings().size() > before ? true : null);
            assertThat(BlockedThreadGuard.warnings().get(BlockedThreadGuard.warnings().size() - 1)).contains("blocked");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
