package dev.stepstream.app;

import static dev.stepstream.app.NodeApi.awaitEnd;
import static dev.stepstream.app.NodeApi.awaitFirstLog;
import static dev.stepstream.app.NodeApi.awaitRawHistory;
import static dev.stepstream.app.NodeApi.cancel;
import static dev.stepstream.app.NodeApi.events;
import static dev.stepstream.app.NodeApi.execute;
import static dev.stepstream.app.NodeApi.put;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.TcpProxy;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node that executes a run does when it is cut off from the database, or paused, made
 * for real from outside: node A reaches PostgreSQL through a {@link TcpProxy} the test cuts,
 * or is stopped with SIGSTOP; node B, connected directly, takes A's runs over once A's lease
 * has lapsed. Whatever the fault, a run has exactly one {@code run_complete}, its last event,
 * in every node's history, and a node that lost a run starts none of its steps after the loss.
 *
 * <p>The workflow's first step waits for a gate file the test creates; its second step leaves
 * a file behind, the side effect a node that lost the run must not cause.
 */
@Timeout(180)
class NodeFaultsTest {
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Pattern ON_NODE = Pattern.compile("on (node-[ab])");

    @TempDir
    static Path data;
    private static Postgres postgres;
    private static TcpProxy proxy;
    private static ChildServer a;
    private static ChildServer b;

    @BeforeAll
    static void startTwoNodes() throws IOException {
        Redis.require();
        postgres = Postgres.schema();
        URI server = URI.create(Postgres.SERVER.substring("jdbc:".length()));
        proxy = TcpProxy.to(server.getHost(), server.getPort());
        String throughProxy = postgres.url().replace(server.getHost() + ":" + server.getPort(), "127.0.0.1:" + proxy.port());
        a = start("node-a", throughProxy);
        b = start("node-b", postgres.url());
        put(a, """
                id: gated
                inputs:
                  gate: {type: string}
                steps:
                  - id: wait
                    type: script
                    run: 'echo "waiting on $STEPSTREAM_NODE_ID"; while [ ! -f "${inputs.gate}" ]; do sleep 0.05; done; echo released'
                  - id: after
                    type: script
                    run: 'echo "after the gate on $STEPSTREAM_NODE_ID"; touch "${inputs.gate}.after"'
                """);
    }

    private static ChildServer start(String id, String db) throws IOException {
        return ChildServer.start(data.resolve(id), Map.of("STEPSTREAM_NODE_ID", id),
                List.of("-Xmx192m"),
                "--db", db, "--redis", Redis.URL, "--lease", LEASE.toMillis() + "ms",
                "--poll-interval", "300ms", "--allow-scripts");
    }

    @AfterAll
    static void stopTheNodes() {
        for (AutoCloseable closeable : new AutoCloseable[] {a, b, proxy}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aDatabaseOutageLongerThanTheLeaseEndsTheRunOnceAndTheCutOffNodeStartsNothingMore() throws Exception {
        Path gate = data.resolve("gate-outage");
        String runId = runOnNodeA(gate);
        int outputBefore = a.output().length();

        proxy.cut();
        JsonNode ended;
        try {
            ended = awaitEnd(b, runId);
            Files.createFile(gate); // node A's script ends now, while A cannot reach the database
        } finally {
            proxy.restore();
        }

        assertThat(ended.path("status").asText()).isEqualTo("interrupted");
        awaitOutput(a, outputBefore, "another node took its runs over");
        awaitOutput(a, outputBefore, "run " + runId + " stopped here: another node took it over");
        assertTheRunEndedOnceAndNothingRanAfterItsEnd(runId, gate);
    }

    @Test
    void aDatabaseBlipShorterThanTheLeaseCostsTheRunNothing() throws Exception {
        Path gate = data.resolve("gate-blip");
        String runId = runOnNodeA(gate);
        int outputBefore = a.output().length();

        proxy.cut();
        try {
            Thread.sleep(LEASE.dividedBy(2)); // the fault itself lasts this long; nothing waits on it
        } finally {
            proxy.restore();
        }
        Files.createFile(gate);

        JsonNode ended = awaitEnd(a, runId);
        assertThat(ended.path("status").asText()).as(a.output().substring(outputBefore)).isEqualTo("success");
        assertThat(events(b, runId)).filteredOn(event -> event.path("type").asText().equals("step_log"))
                .extracting(event -> event.path("payload").path("message").asText())
                .containsExactly("waiting on node-a", "released", "after the gate on node-a");
        assertThat(a.output().substring(outputBefore)).doesNotContain("took its runs over");
        assertThat(b.output()).doesNotContain("run " + runId + " was running on a node that stopped");
    }

    @Test
    void aNodePausedPastItsLeaseFindsItsRunTakenOverAndStartsNoFurtherStep() throws Exception {
        Path gate = data.resolve("gate-pause");
        String runId = runOnNodeA(gate);
        int outputBefore = a.output().length();

        a.pause();
        JsonNode ended;
        try {
            ended = awaitEnd(b, runId);
            Files.createFile(gate); // the script, a process of its own, ends while its node is paused
        } finally {
            a.resume();
        }

        assertThat(ended.path("status").asText()).isEqualTo("interrupted");
        awaitOutput(a, outputBefore, "run " + runId + " stopped here: another node took it over");
        assertTheRunEndedOnceAndNothingRanAfterItsEnd(runId, gate);
    }

    /**
     * Executes the gated workflow until node A is the one that executes it. Which node claims a
     * run is a race the test does not decide: node A reaches the database through a proxy, so
     * node B wins most of them (10 lost in a row was seen in CI on 2 cores); 30 tries.
     */
    private static String runOnNodeA(Path gate) {
        for (int attempt = 1; ; attempt++) {
            String runId = execute(a, "gated", "{\"gate\": \"" + gate + "\"}");
            String executor = executorOf(awaitFirstLog(a, runId));
            if (executor.equals("node-a")) {
                return runId;
            }
            cancel(a, runId);
            awaitEnd(a, runId);
            assertThat(attempt).as("node A executes one of the runs it queued").isLessThan(30);
        }
    }

    private static String executorOf(List<JsonNode> events) {
        for (JsonNode event : events) {
            Matcher matcher = ON_NODE.matcher(event.path("payload").path("message").asText());
            if (matcher.find()) {
                return matcher.group(1);
            }
        }
        throw new AssertionError("no step_log names its node: " + events);
    }

    private static void awaitOutput(ChildServer node, int from, String text) {
        Await.until("the node logs \"" + text + "\"", Duration.ofSeconds(30),
                () -> node.output().substring(from).contains(text) ? true : null);
    }

    /** Both nodes hold the same history, which has one run_complete, last; the second step never ran. */
    private static void assertTheRunEndedOnceAndNothingRanAfterItsEnd(String runId, Path gate) {
        List<String> onB = awaitRawHistory(b, runId);
        List<String> onA = awaitRawHistory(a, runId);
        assertThat(onA).containsExactlyElementsOf(onB);
        assertThat(onB.stream().map(TestServer::typeOf).filter("run_complete"::equals)).hasSize(1);
        assertThat(TestServer.typeOf(onB.getLast())).isEqualTo("run_complete");
        assertThat(String.join("\n", onB)).doesNotContain("released").doesNotContain("after the gate");
        assertThat(gate.resolveSibling(gate.getFileName() + ".after"))
                .as("node A started no step after it lost the run:\n" + a.output()).doesNotExist();
    }
}
