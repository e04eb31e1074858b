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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fan-out benchmark against a running server: N WebSocket clients follow one run whose script
 * prints EVENTS lines at RATE lines/s; every client checks it got every event once and in
 * order, and records the latency from each event's {@code time} (set when the server created
 * it, before it was stored) to its receipt. With --idle, opens N connections to a run that
 * stays quiet and reports the server's resident memory before and after.
 *
 *   java bench/Fanout.java --server http://127.0.0.1:PORT --clients 1000 --events 5000 --rate 1000 [--batch]
 *   java bench/Fanout.java --server http://127.0.0.1:PORT --idle 10000 --server-pid PID
 */
public class Fanout {
    static String server;
    static final HttpClient http = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        server = arg(args, "--server", "http://127.0.0.1:8080");
        int idle = Integer.parseInt(arg(args, "--idle", "0"));
        if (idle > 0) {
            idle(idle, Long.parseLong(arg(args, "--server-pid", "0")));
        } else {
            fanout(Integer.parseInt(arg(args, "--clients", "1000")), Integer.parseInt(arg(args, "--events", "5000")),
                    Integer.parseInt(arg(args, "--rate", "1000")), Arrays.asList(args).contains("--batch"));
        }
        System.exit(0);
    }

    static void fanout(int clients, int events, int rate, boolean batch) throws Exception {
        // perl paces the lines by sleeping until each one's due time (no busy loop: it would take a core).
        String script = ("perl -MTime::HiRes=time,sleep -e '$|=1; my $t=time; for my $i (1..%d) "
                + "{ my $d = $t + $i/%d - time; sleep($d) if $d > 0; print \"line $i\\n\" }'").formatted(events, rate);
        // The run waits at a gate until every client is connected and caught up, so that the
        // latencies measured are those of live events only.
        Path gate = Files.createTempDirectory("fanout").resolve("gate");
        put("bench-fanout", "id: bench-fanout\nsteps:\n"
                + "  - {id: wait, type: script, run: \"while [ ! -f " + gate + " ]; do sleep 0.05; done\"}\n"
                + "  - id: print\n    type: script\n    run: \"" + script.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
        String runId = execute("bench-fanout");
        long expected = events + 6; // run_start, wait's start and complete, print's start, the lines, its complete, run_complete
        List<Client> all = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(clients);
        HttpClient[] pool = new HttpClient[8];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = HttpClient.newHttpClient();
        }
        long connectStart = System.nanoTime();
        List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Client client = new Client(expected, done);
            all.add(client);
            opening.add(pool[i % pool.length].newWebSocketBuilder()
                    .buildAsync(URI.create(ws(server) + "/api/v2/workflows/runs/" + runId + "/stream" + (batch ? "?batch=1" : "")), client));
            if (opening.size() % 200 == 0) {
                CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).join();
            }
        }
        CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).join();
        for (Client client : all) {
            client.caughtUp.join();
        }
        System.out.printf("connected %d clients in %.1f s%n", clients, (System.nanoTime() - connectStart) / 1e9);
        Files.writeString(gate, "open");
        if (!done.await(10 + events / Math.max(1, rate) * 4L + 60, TimeUnit.SECONDS)) {
            System.out.println("TIMEOUT: " + done.getCount() + " clients did not finish");
        }
        long[] latencies = all.stream().flatMapToLong(c -> Arrays.stream(c.latencies, 0, c.count)).toArray();
        Arrays.sort(latencies);
        long received = all.stream().mapToLong(c -> c.received).sum();
        long bad = all.stream().filter(c -> c.problem != null).count();
        long firstLine = all.stream().mapToLong(c -> c.firstLineAt).filter(t -> t > 0).min().orElse(0);
        long lastLine = all.stream().mapToLong(c -> c.lastLineAt).max().orElse(0);
        double seconds = (lastLine - firstLine) / 1e9;
        System.out.printf("clients %d, %s, %d events at %d/s: %,d deliveries, %,.0f deliveries/s while the lines flowed%n",
                clients, batch ? "batch=1" : "one envelope per frame", expected, rate, received,
                all.stream().mapToLong(c -> c.lines).sum() / Math.max(seconds, 1e-9));
        System.out.printf("latency from creation to receipt (ms): p50 %d, p90 %d, p99 %d, p99.9 %d, max %d%n",
                pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), pct(latencies, 99.9),
                latencies.length == 0 ? -1 : latencies[latencies.length - 1]);
        System.out.printf("clients with a gap, duplicate or missing event: %d%n", bad);
        all.stream().filter(c -> c.problem != null).limit(3).forEach(c -> System.out.println("  " + c.problem));
    }

    static void idle(int connections, long serverPid) throws Exception {
        put("bench-idle", "id: bench-idle\nsteps:\n  - {id: wait, type: sleep, duration: 1h}\n");
        String runId = execute("bench-idle");
        long heapBefore = liveHeapKb(serverPid);
        long before = rssKb(serverPid);
        long cpuBefore = cpuTicks(serverPid);
        HttpClient[] pool = new HttpClient[16];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = HttpClient.newHttpClient();
        }
        AtomicInteger open = new AtomicInteger();
        List<WebSocket> sockets = new ArrayList<>();
        long start = System.nanoTime();
        List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            opening.add(pool[i % pool.length].newWebSocketBuilder()
                    .buildAsync(URI.create(ws(server) + "/api/v2/workflows/runs/" + runId + "/stream?after=2"),
                            new WebSocket.Listener() {
                                @Override
                                public void onOpen(WebSocket webSocket) {
                                    open.incrementAndGet();
                                    webSocket.request(Long.MAX_VALUE);
                                }
                            }));
            if (opening.size() == 500) {
                opening.forEach(f -> sockets.add(f.join()));
                opening.clear();
            }
        }
        opening.forEach(f -> sockets.add(f.join()));
        double took = (System.nanoTime() - start) / 1e9;
        Thread.sleep(3000); // let the server settle before reading its memory
        long after = rssKb(serverPid);
        long cpuAfter = cpuTicks(serverPid);
        long heapAfter = liveHeapKb(serverPid);
        System.out.printf("%,d idle WebSocket connections open (%d confirmed) in %.1f s%n", sockets.size(), open.get(), took);
        System.out.printf("server resident memory: %,d KB before, %,d KB after: %.1f KB per connection%n",
                before, after, (after - before) / (double) connections);
        System.out.printf("server live heap after a full GC: %,d KB before, %,d KB after: %.1f KB per connection%n",
                heapBefore, heapAfter, (heapAfter - heapBefore) / (double) connections);
        System.out.printf("server CPU to accept them: %.2f s%n", (cpuAfter - cpuBefore) / 100.0);
        for (WebSocket socket : sockets) {
            socket.abort();
        }
    }

    /** One client: checks order and completeness, records latencies. Called on the client's thread, one message at a time. */
    static final class Client implements WebSocket.Listener {
        final long expected;
        final CountDownLatch done;
        final long[] latencies;
        int count;
        long received;
        long lines;
        long lastSeq;
        long firstLineAt;
        long lastLineAt;
        String problem;
        final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        private boolean finished;

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
                String frame = partial.toString();
                partial.setLength(0);
                long now = System.currentTimeMillis();
                int from = 0;
                while (from < frame.length()) {
                    int end = frame.indexOf('\n', from);
                    if (end < 0) {
                        end = frame.length();
                    }
                    envelope(frame, from, end, now);
                    from = end + 1;
                }
            }
            webSocket.request(1);
            return null;
        }

        private void envelope(String frame, int from, int end, long now) {
            if (!frame.startsWith("{\"runId\"", from)) {
                if (frame.startsWith("{\"type\":\"caught_up\"", from)) {
                    caughtUp.complete(null);
                }
                return; // a control message: caught_up, pong
            }
            int seqAt = frame.indexOf("\"seq\":", from);
            long seq = Long.parseLong(frame, seqAt + 6, frame.indexOf(',', seqAt), 10);
            if (seq != lastSeq + 1 && problem == null) {
                problem = "expected seq " + (lastSeq + 1) + ", got " + seq;
            }
            lastSeq = seq;
            received++;
            int timeAt = frame.indexOf("\"time\":\"", from) + 8;
            long created = Instant.parse(frame.substring(timeAt, frame.indexOf('"', timeAt))).toEpochMilli();
            if (caughtUp.isDone() && count < latencies.length) {
                latencies[count++] = now - created; // live events only: history waited for the connection
            }
            if (frame.startsWith("\"type\":\"step_log\"", frame.indexOf("\"type\"", from))) {
                long t = System.nanoTime();
                if (firstLineAt == 0) {
                    firstLineAt = t;
                }
                lastLineAt = t;
                lines++;
            }
            if (frame.startsWith("\"type\":\"run_complete\"", frame.indexOf("\"type\"", from))) {
                finish();
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (statusCode != 1000 && problem == null) {
                problem = "closed with " + statusCode + " " + reason;
            }
            caughtUp.complete(null);
            finish();
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (problem == null) {
                problem = "error: " + error;
            }
            caughtUp.complete(null);
            finish();
        }

        private void finish() {
            if (!finished) {
                finished = true;
                if (received != expected && problem == null) {
                    problem = "received " + received + " of " + expected + " events";
                }
                done.countDown();
            }
        }
    }

    static long pct(long[] sorted, double p) {
        return sorted.length == 0 ? -1 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    static String ws(String url) {
        return url.replaceFirst("^http", "ws");
    }

    static void put(String id, String yaml) throws Exception {
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + id)).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString(yaml)));
    }

    static String execute(String id) throws Exception {
        String body = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + id + "/execute"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        return body.replaceAll(".*\"runId\":\"([^\"]+)\".*", "$1");
    }

    static String send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** Runs a full GC in the server (jcmd) and returns the heap it still uses. */
    static long liveHeapKb(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
        Process info = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String text = new String(info.getInputStream().readAllBytes());
        info.waitFor();
        java.util.regex.Matcher used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(text);
        return used.find() ? Long.parseLong(used.group(1)) : -1;
    }

    static long cpuTicks(long pid) throws Exception {
        String[] fields = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime
    }

    static String arg(String[] args, String name, String otherwise) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return otherwise;
    }
}
