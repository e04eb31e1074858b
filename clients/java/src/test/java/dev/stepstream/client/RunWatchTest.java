package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A watch of the all-runs stream against a scripted WebSocket server ({@link StreamServer}):
 * {@code connected} as each connection opens, the items of a message one a line, connections
 * made again after the codes that say so, and the final errors without a retry. Against the
 * real server: the conformance suite (clients/conformance).
 */
@Timeout(30)
class RunWatchTest {
    /** Reconnections at once, so that the tests wait for nothing. */
    private static final WatchOptions QUICK = WatchOptions.DEFAULTS.backoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .giveUpAfter(Duration.ofSeconds(20));
    private static final String CONNECTED = "{\"type\":\"connected\"}";
    private static final String QUEUED = "{\"runId\":\"r1\",\"seq\":0,\"type\":\"run_queued\",\"time\":\"2026-12-04T10:00:00.000Z\","
            + "\"payload\":{\"workflowId\":\"deploy\",\"workflowVersion\":3,\"trigger\":{\"type\":\"manual\",\"id\":null,\"dueAt\":null}}}";
    private static final String PROGRESS = "{\"type\":\"run_progress\",\"runId\":\"r1\",\"payload\":{\"stepId\":\"build\",\"status\":\"waiting\"}}";
    private static final String COMPLETE = "{\"runId\":\"r1\",\"seq\":9,\"type\":\"run_complete\",\"time\":\"2026-12-04T10:00:05.000Z\","
            + "\"payload\":{\"status\":\"success\"}}";
    private static final String DELETED = "{\"type\":\"run_deleted\",\"runId\":\"r1\",\"payload\":{\"workflowId\":\"deploy\"}}";

    @Test
    void aConnectionBeginsWithConnectedThenTheItemsOfEachMessageOneALineAsTheServerSentThem() {
        String unknown = "{\"type\":\"run_renamed\",\"runId\":\"r1\",\"payload\":{\"name\":\"nightly\"}}";
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.text(QUEUED + "\n" + PROGRESS + "\n\n" + unknown + "\n");
                    exchange.text(COMPLETE);
                    exchange.awaitEnd();
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).token("ss_secret").build();
                RunWatch watch = client.watchRuns(QUICK.workflowId("deploy & co"))) {
            List<RunWatchItem> items = take(watch, 5);

            assertThat(items).extracting(RunWatchItem::json).containsExactly(CONNECTED, QUEUED, PROGRESS, unknown, COMPLETE);
            assertThat(items).extracting(RunWatchItem::isConnected).containsExactly(true, false, false, false, false);
            RunWatchItem queued = items.get(1);
            assertThat(queued.type()).isEqualTo("run_queued");
            assertThat(queued.runId()).isEqualTo("r1");
            assertThat(queued.seq()).hasValue(0);
            assertThat(queued.time()).isEqualTo("2026-12-04T10:00:00.000Z");
            assertThat(queued.payload()).containsEntry("workflowId", "deploy").containsEntry("workflowVersion", 3L);
            RunWatchItem progress = items.get(2);
            assertThat(progress.seq()).isEmpty();
            assertThat(progress.time()).isNull();
            assertThat(progress.payload()).isEqualTo(Map.of("stepId", "build", "status", "waiting"));
            assertThat(items.get(0).runId()).isNull();
            assertThat(items.get(0).payload()).isEmpty();
            assertThat(items.get(4).isRunComplete()).isTrue();
            assertThat(watch.reconnects()).isZero();
            assertThat(server.requests()).singleElement().satisfies(request -> {
                assertThat(request.target()).isEqualTo("/api/v2/stream?workflowId=deploy%20%26%20co");
                assertThat(request.headers()).containsEntry("authorization", "Bearer ss_secret");
            });
        }
    }

    @Test
    void aConnectionClosedWithTryAgainOrLostIsMadeAgainAndEachNewOneBeginsWithConnected() throws Exception {
        List<String> told = new ArrayList<>();
        java.util.concurrent.CountDownLatch progressTaken = new java.util.concurrent.CountDownLatch(1);
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.text(QUEUED);
                    exchange.close(1013, "fell behind the run feed; list runs again and reconnect");
                }, exchange -> {
                    exchange.accept();
                    exchange.text(PROGRESS);
                    try {
                        progressTaken.await(); // a reset drops what the client has not read yet: cut after it was
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    exchange.reset(); // lost: no close frame
                }, exchange -> {
                    exchange.accept();
                    exchange.text(DELETED);
                    exchange.awaitEnd();
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                RunWatch watch = client.watchRuns(QUICK.listener(new WatchListener() {
                    @Override
                    public void reconnecting(String reason, int attempt, boolean wasConnected, Duration pause) {
                        told.add(reason + " (attempt " + attempt + (wasConnected ? ", was connected)" : ")"));
                    }
                }))) {
            assertThat(take(watch, 4)).extracting(RunWatchItem::json).containsExactly(CONNECTED, QUEUED, CONNECTED, PROGRESS);
            progressTaken.countDown();
            assertThat(take(watch, 2)).extracting(RunWatchItem::json).containsExactly(CONNECTED, DELETED);
            assertThat(watch.reconnects()).isEqualTo(2);
            assertThat(told).hasSize(2);
            assertThat(told.getFirst()).isEqualTo("closed with 1013: fell behind the run feed; list runs again and reconnect"
                    + " (attempt 1, was connected)");
            // An open connection is a usable one: the streak began again with the third.
            assertThat(told.get(1)).endsWith("(attempt 1, was connected)");
            assertThat(server.requests()).extracting(StreamServer.Request::target).containsOnly("/api/v2/stream");
        }
    }

    @Test
    void aRefusedUpgradeIsAFinalErrorWithoutARetry() {
        try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(401, null,
                        "{\"error\":{\"code\":\"invalid_token\",\"message\":\"the token is not known\"}}"));
                StepstreamClient client = StepstreamClient.builder(server.url()).token("ss_not-a-token").build();
                RunWatch watch = client.watchRuns(QUICK)) {
            assertThatThrownBy(() -> take(watch, 1)).isInstanceOfSatisfying(StepstreamException.class, e -> {
                assertThat(e.kind()).isEqualTo(StepstreamException.Kind.UNAUTHENTICATED);
                assertThat(e.status()).isEqualTo(401);
                assertThat(e).hasMessageStartingWith("GET /api/v2/stream: 401");
            });
            assertThat(watch.reconnects()).isZero();
            assertThat(watch.hasNext()).isFalse();
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void aCloseThatSaysNotToReconnectIsAFinalErrorWithoutARetry() {
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.close(1008, "the token expired or was revoked");
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                RunWatch watch = client.watchRuns(QUICK)) {
            assertThat(take(watch, 1)).extracting(RunWatchItem::json).containsExactly(CONNECTED);
            assertThatThrownBy(watch::hasNext).isInstanceOfSatisfying(StepstreamException.class, e -> {
                assertThat(e.kind()).isEqualTo(StepstreamException.Kind.POLICY);
                assertThat(e.closeCode()).isEqualTo(1008);
                assertThat(e).hasMessage("the server ended the stream: closed with 1008: the token expired or was revoked");
            });
            assertThat(watch.reconnects()).isZero();
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void aNormalCloseIsAFinalErrorTooForAWatchNeverEndsByItself() {
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.close(1000, "");
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                RunWatch watch = client.watchRuns(QUICK)) {
            take(watch, 1);
            assertThatThrownBy(watch::hasNext).isInstanceOfSatisfying(StepstreamException.class, e -> {
                assertThat(e.kind()).isEqualTo(StepstreamException.Kind.CLOSED);
                assertThat(e.closeCode()).isEqualTo(1000);
            });
        }
    }

    @Test
    void aBusyServerIsWaitedForAtLeastItsRetryAfter() {
        RuntimeException stop = new RuntimeException("seen enough");
        List<Duration> pauses = new ArrayList<>();
        try (StreamServer server = StreamServer.start(exchange -> exchange.refuse(429, "7",
                        "{\"error\":{\"code\":\"rate_limited\",\"message\":\"too many streams\"}}"));
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                RunWatch watch = client.watchRuns(QUICK.listener(new WatchListener() {
                    @Override
                    public void reconnecting(String reason, int attempt, boolean wasConnected, Duration pause) {
                        assertThat(wasConnected).isFalse();
                        pauses.add(pause);
                        throw stop; // the listener may end the watch: no need to wait the 7 s
                    }
                }))) {
            assertThatThrownBy(() -> take(watch, 1)).isSameAs(stop);
            assertThat(pauses).containsExactly(Duration.ofSeconds(7));
            assertThat(watch.reconnects()).isEqualTo(1);
        }
    }

    /** A node that accepts each connection and closes it at once (its store is down, say). */
    private static final StreamServer.Script CLOSES_AT_ONCE = exchange -> {
        exchange.accept();
        exchange.close(1011, "the store is unreachable");
    };

    /** The attempt numbers the listener is told, until the {@code count}th, which ends the watch with {@code stop}. */
    private static WatchOptions countingAttempts(List<Integer> attempts, int count, RuntimeException stop) {
        return QUICK.listener(new WatchListener() {
            @Override
            public void reconnecting(String reason, int attempt, boolean wasConnected, Duration pause) {
                attempts.add(attempt);
                if (attempts.size() == count) {
                    throw stop;
                }
            }
        });
    }

    private static void drain(RunWatch watch) {
        while (watch.hasNext()) {
            watch.next();
        }
    }

    @Test
    void aServerThatClosesEachConnectionAtOnceIsBackedOffFromNotRetriedAtTheBasePace() {
        RuntimeException stop = new RuntimeException("seen enough");
        List<Integer> attempts = new ArrayList<>();
        try (StreamServer server = StreamServer.start(CLOSES_AT_ONCE, CLOSES_AT_ONCE, CLOSES_AT_ONCE, CLOSES_AT_ONCE);
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                RunWatch watch = client.watchRuns(countingAttempts(attempts, 4, stop))) {
            assertThatThrownBy(() -> drain(watch)).isSameAs(stop);
            assertThat(attempts).as("one streak: each pause drawn under a higher ceiling").containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void aConnectionThatStayedOpenIsUsableThoughQuietAndTheNextFailureWaitsFromTheBaseAgain() {
        RuntimeException stop = new RuntimeException("seen enough");
        List<Integer> attempts = new ArrayList<>();
        StreamServer.Script quietThenClosed = exchange -> {
            exchange.accept();
            try {
                Thread.sleep(Liveness.DEFAULT.steady().plusMillis(300)); // the scripted server says nothing for that long
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            exchange.close(1011, "the store is unreachable");
        };
        try (StreamServer server = StreamServer.start(CLOSES_AT_ONCE, quietThenClosed, CLOSES_AT_ONCE);
                StepstreamClient client = StepstreamClient.builder(server.url()).build();
                RunWatch watch = client.watchRuns(countingAttempts(attempts, 3, stop))) {
            assertThatThrownBy(() -> drain(watch)).isSameAs(stop);
            assertThat(attempts).containsExactly(1, 1, 2);
        }
    }

    @Test
    void noServerToReachIsGivenUpAfterGiveUpAfter() {
        String url;
        try (StreamServer gone = StreamServer.start()) {
            url = gone.url();
        }
        try (StepstreamClient client = StepstreamClient.builder(url).build();
                RunWatch watch = client.watchRuns(QUICK.giveUpAfter(Duration.ofMillis(200)))) {
            assertThatThrownBy(() -> take(watch, 1)).isInstanceOfSatisfying(StepstreamException.class, e -> {
                assertThat(e.kind()).isEqualTo(StepstreamException.Kind.UNAVAILABLE);
                assertThat(e).hasMessageContaining("connection refused");
            });
            assertThat(watch.reconnects()).isPositive();
        }
    }

    @Test
    void aWatchIsIteratedOnceAndYieldsNothingOnceClosed() {
        try (StepstreamClient client = StepstreamClient.builder("http://127.0.0.1:9").build()) {
            RunWatch watch = client.watchRuns();
            assertThat(watch.iterator()).isSameAs(watch);
            assertThatThrownBy(watch::iterator).isInstanceOf(IllegalStateException.class);
            watch.close();
            assertThat(watch.hasNext()).isFalse();
            assertThatThrownBy(watch::next).isInstanceOf(java.util.NoSuchElementException.class);
        }
        assertThatThrownBy(() -> WatchOptions.DEFAULTS.backoff(Duration.ZERO, Duration.ofSeconds(1))).hasMessageStartingWith("backoff:");
    }

    private static List<RunWatchItem> take(RunWatch watch, int count) {
        List<RunWatchItem> items = new ArrayList<>();
        while (items.size() < count && watch.hasNext()) {
            items.add(watch.next());
        }
        return items;
    }
}
