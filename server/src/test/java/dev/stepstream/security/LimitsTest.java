package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Rate limits (429 then recovery), connection caps (429/503), and slow clients (slowloris). */
@Timeout(90)
class LimitsTest {
    static final String SLOW = "id: slow\nsteps:\n  - {id: wait, type: sleep, duration: 60s}\n";
    static final String QUICK = "id: quick\nsteps:\n  - {id: a, type: log, message: hi}\n";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    /** Tokens (so every client is held to the limits) and small limits. */
    static TestServer limited;
    /** Open, loopback only, at most 6 connections in all. */
    static TestServer capped;
    /** The limited server's time: its buckets refill only when a test moves it. */
    static final ManualClock clock = new ManualClock();
    static Path tokens;
    static String admin;
    static String slowRun;
    static String quickRun;
    static long quickLastSeq;

    @BeforeAll
    static void start() throws IOException {
        tokens = dir.resolve("tokens");
        admin = TokenFile.create(tokens, "admin", Role.ADMIN);
        SecuritySettings.Limits small = new SecuritySettings.Limits(new SecuritySettings.Rate(5, Duration.ofSeconds(1)), new SecuritySettings.Rate(3, Duration.ofSeconds(1)),
                10_000, 2, 3, Duration.ofSeconds(2), Duration.ofSeconds(180));
        limited = TestServer.start(dir.resolve("limited"), clock, config -> config.withSecurity(config.security()
                .withTokensFile(tokens).withLimits(small)));
        for (String yaml : List.of(SLOW, QUICK)) {
            String id = yaml.substring(4, yaml.indexOf('\n'));
            TestServer.Response put = limited.send(limited.request("/api/v2/workflows/" + id).header("Authorization", "Bearer " + admin)
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
            assertThat(put.status()).as(put.text()).isEqualTo(201);
        }
        slowRun = execute("slow");
        quickRun = execute("quick");
        quickLastSeq = Await.until("the quick run ends", Duration.ofSeconds(30), () -> {
            clock.advance(Duration.ofMillis(200)); // a permit's worth of time (5/s) for each look
            TestServer.Response run = limited.send(limited.request("/api/v2/workflows/runs/" + quickRun)
                    .header("Authorization", "Bearer " + admin));
            return run.status() == 200 && run.body().path("status").asText().equals("success") ? run.body().path("lastSeq").asLong() : null;
        });
        capped = TestServer.start(dir.resolve("capped"), config -> config.withSecurity(config.security().withLimits(
                new SecuritySettings.Limits(SecuritySettings.DEFAULT_LIMITS.requests(), SecuritySettings.DEFAULT_LIMITS.streams(), 6, 1000, 20_000,
                        Duration.ofSeconds(30), Duration.ofSeconds(180)))));
    }

    @AfterAll
    static void stop() {
        limited.close();
        capped.close();
    }

    /** Each test starts with every client's buckets full: a second of the limited server's time. */
    @BeforeEach
    void refill() {
        clock.advance(Duration.ofSeconds(1));
    }

    static String execute(String workflow) {
        TestServer.Response run = limited.send(limited.request("/api/v2/workflows/" + workflow + "/execute")
                .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(run.status()).as(run.text()).isEqualTo(202);
        return run.body().path("runId").asText();
    }

    static String token(String name) throws IOException {
        String token = TokenFile.create(tokens, name, Role.VIEWER);
        // Until the server has read the new token, its requests count against this machine's address.
        Await.until("the server reads token " + name, Duration.ofSeconds(15), () -> get(token, "/api/v2/workflows") == 200 ? true : null);
        return token;
    }

    static int get(String token, String path) {
        return limited.send(limited.request(path).header("Authorization", "Bearer " + token)).status();
    }

    @Test
    void requestsPastTheRateGet429WithRetryAfterThenRecover() throws IOException {
        String greedy = token("greedy");
        String other = token("other");
        TestServer.Response limitedAnswer = null;
        for (int i = 0; i < 20 && limitedAnswer == null; i++) {
            TestServer.Response answer = limited.send(limited.request("/api/v2/workflows").header("Authorization", "Bearer " + greedy));
            if (answer.status() == 429) {
                limitedAnswer = answer;
            } else {
                assertThat(answer.status()).isEqualTo(200);
            }
        }
        assertThat(limitedAnswer).as("a 429 within 20 quick requests at 5/s").isNotNull();
        assertThat(limitedAnswer.body().path("error").path("code").asText()).isEqualTo("rate_limited");
        assertThat(Long.parseLong(limitedAnswer.header("Retry-After"))).isBetween(1L, 2L);
        assertThat(get(other, "/api/v2/workflows")).as("another client is not held back").isEqualTo(200);
        assertThat(get(greedy, "/api/v2/workflows")).as("no permit comes back while no time passes").isEqualTo(429);
        clock.advance(Duration.ofMillis(250)); // 5/s: one permit back after 200 ms
        assertThat(get(greedy, "/api/v2/workflows")).as("served again once a permit's worth of time has passed").isEqualTo(200);
        assertThat(get(greedy, "/api/v2/workflows")).as("and only one permit").isEqualTo(429);
        clock.advance(Duration.ofSeconds(1));
        for (int i = 0; i < 5; i++) {
            assertThat(get(greedy, "/api/v2/workflows")).as("a whole second refills the whole bucket").isEqualTo(200);
        }
    }

    @Test
    void streamOpensPastTheirRateGet429() throws IOException {
        String opener = token("opener");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            statuses.add(limited.send(limited.request("/api/v2/workflows/runs/" + quickRun + "/events?after=" + quickLastSeq)
                    .header("Authorization", "Bearer " + opener).header("Accept", "text/event-stream")).status());
        }
        assertThat(statuses).contains(204, 429);
        assertThat(statuses.subList(0, 3)).containsOnly(204);
        assertThat(get(opener, "/api/v2/workflows")).as("plain requests have their own rate").isEqualTo(200);
    }

    @Test
    void aClientMayHoldOnlySoManyStreams() throws IOException {
        String holder = token("holder");
        WsClient first = WsClient.connect(HTTP, limited.streamUrl(slowRun, ""), b -> b.header("Authorization", "Bearer " + holder));
        try (WsClient second = WsClient.connect(HTTP, limited.streamUrl(slowRun, ""), b -> b.header("Authorization", "Bearer " + holder))) {
            RawHttp.Answer third = RawHttp.upgrade(limited.port(), "/api/v2/workflows/runs/" + slowRun + "/stream",
                    Map.of("Authorization", "Bearer " + holder));
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.json().path("error").path("code").asText()).isEqualTo("too_many_streams");
            first.sendClose();
            first.awaitClose();
            Await.until("a stream may be opened again", Duration.ofSeconds(10), () -> {
                clock.advance(Duration.ofMillis(400)); // a permit's worth of the stream rate (3/s) for each try
                return RawHttp.upgrade(limited.port(), "/api/v2/workflows/runs/" + slowRun + "/stream",
                        Map.of("Authorization", "Bearer " + holder)).status() == 101 ? true : null;
            });
        } finally {
            first.close();
        }
    }

    @Test
    void aRunMayHaveOnlySoManySubscribers() throws IOException {
        String runId = execute("slow");
        String a = token("crowd-a");
        String b = token("crowd-b");
        try (WsClient one = WsClient.connect(HTTP, limited.streamUrl(runId, ""), x -> x.header("Authorization", "Bearer " + a));
             WsClient two = WsClient.connect(HTTP, limited.streamUrl(runId, ""), x -> x.header("Authorization", "Bearer " + a));
             WsClient three = WsClient.connect(HTTP, limited.streamUrl(runId, ""), x -> x.header("Authorization", "Bearer " + b))) {
            RawHttp.Answer fourth = RawHttp.upgrade(limited.port(), "/api/v2/workflows/runs/" + runId + "/stream",
                    Map.of("Authorization", "Bearer " + b));
            assertThat(fourth.status()).isEqualTo(503);
            assertThat(fourth.json().path("error").path("code").asText()).isEqualTo("over_capacity");
            assertThat(fourth.header("Retry-After")).as("when to try again").isEqualTo("1");
            assertThat(limited.send(limited.request("/api/v2/workflows/runs/" + runId + "/events")
                    .header("Authorization", "Bearer " + b).header("Accept", "text/event-stream")).status())
                    .as("SSE counts too").isEqualTo(503);
        }
    }

    @Test
    void anAnonymousClientOfThisMachineIsNotHeldToPerClientLimitsOnAnOpenServer() {
        for (int i = 0; i < 50; i++) {
            assertThat(capped.get("/api/v2/workflows").status()).isEqualTo(200);
        }
    }

    @Test
    void connectionsPastTheCapAreAnswered503AndClosed() throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                held.add(new Socket("127.0.0.1", capped.port()));
            }
            RawHttp.Answer over = Await.until("the cap is reached", Duration.ofSeconds(10), () -> {
                RawHttp.Answer answer = RawHttp.exchange(capped.port(), get("/healthz"));
                return answer != null && answer.status() == 503 ? answer : null;
            });
            assertThat(over.json().path("error").path("code").asText()).isEqualTo("over_capacity");
            assertThat(over.header("Retry-After")).as("when to try again").isEqualTo("1");
            assertThat(over.header("Connection")).isEqualToIgnoringCase("close");
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        Await.until("connections are served again", Duration.ofSeconds(10), () -> {
            RawHttp.Answer answer = RawHttp.exchange(capped.port(), get("/healthz"));
            return answer != null && answer.status() == 200 ? true : null;
        });
    }

    /**
     * A WebSocket stream takes its connection over from the HTTP server, whose own bookkeeping
     * then never hears of its end: the stream gives its place in the count back itself. Three
     * times as many streams as the cap allows connections, one after the other, all open.
     */
    @Test
    void streamsThatEndedNoLongerCountAgainstTheConnectionCap() {
        capped.apply(QUICK);
        String run = capped.execute("quick", null);
        capped.awaitEnd(run);
        for (int i = 0; i < 18; i++) {
            try (WsClient stream = WsClient.connect(HTTP, capped.streamUrl(run, ""))) {
                assertThat(stream.awaitClose().code()).as("stream %d", i).isEqualTo(1000);
            }
        }
        for (int i = 0; i < 6; i++) {
            try (WsClient stream = WsClient.connect(HTTP, capped.wsUrl("/api/v2/stream"))) {
                stream.sendClose();
                assertThat(stream.awaitClose().code()).as("all-runs stream %d", i).isEqualTo(1000);
            }
        }
        Await.until("plain requests are served too", Duration.ofSeconds(10), () -> {
            RawHttp.Answer answer = RawHttp.exchange(capped.port(), get("/healthz"));
            return answer != null && answer.status() == 200 ? true : null;
        });
    }

    @Test
    void aClientThatTricklesItsRequestHeadIsDisconnected() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", limited.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("GET /api/v2/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 40 && !closed; i++) {
                try {
                    out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.setSoTimeout(250);
                    closed = in.read() == -1;
                } catch (java.net.SocketTimeoutException e) {
                    // still open: trickle on
                } catch (IOException e) {
                    closed = true;
                }
            }
            assertThat(closed).as("the server hung up on a request head trickling for 10 s").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        }
    }

    @Test
    void aKeptAliveConnectionThatTricklesItsNextRequestIsDisconnected() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", limited.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] yaml = QUICK.getBytes(StandardCharsets.UTF_8);
            out.write(("PUT /api/v2/workflows/quick HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin
                    + "\r\nContent-Type: application/yaml\r\nContent-Length: " + yaml.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(yaml);
            out.flush();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 200");
            out.write("GET /api/v2/workflows HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 40 && !closed; i++) {
                try {
                    out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.setSoTimeout(250);
                    int read;
                    do {
                        read = in.read(); // the rest of the first answer, then the end
                    } while (read != -1);
                    closed = true;
                } catch (java.net.SocketTimeoutException e) {
                    // still open: trickle on
                } catch (IOException e) {
                    closed = true;
                }
            }
            assertThat(closed).as("the server hung up on a second request head trickling for 10 s").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        }
    }

    @Test
    void aClientThatTricklesItsBodyGets408() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", limited.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /api/v2/workflows/slowbody HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin
                    + "\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\nid: slowbody\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] answer = socket.getInputStream().readNBytes(12);
            assertThat(new String(answer, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 408");
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", limited.port())) {
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    static byte[] get(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
