import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cross-node latency: a run executed on node A, followed by WebSocket clients on node B. The
 * run's script prints EVENTS lines at RATE lines/s once every client is caught up; each client
 * checks it got every event once and in order, and records, for each line, the time from the
 * event's {@code time} (set on A when the run created it, before it was stored) to its receipt
 * from B: commit on A, Redis publish, B's relay, B's hub, B's socket.
 *
 *   java bench/CrossNode.java --a http://127.0.0.1:18383 --b http://127.0.0.1:18384 --node-a node-a
 *        [--clients 1] [--events 5000] [--rate 1000] [--batch]
 */
public class CrossNode {
    static final HttpClient http = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        String a = arg(args, "--a", "http://127.0.0.1:18383");
        String b = arg(args, "--b", "http://127.0.0.1:18384");
        String nodeA = arg(args, "--node-a", "node-a");
        int clients = Integer.parseInt(arg(args, "--clients", "1"));
        int events = Integer.parseInt(arg(args, "--events", "5000"));
        int rate = Integer.parseInt(arg(args, "--rate", "1000"));
        boolean batch = Arrays.asList(args).contains("--batch");

        String script = ("perl -MTime::HiRes=time,sleep -e '$|=1; my $t=time; for my $i (1..%d) "
                + "{ my $d = $t + $i/%d - time; sleep($d) if $d > 0; print \"line $i\\n\" }'").formatted(events, rate);
        Path gate = Files.createTempDirectory("crossnode").resolve("gate");
        send(HttpRequest.newBuilder(URI.create(a + "/api/v2/workflows/bench-crossnode")).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString("id: bench-crossnode\nsteps:\n"
                        + "  - {id: wait, type: script, run: \"echo on $STEPSTREAM_NODE_ID; while [ ! -f " + gate
                        + " ]; do sleep 0.05; done\"}\n"
                        + "  - id: print\n    type: script\n    run: \"" + script.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n")));
        String runId = runOn(a, nodeA);
        long expected = events + 7; // run_start, wait's start, its "on" line, its complete, print's start, the lines, its complete, run_complete

        List<Client> all = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            Client client = new Client(expected, done);
            all.add(client);
            http.newWebSocketBuilder().buildAsync(URI.create(b.replaceFirst("^http", "ws") + "/api/v2/workflows/runs/" + runId
                    + "/stream" + (batch ? "?batch=1" : "")), client).join();
        }
        for (Client client : all) {
            client.caughtUp.join();
        }
        Files.writeString(gate, "open");
        if (!done.await(60 + 4L * events / Math.max(1, rate), TimeUnit.SECONDS)) {
            System.out.println("TIMEOUT: " + done.getCount() + " clients did not finish");
        }
        long[] latencies = all.stream().flatMapToLong(c -> Arrays.stream(c.latencies, 0, c.count)).toArray();
        Arrays.sort(latencies);
        System.out.printf("run executed on %s (%s), followed on %s by %d client(s), %s, %d lines at %d/s%n",
                nodeA, a, b, clients, batch ? "batch=1" : "one envelope per frame", events, rate);
        System.out.printf("latency from creation on A to receipt (ms): p50 %d, p90 %d, p99 %d, p99.9 %d, max %d (%,d lines)%n",
                pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), pct(latencies, 99.9),
                latencies.length == 0 ? -1 : latencies[latencies.length - 1], latencies.length);
        System.out.printf("clients with a gap, duplicate or missing event: %d%n", all.stream().filter(c -> c.problem != null).count());
        all.stream().filter(c -> c.problem != null).limit(3).forEach(c -> System.out.println("  " + c.problem));
        System.exit(0);
    }

    /** Executes the workflow on {@code server} until the node named {@code node} is the one that claims it. */
    static String runOn(String server, String node) throws Exception {
        for (int attempt = 0; attempt < 20; attempt++) {
            String runId = field(send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-crossnode/execute"))
                    .POST(HttpRequest.BodyPublishers.noBody())), "runId");
            for (int i = 0; i < 500; i++) {
                String history = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId + "/events")));
                Matcher on = Pattern.compile("\"message\":\"on ([^\"]+)\"").matcher(history);
                if (on.find()) {
                    if (on.group(1).equals(node)) {
                        return runId;
                    }
                    send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId + "/cancel"))
                            .POST(HttpRequest.BodyPublishers.noBody()));
                    break;
                }
                Thread.sleep(20); // polling for the run's first line
            }
        }
        throw new IllegalStateException("node " + node + " never claimed the run");
    }

    static final class Client implements WebSocket.Listener {
        final long expected;
        final CountDownLatch done;
        final long[] latencies;
        int count;
        long lastSeq;
        String problem;
        boolean finished;
        final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        Client(long expected, CountDownLatch done) {
            this.expected = expected;
            this.done = done;
            this.latencies = new long[(int) expected];
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.currentTimeMillis();
                for (String line : partial.toString().split("\n")) {
                    envelope(line, now);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        private void envelope(String json, long now) {
            if (json.startsWith("{\"type\":\"caught_up\"")) {
                caughtUp.complete(null);
                return;
            }
            Matcher seq = Pattern.compile("\"seq\":(\\d+)").matcher(json);
            if (!seq.find()) {
                return;
            }
            long s = Long.parseLong(seq.group(1));
            if (s != lastSeq + 1 && problem == null) {
                problem = "expected seq " + (lastSeq + 1) + ", got " + s;
            }
            lastSeq = s;
            if (json.contains("\"message\":\"line ")) {
                Matcher time = Pattern.compile("\"time\":\"([^\"]+)\"").matcher(json);
                time.find();
                latencies[count++] = now - Instant.parse(time.group(1)).toEpochMilli();
            }
            if (json.contains("\"type\":\"run_complete\"") && !finished) {
                finished = true;
                if (lastSeq != expected && problem == null) {
                    problem = "ended at seq " + lastSeq + ", expected " + expected;
                }
                done.countDown();
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (!finished) {
                problem = "closed " + statusCode + " " + reason + " before run_complete";
                finished = true;
                done.countDown();
            }
            return null;
        }
    }

    static long pct(long[] sorted, double p) {
        return sorted.length == 0 ? -1 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    static String send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    static String arg(String[] args, String name, String orElse) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return orElse;
    }
}
