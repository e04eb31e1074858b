package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import dev.stepstream.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node on a small heap (64 MB) with a run of long log lines (7,000 of 16 KB: 112 MB, then a
 * step that fails), and what its users may ask of it whatever the run's size. Slow readers that
 * join at different places each hold the page of history they are sending for as long as they
 * take: those pages are bounded in bytes, not only in events (a page of 1,000 such lines is
 * 16 MB). A retry reads the run's log to plan which steps it reuses: not its lines. Before,
 * both ran the node out of memory (streams ended with {@code history unavailable}; the retry
 * never started).
 */
@Timeout(180)
class SmallHeapTest {
    private static final int READERS = 7;
    private static final int LINES = READERS * 1000;
    private static final Pattern READS = Pattern.compile("(?m)^stepstream_stream_history_reads_total (\\S+)$");

    @TempDir
    static Path dir;
    static ChildServer node;
    static String runId;
    static long lastSeq;

    @BeforeAll
    static void start() throws IOException {
        node = ChildServer.start(dir, java.util.Map.of(), List.of("-Xmx64m"), "--allow-scripts");
        NodeApi.put(node, """
                id: long-lines
                steps:
                  - {id: print, type: script, run: "awk 'BEGIN { s = sprintf(\\"%%16000d\\", 0); for (i = 0; i < %d; i++) print s }'"}
                  - {id: then-fail, type: fail, message: the end}
                """.formatted(LINES));
        runId = NodeApi.execute(node, "long-lines", null);
        assertThat(NodeApi.awaitEnd(node, runId).path("status").asText()).as(node.output()).isEqualTo("failed");
        lastSeq = NodeApi.get(node, "/api/v2/workflows/runs/" + runId).path("lastSeq").asLong();
        assertThat(lastSeq).as("every line was stored").isGreaterThan(LINES);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void slowReadersOfLongLinesAtDifferentPlacesAllGetTheirHistory() throws Exception {
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        CountDownLatch go = new CountDownLatch(1);
        try {
            // Each reader starts on a page of its own, reads the response's head and stops.
            long readsBefore = reads(node);
            List<Long> afters = new ArrayList<>();
            List<Future<List<Long>>> readers = new ArrayList<>();
            for (int i = 0; i < READERS; i++) {
                long after = i * 1000L + 500;
                afters.add(after);
                readers.add(threads.submit(() -> readSlowly(URI.create(node.url()), runId, after, go)));
            }
            try {
                Await.until("each reader's first page read", Duration.ofSeconds(60), () -> reads(node) - readsBefore >= READERS ? true : null);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the node's output:\n" + node.output(), e);
            }
            go.countDown();

            for (int i = 0; i < READERS; i++) {
                List<Long> seqs = readers.get(i).get(120, TimeUnit.SECONDS);
                assertThat(seqs).as("reader after %d: every event once, in order, to the run's end (output: %s)",
                                afters.get(i), node.output())
                        .hasSize((int) (lastSeq - afters.get(i)))
                        .startsWith(afters.get(i) + 1)
                        .endsWith(lastSeq)
                        .isSorted()
                        .doesNotHaveDuplicates();
            }
            assertThat(node.output()).doesNotContain("OutOfMemoryError");
        } finally {
            go.countDown();
            threads.shutdownNow(); // a virtual thread's blocked socket read ends when it is interrupted
        }
    }

    @Test
    void aRetryOfTheRunReusesItsStepOfLongLinesAndRunsTheRest() {
        HttpResponse<String> asked = NodeApi.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v2/workflows/runs/" + runId + "/retry"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"from\": \"failed\"}")));
        assertThat(asked.statusCode()).as(asked.body()).isEqualTo(202);
        String retry = NodeApi.json(asked).path("runId").asText();
        JsonNode ended = NodeApi.awaitEnd(node, retry);
        assertThat(ended.path("status").asText()).as(node.output()).isEqualTo("failed");
        assertThat(ended.path("error").asText()).contains("the end");
        List<JsonNode> events = NodeApi.events(node, retry);
        assertThat(events).filteredOn(event -> event.path("type").asText().equals("step_complete")
                        && event.path("payload").path("stepId").asText().equals("print"))
                .singleElement().satisfies(print -> assertThat(print.path("payload").path("reused").asBoolean()).isTrue());
        assertThat(node.output()).doesNotContain("OutOfMemoryError");
    }

    @Test
    void manySlowReadersOfLargeHistoryPagesGetEachPageWholeOrA503() throws Exception {
        int clients = 60; // pages of 4 MiB: 240 MiB built and in flight if all were answered at once
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        CountDownLatch answered = new CountDownLatch(clients);
        try {
            List<Future<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                outcomes.add(threads.submit(() -> pageSlowly(URI.create(node.url()), runId, answered)));
            }
            List<String> seen = new ArrayList<>();
            for (Future<String> outcome : outcomes) {
                seen.add(outcome.get(120, TimeUnit.SECONDS));
            }
            assertThat(seen).as("each a whole page or a 503 (output: %s)", node.output())
                    .allMatch(outcome -> outcome.equals("page") || outcome.equals("over_capacity"))
                    .contains("page");
            assertThat(node.output()).doesNotContain("OutOfMemoryError");
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A REST page of the run's history, limit 10,000, on a socket with a small receive buffer:
     * once every client has its answer's status, reads it slowly; "page" for a whole 200 page
     * (its body as long as it said, and JSON with events), the error code of a 503 (which says
     * to try again in a second).
     */
    private static String pageSlowly(URI server, String runId, CountDownLatch answered) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(server.getHost(), server.getPort()));
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/v2/workflows/runs/" + runId + "/events?after=0&limit=10000 HTTP/1.1\r\nHost: "
                    + server.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String status = line(in);
            answered.countDown();
            answered.await(30, TimeUnit.SECONDS); // all answers in flight at once
            int length = -1;
            String retryAfter = null;
            for (String header; !(header = line(in)).isEmpty(); ) {
                String lower = header.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(header.substring("content-length:".length()).trim());
                } else if (lower.startsWith("retry-after:")) {
                    retryAfter = header.substring("retry-after:".length()).trim();
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] chunk = new byte[4096];
            while (body.size() < length) {
                int read = in.read(chunk);
                if (read < 0) {
                    return "cut at " + body.size() + " of " + length + " bytes (" + status + ")";
                }
                body.write(chunk, 0, read);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000); // reading slowly
            }
            JsonNode json = dev.stepstream.json.Json.MAPPER.readTree(body.toByteArray());
            if (status.startsWith("HTTP/1.1 503")) {
                // A client is told when to try again.
                return json.path("error").path("code").asText() + ("1".equals(retryAfter) ? "" : " without Retry-After: 1");
            }
            return status.startsWith("HTTP/1.1 200") && json.path("events").size() > 0 ? "page" : status + ": " + body;
        }
    }

    /**
     * An SSE stream of the run from {@code after} on a socket with a small receive buffer: reads
     * the response's head, waits for {@code go}, then reads to the end; the ids of its events.
     */
    private static List<Long> readSlowly(URI server, String runId, long after, CountDownLatch go) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(server.getHost(), server.getPort()));
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/v2/workflows/runs/" + runId + "/events?after=" + after + " HTTP/1.1\r\nHost: "
                    + server.getHost() + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String status = line(in);
            assertThat(status).startsWith("HTTP/1.1 200");
            boolean chunked = false;
            for (String header; !(header = line(in)).isEmpty(); ) {
                chunked |= header.equalsIgnoreCase("transfer-encoding: chunked");
            }
            assertThat(chunked).as("a chunked stream").isTrue();
            go.await();
            Ids ids = new Ids();
            for (int size; (size = Integer.parseInt(line(in).trim(), 16)) > 0; line(in)) {
                ids.read(in.readNBytes(size));
            }
            return ids.seqs;
        }
    }

    /**
     * The ids of the events of an SSE body read in pieces, but for {@code caught_up}'s; keeps
     * only the start of each line, not the data (16 KB a line, 100 MB a reader).
     */
    private static final class Ids {
        final List<Long> seqs = new ArrayList<>();
        private final StringBuilder line = new StringBuilder();
        private long id = -1;

        void read(byte[] bytes) {
            for (byte b : bytes) {
                if (b == '\n') {
                    String text = line.toString();
                    if (text.startsWith("id: ")) {
                        id = Long.parseLong(text.substring(4));
                    } else if (text.startsWith("event: ") && id >= 0) {
                        if (!text.equals("event: caught_up")) {
                            seqs.add(id);
                        }
                        id = -1;
                    }
                    line.setLength(0);
                } else if (line.length() < 32) {
                    line.append((char) b);
                }
            }
        }
    }

    /** One CRLF-ended line of the response, without its end. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("the stream ended within a line: " + line);
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.US_ASCII);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    private static long reads(ChildServer node) {
        String metrics = NodeApi.send(HttpRequest.newBuilder(URI.create(node.url() + "/metrics"))).body();
        Matcher m = READS.matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }
}
