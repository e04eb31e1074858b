import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast a decision moves a waiting run on (issue 15, "Measure"): from the approve request
 * to the next step's step_start. A run of a workflow whose approval step waits (the run is
 * parked: no node holds it) is approved; a follower's WebSocket stream times the step_start of
 * the step after it. Each round is one run.
 *
 *   java bench/Approval.java [ROUNDS] [single|cluster]     (bench/approval.sh starts it)
 *
 * single: one node on a fresh SQLite file (the embedded default). cluster: two nodes on this
 * machine's PostgreSQL and Redis; the run is executed on one and approved on the other, and
 * followed on the node that approves. Uses ports 18711 and 18712.
 */
public class Approval {
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]+)\"");
    static final String WORKFLOW = """
            id: approval-bench
            steps:
              - {id: gate, type: approval, message: "go?"}
              - {id: next, type: log, message: "through"}
            """;

    record Node(String id, int port, List<String> store, Path log) {
        String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        boolean cluster = args.length > 1 && args[1].equals("cluster");
        Path work = Files.createTempDirectory("approval-bench");
        String schema = "approval_" + Long.toHexString(System.nanoTime());
        List<Node> nodes = new ArrayList<>();
        List<Process> processes = new ArrayList<>();
        if (cluster) {
            Resume.psql("CREATE SCHEMA " + schema);
        }
        try {
            for (int i = 1; i <= (cluster ? 2 : 1); i++) {
                List<String> store = cluster
                        ? List.of("--db", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&currentSchema=" + schema,
                                "--redis", "redis://127.0.0.1:6379")
                        : List.of("--data-dir", work.resolve("data").toString());
                Node node = new Node("n" + i, 18710 + i, store, work.resolve("n" + i + ".log"));
                nodes.add(node);
                processes.add(start(node));
            }
            for (Node node : nodes) {
                awaitReady(node);
            }
            Resume.send(HttpRequest.newBuilder(URI.create(nodes.get(0).url() + "/api/v2/workflows/approval-bench"))
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(WORKFLOW)));
            List<Long> received = new ArrayList<>();
            List<Long> stamped = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                long[] took = round(nodes.get(0), nodes.get(nodes.size() - 1));
                if (round == 0) {
                    continue; // a warm-up
                }
                received.add(took[0]);
                stamped.add(took[1]);
                System.out.printf("round %d: approve to the next step_start received %d ms, stamped %d ms%n", round, took[0], took[1]);
            }
            System.out.printf("%s, %d rounds: received median %d ms (%d–%d), stamped median %d ms (%d–%d)%n",
                    cluster ? "two nodes, approved on the other" : "one node", rounds, Resume.median(received),
                    Resume.min(received), Resume.max(received), Resume.median(stamped), Resume.min(stamped), Resume.max(stamped));
        } finally {
            processes.forEach(Process::destroy);
            for (Process process : processes) {
                process.waitFor(15, TimeUnit.SECONDS);
            }
            if (cluster) {
                Resume.psql("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** One run executed from {@code runner}, followed and approved on {@code approver}: ms to the next step_start. */
    static long[] round(Node runner, Node approver) throws Exception {
        String body = Resume.send(HttpRequest.newBuilder(URI.create(runner.url() + "/api/v2/workflows/approval-bench/execute"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        String runId = body.replaceAll(".*\"runId\":\"([0-9a-f-]{36})\".*", "$1");
        LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket socket = Resume.follow(approver.url(), runId, frames);
        await(frames, "\"step_waiting\"", runId);
        // Parked once the run's row says waiting and no node holds it: poll the detail until waiting.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Resume.send(HttpRequest.newBuilder(URI.create(approver.url() + "/api/v2/workflows/runs/" + runId)))
                .contains("\"status\":\"waiting\"") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50); // let the park commit: a decision before it is the other path
        long sentNanos = System.nanoTime();
        Instant sentAt = Instant.now();
        Resume.send(HttpRequest.newBuilder(URI.create(approver.url() + "/api/v2/workflows/runs/" + runId + "/steps/gate/approve"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        String start = await(frames, "\"stepId\":\"next\"", runId);
        long receivedMs = Duration.ofNanos(System.nanoTime() - sentNanos).toMillis();
        Matcher time = TIME.matcher(start);
        long stampMs = time.find() ? Duration.between(sentAt, Instant.parse(time.group(1))).toMillis() : -1;
        await(frames, "\"run_complete\"", runId);
        socket.abort();
        return new long[] {receivedMs, stampMs};
    }

    static String await(LinkedBlockingQueue<String> frames, String marker, String runId) throws InterruptedException {
        while (true) {
            String frame = frames.poll(30, TimeUnit.SECONDS);
            if (frame == null) {
                throw new IllegalStateException("no " + marker + " within 30 s for run " + runId);
            }
            if (frame.contains(marker)) {
                return frame;
            }
        }
    }

    static Process start(Node node) throws IOException {
        List<String> command = new ArrayList<>(List.of("bin/stepstream", "serve", "--port", String.valueOf(node.port())));
        command.addAll(node.store());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()));
        builder.environment().put("STEPSTREAM_NODE_ID", node.id());
        return builder.start();
    }

    static void awaitReady(Node node) throws InterruptedException {
        Resume.awaitReady(node.url(), node.id() + " is not ready; see " + node.log());
    }
}
