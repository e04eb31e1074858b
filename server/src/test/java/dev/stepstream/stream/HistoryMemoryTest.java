package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.SseClient;
import dev.stepstream.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pages of history are bounded in bytes, not only in events: a late reader of a run of long
 * log lines reads them in pages of about {@link History#PAGE_BYTES}, the pages kept for other
 * readers stay within their budget, and a deleted run's pages go with it (watched from outside
 * through {@code stepstream_stream_history_kept_bytes} and
 * {@code stepstream_stream_history_reads_total}); a REST page of history stops at 4 MiB,
 * whatever its {@code limit}. (app.SlowReadersMemoryTest shows what that spares a small heap.)
 */
@Timeout(120)
class HistoryMemoryTest {
    private static final Pattern KEPT = Pattern.compile("(?m)^stepstream_stream_history_kept_bytes (\\S+)$");
    private static final Pattern READS = Pattern.compile("(?m)^stepstream_stream_history_reads_total (\\S+)$");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void longLinesAreReadInPagesBoundedInBytesAndKeptWithinTheBudgetUntilTheRunIsDeleted(@TempDir Path dir) {
        long budget = History.keptBytesFor(Runtime.getRuntime().maxMemory());
        int longLine = 8_000; // a page of 1,000 is 8 MB
        int longLines = 2_500;
        try (TestServer server = TestServer.start(dir, config -> config.withAllowScripts(true))) {
            server.apply(lines("short-lines", 2500, 100));
            server.apply(lines("long-lines", longLines, longLine));
            assertThat(kept(server)).isZero();

            String shortRun = server.execute("short-lines", null);
            readAll(server, shortRun);
            long shortPages = kept(server);
            assertThat(shortPages).as("two full pages of short lines kept").isBetween(2L * History.PAGE * 100, budget);

            String longRun = server.execute("long-lines", null);
            long readsBefore = metric(server, READS);
            readAll(server, longRun);
            long reads = metric(server, READS) - readsBefore;
            assertThat(reads).as("pages of at most %d bytes and a line", History.PAGE_BYTES)
                    .isGreaterThanOrEqualTo((long) longLines * longLine / (History.PAGE_BYTES + longLine));
            assertThat(kept(server)).as("within the budget").isBetween(shortPages, budget);

            server.awaitEnd(shortRun);
            assertThat(server.delete("/api/v2/workflows/runs/" + shortRun).status()).isEqualTo(204);
            assertThat(server.delete("/api/v2/workflows/runs/" + longRun).status()).isEqualTo(204);
            assertThat(kept(server)).as("the deleted runs' pages gone").isZero();
        }
    }

    @Test
    void aRestPageOfLongLinesStopsAtFourMiBAndItsNextGoesOnWhateverItsLimit(@TempDir Path dir) {
        try (TestServer server = TestServer.start(dir, config -> config.withAllowScripts(true))) {
            server.apply(lines("long-lines", 1500, 16_000)); // 24 MB of log
            String runId = server.execute("long-lines", null);
            server.awaitEnd(runId);
            for (String filter : List.of("", "&types=step_log")) {
                List<Long> seqs = new ArrayList<>();
                long after = 0;
                int pages = 0;
                while (true) {
                    TestServer.Response page = server.get("/api/v2/workflows/runs/" + runId + "/events?limit=10000" + filter + "&after=" + after);
                    assertThat(page.status()).isEqualTo(200);
                    assertThat(page.text().length()).as("a page of at most 4 MiB and a line").isLessThan((4 << 20) + 20_000);
                    page.body().path("events").forEach(event -> seqs.add(event.path("seq").asLong()));
                    pages++;
                    if (page.body().path("next").isNull()) {
                        break;
                    }
                    after = page.body().path("next").asLong();
                }
                assertThat(pages).as("pages for %s", filter).isGreaterThanOrEqualTo(6);
                assertThat(seqs).as("every event once, in order, for %s", filter)
                        .hasSizeGreaterThanOrEqualTo(1500).isSorted().doesNotHaveDuplicates();
                if (filter.isEmpty()) {
                    assertThat(seqs).isEqualTo(LongStream.rangeClosed(1, seqs.size()).boxed().toList());
                }
            }
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
            List<Long> seqs = client.awaitEnd(Duration.ofSeconds(60)).stream()
                    .filter(event -> !event.event().equals("caught_up")).map(event -> Long.parseLong(event.id())).toList();
            assertThat(seqs).as("every event once, in order").hasSizeGreaterThan(2500)
                    .isEqualTo(LongStream.rangeClosed(1, seqs.size()).boxed().toList());
        }
    }

    private static long kept(TestServer server) {
        return metric(server, KEPT);
    }

    private static long metric(TestServer server, Pattern metric) {
        Matcher m = metric.matcher(server.get("/metrics").text());
        assertThat(m.find()).as("the metric is exported").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
