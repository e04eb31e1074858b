package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server behind a reverse proxy at a path ({@code https://ci.example.com/stepstream/}): every
 * request keeps that path, the REST calls and both streams, their reconnections included, whether
 * the URL given ends with a {@code /} or not. The proxy ({@link ReverseProxy}) answers any other
 * path with a 404 web page, as a site would.
 */
@Timeout(30)
class ServerAtAPathTest {
    private static final String RUN = "{\"runId\":\"r\",\"status\":\"running\"}";

    @Test
    void aFollowAndARestCallGoUnderTheServersPathReconnectionsToo() {
        try (StreamServer server = StreamServer.start(exchange -> exchange.answer(RUN), exchange -> {
                    exchange.accept();
                    exchange.text(envelope(1, "run_start") + "\n" + envelope(2, "step_start"));
                    exchange.close(1013, "");
                }, exchange -> {
                    exchange.accept();
                    exchange.text(envelope(3, "run_complete"));
                    exchange.close(1000, "");
                });
                ReverseProxy proxy = ReverseProxy.at("/stepstream", server.url());
                StepstreamClient client = StepstreamClient.builder(proxy.url() + "/stepstream/").build();
                Follow follow = client.follow("r", FollowOptions.DEFAULTS.backoff(Duration.ofMillis(1), Duration.ofMillis(5)))) {
            assertThat(client.run("r")).containsEntry("status", "running");
            List<Long> seqs = new ArrayList<>();
            follow.forEach(event -> seqs.add(event.seq()));

            assertThat(seqs).containsExactly(1L, 2L, 3L);
            assertThat(proxy.asked()).containsExactly("/stepstream/api/v2/workflows/runs/r",
                    "/stepstream/api/v2/workflows/runs/r/stream?batch=1&after=0", "/stepstream/api/v2/workflows/runs/r/stream?batch=1&after=2");
            assertThat(server.requests()).extracting(StreamServer.Request::target).containsExactly("/api/v2/workflows/runs/r",
                    "/api/v2/workflows/runs/r/stream?batch=1&after=0", "/api/v2/workflows/runs/r/stream?batch=1&after=2");
        }
    }

    @Test
    void aWatchAndARestCallGoUnderTheServersPathGivenWithoutATrailingSlash() {
        String queued = "{\"runId\":\"r\",\"seq\":0,\"type\":\"run_queued\",\"time\":\"2026-12-04T10:00:00.000Z\",\"payload\":{}}";
        try (StreamServer server = StreamServer.start(exchange -> exchange.answer("{\"runs\":[],\"next\":null}"), exchange -> {
                    exchange.accept();
                    exchange.text(queued);
                    exchange.awaitEnd();
                });
                ReverseProxy proxy = ReverseProxy.at("/stepstream", server.url());
                StepstreamClient client = StepstreamClient.builder(proxy.url() + "/stepstream").build();
                RunWatch watch = client.watchRuns(WatchOptions.DEFAULTS.workflowId("deploy"))) {
            assertThat(client.runs(Map.of("limit", 1))).containsEntry("runs", List.of());
            assertThat(watch.next().isConnected()).isTrue();
            assertThat(watch.next().json()).isEqualTo(queued);

            assertThat(proxy.asked()).containsExactly("/stepstream/api/v2/workflows/runs?limit=1", "/stepstream/api/v2/stream?workflowId=deploy");
        }
    }

    private static String envelope(long seq, String type) {
        return "{\"runId\":\"r\",\"seq\":" + seq + ",\"type\":\"" + type + "\",\"time\":\"2026-12-04T10:00:00.000Z\",\"payload\":{}}";
    }
}
