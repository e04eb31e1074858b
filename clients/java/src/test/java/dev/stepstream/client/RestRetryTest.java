package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The REST calls' retries: 429 and 503 {@code over_capacity} whatever the method, a GET's
 * 502/503/504 and lost answers too; at least the Retry-After apart; the last error as it came.
 * Each answer is one connection of a {@link StreamServer}, which answers one past its scripts
 * with 503 {@code unscripted}.
 */
@Timeout(30)
class RestRetryTest {
    private static final String RUN = "{\"runId\":\"r\",\"status\":\"running\"}";
    private static final String OVER_CAPACITY = "{\"error\":{\"code\":\"over_capacity\",\"message\":\"the server is at capacity\"}}";
    private static final String RATE_LIMITED = "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\"}}";

    /** A client of {@code server} whose retries wait the Retry-After alone, or nothing. */
    private static StepstreamClient.Builder client(StreamServer server) {
        return StepstreamClient.builder(server.url()).jitter(() -> 0);
    }

    @Test
    void aGetAnswered503OverCapacityIsTriedAgainAfterItsRetryAfter() {
        try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(503, "1", OVER_CAPACITY), exchange -> exchange.answer(RUN));
                StepstreamClient client = client(server).build()) {
            assertThat(client.run("r")).containsEntry("status", "running");

            List<StreamServer.Request> asked = server.requests();
            assertThat(asked).extracting(StreamServer.Request::method).containsExactly("GET", "GET");
            assertThat(Duration.ofNanos(asked.get(1).at() - asked.get(0).at())).isGreaterThanOrEqualTo(Duration.ofMillis(990));
        }
    }

    @Test
    void anExecuteAnswered503StoreUnavailableIsNotTriedAgain() {
        String store = "{\"error\":{\"code\":\"store_unavailable\",\"message\":\"the store is down\"}}";
        try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(503, "5", store), exchange -> exchange.answer(202, RUN));
                StepstreamClient client = client(server).build()) {
            assertThatThrownBy(() -> client.execute("hello", Map.of("who", "x")))
                    .isInstanceOfSatisfying(StepstreamException.class, error -> {
                        assertThat(error.kind()).isEqualTo(StepstreamException.Kind.UNAVAILABLE);
                        assertThat(error.status()).isEqualTo(503);
                        assertThat(error.code()).isEqualTo("store_unavailable");
                    })
                    .hasMessage("POST /api/v2/workflows/hello/execute: 503 the store is down");
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void aPostAnswered429IsTriedAgainAfterItsRetryAfter() {
        try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(429, "0", RATE_LIMITED),
                        exchange -> exchange.answer(202, "{\"runId\":\"r\",\"status\":\"queued\"}"));
                StepstreamClient client = client(server).build()) {
            assertThat(client.execute("hello", null)).containsEntry("status", "queued");
            assertThat(server.requests()).extracting(StreamServer.Request::method).containsExactly("POST", "POST");
        }
    }

    @Test
    void retries0TriesOnceAndTheDefaultThreeTimesTheLastErrorAsItCame() {
        StreamServer.Script refused = exchange -> exchange.refuse(503, "0", OVER_CAPACITY);
        try (StreamServer server = StreamServer.start(refused, exchange -> exchange.answer(RUN));
                StepstreamClient client = client(server).retries(0).build()) {
            assertThatThrownBy(() -> client.runs(Map.of())).isInstanceOfSatisfying(StepstreamException.class,
                    error -> assertThat(error.code()).isEqualTo("over_capacity"));
            assertThat(server.requests()).hasSize(1);
        }
        try (StreamServer server = StreamServer.start(refused, refused, refused, exchange -> exchange.answer(RUN));
                StepstreamClient client = client(server).build()) {
            assertThatThrownBy(() -> client.runs(Map.of())).isInstanceOfSatisfying(StepstreamException.class, error -> {
                assertThat(error.kind()).isEqualTo(StepstreamException.Kind.UNAVAILABLE);
                assertThat(error.status()).isEqualTo(503);
                assertThat(error.code()).isEqualTo("over_capacity");
            });
            assertThat(server.requests()).hasSize(3);
        }
        assertThatThrownBy(() -> StepstreamClient.builder("http://127.0.0.1:1").retries(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRetryAfterOver30SecondsIsTheCallersTheErrorComesAtOnce() {
        try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(429, "120", RATE_LIMITED), exchange -> exchange.answer(RUN));
                StepstreamClient client = client(server).build()) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.run("r")).isInstanceOfSatisfying(StepstreamException.class, error -> {
                assertThat(error.kind()).isEqualTo(StepstreamException.Kind.RATE_LIMITED);
                assertThat(error.status()).isEqualTo(429);
            });
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void otherStatusesAreNeverTriedAgainAGetIsOn502And504APostIsNot() {
        record Case(int status, String method, int times) {}
        for (Case each : List.of(new Case(404, "GET", 1), new Case(500, "GET", 1), new Case(502, "GET", 2), new Case(504, "GET", 2),
                new Case(502, "POST", 1), new Case(504, "POST", 1))) {
            try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(each.status(), null, "{}"), exchange -> exchange.answer(RUN));
                    StepstreamClient client = client(server).build()) {
                Runnable call = each.method().equals("GET") ? () -> client.runs(Map.of()) : () -> client.cancel("r");
                if (each.times() == 1) {
                    assertThatThrownBy(call::run).isInstanceOfSatisfying(StepstreamException.class,
                            error -> assertThat(error.status()).isEqualTo(each.status()));
                } else {
                    call.run();
                }
                assertThat(server.requests()).as(each.method() + " " + each.status()).hasSize(each.times());
            }
        }
    }

    @Test
    void aGetThatReachesNoServerIsTriedAgainAndFailsAsBefore() {
        int port;
        try (StreamServer gone = StreamServer.start()) {
            port = Integer.parseInt(gone.url().substring(gone.url().lastIndexOf(':') + 1));
        }
        try (StepstreamClient client = StepstreamClient.builder("http://127.0.0.1:" + port).jitter(() -> 0).build()) {
            assertThatThrownBy(() -> client.run("r")).isInstanceOfSatisfying(StepstreamException.class, error -> {
                assertThat(error.kind()).isEqualTo(StepstreamException.Kind.UNAVAILABLE);
                assertThat(error.status()).isZero();
            }).hasMessageStartingWith("GET /api/v2/workflows/runs/r: cannot reach the server at http://127.0.0.1:" + port);
        }
    }
}
