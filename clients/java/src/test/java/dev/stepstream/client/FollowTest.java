package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What can be checked without a server: the pause between attempts, the close codes, the
 * stream's address, the options (the server's URL: {@link ServerUrlTest}); and against a scripted one ({@link StreamServer}), resuming.
 * Following a real server is the conformance suite's (clients/conformance) and the CLI's tests'
 * (server/src/test/java/dev/stepstream/cli).
 */
@Timeout(30)
class FollowTest {
    private static final Duration BASE = Duration.ofMillis(250);
    private static final Duration CAP = Duration.ofSeconds(10);

    @Test
    void pausesAreFullJitterUnderADoublingCeilingCappedAndAtLeastTheServersRetryAfter() {
        assertThat(Reconnector.pause(0, BASE, CAP, null, 0.999)).isBetween(Duration.ofMillis(249), BASE);
        assertThat(Reconnector.pause(3, BASE, CAP, null, 0.5)).isEqualTo(Duration.ofMillis(1000));
        assertThat(Reconnector.pause(10, BASE, CAP, null, 0.5)).isEqualTo(Duration.ofSeconds(5));
        assertThat(Reconnector.pause(200, BASE, CAP, null, 0.999)).isLessThanOrEqualTo(CAP).isGreaterThan(Duration.ofMillis(9_980));
        assertThat(Reconnector.pause(0, BASE, CAP, null, 0.0)).isZero();
        assertThat(Reconnector.pause(0, BASE, CAP, Duration.ofSeconds(3), 0.5)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Reconnector.pause(10, BASE, CAP, Duration.ofSeconds(1), 0.5)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void retryAfterIsReadInSecondsOrAsAnHttpDate() {
        java.time.Instant now = java.time.Instant.parse("2026-12-04T10:00:00Z");
        assertThat(Connection.retryAfter(" 3 ", now)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Connection.retryAfter("Fri, 04 Dec 2026 10:00:07 GMT", now)).isEqualTo(Duration.ofSeconds(7));
        assertThat(Connection.retryAfter("Fri, 04 Dec 2026 09:59:00 GMT", now)).isZero();
        assertThat(Connection.retryAfter("soon", now)).isNull();
    }

    @Test
    void theStreamIsResumedAfterDropsAndTheServersTryAgainCodesAndNotAfterTheOthers() {
        assertThat(List.of(1001, 1005, 1006, 1011, 1012, 1013, 1014)).allMatch(StepstreamClient::reconnectsAfter);
        assertThat(List.of(1000, 1002, 1003, 1007, 1008, 1009, 1010, 4000, 4403)).noneMatch(StepstreamClient::reconnectsAfter);
    }

    @Test
    void theStreamAddressCarriesTheCursorTheFiltersAndTheSchemeAndPathOfTheServer() throws Exception {
        StepstreamClient plain = StepstreamClient.builder("http://127.0.0.1:8080/").build();
        assertThat(plain.webSocketUri("/api/v2/workflows/runs/r/stream?batch=1&after=0"))
                .hasToString("ws://127.0.0.1:8080/api/v2/workflows/runs/r/stream?batch=1&after=0");
        StepstreamClient tls = StepstreamClient.builder("HTTPS://ci.example.com").build();
        assertThat(tls.webSocketUri("/x")).hasToString("wss://ci.example.com/x");
        for (String atAPath : List.of("https://ci.example.com/tools/stepstream", "https://ci.example.com/tools/stepstream/")) {
            StepstreamClient proxied = StepstreamClient.builder(atAPath).build();
            assertThat(proxied.uri("/api/v2/workflows/runs?limit=1")).hasToString("https://ci.example.com/tools/stepstream/api/v2/workflows/runs?limit=1");
            assertThat(proxied.webSocketUri("/api/v2/stream")).hasToString("wss://ci.example.com/tools/stepstream/api/v2/stream");
        }

        Follow follow = plain.follow("a b/c", FollowOptions.DEFAULTS.after(41).types("step_log", "run_complete").steps("build").minLevel("warn"));
        java.lang.reflect.Method path = Follow.class.getDeclaredMethod("streamPath");
        path.setAccessible(true);
        assertThat(path.invoke(follow)).isEqualTo("/api/v2/workflows/runs/a%20b%2Fc/stream"
                + "?batch=1&after=41&types=step_log%2Crun_complete&steps=build&minLevel=warn");
        assertThat(follow.lastSeq()).isEqualTo(41);
    }

    @Test
    void badOptionsAreRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> FollowOptions.DEFAULTS.after(-1)).hasMessageStartingWith("after:");
        assertThatThrownBy(() -> FollowOptions.DEFAULTS.backoff(Duration.ZERO, CAP)).hasMessageStartingWith("backoff:");
        assertThatThrownBy(() -> FollowOptions.DEFAULTS.backoff(CAP, BASE)).hasMessageStartingWith("backoff:");
    }

    @Test
    void aRefusalCarriesTheApiErrorsCodeMessageAndDetails() {
        StepstreamException error = StepstreamClient.errorOf("GET", "/api/v2/workflows/runs/x", 404,
                "{\"error\":{\"code\":\"run_not_found\",\"message\":\"no run x\",\"details\":[{\"field\":\"runId\"}]}}");
        assertThat(error.kind()).isEqualTo(StepstreamException.Kind.NOT_FOUND);
        assertThat(error.kind().wire()).isEqualTo("not_found");
        assertThat(error.status()).isEqualTo(404);
        assertThat(error.code()).isEqualTo("run_not_found");
        assertThat(error.details()).isEqualTo(List.of(Map.of("field", "runId")));
        assertThat(error).hasMessage("GET /api/v2/workflows/runs/x: 404 no run x");

        StepstreamException bare = StepstreamClient.errorOf("POST", "/p", 502, "<html>bad gateway</html>");
        assertThat(bare.kind()).isEqualTo(StepstreamException.Kind.HTTP);
        assertThat(bare.code()).isNull();
        assertThat(bare).hasMessage("POST /p: 502 HTTP 502");
    }

    @Test
    void aStreamClosedWithTryAgainIsResumedAfterTheLastSeqYieldedAndEachEventComesOnce() {
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.text(envelope(1, "run_start") + "\n" + envelope(2, "step_start"));
                    exchange.close(1013, "");
                }, exchange -> {
                    exchange.accept();
                    exchange.text(envelope(2, "step_start") + "\n" + envelope(3, "run_complete"));
                    exchange.close(1000, "");
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                Follow follow = client.follow("r", FollowOptions.DEFAULTS.backoff(Duration.ofMillis(1), Duration.ofMillis(5)))) {
            List<Event> events = new java.util.ArrayList<>();
            follow.forEach(events::add);

            assertThat(events).extracting(Event::seq).containsExactly(1L, 2L, 3L);
            assertThat(follow.lastSeq()).isEqualTo(3);
            assertThat(follow.reconnects()).isEqualTo(1);
            assertThat(server.requests()).extracting(StreamServer.Request::target)
                    .containsExactly("/api/v2/workflows/runs/r/stream?batch=1&after=0", "/api/v2/workflows/runs/r/stream?batch=1&after=2");
        }
    }

    @Test
    void aRunDeletedWhileFollowedEndsTheFollowWithDeleted() {
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.text(envelope(1, "run_start"));
                    exchange.close(1000, "run deleted");
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                Follow follow = client.follow("r")) {
            assertThat(follow.next().seq()).isEqualTo(1);
            assertThatThrownBy(follow::hasNext).isInstanceOfSatisfying(StepstreamException.class, e -> {
                assertThat(e.kind()).isEqualTo(StepstreamException.Kind.DELETED);
                assertThat(e.closeCode()).isEqualTo(1000);
            });
            assertThat(follow.reconnects()).isZero();
        }
    }

    private static String envelope(long seq, String type) {
        return "{\"runId\":\"r\",\"seq\":" + seq + ",\"type\":\"" + type + "\",\"time\":\"2026-12-04T10:00:00.000Z\",\"payload\":{}}";
    }
}
