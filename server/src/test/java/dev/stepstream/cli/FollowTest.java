package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.stream.StreamSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code follow} and {@code run --follow} over the run stream, against a real server. */
@Timeout(120)
class FollowTest {
    @TempDir
    static Path dir;
    static TestServer server;

    record Result(int exitCode, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    static Result cli(String... args) {
        return cli(new StringWriter(), args);
    }

    static Result cli(Writer out, String... args) {
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(dir.resolve("server"));
        server.apply("""
                id: follow-ok
                steps:
                  - {id: greet, name: Greet, type: log, message: "hello from greet"}
                  - {id: warn, type: log, level: warn, message: "careful now"}
                  - {id: remember, type: set, vars: {who: "world"}}
                """);
        server.apply("""
                id: follow-fails
                steps:
                  - {id: first, type: log, message: "about to fail"}
                  - {id: boom, type: fail, message: kaput}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void followOfAFinishedRunPrintsItsHistoryAndExitsWithItsStatus() {
        String ok = server.execute("follow-ok", null);
        String failed = server.execute("follow-fails", null);
        server.awaitHistory(ok);
        server.awaitHistory(failed);

        Result success = cli("follow", ok, "--server", server.url());
        assertThat(success.exitCode()).as(success.err()).isZero();
        assertThat(success.out()).doesNotContain("\u001b[").contains(
                "run " + ok + " of follow-ok (version 1) started", "▶ Greet", "hello from greet", "warn  careful now",
                "vars.who: = \"world\"", "✔ Greet success in ", "run success in ");
        assertThat(success.err()).isEmpty();

        Result failure = cli("follow", failed, "--server", server.url());
        assertThat(failure.exitCode()).isEqualTo(1);
        assertThat(failure.out()).contains("about to fail", "✘ boom failed in ", "kaput", "run failed in ");
    }

    @Test
    void runFollowShowsEachStepAsItStartsAndEnds(@TempDir Path gates) throws Exception {
        Path gate = gates.resolve("open");
        server.apply("""
                id: follow-live
                steps:
                  - {id: before, type: log, message: "before the gate"}
                  - {id: gate, type: script, run: "while [ ! -f '%s' ]; do sleep 0.02; done; echo through the gate"}
                  - {id: after, type: log, message: "after the gate"}
                """.formatted(gate));
        StringWriter out = new StringWriter();
        CompletableFuture<Result> following = CompletableFuture.supplyAsync(
                () -> cli(out, "run", "follow-live", "--follow", "--server", server.url()));

        Await.until("the gate step is shown as started", Duration.ofSeconds(20),
                () -> out.toString().contains("▶ gate") ? Boolean.TRUE : endedEarly(following));
        assertThat(out.toString()).contains("before the gate", "✔ before success in ").doesNotContain("through the gate", "after");
        String runId = out.toString().lines().findFirst().orElseThrow().split(" ")[1];
        assertThat(server.run(runId).path("status").asText()).isEqualTo("running");

        Files.createFile(gate);
        Result result = following.get(30, TimeUnit.SECONDS);
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.lines()).map(line -> line.replaceAll(" in [0-9.]+ (ms|s)$", ""))
                .containsExactly(
                        "run " + runId + " of follow-live (version 1) started",
                        "▶ before", "  info  before the gate", "✔ before success",
                        "▶ gate", "  info  through the gate", "✔ gate success",
                        "▶ after", "  info  after the gate", "✔ after success",
                        "run success");
    }

    @Test
    void aStepThatWaitsForADecisionIsShownWithTheCommandsThatTakeIt() throws Exception {
        server.apply("""
                id: follow-deploy
                steps:
                  - {id: build, type: set, vars: {artifact: "app-1.2"}}
                  - {id: gate, name: Gate, type: approval, message: "Ship ${vars.artifact}?"}
                  - {id: ship, type: log, message: shipped}
                """);
        StringWriter out = new StringWriter();
        CompletableFuture<Result> following = CompletableFuture.supplyAsync(
                () -> cli(out, "run", "follow-deploy", "--follow", "--server", server.url()));

        Await.until("the follower shows how to decide", Duration.ofSeconds(20),
                () -> out.toString().contains("stepstream reject") ? Boolean.TRUE : endedEarly(following));
        String runId = out.toString().lines().findFirst().orElseThrow().split(" ")[1];
        TestServer.Response approved = server.post("/api/v2/workflows/runs/" + runId + "/steps/gate/approve", "{\"comment\": \"go\"}");
        assertThat(approved.status()).as(approved.text()).isEqualTo(202);

        Result result = following.get(30, TimeUnit.SECONDS);
        assertThat(result.exitCode()).as(result.err()).isZero();
        String decide = " " + runId + " gate --server " + server.url();
        assertThat(result.lines()).map(line -> line.replaceAll(" in [0-9.]+ (ms|s)(?=$|:)", ""))
                .containsExactly(
                        "run " + runId + " of follow-deploy (version 1) started",
                        "▶ build", "  vars.artifact: = \"app-1.2\"", "✔ build success",
                        "▶ Gate",
                        "⏸ Gate waits for a decision: Ship app-1.2?",
                        "  stepstream approve" + decide + "  |  stepstream reject" + decide,
                        "✔ Gate success: approved by anonymous: \"go\"",
                        "▶ ship", "  info  shipped", "✔ ship success",
                        "run success");

        Result json = cli("follow", runId, "--json", "--server", server.url());
        assertThat(json.exitCode()).as(json.err()).isZero();
        assertThat(parse(json.lines())).as("--json: the envelopes as they are").isEqualTo(server.awaitHistory(runId));
    }

    @Test
    void aRetrySaysWhichRunItRetriesAndEachReusedStepIsOneLineWithItsVariablesUnderIt(@TempDir Path work) throws Exception {
        Path fixed = work.resolve("fixed");
        server.apply("""
                id: follow-flaky
                steps:
                  - {id: prepare, name: Prepare, type: set, vars: {version: "7"}}
                  - {id: deploy, type: script, run: "[ -f '%s' ]"}
                  - {id: after, type: log, message: "deployed ${vars.version}"}
                """.formatted(fixed));
        String failed = server.execute("follow-flaky", null);
        assertThat(server.awaitEnd(failed).path("status").asText()).isEqualTo("failed");
        Files.createFile(fixed);

        Result result = cli("retry", failed, "--follow", "--server", server.url());

        assertThat(result.exitCode()).as(result.err()).isZero();
        String retryId = result.lines().getFirst().split(" ")[1];
        assertThat(result.lines()).map(line -> line.replaceAll(" in [0-9.]+ (ms|s)(?=$|\\))", ""))
                .containsExactly(
                        "run " + retryId + " of follow-flaky (version 1) started, retry of run " + failed + " from failed",
                        "↺ Prepare reused from run " + failed.substring(0, 8) + " (success)",
                        "  vars.version: = \"7\"",
                        "▶ deploy", "✔ deploy success",
                        "▶ after", "  info  deployed 7", "✔ after success",
                        "run success");

        Result fromDeploy = cli("retry", failed, "--from", "deploy", "--follow", "--server", server.url());
        assertThat(fromDeploy.exitCode()).as(fromDeploy.err()).isZero();
        assertThat(fromDeploy.lines().getFirst()).endsWith(", retry of run " + failed + " from step \"deploy\"");

        Result fromStart = cli("retry", failed, "--from", "start", "--follow", "--server", server.url());
        assertThat(fromStart.exitCode()).as(fromStart.err()).isZero();
        assertThat(fromStart.lines().getFirst()).endsWith(", retry of run " + failed + " from start");
        assertThat(fromStart.out()).contains("▶ Prepare", "  vars.version: = \"7\"", "✔ Prepare success in ").doesNotContain("↺");

        // Without its run_start the view cannot tell which run the step came from, nor hold its variables.
        Result tail = cli("follow", retryId, "--after", "1", "--server", server.url());
        assertThat(tail.exitCode()).as(tail.err()).isZero();
        assertThat(tail.lines().subList(0, 2)).map(line -> line.replaceAll(" in [0-9.]+ (ms|s)(?=$|\\))", ""))
                .containsExactly("  vars.version: = \"7\"", "↺ Prepare reused (success)");

        Result json = cli("follow", retryId, "--json", "--server", server.url());
        assertThat(json.exitCode()).as(json.err()).isZero();
        assertThat(parse(json.lines())).as("--json: the envelopes as they are").isEqualTo(server.awaitHistory(retryId));
    }

    @Test
    void stepsRunningAtOnceHaveEachLineTaggedWithItsStep(@TempDir Path meet) {
        // Each script waits until the other has started: they can only end by running at once.
        server.apply("""
                id: follow-parallel
                steps:
                  - {id: left, type: script, run: "touch '%1$s/l'; while [ ! -f '%1$s/r' ]; do sleep 0.01; done; for i in 1 2 3; do echo left $i; done"}
                  - {id: right, type: script, run: "touch '%1$s/r'; while [ ! -f '%1$s/l' ]; do sleep 0.01; done; for i in 1 2 3; do echo right $i; done"}
                  - {id: join, needs: [left, right], type: log, message: joined}
                """.formatted(meet));
        Result result = cli("run", "follow-parallel", "--follow", "--server", server.url());

        assertThat(result.exitCode()).as(result.err()).isZero();
        List<String> logLines = result.lines().stream().filter(line -> line.contains(" info  ")).toList();
        assertThat(logLines).hasSize(7).allSatisfy(line -> assertThat(line).matches(
                "  \\[(left|right|join)] info  (\\1 [123]|joined)"));
        assertThat(logLines).filteredOn(line -> line.startsWith("  [left]")).extracting(line -> line.substring(line.length() - 1))
                .containsExactly("1", "2", "3");
        assertThat(result.out()).contains("✔ join success in ");
    }

    @Test
    void aStepsOutputsAreShownUnderItsEnd() {
        server.apply("""
                id: follow-outputs
                steps:
                  - {id: build, type: script, run: 'echo "version=1.4.2" >> "$STEPSTREAM_OUTPUT"'}
                """);
        Result result = cli("run", "follow-outputs", "--follow", "--server", server.url());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.lines()).contains("  outputs: version=1.4.2");
    }

    @Test
    void pipedEscapeSequencesFromTheRunAreRemovedAndOtherControlsShown() throws Exception {
        server.apply(Yaml.fixture("hostile-output.yaml"));
        String runId = server.execute("hostile-output", null);
        List<JsonNode> history = server.awaitHistory(runId);

        Result result = cli("follow", runId, "--server", server.url());
        assertThat(result.exitCode()).as(result.err()).isEqualTo(1);
        assertThat(result.out().chars().filter(c -> c != '\n' && c != '\t').filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f)))
                .as("no ESC nor any other control character").isEmpty();
        assertThat(result.lines()).map(line -> line.replaceAll(" in [0-9.]+ (ms|s)(?=$|:)", "")).contains(
                "  info  colours: red bold c208 rgb left on",
                "▶ attack",
                "  info  attack: cleared␍back␈␇ end",
                "  info  lines: first",
                "        second red",
                "        third",
                "  info  script: green",
                "  outputs: key=v",
                "  vars.title: = \"\\u001B]2;var-title\\u0007\"",
                "✘ boom failed: error: kaput");
        assertThat(result.err()).isEmpty();

        Result json = cli("follow", runId, "--json", "--server", server.url());
        assertThat(parse(json.lines())).as("--json: the envelopes unchanged").isEqualTo(history);
        assertThat(json.out()).contains("attack: \\u001B]0;pwned\\u0007\\u001B[2J");
    }

    @Test
    void jsonPrintsExactlyTheEnvelopesOfTheHistoryOneALine() throws Exception {
        String runId = server.execute("follow-fails", null);
        List<JsonNode> history = server.awaitHistory(runId);

        Result followed = cli("follow", runId, "--json", "--server", server.url());
        assertThat(followed.exitCode()).isEqualTo(1);
        assertThat(parse(followed.lines())).isEqualTo(history);

        Result live = cli("run", "follow-ok", "--follow", "--json", "--server", server.url());
        assertThat(live.exitCode()).as(live.err()).isZero();
        String liveId = Json.MAPPER.readTree(live.lines().getFirst()).path("runId").asText();
        assertThat(parse(live.lines())).isEqualTo(server.awaitHistory(liveId));
    }

    /**
     * After run_complete the follower waits for the server's close (up to a second, then closes
     * first): it must be handed that close frame, not left to time out. Following a finished
     * run of three steps lasted over a second each time, whatever the run.
     */
    @Test
    void aFollowEndsAsSoonAsTheServerClosesAfterTheRunComplete() {
        String runId = server.execute("follow-ok", null);
        server.awaitHistory(runId);
        cli("follow", runId, "--json", "--server", server.url()); // the first follow of this JVM loads the client's classes

        long started = System.nanoTime();
        Result followed = cli("follow", runId, "--json", "--server", server.url());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(followed.exitCode()).as(followed.err()).isZero();
        assertThat(took).as("follow of a finished run").isLessThan(Duration.ofMillis(800));
    }

    @Test
    void afterSkipsTheEventsUpToItsSeq() {
        String runId = server.execute("follow-ok", null);
        List<JsonNode> history = server.awaitHistory(runId);

        Result tail = cli("follow", runId, "--after", "2", "--json", "--server", server.url());
        assertThat(tail.exitCode()).as(tail.err()).isZero();
        assertThat(parse(tail.lines())).isEqualTo(history.subList(2, history.size()));

        Result pastTheEnd = cli("follow", runId, "--after", String.valueOf(history.size()), "--server", server.url());
        assertThat(pastTheEnd.exitCode()).as(pastTheEnd.err()).isZero();
        assertThat(pastTheEnd.out()).isEmpty();
    }

    @Test
    void aBadRunIdOrAfterIsAUsageError() {
        Result badId = cli("follow", "not-a-run", "--server", server.url());
        assertThat(badId.exitCode()).isEqualTo(2);
        assertThat(badId.err().lines()).singleElement().asString().contains("RUN_ID", "not-a-run");

        Result badAfter = cli("follow", UUID.randomUUID().toString(), "--after", "-1", "--server", server.url());
        assertThat(badAfter.exitCode()).isEqualTo(2);
        assertThat(badAfter.err()).contains("--after");

        Result noId = cli("follow", "--server", server.url());
        assertThat(noId.exitCode()).isEqualTo(2);
    }

    /** A refused request is exit 1 with one line saying why (docs/clients.md, "The stepstream command line"). */
    @Test
    void anUnknownRunIsExitCode1WithTheServersMessage() {
        String unknown = UUID.randomUUID().toString();
        Result result = cli("follow", unknown, "--server", server.url());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err().lines()).singleElement().asString().startsWith("stepstream follow: ").contains(unknown);
        assertThat(result.out()).isEmpty();
    }

    @Test
    void anUnreachableServerIsExitCode2AtOnce() {
        long started = System.nanoTime();
        Result result = cli("follow", UUID.randomUUID().toString(), "--server", "http://127.0.0.1:1");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err().lines()).singleElement().asString()
                .contains("cannot reach the server at http://127.0.0.1:1", "connection refused", "--server", "STEPSTREAM_SERVER")
                .doesNotContain("Exception");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));

        Result notHttp = cli("follow", UUID.randomUUID().toString(), "--server", "ftp://127.0.0.1:21");
        assertThat(notHttp.exitCode()).isEqualTo(2);
        assertThat(notHttp.err()).contains("--server");
    }

    /**
     * A follower that stops reading while a script floods the run makes the server's writes
     * time out (50 ms here), so the server closes the connection with 1013; once the follower
     * reads again it must resume after its last seq and show every line exactly once.
     */
    /**
     * A transport that loses events (the JDK's WebSocket client does, now and then, under load:
     * bench/JdkWebSocketRace.java) shows as a gap in the seqs; the follower resumes after its
     * last seq and shows every event once. The gap is made by a relay in front of the real
     * server that drops one envelope from the first connection only.
     */
    @Test
    void eventsLostOnTheWayAreFetchedAgainByResumingAfterTheLastSeq() throws Exception {
        String runId = server.execute("follow-ok", null);
        List<String> history = server.awaitRawHistory(runId);
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try {
            io.vertx.core.http.WebSocketClient upstreams = vertx.createWebSocketClient();
            io.vertx.core.http.HttpServer lossy = vertx.createHttpServer().webSocketHandler(client -> {
                boolean first = connections.incrementAndGet() == 1;
                client.pause();
                upstreams.connect(server.port(), "127.0.0.1", client.uri()).onSuccess(upstream -> {
                    upstream.textMessageHandler(frame -> client.writeTextMessage(first
                            ? String.join("\n", frame.lines().filter(line -> !line.contains("\"seq\":3,")).toList())
                            : frame));
                    upstream.closeHandler(ignored -> client.close(upstream.closeStatusCode(), upstream.closeReason()));
                    client.closeHandler(ignored -> upstream.close());
                    client.resume();
                }).onFailure(failure -> client.close());
            }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);

            Result result = cli("follow", runId, "--json", "--server", "http://127.0.0.1:" + lossy.actualPort());

            assertThat(result.exitCode()).as(result.err()).isZero();
            assertThat(result.lines()).containsExactlyElementsOf(history);
            assertThat(connections.get()).isGreaterThanOrEqualTo(2);
            assertThat(result.err()).contains("events 3 went missing on the way", "resuming after seq 2");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFollowerThatFellBehindResumesAndShowsEveryEventOnce(@TempDir Path data) throws Exception {
        StreamSettings defaults = StreamSettings.DEFAULTS;
        try (TestServer strict = TestServer.start(data, config -> config.withStreams(new StreamSettings(
                defaults.pingInterval(), defaults.idleTimeout(), Duration.ofMillis(50), defaults.sseKeepAlive())))) {
            strict.apply("""
                    id: flood
                    steps:
                      - {id: print, type: script, run: "seq -f 'line %06g of a flood that fills every buffer between server and client' 1 100000"}
                    """);
            String runId = strict.execute("flood", null);
            StalledWriter out = new StalledWriter();
            CompletableFuture<Result> following = CompletableFuture.supplyAsync(
                    () -> cli(out, "follow", runId, "--json", "--server", strict.url()));

            Await.until("the follower has shown the first event", Duration.ofSeconds(20),
                    () -> out.stalled() ? Boolean.TRUE : endedEarly(following));
            List<JsonNode> history = strict.awaitHistory(runId);
            out.resume();

            Result result = following.get(60, TimeUnit.SECONDS);
            assertThat(result.exitCode()).as(result.err()).isZero();
            assertThat(result.err()).as("the server closed the stalled connection and the follower resumed")
                    .contains("resuming after seq");
            List<String> lines = result.lines();
            assertThat(lines).hasSameSizeAs(history);
            for (int i = 0; i < lines.size(); i++) {
                if (Json.MAPPER.readTree(lines.get(i)).path("seq").asLong() != i + 1) {
                    throw new AssertionError("line " + (i + 1) + " is " + lines.get(i));
                }
            }
            assertThat(parse(lines)).isEqualTo(history);
        }
    }

    /** Null while the command runs; fails the test with its output when it has already ended. */
    private static Boolean endedEarly(CompletableFuture<Result> command) {
        if (command.isDone()) {
            throw new AssertionError("the command ended early: " + command.join());
        }
        return null;
    }

    private static List<JsonNode> parse(List<String> lines) {
        return lines.stream().map(line -> {
            try {
                return Json.MAPPER.readTree(line);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + line, e);
            }
        }).toList();
    }

    /** A terminal that hangs after its first line until {@link #resume}, like one whose reader stopped. */
    private static final class StalledWriter extends Writer {
        private final StringBuilder text = new StringBuilder();
        private final CountDownLatch resumed = new CountDownLatch(1);
        private volatile boolean stalled;

        @Override
        public void write(char[] chars, int offset, int length) {
            synchronized (text) {
                text.append(chars, offset, length);
            }
        }

        @Override
        public void flush() {
            stalled = true;
            try {
                resumed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        boolean stalled() {
            return stalled;
        }

        void resume() {
            resumed.countDown();
        }

        @Override
        public void close() {}

        @Override
        public String toString() {
            synchronized (text) {
                return text.toString();
            }
        }
    }
}
