package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection that goes silent without closing (docs/clients.md, the client libraries' common
 * rule): pinged when quiet, lost when nothing was heard for {@code deadAfter} after a ping, and
 * resumed; silence judged only while nothing waits for the follower, from the last thing heard or
 * taken; and a connection that brought nothing never counts as usable. The rule's times (5, 15
 * and 45 s) are shortened alike ({@link #FAST}), so that no test waits long.
 */
@Timeout(30)
class SilenceTest {
    private static final Liveness FAST = new Liveness(Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(1500));
    /** Reconnections at once, so that only the silence takes time. */
    private static final FollowOptions QUICK = FollowOptions.DEFAULTS.backoff(Duration.ofMillis(1), Duration.ofMillis(5));

    @Test
    void aFollowWhoseProxyHangsIsGivenUpAfterTheSilenceAndResumedGettingEveryEventOnce() {
        List<String> told = new ArrayList<>();
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.text(envelope(1, "run_start") + "\n" + envelope(2, "step_start"));
                    exchange.awaitEnd(); // it would answer the pings, but none comes through the frozen proxy
                }, exchange -> {
                    exchange.accept();
                    exchange.text(envelope(3, "step_complete") + "\n" + envelope(4, "run_complete"));
                    exchange.close(1000, "");
                });
                ReverseProxy proxy = ReverseProxy.to(server.url());
                StepstreamClient client = StepstreamClient.builder(proxy.url()).liveness(FAST).build();
                Follow follow = client.follow("r", QUICK.listener(new FollowListener() {
                    @Override
                    public void reconnecting(String reason, long after, int attempt, boolean wasConnected, Duration pause) {
                        told.add(reason + " (after " + after + ")");
                    }
                }))) {
            List<Long> seqs = new ArrayList<>(List.of(follow.next().seq(), follow.next().seq()));
            proxy.freeze();
            follow.forEachRemaining(event -> seqs.add(event.seq()));

            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L);
            assertThat(told).containsExactly("nothing heard from the server for 1500 ms (after 2)");
            assertThat(server.pings()).as("the pings stopped at the proxy").isZero();
            assertThat(server.requests()).extracting(StreamServer.Request::target)
                    .containsExactly("/api/v2/workflows/runs/r/stream?batch=1&after=0", "/api/v2/workflows/runs/r/stream?batch=1&after=2");
        }
    }

    @Test
    void aSlowFollowerKeepsAQuietHealthyConnectionWhileAMessageWaitsAndWhileItWorksOnTheLastOne() throws Exception {
        Duration work = FAST.deadAfter().plus(FAST.quiet()); // longer than the rule lets a connection be silent
        try (StreamServer server = StreamServer.start(exchange -> {
                    exchange.accept();
                    exchange.text(envelope(1, "run_start"));
                    exchange.text(envelope(2, "step_start"));
                    exchange.answerPings(2); // a quiet run: the connection's only traffic is the client's pings and their pongs
                    exchange.text(envelope(3, "run_complete"));
                    exchange.close(1000, "");
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).liveness(FAST).build();
                Follow follow = client.follow("r", QUICK.listener(new FollowListener() {
                    @Override
                    public void reconnecting(String reason, long after, int attempt, boolean wasConnected, Duration pause) {
                        throw new AssertionError("the connection was given up: " + reason);
                    }
                }))) {
            assertThat(follow.next().seq()).isEqualTo(1);
            Thread.sleep(work.toMillis()); // the follower's work on seq 1, while seq 2 waits unread: no silence
            assertThat(follow.next().seq()).isEqualTo(2);
            Thread.sleep(work.toMillis()); // its work on seq 2, the last that came: the connection is pinged, and answers
            assertThat(follow.next().seq()).isEqualTo(3);

            assertThat(follow.hasNext()).isFalse();
            assertThat(follow.reconnects()).isZero();
            assertThat(server.pings()).isGreaterThanOrEqualTo(2);
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void connectionsThatOpenAndAreNeverServedAddUpToGiveUpAfterHoweverLongEachStayedOpen() {
        Duration giveUpAfter = FAST.deadAfter().multipliedBy(2);
        // From the first silence, giveUpAfter, and the connection open when it ran out.
        Duration bound = giveUpAfter.plus(FAST.deadAfter().multipliedBy(3));
        long started = System.nanoTime();
        List<Integer> attempts = new ArrayList<>();
        try (StreamServer server = StreamServer.serveEach(exchange -> {
                    exchange.accept(); // a proxy that accepts each connection, and serves none
                    exchange.hang();
                });
                StepstreamClient client = StepstreamClient.builder(server.url()).liveness(FAST).build();
                Follow follow = client.follow("r", QUICK.giveUpAfter(giveUpAfter).listener(new FollowListener() {
                    @Override
                    public void reconnecting(String reason, long after, int attempt, boolean wasConnected, Duration pause) {
                        attempts.add(attempt);
                        if (System.nanoTime() - started > bound.toNanos()) {
                            throw new AssertionError("still reconnecting after " + bound + ", the attempts " + attempts);
                        }
                    }
                }))) {
            assertThatThrownBy(follow::hasNext).isInstanceOfSatisfying(StepstreamException.class, e -> {
                assertThat(e.kind()).isEqualTo(StepstreamException.Kind.UNAVAILABLE);
                assertThat(e).hasMessageEndingWith(" (nothing heard from the server for 1500 ms); resume with after=0");
            });

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(bound);
            assertThat(attempts).as("one streak of failures: none of them was usable").startsWith(1, 2);
            assertThat(server.requests()).hasSizeBetween(3, 4);
        }
    }

    private static String envelope(long seq, String type) {
        return "{\"runId\":\"r\",\"seq\":" + seq + ",\"type\":\"" + type + "\",\"time\":\"2026-12-04T10:00:00.000Z\",\"payload\":{}}";
    }
}
