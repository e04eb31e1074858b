package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.SseClient;
import dev.stepstream.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pages of history that streams share are kept within a budget of bytes, not of pages: a
 * late reader of a run of long log lines does not pin hundreds of MB of heap, and a deleted
 * run's pages go with it. Watched from outside through {@code stepstream_stream_history_kept_bytes}.
 */
@Timeout(120)
class HistoryMemoryTest {
    private static final Pattern KEPT = Pattern.compile("(?m)^stepstream_stream_history_kept_bytes (\\S+)$");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void pagesOfLongLinesAreNotKeptAndADeletedRunsPagesGo(@TempDir Path dir) {
        long budget = History.keptBytesFor(Runtime.getRuntime().maxMemory());
        // Lines such that a page of 1,000 is over a quarter of the budget; short ones well under it.
        int longLine = (int) (budget / 4 / History.PAGE) + 1;
        try (TestServer server = TestServer.start(dir, config -> config.withAllowScripts(true))) {
            server.apply(lines("short-lines", 2500, 100));
            server.apply(lines("long-lines", 2500, longLine));
            assertThat(kept(server)).isZero();

            String shortRun = server.execute("short-lines", null);
            readAll(server, shortRun);
            long shortPages = kept(server);
            assertThat(shortPages).as("two full pages of short lines kept").isBetween(2L * History.PAGE * 100, budget);

            String longRun = server.execute("long-lines", null);
            readAll(server, longRun);
            assertThat(kept(server)).as("no page of long lines kept").isEqualTo(shortPages);

            server.awaitEnd(shortRun);
            assertThat(server.delete("/api/v2/workflows/runs/" + shortRun).status()).isEqualTo(204);
            assertThat(kept(server)).as("the deleted run's pages gone").isZero();
        }
    }

    /** A workflow whose script prints {@code count} lines of {@code width} characters. */
    private static String lines(String id, int count, int width) {
        return """
                id: %s
                steps:
                  - {id: print, type: script, run: "awk 'BEGIN { s = sprintf(\\"%%%dd\\", 0); for (i = 0; i < %d; i++) print s }'"}
                """.formatted(id, width, count);
    }

    /** Reads the run's whole history through an SSE stream, as a late reader does. */
    private void readAll(TestServer server, String runId) {
        server.awaitEnd(runId);
        URI uri = URI.create(server.url() + "/api/v2/workflows/runs/" + runId + "/events");
        try (SseClient client = SseClient.open(http, uri, Map.of())) {
            List<SseClient.Event> events = client.awaitEnd(Duration.ofSeconds(60));
            assertThat(events).as("every event, and caught_up").hasSizeGreaterThan(2500);
        }
    }

    private static long kept(TestServer server) {
        Matcher m = KEPT.matcher(server.get("/metrics").text());
        assertThat(m.find()).as("the metric is exported").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
