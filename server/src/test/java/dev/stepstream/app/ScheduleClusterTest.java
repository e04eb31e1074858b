package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One schedule on three nodes (PostgreSQL and Redis) that share one clock, moved a second at a
 * time: every node's scheduler tries each due time, and exactly one run starts for each.
 */
@Timeout(180)
class ScheduleClusterTest {
    private static final int SECONDS = 60;

    @TempDir
    Path dir;

    @Test
    void threeNodesStartExactlyOneRunPerDueTime() {
        Redis.require();
        ManualClock clock = new ManualClock(Instant.parse("2026-12-04T12:00:00.250Z"));
        List<TestServer> nodes = new ArrayList<>();
        try (Postgres postgres = Postgres.schema()) {
            try {
                for (String id : List.of("node-a", "node-b", "node-c")) {
                    nodes.add(TestServer.start(dir.resolve(id), clock, config -> config.withDb(postgres.url())
                            .withRedis(Redis.URL).withCluster(new ClusterSettings(id, Duration.ofSeconds(15), Duration.ofMillis(200)))));
                }
                nodes.getFirst().apply("""
                        id: every-second
                        triggers:
                          - {id: tick, type: schedule, cron: "* * * * * *"}
                        steps:
                          - {id: greet, type: log, message: tick}
                        """);
                TestServer observer = nodes.getLast();
                for (int second = 1; second <= SECONDS; second++) {
                    clock.advance(Duration.ofSeconds(1));
                    int expected = second;
                    Await.until(expected + " scheduled runs", Duration.ofSeconds(20), () -> {
                        List<JsonNode> runs = scheduled(observer);
                        assertThat(runs.size()).as("scheduled runs after %d due times", expected).isLessThanOrEqualTo(expected);
                        return runs.size() == expected ? runs : null;
                    });
                }
                // Every run ends (on whichever node claimed it), and only then is the count taken for good.
                Await.until("every scheduled run ends", Duration.ofSeconds(30), () -> scheduled(observer).stream()
                        .allMatch(run -> TestServer.TERMINAL.contains(run.path("status").asText())) ? true : null);

                List<JsonNode> runs = scheduled(observer);
                assertThat(runs).hasSize(SECONDS);
                List<String> dueAt = runs.stream().map(run -> run.path("trigger").path("dueAt").asText()).toList();
                assertThat(dueAt).doesNotHaveDuplicates().contains("2026-12-04T12:00:01.000Z", "2026-12-04T12:01:00.000Z");
                assertThat(runs).allSatisfy(run -> assertThat(run.path("trigger").path("id").asText()).isEqualTo("tick"));
            } finally {
                nodes.forEach(TestServer::close);
            }
        }
    }

    private static List<JsonNode> scheduled(TestServer node) {
        TestServer.Response page = node.get("/api/v2/workflows/runs?limit=500&trigger=schedule");
        assertThat(page.status()).as(page.text()).isEqualTo(200);
        List<JsonNode> runs = new ArrayList<>();
        page.body().path("runs").forEach(runs::add);
        return runs;
    }
}
