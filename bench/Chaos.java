import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chaos soak of a cluster (issue 13, "Several nodes, hardened"): NODES nodes on one PostgreSQL
 * (each through a TCP proxy this program can cut) and a private Redis, runs submitted at RATE
 * per minute to random nodes, a follower of every run (resuming with after= on a random node
 * whenever it is cut off), an all-runs watcher on every node; meanwhile the database is blipped
 * every 45 s (mostly shorter than the lease, every third one longer; from every node, or from
 * one node, which the others may take for dead), and every 60 s a node is
 * killed (-9, restarted 5 s later) or paused (SIGSTOP for twice the lease), or Redis is killed
 * for 10 s. Then everything is restored, every run is awaited, and the invariants are checked:
 *
 *   - each run's history is gapless and has exactly one run_complete, its last event;
 *   - each follower saw every seq once, in order, up to that run_complete, then a 1000 close;
 *   - each all-runs watcher saw each run's run_queued, run_start and run_complete at most once,
 *     in that order, and all of run_start/run_complete of the runs that began and ended while
 *     it was connected;
 *   - no script step ran that has no step_start in its run's log (a side effect outside the log);
 *   - no node logged "BUG".
 *
 *   bench/chaos.sh [--minutes 10] [--nodes 3] [--rate 100] [--lease 3s] [--blip-every 45] [--home DIR]
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database test) and redis-server on the PATH;
 * uses ports 18601.. for the nodes and 16399 for its Redis.
 */
public class Chaos {
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
    static final Pattern TYPE = Pattern.compile("\"type\":\"(\\w+)\"");
    static final Pattern RUN_ID = Pattern.compile("\"runId\":\"([0-9a-f-]{36})\"");
    static final Pattern STATUS = Pattern.compile("\"status\":\"(\\w+)\"");
    static final Pattern STEP_ID = Pattern.compile("\"stepId\":\"(\\w+)\"");
    static final Set<String> TERMINAL = Set.of("success", "failed", "cancelled", "interrupted");
    static final int REDIS_PORT = 16399;
    static long BLIP_EVERY = 45;

    static Path work;
    static Duration lease;
    static final List<Node> nodes = new ArrayList<>();
    static final Map<String, Run> runs = new ConcurrentHashMap<>();
    static final List<String> violations = new CopyOnWriteArrayList<>();
    static final List<String> faults = new CopyOnWriteArrayList<>();
    static volatile boolean running = true;
    static Process redis;
    static final long started = System.nanoTime();

    public static void main(String[] args) throws Exception {
        int minutes = Integer.parseInt(arg(args, "--minutes", "10"));
        int nodeCount = Integer.parseInt(arg(args, "--nodes", "3"));
        int rate = Integer.parseInt(arg(args, "--rate", "100"));
        lease = Duration.ofMillis(millis(arg(args, "--lease", "3s")));
        BLIP_EVERY = Long.parseLong(arg(args, "--blip-every", "45"));
        Path home = Path.of(arg(args, "--home", ".")).toAbsolutePath();
        work = Files.createTempDirectory("chaos");
        Files.createDirectories(work.resolve("marks"));
        Files.createDirectories(work.resolve("workflows"));
        Files.writeString(work.resolve("workflows/chaos.yaml"), WORKFLOW.replace("MARKS", work.resolve("marks").toString()));
        String schema = "chaos_" + Long.toHexString(System.nanoTime());
        psql("CREATE SCHEMA " + schema);
        log("work directory " + work + ", schema " + schema + ", " + nodeCount + " nodes, " + rate + " runs/min, lease "
                + lease.toMillis() + " ms, " + minutes + " min");
        startRedis();
        for (int i = 1; i <= nodeCount; i++) {
            Node node = new Node("n" + i, 18600 + i, home, schema);
            nodes.add(node);
            node.start();
        }
        for (Node node : nodes) {
            node.awaitReady(Duration.ofSeconds(90));
            node.watchAllRuns();
        }
        log("cluster ready");

        Thread submitter = Thread.ofPlatform().name("submitter").start(() -> submit(rate));
        timers.scheduleAtFixedRate(Chaos::blip, BLIP_EVERY, BLIP_EVERY, TimeUnit.SECONDS);
        timers.scheduleAtFixedRate(Chaos::fault, 60, 60, TimeUnit.SECONDS);
        Thread.sleep(Duration.ofMinutes(minutes)); // the soak's length, not a synchronisation
        running = false;
        submitter.join();
        timers.shutdownNow();
        timers.awaitTermination(30, TimeUnit.SECONDS);
        restoreAll();
        log("submitted " + runs.size() + " runs; waiting for every run to end");
        awaitAllEnded(Duration.ofMinutes(3));
        Thread.sleep(Duration.ofSeconds(3)); // the watchers' last deliveries (a poll interval or two)
        verify();
        for (Node node : nodes) {
            node.stop();
        }
        redis.destroyForcibly();
        psql("DROP SCHEMA " + schema + " CASCADE");
        report();
        System.exit(violations.isEmpty() ? 0 : 1);
    }

    static final String WORKFLOW = """
            id: chaos
            inputs:
              n: {type: number, default: 0}
            steps:
              - {id: hello, type: log, message: "run ${inputs.n}"}
              - {id: remember, type: set, vars: {n: "${inputs.n}"}}
              - {id: nap, type: sleep, duration: 1s}
              - id: work
                type: script
                run: |
                  echo "$CHAOS_NODE" >> MARKS/${run.id}.work
                  for i in 1 2 3 4 5; do echo "out $i"; echo "err $i" >&2; sleep 0.1; done
              - {id: nap2, type: sleep, duration: 500ms}
              - id: work2
                type: script
                run: echo "$CHAOS_NODE" >> MARKS/${run.id}.work2
              - {id: bye, type: log, message: done}
            """;

    // ---- the cluster ----

    static final class Node {
        final String id;
        final int port;
        final Path home;
        final Proxy proxy;
        final String db;
        volatile Process process;
        volatile boolean up;
        volatile boolean paused;
        final Watcher watcher;

        Node(String id, int port, Path home, String schema) throws IOException {
            this.id = id;
            this.port = port;
            this.home = home;
            this.proxy = new Proxy(5432);
            this.db = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test?user=postgres&currentSchema=" + schema;
            this.watcher = new Watcher(this);
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        void start() throws IOException {
            ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/stepstream").toString(), "serve", "--port",
                    String.valueOf(port), "--db", db, "--redis", "redis://127.0.0.1:" + REDIS_PORT, "--node-id", id,
                    "--lease", lease.toMillis() + "ms", "--poll-interval", "500ms", "--allow-scripts",
                    "--data-dir", work.resolve(id).toString(), "--workflows-dir", work.resolve("workflows").toString(),
                    "--rate-limit", "100000/s", "--stream-rate-limit", "100000/s")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(id + ".log").toFile()));
            builder.environment().put("CHAOS_NODE", id);
            process = builder.start();
        }

        void awaitReady(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(url() + "/readyz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        up = true;
                        return;
                    }
                } catch (IOException e) {
                    // not yet
                }
                Thread.sleep(200); // polling interval
            }
            throw new IllegalStateException("node " + id + " not ready within " + timeout);
        }

        void kill() {
            up = false;
            process.destroyForcibly();
        }

        void signal(String signal) throws Exception {
            new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start().waitFor();
        }

        void watchAllRuns() {
            watcher.connect();
        }

        void stop() throws InterruptedException {
            up = false;
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static void startRedis() throws IOException {
        redis = new ProcessBuilder("redis-server", "--port", String.valueOf(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("redis.log").toFile())).start();
    }

    static Node randomUpNode() {
        List<Node> up = nodes.stream().filter(node -> node.up && !node.paused).toList();
        return up.isEmpty() ? null : up.get(ThreadLocalRandom.current().nextInt(up.size()));
    }

    // ---- the load ----

    static final class Run {
        final String id;
        final Instant submitted = Instant.now();
        final String submittedTo;
        final Follower follower;

        Run(String id, String submittedTo) {
            this.id = id;
            this.submittedTo = submittedTo;
            this.follower = new Follower(this);
        }
    }

    static void submit(int perMinute) {
        long every = 60_000_000_000L / perMinute;
        long next = System.nanoTime();
        int n = 0;
        while (running) {
            Node node = randomUpNode();
            if (node != null) {
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(node.url()
                                    + "/api/v2/workflows/chaos/execute")).timeout(Duration.ofSeconds(5))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":{\"n\":" + n + "}}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 202) {
                        Matcher id = RUN_ID.matcher(response.body());
                        id.find();
                        Run run = new Run(id.group(1), node.id);
                        runs.put(run.id, run);
                        run.follower.connect(0);
                        n++;
                    }
                } catch (IOException e) {
                    // that node is down or cut off: the next submission goes elsewhere
                } catch (InterruptedException e) {
                    return;
                }
            }
            next += every;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(wait)); // the submission pace
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One client following one run, resuming with after= on any node until it gets a 1000 close. */
    static final class Follower implements WebSocket.Listener {
        final Run run;
        long lastSeq;
        boolean sawComplete;
        volatile boolean finished;
        volatile int reconnects;
        final StringBuilder partial = new StringBuilder();

        Follower(Run run) {
            this.run = run;
        }

        void connect(long delayMs) {
            timers().schedule(() -> {
                Node node = randomUpNode();
                if (node == null) {
                    connect(500);
                    return;
                }
                http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(3))
                        .buildAsync(URI.create(node.url().replaceFirst("^http", "ws") + "/api/v2/workflows/runs/" + run.id
                                + "/stream?after=" + lastSeq), this)
                        .whenComplete((socket, failure) -> {
                            if (failure != null) {
                                retry();
                            }
                        });
            }, delayMs, TimeUnit.MILLISECONDS);
        }

        synchronized void retry() {
            if (!finished) {
                reconnects++;
                connect(200 + ThreadLocalRandom.current().nextInt(800));
            }
        }

        @Override
        public synchronized CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                Matcher seq = SEQ.matcher(text);
                boolean control = text.startsWith("{\"type\":"); // caught_up, pong: no seq of their own
                if (!control && seq.find()) {
                    long value = Long.parseLong(seq.group(1));
                    if (value != lastSeq + 1) {
                        violations.add("follower of run " + run.id + ": seq " + value + " after " + lastSeq);
                    }
                    if (sawComplete) {
                        violations.add("follower of run " + run.id + ": seq " + value + " after run_complete");
                    }
                    lastSeq = Math.max(lastSeq, value);
                    Matcher type = TYPE.matcher(text);
                    if (type.find() && type.group(1).equals("run_complete")) {
                        sawComplete = true;
                    }
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public synchronized CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
            if (status == 1000) {
                if (!sawComplete) {
                    violations.add("follower of run " + run.id + ": closed 1000 without run_complete (last seq " + lastSeq + ")");
                }
                finished = true;
            } else {
                retry();
            }
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            retry();
        }
    }

    /** A node's all-runs stream, reconnected while the node is up; what it saw of each run, with when it was connected. */
    static final class Watcher implements WebSocket.Listener {
        final Node node;
        /** Per run: the types seen, in order. */
        final Map<String, List<String>> seen = new ConcurrentHashMap<>();
        /** Connected intervals, as [from, to) nanos since start; an open one has to = MAX_VALUE. */
        final List<long[]> connected = new CopyOnWriteArrayList<>();
        final StringBuilder partial = new StringBuilder();

        Watcher(Node node) {
            this.node = node;
        }

        void connect() {
            http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(3))
                    .buildAsync(URI.create(node.url().replaceFirst("^http", "ws") + "/api/v2/stream"), this)
                    .whenComplete((socket, failure) -> {
                        if (failure != null) {
                            again();
                        }
                    });
        }

        void again() {
            if (running || node.up) {
                timers().schedule(this::connect, 500, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void onOpen(WebSocket socket) {
            connected.add(new long[] {since(), Long.MAX_VALUE});
            socket.request(1);
        }

        @Override
        public synchronized CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                Matcher type = TYPE.matcher(text);
                Matcher runId = RUN_ID.matcher(text);
                if (type.find() && runId.find()) {
                    String kind = type.group(1);
                    if (kind.equals("run_progress")) {
                        Matcher status = STATUS.matcher(text);
                        kind = "run_progress:" + (status.find() ? status.group(1) : "?");
                    }
                    seen.computeIfAbsent(runId.group(1), id -> Collections.synchronizedList(new ArrayList<>())).add(kind);
                }
            }
            socket.request(1);
            return null;
        }

        void closed() {
            if (!connected.isEmpty()) {
                connected.get(connected.size() - 1)[1] = since();
            }
            again();
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
            closed();
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed();
        }

        boolean connectedThroughout(long from, long to) {
            for (long[] interval : connected) {
                if (interval[0] <= from && to <= interval[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    // ---- the faults ----

    static final AtomicInteger blips = new AtomicInteger();
    static final AtomicInteger nodeFaults = new AtomicInteger();

    /** Every third blip is longer than the lease; the others shorter (0.5 s to 80 % of it). */
    static void blip() {
        int n = blips.incrementAndGet();
        long ms = n % 3 == 0 ? lease.toMillis() * 3 / 2
                : 500 + ThreadLocalRandom.current().nextLong(Math.max(1, lease.toMillis() * 8 / 10 - 500));
        // Odd blips cut every node; even ones one node, which the others may then take for dead.
        List<Node> cut = n % 2 == 1 ? nodes : List.of(nodes.get(ThreadLocalRandom.current().nextInt(nodes.size())));
        fault("database cut for " + ms + " ms from " + cut.stream().map(node -> node.id).toList());
        cut.forEach(node -> node.proxy.cut());
        sleep(ms);
        cut.forEach(node -> node.proxy.restore());
    }

    static void fault() {
        try {
            switch (nodeFaults.getAndIncrement() % 3) {
                case 0 -> {
                    Node node = nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
                    fault("kill -9 " + node.id + ", restarted 5 s later");
                    node.kill();
                    sleep(5_000);
                    node.start();
                    node.awaitReady(Duration.ofSeconds(60));
                }
                case 1 -> {
                    Node node = nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
                    fault("SIGSTOP " + node.id + " for " + lease.toMillis() * 2 + " ms");
                    node.paused = true;
                    node.signal("STOP");
                    sleep(lease.toMillis() * 2);
                    node.signal("CONT");
                    node.paused = false;
                }
                default -> {
                    fault("Redis killed for 10 s");
                    redis.destroyForcibly().waitFor();
                    sleep(10_000);
                    startRedis();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the soak is over: restoreAll() undoes what this fault left
        } catch (Exception e) {
            violations.add("the chaos itself failed: " + e);
        }
    }

    static void restoreAll() throws Exception {
        for (Node node : nodes) {
            node.proxy.restore();
            if (node.paused) {
                node.signal("CONT");
                node.paused = false;
            }
            if (!node.process.isAlive()) {
                node.start();
                node.awaitReady(Duration.ofSeconds(60));
            }
        }
        if (!redis.isAlive()) {
            startRedis();
        }
    }

    // ---- the checks ----

    static void awaitAllEnded(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Run run : runs.values()) {
            while (!TERMINAL.contains(status(run.id))) {
                if (System.nanoTime() > deadline) {
                    violations.add("run " + run.id + " did not end (status " + status(run.id) + ")");
                    break;
                }
                Thread.sleep(200); // polling interval
            }
        }
    }

    static String status(String runId) {
        try {
            String body = get("/api/v2/workflows/runs/" + runId);
            Matcher status = STATUS.matcher(body);
            return status.find() ? status.group(1) : "?";
        } catch (Exception e) {
            return "unreachable";
        }
    }

    static String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(nodes.get(0).url() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static final Map<String, Integer> statuses = new TreeMap<>();

    static void verify() throws Exception {
        for (Run run : runs.values()) {
            List<String[]> events = history(run.id); // [seq, type, stepId]
            long expected = 1;
            int completes = 0;
            Map<String, Integer> starts = new LinkedHashMap<>();
            for (String[] event : events) {
                long seq = Long.parseLong(event[0]);
                if (seq != expected) {
                    violations.add("run " + run.id + ": history has seq " + seq + " where " + expected + " was due");
                }
                expected = seq + 1;
                if (event[1].equals("run_complete")) {
                    completes++;
                }
                if (event[1].equals("step_start")) {
                    starts.merge(event[2], 1, Integer::sum);
                }
            }
            String last = events.isEmpty() ? "none" : events.get(events.size() - 1)[1];
            if (completes != 1 || !last.equals("run_complete")) {
                violations.add("run " + run.id + ": " + completes + " run_complete events, the last event is " + last);
            }
            statuses.merge(status(run.id), 1, Integer::sum);
            Follower follower = run.follower;
            synchronized (follower) {
                if (!follower.finished || follower.lastSeq != events.size()) {
                    violations.add("follower of run " + run.id + ": " + (follower.finished ? "finished" : "not finished")
                            + " at seq " + follower.lastSeq + " of " + events.size());
                }
            }
            for (String step : List.of("work", "work2")) {
                Path marks = work.resolve("marks").resolve(run.id + "." + step);
                int ran = Files.exists(marks) ? Files.readAllLines(marks).size() : 0;
                int started = starts.getOrDefault(step, 0);
                if (ran > started) {
                    violations.add("run " + run.id + ": step " + step + " ran " + ran + " times (" + Files.readString(marks).trim()
                            .replace('\n', ',') + ") but its log has " + started + " step_start");
                }
            }
        }
        for (Node node : nodes) {
            for (Map.Entry<String, List<String>> entry : node.watcher.seen.entrySet()) {
                List<String> kinds = List.copyOf(entry.getValue());
                int queued = kinds.indexOf("run_queued");
                int start = kinds.indexOf("run_start");
                int complete = kinds.indexOf("run_complete");
                for (String kind : List.of("run_queued", "run_start", "run_complete")) {
                    if (kinds.indexOf(kind) != kinds.lastIndexOf(kind)) {
                        violations.add("all-runs stream of " + node.id + ": run " + entry.getKey() + " " + kind + " twice: " + kinds);
                    }
                }
                if ((queued >= 0 && start >= 0 && start < queued) || (start >= 0 && complete >= 0 && complete < start)
                        || (queued >= 0 && complete >= 0 && complete < queued)) {
                    violations.add("all-runs stream of " + node.id + ": run " + entry.getKey() + " out of order: " + kinds);
                }
            }
        }
        for (Run run : runs.values()) {
            String detail = get("/api/v2/workflows/runs/" + run.id);
            Instant startedAt = instant(detail, "startedAt");
            Instant finishedAt = instant(detail, "finishedAt");
            if (startedAt == null || finishedAt == null) {
                continue;
            }
            for (Node node : nodes) {
                // Connected from a second before the run began until 3 s after it ended: it must have seen both ends.
                if (node.watcher.connectedThroughout(nanosSince(startedAt.minusSeconds(1)), nanosSince(finishedAt.plusSeconds(3)))) {
                    List<String> kinds = node.watcher.seen.getOrDefault(run.id, List.of());
                    if (!kinds.contains("run_start") || !kinds.contains("run_complete")) {
                        violations.add("all-runs stream of " + node.id + ", connected throughout: run " + run.id + " shows " + kinds);
                    }
                }
            }
        }
        for (Node node : nodes) {
            for (String line : Files.readAllLines(work.resolve(node.id + ".log"))) {
                if (line.contains("BUG") || line.contains("NoSuchElementException")) {
                    violations.add(node.id + " logged: " + line);
                }
            }
        }
    }

    static List<String[]> history(String runId) throws Exception {
        List<String[]> events = new ArrayList<>();
        long after = 0;
        while (true) {
            String body = get("/api/v2/workflows/runs/" + runId + "/events?after=" + after + "&limit=1000");
            int start = body.indexOf("\"events\":[") + 10;
            for (String envelope : body.substring(start).split("\\},\\{\"runId\"")) {
                Matcher seq = SEQ.matcher(envelope);
                Matcher type = TYPE.matcher(envelope);
                Matcher step = STEP_ID.matcher(envelope);
                if (seq.find() && type.find()) {
                    events.add(new String[] {seq.group(1), type.group(1), step.find() ? step.group(1) : ""});
                }
            }
            Matcher next = Pattern.compile("\"next\":(\\d+)").matcher(body);
            if (!next.find()) {
                return events;
            }
            after = Long.parseLong(next.group(1));
        }
    }

    static Instant instant(String json, String field) {
        Matcher matcher = Pattern.compile("\"" + field + "\":\"([^\"]+)\"").matcher(json);
        return matcher.find() ? Instant.parse(matcher.group(1)) : null;
    }

    /** {@code instant} as the watchers' intervals count: nanoseconds since this program started. */
    static long nanosSince(Instant instant) {
        return Duration.between(START, instant).toNanos();
    }

    static final Instant START = Instant.now();

    static long since() {
        return Duration.between(START, Instant.now()).toNanos();
    }

    static void report() {
        System.out.println();
        System.out.println("faults: " + faults.size());
        faults.forEach(fault -> System.out.println("  " + fault));
        System.out.println("runs: " + runs.size() + " " + statuses);
        int reconnects = runs.values().stream().mapToInt(run -> run.follower.reconnects).sum();
        System.out.println("follower reconnects: " + reconnects);
        System.out.println("violations: " + violations.size());
        violations.stream().limit(50).forEach(violation -> System.out.println("  " + violation));
        System.out.println("logs: " + work);
        System.out.println(violations.isEmpty() ? "CHAOS: PASS" : "CHAOS: FAIL");
    }

    // ---- plumbing ----

    static ScheduledExecutorService timers() {
        return followerTimers;
    }

    static final ScheduledExecutorService followerTimers = Executors.newScheduledThreadPool(2);

    static void fault(String what) {
        String line = String.format("%6.1f s  %s", (System.nanoTime() - started) / 1e9, what);
        faults.add(line);
        log(line);
    }

    static void log(String line) {
        System.out.println("chaos: " + line);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms); // a fault's length
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void psql(String sql) throws Exception {
        Process process = new ProcessBuilder("psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", sql)
                .inheritIO().start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("psql failed: " + sql);
        }
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    static long millis(String duration) {
        if (duration.endsWith("ms")) {
            return Long.parseLong(duration.substring(0, duration.length() - 2));
        }
        return Long.parseLong(duration.substring(0, duration.length() - 1)) * 1000;
    }

    /** A TCP proxy to a local port that can be cut: every connection dropped, new ones refused, until restored. */
    static final class Proxy {
        final ServerSocket listener;
        final int target;
        final Set<Socket> open = ConcurrentHashMap.newKeySet();
        volatile boolean cut;

        Proxy(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        void cut() {
            cut = true;
            open.forEach(Proxy::close);
            open.clear();
        }

        void restore() {
            cut = false;
        }

        void accept() {
            while (true) {
                try {
                    Socket client = listener.accept();
                    if (cut) {
                        close(client);
                        continue;
                    }
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(client);
                    open.add(server);
                    Thread.ofVirtual().start(() -> copy(client, server));
                    Thread.ofVirtual().start(() -> copy(server, client));
                } catch (IOException e) {
                    return;
                }
            }
        }

        void copy(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // cut, or closed by either side
            } finally {
                close(from);
                close(to);
                open.remove(from);
                open.remove(to);
            }
        }

        static void close(Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
