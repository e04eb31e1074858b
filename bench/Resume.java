import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast a resumable run (onInterrupt: resume) goes on elsewhere (issue 15, "Measure"): two
 * nodes on this machine's PostgreSQL and Redis with --lease 3s; a run whose one step sleeps is
 * executed, a follower on the other node waits, and the executing node is killed (-9) or
 * stopped (SIGTERM). Measured: from the node's end to the arrival of run_resumed on the
 * follower's stream, and to the time run_resumed was stamped with. Each round then cancels the
 * run and starts the node again.
 *
 *   java bench/Resume.java [ROUNDS] [kill|stop]     (bench/resume.sh starts it)
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database test) and Redis on 127.0.0.1:6379;
 * uses ports 18701 and 18702.
 */
public class Resume {
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Pattern ON_NODE = Pattern.compile("on (n[12])");
    static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]+)\"");
    static final String WORKFLOW = """
            id: resume-bench
            onInterrupt: resume
            steps:
              - {id: hold, type: script, run: 'echo "on $STEPSTREAM_NODE_ID"; sleep 600'}
            """;

    record Node(String id, int port, String db, Path log) {
        String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    static final List<Node> nodes = new ArrayList<>();
    static final List<Process> processes = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        boolean kill = args.length < 2 || args[1].equals("kill");
        Path work = Files.createTempDirectory("resume-bench");
        String schema = "resume_" + Long.toHexString(System.nanoTime());
        psql("CREATE SCHEMA " + schema);
        try {
            for (int i = 1; i <= 2; i++) {
                Node node = new Node("n" + i, 18700 + i,
                        "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&currentSchema=" + schema, work.resolve("n" + i + ".log"));
                nodes.add(node);
                processes.add(start(node));
            }
            for (Node node : nodes) {
                awaitReady(node);
            }
            send(HttpRequest.newBuilder(URI.create(nodes.get(0).url() + "/api/v2/workflows/resume-bench"))
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(WORKFLOW)));
            List<Long> arrived = new ArrayList<>();
            List<Long> stamped = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                long[] took = round(kill);
                arrived.add(took[0]);
                stamped.add(took[1]);
                System.out.printf("round %d: %s to run_resumed received %d ms, stamped %d ms%n",
                        round, kill ? "kill -9" : "SIGTERM", took[0], took[1]);
            }
            System.out.printf("%s, %d rounds: received median %d ms (%d–%d), stamped median %d ms (%d–%d)%n",
                    kill ? "kill -9" : "SIGTERM", rounds, median(arrived), min(arrived), max(arrived),
                    median(stamped), min(stamped), max(stamped));
        } finally {
            processes.forEach(Process::destroyForcibly);
            for (Process process : processes) {
                process.waitFor(10, TimeUnit.SECONDS);
            }
            psql("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    /** One run, its node ended: milliseconds to run_resumed's arrival and to its stamp. */
    static long[] round(boolean kill) throws Exception {
        String body = send(HttpRequest.newBuilder(URI.create(nodes.get(0).url() + "/api/v2/workflows/resume-bench/execute"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        String runId = body.replaceAll(".*\"runId\":\"([0-9a-f-]{36})\".*", "$1");
        int executor = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (executor < 0 && System.nanoTime() < deadline) {
            Matcher m = ON_NODE.matcher(send(HttpRequest.newBuilder(
                    URI.create(nodes.get(0).url() + "/api/v2/workflows/runs/" + runId + "/events")).GET()));
            if (m.find()) {
                executor = Integer.parseInt(m.group(1).substring(1)) - 1;
            } else {
                Thread.sleep(20);
            }
        }
        if (executor < 0) {
            throw new IllegalStateException("run " + runId + " did not start");
        }
        Node other = nodes.get(1 - executor);
        LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocket socket = follow(other.url(), runId, frames);
        while (!frames.take().contains("\"caught_up\"")) {
            // the history so far
        }
        Process process = processes.get(executor);
        if (kill) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        process.waitFor(30, TimeUnit.SECONDS);
        long endedNanos = System.nanoTime();
        Instant endedAt = Instant.now();
        String resumed;
        do {
            resumed = frames.poll(30, TimeUnit.SECONDS);
            if (resumed == null) {
                throw new IllegalStateException("no run_resumed within 30 s for run " + runId);
            }
        } while (!resumed.contains("\"run_resumed\""));
        long received = Duration.ofNanos(System.nanoTime() - endedNanos).toMillis();
        Matcher time = TIME.matcher(resumed);
        long stamp = time.find() ? Duration.between(endedAt, Instant.parse(time.group(1))).toMillis() : -1;
        socket.abort();
        send(HttpRequest.newBuilder(URI.create(other.url() + "/api/v2/workflows/runs/" + runId + "/cancel"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        processes.set(executor, start(nodes.get(executor)));
        awaitReady(nodes.get(executor));
        return new long[] {received, stamp};
    }

    /** Follows the run's stream on the server at {@code url}: each whole text message goes to {@code frames}. */
    static WebSocket follow(String url, String runId, LinkedBlockingQueue<String> frames) {
        return http.newWebSocketBuilder().buildAsync(URI.create(url.replace("http", "ws")
                + "/api/v2/workflows/runs/" + runId + "/stream"), new WebSocket.Listener() {
                    final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            frames.add(text.toString());
                            text.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).join();
    }

    static Process start(Node node) throws IOException {
        // The node id as a variable (not --node-id): its scripts see it too, and say where they run.
        ProcessBuilder builder = new ProcessBuilder("bin/stepstream", "serve", "--port", String.valueOf(node.port()),
                "--db", node.db(), "--redis", "redis://127.0.0.1:6379", "--lease", "3s", "--allow-scripts")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()));
        builder.environment().put("STEPSTREAM_NODE_ID", node.id());
        return builder.start();
    }

    static void awaitReady(Node node) throws InterruptedException {
        awaitReady(node.url(), node.id() + " is not ready; see " + node.log());
    }

    /** Waits up to a minute for the server at {@code url} to answer /readyz with 200; else fails with {@code otherwise}. */
    static void awaitReady(String url, String otherwise) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(otherwise);
    }

    static String send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    static void psql(String sql) throws Exception {
        Process process = new ProcessBuilder("psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", sql)
                .inheritIO().start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("psql failed: " + sql);
        }
    }

    static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    static long min(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).min().orElse(0);
    }

    static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElse(0);
    }
}
