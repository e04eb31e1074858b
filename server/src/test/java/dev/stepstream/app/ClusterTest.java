package dev.stepstream.app;

import static dev.stepstream.app.NodeApi.awaitEnd;
import static dev.stepstream.app.NodeApi.awaitFirstLog;
import static dev.stepstream.app.NodeApi.awaitRawHistory;
import static dev.stepstream.app.NodeApi.events;
import static dev.stepstream.app.NodeApi.get;
import static dev.stepstream.app.NodeApi.send;
import static dev.stepstream.app.NodeApi.streamUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.SseClient;
import dev.stepstream.testing.StepsFromEvents;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three server processes on one PostgreSQL (a schema of this class's own) and the machine's
 * Redis, as DESIGN.md's "Scale" runs them: any node executes any run, serves any run's stream,
 * and takes over from a node that dies. Each node's scripts print the node's id, so a run's
 * log says which node executed it.
 */
@Timeout(240)
class ClusterTest {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Pattern ON_NODE = Pattern.compile("on (node-[abc])");
    private static final List<String> IDS = List.of("node-a", "node-b", "node-c");

    @TempDir
    static Path data;
    private static Postgres postgres;
    private static final Map<String, ChildServer> nodes = new LinkedHashMap<>();
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startTheCluster() throws Exception {
        Redis.require();
        postgres = Postgres.schema();
        List<CompletableFuture<ChildServer>> starting = new ArrayList<>();
        for (String id : IDS) {
            starting.add(CompletableFuture.supplyAsync(() -> startNode(id)));
        }
        for (int i = 0; i < IDS.size(); i++) {
            nodes.put(IDS.get(i), starting.get(i).join());
        }
        put("a", """
                id: paced
                inputs:
                  lines: {type: number, default: 3}
                  pause: {type: string, default: "0.2"}
                steps:
                  - id: talk
                    type: script
                    run: 'for i in $(seq 1 ${inputs.lines}); do echo "line $i on $STEPSTREAM_NODE_ID"; sleep ${inputs.pause}; done'
                  - {id: done, type: set, vars: {finished: true}}
                """);
        put("a", """
                id: endless
                steps:
                  - id: wait
                    type: script
                    run: 'echo "started on $STEPSTREAM_NODE_ID"; sleep 600'
                  - {id: never, type: log, message: never}
                """);
    }

    private static ChildServer startNode(String id) {
        try {
            return ChildServer.start(data.resolve(id), Map.of("STEPSTREAM_NODE_ID", id),
                    List.of("-Xmx192m"),
                    "--db", postgres.url(), "--redis", Redis.URL, "--lease", LEASE.toMillis() + "ms",
                    "--poll-interval", "300ms", "--allow-scripts", "--max-concurrent-runs", "2");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopTheCluster() {
        nodes.values().forEach(ChildServer::close);
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ChildServer node(String letter) {
        return nodes.get("node-" + letter);
    }

    /** Kills a node with SIGKILL and starts it again afterwards (same id: its previous process's runs are orphans). */
    private static void restartAfterKill(String id) {
        nodes.put(id, startNode(id));
    }

    // --- the tests -----------------------------------------------------------------------

    @Test
    void runsQueuedOnOneNodeAreExecutedByEveryNodeAndDashboardsEverywhereSeeThem() {
        WsClient dashboard = WsClient.connect(http, URI.create(node("c").url().replaceFirst("^http", "ws") + "/api/v2/stream"));
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            runs.add(execute("a", "paced", "{\"lines\": 3, \"pause\": \"0.6\"}"));
        }

        Set<String> executors = new HashSet<>();
        for (String runId : runs) {
            JsonNode run = awaitEnd(node("c"), runId);
            assertThat(run.path("status").asText()).isEqualTo("success");
            executors.add(executorOf(events(node("b"), runId)));
        }
        assertThat(executors).as("two slots per node, six runs at once").containsExactlyInAnyOrderElementsOf(IDS);
        for (String runId : runs) {
            dashboard.awaitMessages("run_queued, run_start and run_complete of " + runId, messages -> messages.stream()
                    .filter(m -> m.json().path("runId").asText().equals(runId)).map(WsClient.Message::type).toList()
                    .containsAll(List.of("run_queued", "run_start", "run_complete")), Duration.ofSeconds(30));
        }
        dashboard.close();
    }

    @Test
    void thirtyRunsSubmittedAtOnceAcrossNodesReachEveryDashboardOnceEachAndInOrder() {
        Map<String, WsClient> dashboards = new LinkedHashMap<>();
        nodes.forEach((id, node) -> dashboards.put(id, WsClient.connect(http,
                URI.create(node.url().replaceFirst("^http", "ws") + "/api/v2/stream?workflowId=paced"))));
        List<CompletableFuture<String>> submits = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String letter = List.of("a", "b", "c").get(i % 3);
            submits.add(CompletableFuture.supplyAsync(() -> execute(letter, "paced", "{\"lines\": 1, \"pause\": \"0\"}")));
        }
        List<String> runs = submits.stream().map(CompletableFuture::join).toList();
        // A watcher of each run on one node, who leaves as the run ends: the node then stops following it.
        List<WsClient> watchers = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            watchers.add(WsClient.connect(http, streamUrl(nodes.get(IDS.get(i % 3)), runs.get(i), 0)));
        }
        for (String runId : runs) {
            assertThat(awaitEnd(node("a"), runId).path("status").asText()).isEqualTo("success");
        }
        watchers.forEach(watcher -> assertThat(watcher.awaitClose().code()).isEqualTo(1000));
        // One more run, ended on every dashboard: what the thirty would still send twice came before it.
        String last = execute("a", "paced", "{\"lines\": 1, \"pause\": \"0\"}");
        awaitEnd(node("a"), last);
        List<String> expected = List.of("run_queued", "run_start", "run_progress", "run_progress", "run_complete");
        dashboards.forEach((id, dashboard) -> {
            dashboard.awaitMessages("the run_complete of the last run on " + id, messages -> messages.stream()
                    .anyMatch(m -> m.type().equals("run_complete") && m.json().path("runId").asText().equals(last)),
                    Duration.ofSeconds(30));
            for (String runId : runs) {
                assertThat(dashboard.messages().stream().filter(m -> m.json().path("runId").asText().equals(runId))
                        .map(WsClient.Message::type).toList())
                        .as("run %s on the dashboard of %s", runId, id).containsExactlyElementsOf(expected);
            }
            dashboard.close();
        });
    }

    @Test
    void aRunStreamedFromEveryNodeOverWebSocketAndSseIsIdenticalToItsHistory() {
        String runId = execute("a", "paced", "{\"lines\": 40, \"pause\": \"0.03\"}");
        List<WsClient> streams = new ArrayList<>();
        for (ChildServer node : nodes.values()) {
            streams.add(WsClient.connect(http, streamUrl(node, runId, 0)));
        }

        SseClient sse = SseClient.open(http, URI.create(node("c").url() + "/api/v2/workflows/runs/" + runId + "/events"),
                Map.of("Accept", "text/event-stream"));

        List<String> history = awaitRawHistory(node("b"), runId);
        for (WsClient stream : streams) {
            assertThat(stream.awaitClose().code()).as(stream.uri().toString()).isEqualTo(1000);
            assertThat(stream.envelopeTexts()).as(stream.uri().toString()).containsExactlyElementsOf(history);
        }
        assertThat(sse.awaitEnd(Duration.ofSeconds(30))).filteredOn(event -> !"caught_up".equals(event.event()))
                .extracting(SseClient.Event::data).containsExactlyElementsOf(history);
        assertThat(history).hasSize(1 + 1 + 40 + 1 + 1 + 1 + 1 + 1);
    }

    @Test
    void aClientWhoseNodeIsKilledResumesOnAnotherNodeAndMissesNothing() throws Exception {
        String runId = execute("b", "paced", "{\"lines\": 60, \"pause\": \"0.05\"}");
        String executor = executorOf(awaitFirstLog(node("b"), runId));
        String watched = IDS.stream().filter(id -> !id.equals(executor)).findFirst().orElseThrow();
        String resumeOn = IDS.stream().filter(id -> !id.equals(watched)).findFirst().orElseThrow();
        WsClient first = WsClient.connect(http, streamUrl(nodes.get(watched), runId, 0));
        first.awaitEnvelopes(envelopes -> envelopes.size() >= 10, Duration.ofSeconds(30));

        nodes.get(watched).kill();
        try {
            first.awaitClose();
            long after = first.lastSeq(0);
            WsClient second = WsClient.connect(http, streamUrl(nodes.get(resumeOn), runId, after));
            assertThat(second.awaitClose().code()).isEqualTo(1000);

            List<String> received = new ArrayList<>(first.envelopeTexts());
            received.addAll(second.envelopeTexts());
            assertThat(received).containsExactlyElementsOf(awaitRawHistory(nodes.get(resumeOn), runId));
            assertThat(awaitEnd(nodes.get(resumeOn), runId).path("status").asText()).isEqualTo("success");
        } finally {
            restartAfterKill(watched);
        }
    }

    @Test
    void killingTheNodeThatExecutesARunEndsItInterruptedWithinTheLeaseAndStreamsElsewhereEndWithIt() throws Exception {
        String runId = execute("c", "endless", null);
        String executor = executorOf(awaitFirstLog(node("c"), runId));
        List<WsClient> streams = new ArrayList<>();
        List<String> others = IDS.stream().filter(id -> !id.equals(executor)).toList();
        for (String id : others) {
            WsClient stream = WsClient.connect(http, streamUrl(nodes.get(id), runId, 0));
            stream.awaitType("caught_up");
            streams.add(stream);
        }

        long killed = System.nanoTime();
        nodes.get(executor).kill();
        try {
            for (WsClient stream : streams) {
                JsonNode complete = stream.awaitType("run_complete", Duration.ofSeconds(30));
                assertThat(complete.path("payload").path("status").asText()).isEqualTo("interrupted");
                assertThat(stream.awaitClose().code()).isEqualTo(1000);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("about one lease").isLessThan(LEASE.multipliedBy(3));
            List<String> history = awaitRawHistory(nodes.get(others.getFirst()), runId);
            for (WsClient stream : streams) {
                assertThat(stream.envelopeTexts()).containsExactlyElementsOf(history);
            }
            JsonNode run = get(nodes.get(others.getLast()), "/api/v2/workflows/runs/" + runId);
            assertThat(run.path("status").asText()).isEqualTo("interrupted");
            assertThat(run.path("steps").get(0).path("status").asText()).isEqualTo("cancelled");
            List<JsonNode> events = events(nodes.get(others.getLast()), runId);
            assertThat(events.subList(events.size() - 2, events.size())).extracting(e -> e.path("type").asText()
                    + " " + e.path("payload").path("status").asText()).as("its running step ended in its log, then the run")
                    .containsExactly("step_complete cancelled", "run_complete interrupted");
            StepsFromEvents.assertAgreesWithDetail(run, events);
        } finally {
            restartAfterKill(executor);
        }
    }

    @Test
    void cuttingRedisPubSubConnectionsMidRunLosesNoEvent() {
        String runId = execute("a", "paced", "{\"lines\": 60, \"pause\": \"0.04\"}");
        List<WsClient> streams = new ArrayList<>();
        for (ChildServer node : nodes.values()) {
            streams.add(WsClient.connect(http, streamUrl(node, runId, 0)));
        }
        streams.getFirst().awaitEnvelopes(envelopes -> envelopes.size() >= 10, Duration.ofSeconds(30));

        Redis.killPubSubConnections();
        streams.getFirst().awaitEnvelopes(envelopes -> envelopes.size() >= 35, Duration.ofSeconds(30));
        Redis.killPubSubConnections();

        List<String> history = awaitRawHistory(node("a"), runId);
        for (WsClient stream : streams) {
            assertThat(stream.awaitClose().code()).isEqualTo(1000);
            assertThat(stream.envelopeTexts()).as(stream.uri().toString()).containsExactlyElementsOf(history);
        }
    }

    @Test
    void whileRedisIsDownTheDashboardOfEveryNodeStillSeesTheRunsOfEveryNode() {
        Map<String, WsClient> dashboards = new LinkedHashMap<>();
        nodes.forEach((id, node) -> dashboards.put(id, WsClient.connect(http,
                URI.create(node.url().replaceFirst("^http", "ws") + "/api/v2/stream?workflowId=paced"))));
        List<String> runs = new ArrayList<>();
        try {
            Redis.stop();
            for (int i = 0; i < 12; i++) {
                runs.add(execute(List.of("a", "b", "c").get(i % 3), "paced", "{\"lines\": 2, \"pause\": \"0.1\"}"));
            }
            for (String runId : runs) {
                assertThat(awaitEnd(node("b"), runId).path("status").asText()).isEqualTo("success");
            }
            dashboards.forEach((id, dashboard) -> dashboard.awaitMessages("every run's start and end on " + id,
                    messages -> runs.stream().allMatch(runId -> messages.stream()
                            .filter(m -> m.json().path("runId").asText().equals(runId)).map(WsClient.Message::type).toList()
                            .containsAll(List.of("run_start", "run_complete"))), Duration.ofSeconds(30)));
        } finally {
            Redis.start();
        }
        dashboards.forEach((id, dashboard) -> {
            for (String runId : runs) {
                List<String> types = dashboard.messages().stream().filter(m -> m.json().path("runId").asText().equals(runId))
                        .map(WsClient.Message::type).filter(type -> !type.equals("run_progress")).toList();
                assertThat(types).as("run %s on the dashboard of %s, each once and in order", runId, id)
                        .isIn(List.of("run_queued", "run_start", "run_complete"), List.of("run_start", "run_complete"));
            }
            dashboard.close();
        });
    }

    @Test
    void aCancelSentToANodeThatDoesNotExecuteTheRunStopsIt() {
        String runId = execute("b", "endless", null);
        String executor = executorOf(awaitFirstLog(node("b"), runId));
        ChildServer other = nodes.get(IDS.stream().filter(id -> !id.equals(executor)).findFirst().orElseThrow());

        long asked = System.nanoTime();
        assertThat(send(HttpRequest.newBuilder(URI.create(other.url() + "/api/v2/workflows/runs/" + runId + "/cancel"))
                .POST(HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(202);

        JsonNode run = awaitEnd(other, runId);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(5));
        assertThat(run.path("status").asText()).isEqualTo("cancelled");
        assertThat(run.path("steps").get(1).path("status").asText()).isEqualTo("pending");
    }

    @Test
    void aGraphsChildRunsSpreadOverTheNodesAndItsStreamIsTheSameOnEveryNode() {
        StringBuilder yaml = new StringBuilder("id: fan-children\nsteps:\n");
        for (int i = 0; i < 6; i++) {
            yaml.append("  - {id: child").append(i).append(", type: workflow, workflow: paced, inputs: {lines: 3, pause: \"0.5\"}}\n");
        }
        yaml.append("  - {id: join, needs: [child0, child1, child2, child3, child4, child5], type: log, message: all done}\n");
        put("a", yaml.toString());
        String runId = execute("b", "fan-children", null);
        List<WsClient> streams = new ArrayList<>();
        for (ChildServer node : nodes.values()) {
            streams.add(WsClient.connect(http, streamUrl(node, runId, 0)));
        }

        JsonNode run = awaitEnd(node("c"), runId);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        Set<String> executors = new HashSet<>();
        for (JsonNode step : run.path("steps")) {
            if (step.path("stepId").asText().startsWith("child")) {
                String childId = step.path("outputs").path("runId").asText();
                assertThat(step.path("outputs").path("status").asText()).isEqualTo("success");
                List<JsonNode> childEvents = events(node("a"), childId);
                assertThat(childEvents.getFirst().path("payload").path("parentRunId").asText()).isEqualTo(runId);
                executors.add(executorOf(childEvents));
            }
        }
        assertThat(executors).as("six children of 1.5 s, two slots a node").hasSizeGreaterThan(1);
        List<String> history = awaitRawHistory(node("a"), runId);
        for (WsClient stream : streams) {
            assertThat(stream.awaitClose().code()).as(stream.uri().toString()).isEqualTo(1000);
            assertThat(stream.envelopeTexts()).as(stream.uri().toString()).containsExactlyElementsOf(history);
        }
    }

    @Test
    void aResumableGraphWhoseNodeIsKilledGoesOnElsewhereAndStreamsCarryOnWithoutAClose(@TempDir Path work) throws Exception {
        long tookMs = resumeElsewhere(work, true);
        assertThat(tookMs).as("within about a lease and a third").isLessThan(LEASE.multipliedBy(3).toMillis());
    }

    @Test
    void aResumableRunOfANodeThatStopsIsHandedOverAtOnce(@TempDir Path work) throws Exception {
        long tookMs = resumeElsewhere(work, false);
        assertThat(tookMs).as("the node hands it back as it stops; another claims it within its poll")
                .isLessThan(LEASE.toMillis() / 2);
    }

    /**
     * Runs a resumable graph, stops the node executing it in the middle (SIGKILL, or SIGTERM),
     * and checks that another node goes on with it: no ended step runs again, a stream on a
     * third node carries on without a close. Returns the milliseconds from the node's end to
     * the run_resumed on that stream.
     */
    private static long resumeElsewhere(Path work, boolean kill) throws Exception {
        put("a", """
                id: durable-graph
                onInterrupt: resume
                steps:
                  - {id: where, type: script, run: 'echo "on $STEPSTREAM_NODE_ID"; echo where >> "%1$s/done"'}
                  - {id: left, needs: [where], type: script, run: 'echo left >> "%1$s/done"'}
                  - {id: hold, needs: [where], type: script, run: 'echo "hold on $STEPSTREAM_NODE_ID" >> "%1$s/done"; while [ ! -f "%1$s/open" ]; do sleep 0.05; done'}
                  - {id: join, needs: [left, hold], type: log, message: joined}
                """.formatted(work));
        String runId = execute("b", "durable-graph", null);
        String executor = executorOf(awaitFirstLog(node("b"), runId));
        List<String> others = IDS.stream().filter(id -> !id.equals(executor)).toList();
        WsClient stream = WsClient.connect(http, streamUrl(nodes.get(others.getLast()), runId, 0));
        WsClient dashboard = WsClient.connect(http, URI.create(nodes.get(others.getLast()).url().replaceFirst("^http", "ws")
                + "/api/v2/stream?workflowId=durable-graph"));
        // "Ended" is what the log says: left's step_complete stored, hold started.
        Await.until("left has ended and hold runs on " + executor, Duration.ofSeconds(20), () -> {
            JsonNode steps = get(nodes.get(others.getFirst()), "/api/v2/workflows/runs/" + runId).path("steps");
            return steps.get(1).path("status").asText().equals("success") && steps.get(2).path("status").asText().equals("running")
                    && lines(work.resolve("done")).contains("hold on " + executor) ? true : null;
        });

        if (kill) {
            nodes.get(executor).kill();
        } else {
            nodes.get(executor).close();
        }
        long ended = System.nanoTime();
        try {
            JsonNode resumed = stream.awaitType("run_resumed", LEASE.multipliedBy(4));
            long tookMs = Duration.ofNanos(System.nanoTime() - ended).toMillis();
            String resumer = resumed.path("payload").path("node").asText();
            assertThat(resumer).isIn(others);
            assertThat(resumed.path("payload").path("restartedSteps")).extracting(JsonNode::asText).containsExactly("hold");
            Await.until("the hold step runs again on " + resumer, Duration.ofSeconds(20),
                    () -> lines(work.resolve("done")).contains("hold on " + resumer) ? true : null);
            Files.createFile(work.resolve("open"));

            assertThat(stream.awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(1000);
            JsonNode run = awaitEnd(nodes.get(others.getFirst()), runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(lines(work.resolve("done"))).as("ended steps never ran again").containsOnlyOnce("where", "left");
            List<String> history = awaitRawHistory(nodes.get(others.getFirst()), runId);
            assertThat(stream.envelopeTexts()).as("one stream, every event once, in order").containsExactlyElementsOf(history);
            dashboard.awaitMessages("the dashboard sees the run resumed", messages -> messages.stream().anyMatch(m ->
                    m.type().equals("run_resumed") && m.json().path("runId").asText().equals(runId)), Duration.ofSeconds(10));
            return tookMs;
        } finally {
            stream.close();
            dashboard.close();
            restartAfterKill(executor);
        }
    }

    @Test
    void anApprovalTakenOnAnyNodeMovesTheRunOnWhereverItWaitedAndStreamsSeeItWithoutAClose() throws Exception {
        put("a", APPROVED_DEPLOY);
        WsClient dashboard = WsClient.connect(http, URI.create(node("a").url().replaceFirst("^http", "ws")
                + "/api/v2/stream?workflowId=approved-deploy"));
        String runId = execute("b", "approved-deploy", null);
        WsClient stream = WsClient.connect(http, streamUrl(node("c"), runId, 0));
        try {
            awaitWaiting("c", runId);
            dashboard.awaitMessages("the dashboard sees the run wait", messages -> messages.stream().anyMatch(m ->
                    m.type().equals("run_progress") && m.json().path("runId").asText().equals(runId)
                            && m.json().path("payload").path("status").asText().equals("waiting")), Duration.ofSeconds(10));

            assertThat(NodeApi.decide(node("a"), runId, "gate", "approve")).isEqualTo(202);
            assertThat(NodeApi.decide(node("c"), runId, "gate", "approve")).as("once only").isEqualTo(409);
            assertThat(stream.awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(1000);
            JsonNode run = awaitEnd(node("b"), runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(stream.envelopeTexts()).as("one stream, every event once, in order")
                    .containsExactlyElementsOf(awaitRawHistory(node("a"), runId));
        } finally {
            stream.close();
            dashboard.close();
        }
    }

    @Test
    void aWaitingRunOutlivesARestartOfEveryNodeAndGoesOnWhenApprovedAfterIt() throws Exception {
        put("a", APPROVED_DEPLOY);
        String runId = execute("a", "approved-deploy", null);
        awaitWaiting("b", runId);

        // One node dies, the others stop; all come back.
        node("a").kill();
        node("b").close();
        node("c").close();
        List<CompletableFuture<ChildServer>> starting = IDS.stream()
                .map(id -> CompletableFuture.supplyAsync(() -> startNode(id))).toList();
        for (int i = 0; i < IDS.size(); i++) {
            nodes.put(IDS.get(i), starting.get(i).join());
        }
        assertThat(get(node("c"), "/api/v2/workflows/runs/" + runId).path("status").asText())
                .as("still waiting, not interrupted").isEqualTo("waiting");

        assertThat(NodeApi.decide(node("c"), runId, "gate", "approve")).isEqualTo(202);
        JsonNode run = awaitEnd(node("a"), runId);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(events(node("b"), runId).stream().map(e -> e.path("type").asText()))
                .containsOnlyOnce("run_start", "step_waiting", "run_complete").doesNotContain("run_resumed");
    }

    private static final String APPROVED_DEPLOY = """
            id: approved-deploy
            steps:
              - {id: build, type: script, run: 'echo "built on $STEPSTREAM_NODE_ID"'}
              - {id: gate, type: approval, message: "Ship it?"}
              - {id: ship, type: script, run: 'echo "shipped on $STEPSTREAM_NODE_ID"'}
            """;

    private static void awaitWaiting(String letter, String runId) {
        Await.until("run " + runId + " waits", Duration.ofSeconds(20), () ->
                get(node(letter), "/api/v2/workflows/runs/" + runId).path("status").asText().equals("waiting") ? true : null);
    }

    /**
     * A key of limit 1 (the workflow's id) holds across the nodes: twenty executes at once, on
     * three nodes with two slots each, run one at a time (no run starts before the one before it
     * has ended, by their run_start and run_complete times) and first come, first served.
     */
    @Test
    void twentyRunsOfAKeyOfLimitOneExecutedAtOnceOnThreeNodesRunOneAtATimeInTheOrderTheyCame() {
        put("a", """
                id: one-at-a-time
                concurrency: {limit: 1, onLimit: queue}
                steps:
                  - {id: work, type: sleep, duration: 100ms}
                  - {id: done, type: log, message: done}
                """);
        record Executed(String runId, long sent, long answered) {}
        List<CompletableFuture<Executed>> executes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String letter = List.of("a", "b", "c").get(i % 3);
            executes.add(CompletableFuture.supplyAsync(() -> {
                long sent = System.nanoTime();
                String runId = execute(letter, "one-at-a-time", null);
                return new Executed(runId, sent, System.nanoTime());
            }));
        }
        List<Executed> executed = executes.stream().map(CompletableFuture::join).toList();
        Map<String, JsonNode> runs = new LinkedHashMap<>();
        for (Executed execute : executed) {
            JsonNode run = awaitEnd(node("b"), execute.runId());
            assertThat(run.path("status").asText()).as(execute.runId()).isEqualTo("success");
            runs.put(execute.runId(), run);
        }

        List<String> byStart = runs.keySet().stream()
                .sorted(java.util.Comparator.comparing(id -> java.time.Instant.parse(runs.get(id).path("startedAt").asText())))
                .toList();
        for (int i = 1; i < byStart.size(); i++) {
            JsonNode before = runs.get(byStart.get(i - 1));
            JsonNode after = runs.get(byStart.get(i));
            assertThat(java.time.Instant.parse(after.path("startedAt").asText()))
                    .as("run %s starts after run %s has ended", byStart.get(i), byStart.get(i - 1))
                    .isAfterOrEqualTo(java.time.Instant.parse(before.path("finishedAt").asText()));
        }
        List<String> byCreation = runs.keySet().stream()
                .sorted(java.util.Comparator.<String, java.time.Instant>comparing(
                        id -> java.time.Instant.parse(runs.get(id).path("createdAt").asText())).thenComparing(id -> id))
                .toList();
        assertThat(byStart).as("first come, first served").containsExactlyElementsOf(byCreation);
        for (Executed first : executed) {
            for (Executed later : executed) {
                if (first.answered() < later.sent()) {
                    assertThat(byStart.indexOf(first.runId())).as("answered before the other was sent")
                            .isLessThan(byStart.indexOf(later.runId()));
                }
            }
        }
    }

    // --- helpers -------------------------------------------------------------------------

    /** The lines of a file the test's scripts write, none while it does not exist. */
    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void put(String letter, String yaml) {
        NodeApi.put(node(letter), yaml);
    }

    private static String execute(String letter, String workflowId, String inputs) {
        return NodeApi.execute(node(letter), workflowId, inputs);
    }

    /** The node that executed the run, from what its script printed. */
    private static String executorOf(List<JsonNode> events) {
        for (JsonNode event : events) {
            Matcher matcher = ON_NODE.matcher(event.path("payload").path("message").asText());
            if (event.path("type").asText().equals("step_log") && matcher.find()) {
                return matcher.group(1);
            }
        }
        throw new AssertionError("no step_log names its node: " + events);
    }
}
