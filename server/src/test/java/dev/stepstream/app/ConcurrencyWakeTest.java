package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slot of a concurrency key freed on one node is taken at once by another: the run's end
 * reaches the other node's executor through the broker, not at its next poll. The nodes poll
 * once a minute and renew their leases (and adopt, which wakes the claimer too) every 20 s, so a
 * run that started within seconds was woken by the run_complete that Redis carried.
 */
@Timeout(60)
class ConcurrencyWakeTest {
    private static final Duration SLOW = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aRunEndingOnOneNodeLetsTheNextRunOfItsKeyStartOnAnotherAtOnce() {
        Redis.require();
        try (Postgres postgres = Postgres.schema()) {
            TestServer a = node(postgres, "node-a");
            String first;
            try {
                a.apply("""
                        id: one-deploy
                        inputs:
                          pause: {type: string, default: "0s"}
                        concurrency: {limit: 1}
                        steps:
                          - {id: wait, type: sleep, duration: "${inputs.pause}"}
                        """);
                // A alone claims it: the key's one slot is taken on A.
                first = a.execute("one-deploy", "{\"pause\": \"60s\"}");
                Await.until("the first run runs", Duration.ofSeconds(10),
                        () -> a.run(first).path("status").asText().equals("running") ? true : null);
            } catch (RuntimeException | Error e) {
                a.close();
                throw e;
            }
            try (TestServer b = node(postgres, "node-b")) {
                String second;
                try {
                    second = b.execute("one-deploy", null); // B claims on its submit, and leaves it: the key is full
                    assertThat(b.run(second).path("status").asText()).isEqualTo("queued");
                } finally {
                    a.close(); // the sleeping run ends interrupted, and A claims nothing more
                }
                long closed = System.nanoTime();

                assertThat(b.awaitEnd(second, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("success");
                assertThat(Duration.ofNanos(System.nanoTime() - closed)).as("well before a poll or a lease renewal")
                        .isLessThan(Duration.ofSeconds(5));
                assertThat(b.run(first).path("status").asText()).isEqualTo("interrupted");
            }
        }
    }

    private TestServer node(Postgres postgres, String nodeId) {
        return TestServer.start(dir.resolve(nodeId), config -> config.withDb(postgres.url()).withRedis(Redis.URL)
                .withMaxConcurrentRuns(1).withCluster(new ClusterSettings(nodeId, SLOW, SLOW)));
    }
}
