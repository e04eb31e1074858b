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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs per second (issue 21, target 3): a 3-step workflow (log, set, log) executed over REST by
 * {@code --callers} concurrent callers for {@code --seconds}. Each caller loops: {@code POST
 * /api/v2/workflows/bench-runs/execute}, then waits for that run's {@code run_complete}, then
 * executes the next (a closed loop: at most one run of each caller in flight, so the latency is
 * not a queue that grows for as long as the benchmark lasts).
 *
 * <p>Ends are observed on one all-runs stream ({@code /api/v2/stream?workflowId=bench-runs}),
 * as bench/Ingest.java does, not by polling each run: the server sends a run's run_complete there
 * right after the commit that stores it. The latency of a run is from just before its execute
 * request to the arrival of its run_complete on that stream. It is split by the times that the
 * run's run_start and run_complete carry (stamped by the run's thread when it emitted them,
 * before their commit; the server's clock is this machine's): execute to run_start (the run
 * stored, queued, claimed, its driver started), run_start to run_complete (its steps), and
 * run_complete to its arrival, which is what the commit, the broker and the stream add.
 *
 * <p>A warm-up ({@code --warmup} seconds, same load) comes first and is not counted. Runs
 * completed per second count the run_completes that arrived inside the measured window; the
 * latency percentiles are over the runs executed inside it. Failures: any execute answered
 * other than 2xx (by status), a run that ended other than success, a run whose end did not
 * arrive within {@code --timeout} seconds.
 *
 * <p>With {@code --server-pid}, the server's CPU time (user + system, from /proc) over the
 * measured window and its RSS at the end. From the server's own counters: event-log commits
 * and events stored per run, and the time the commits took.
 *
 * Usage: java bench/Runs.java SERVER_URL [--callers 64] [--seconds 60] [--warmup 10]
 *        [--timeout 30] [--server-pid PID] [--quick]
 */
public class Runs {
    static final String WORKFLOW = """
            id: bench-runs
            steps:
              - {id: hello, type: log, message: "run ${run.id} starts"}
              - {id: remember, type: set, vars: {greeting: "hello", n: 3}}
              - {id: bye, type: log, message: "greeting was ${vars.greeting}"}
            """;
    static HttpClient http;
    /** Each run's end, by run id: completed when its run_complete arrives on the all-runs stream. */
    static final Map<String, CompletableFuture<End>> ends = new ConcurrentHashMap<>();

    /** Each run's run_start stamp (epoch µs), by run id, kept until its end arrives. */
    static final Map<String, Long> starts = new ConcurrentHashMap<>();

    record End(long arrivedNanos, long arrivedEpochMicros, long stampedEpochMicros, long startStampedEpochMicros, String status) {}

    /**
     * One run: execute → run_complete received; its parts: execute → run_start stamped (stored,
     * queued, claimed, driver started), run_start → run_complete stamped (executed), run_complete
     * stamped → received (commit, broker, stream).
     */
    record Sample(long latencyNanos, long startMicros, long executeMicros, long streamMicros) {}

    public static void main(String[] args) throws Exception {
        String server = args[0];
        int callers = 64;
        int seconds = 60;
        int warmup = 10;
        int timeout = 30;
        long serverPid = 0;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--callers" -> callers = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--timeout" -> timeout = Integer.parseInt(args[++i]);
                case "--server-pid" -> serverPid = Long.parseLong(args[++i]);
                case "--quick" -> { seconds = 5; warmup = 2; }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        // One HTTP/1.1 connection per caller, kept alive (the client's pool); the callers are
        // virtual threads blocked on send.
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-runs"))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(WORKFLOW)));
        WebSocket feed = http.newWebSocketBuilder()
                .buildAsync(URI.create(server.replaceFirst("^http", "ws") + "/api/v2/stream?workflowId=bench-runs"), new Feed())
                .get(10, TimeUnit.SECONDS);

        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
        long measureTo = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        Map<Integer, AtomicLong> refused = new ConcurrentHashMap<>();
        Map<String, AtomicLong> notSucceeded = new ConcurrentHashMap<>();
        AtomicLong timedOut = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<List<Sample>> perCaller = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(callers);
        long[] cpuBefore = new long[1];
        long[] commitsBefore = new long[2];
        double[] commitSecondsBefore = new double[1];
        final long pid = serverPid;
        final int limit = timeout;
        Thread.ofVirtual().start(() -> {
            sleepUntil(measureFrom);
            cpuBefore[0] = pid > 0 ? cpuTicks(pid) : 0;
            commitsBefore[0] = metric(server, "stepstream_eventlog_commit_seconds_count");
            commitsBefore[1] = metric(server, "stepstream_events_committed_total");
            commitSecondsBefore[0] = metricValue(server, "stepstream_eventlog_commit_seconds_sum");
        });
        for (int c = 0; c < callers; c++) {
            List<Sample> samples = new ArrayList<>();
            perCaller.add(samples);
            Thread.ofVirtual().name("caller-" + c).start(() -> {
                try {
                    while (true) {
                        long sent = System.nanoTime();
                        long sentEpochMicros = micros(Instant.now());
                        if (sent - measureTo >= 0) {
                            break;
                        }
                        boolean counted = sent - measureFrom >= 0;
                        HttpResponse<String> response;
                        try {
                            response = http.send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-runs/execute"))
                                    .timeout(Duration.ofSeconds(limit)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                                    HttpResponse.BodyHandlers.ofString());
                        } catch (java.io.IOException e) {
                            if (counted) {
                                errors.incrementAndGet();
                            }
                            continue;
                        }
                        if (response.statusCode() / 100 != 2) {
                            if (counted) {
                                refused.computeIfAbsent(response.statusCode(), s -> new AtomicLong()).incrementAndGet();
                            }
                            Thread.sleep(100); // a refused caller backs off a little, as a client honouring Retry-After would
                            continue;
                        }
                        String runId = field(response.body(), "runId");
                        End end;
                        try {
                            end = end(runId).get(limit, TimeUnit.SECONDS);
                        } catch (TimeoutException e) {
                            if (counted) {
                                timedOut.incrementAndGet();
                            }
                            continue;
                        } finally {
                            ends.remove(runId);
                        }
                        if (counted) {
                            if (!end.status().equals("success")) {
                                notSucceeded.computeIfAbsent(end.status(), s -> new AtomicLong()).incrementAndGet();
                            }
                            samples.add(new Sample(end.arrivedNanos() - sent, end.startStampedEpochMicros() - sentEpochMicros,
                                    end.stampedEpochMicros() - end.startStampedEpochMicros(), end.arrivedEpochMicros() - end.stampedEpochMicros()));
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    done.countDown();
                }
            });
        }
        sleepUntil(measureTo);
        long cpuAfter = serverPid > 0 ? cpuTicks(serverPid) : 0;
        long commits = metric(server, "stepstream_eventlog_commit_seconds_count") - commitsBefore[0];
        long events = metric(server, "stepstream_events_committed_total") - commitsBefore[1];
        double commitSeconds = metricValue(server, "stepstream_eventlog_commit_seconds_sum") - commitSecondsBefore[0];
        long completedInWindow = Feed.completedBetween(measureFrom, measureTo);
        String rss = serverPid > 0 ? rss(serverPid) : "?";
        done.await(limit + 5, TimeUnit.SECONDS);
        feed.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);

        long[] latencies = perCaller.stream().flatMap(List::stream).mapToLong(Sample::latencyNanos).sorted().toArray();
        long[] stream = perCaller.stream().flatMap(List::stream).mapToLong(Sample::streamMicros).sorted().toArray();
        long[] toStart = perCaller.stream().flatMap(List::stream).mapToLong(Sample::startMicros).sorted().toArray();
        long[] executing = perCaller.stream().flatMap(List::stream).mapToLong(Sample::executeMicros).sorted().toArray();
        double ownCpu = ProcessHandle.current().info().totalCpuDuration().map(Duration::toMillis).orElse(0L) / 1000.0;
        double perSecond = completedInWindow / (double) seconds;
        double cpu = (cpuAfter - cpuBefore[0]) / 100.0; // clock ticks (USER_HZ, 100 on Linux)
        System.out.printf("callers %d, %d s measured after %d s of warm-up%n", callers, seconds, warmup);
        System.out.printf("runs completed: %,d in the window: %,.1f runs/s (%,d runs executed in it and ended)%n",
                completedInWindow, perSecond, latencies.length);
        System.out.printf("execute -> run_complete received: p50 %s, p95 %s, p99 %s, max %s%n",
                ms(pct(latencies, 50)), ms(pct(latencies, 95)), ms(pct(latencies, 99)), ms(latencies.length == 0 ? 0 : latencies[latencies.length - 1]));
        System.out.printf("  execute -> run_start stamped (stored, queued, claimed, started): p50 %.1f ms, p99 %.1f ms%n",
                pct(toStart, 50) / 1000.0, pct(toStart, 99) / 1000.0);
        System.out.printf("  run_start -> run_complete stamped (the run's thread): p50 %.1f ms, p99 %.1f ms%n",
                pct(executing, 50) / 1000.0, pct(executing, 99) / 1000.0);
        System.out.printf("  run_complete stamped -> received (commit, broker, stream): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                pct(stream, 50) / 1000.0, pct(stream, 99) / 1000.0, stream.length == 0 ? 0 : stream[stream.length - 1] / 1000.0);
        System.out.printf("failures: refused %s, errors %d, ended other than success %s, no end within %d s: %d%n",
                new TreeMap<>(refused), errors.get(), new TreeMap<>(notSucceeded), timeout, timedOut.get());
        if (serverPid > 0) {
            System.out.printf("server: %.2f s CPU over the %d s (%.0f %% of one core; %.2f ms a run), RSS %s at the end%n",
                    cpu, seconds, 100 * cpu / seconds, completedInWindow == 0 ? 0 : 1000 * cpu / completedInWindow, rss);
        }
        if (commits >= 0 && completedInWindow > 0) {
            System.out.printf("server: %,d event commits, %,d events stored: %.2f commits and %.1f events per run;"
                            + " committing took %.1f s of the %d s (%.1f ms a commit)%n",
                    commits, events, commits / (double) completedInWindow, events / (double) completedInWindow,
                    commitSeconds, seconds, commits == 0 ? 0 : 1000 * commitSeconds / commits);
        }
        System.out.printf("this generator: %.2f s CPU in all (warm-up included)%n", ownCpu);
        long refusedTotal = refused.values().stream().mapToLong(AtomicLong::get).sum();
        long bad = notSucceeded.values().stream().mapToLong(AtomicLong::get).sum();
        System.out.println("RESULT {\"scenario\":\"runs\",\"callers\":" + callers + ",\"seconds\":" + seconds
                + ",\"runsPerSecond\":" + Math.round(perSecond * 10) / 10.0
                + ",\"p50Ms\":" + ms(pct(latencies, 50)) + ",\"p95Ms\":" + ms(pct(latencies, 95))
                + ",\"p99Ms\":" + ms(pct(latencies, 99)) + ",\"maxMs\":" + ms(latencies.length == 0 ? 0 : latencies[latencies.length - 1])
                + ",\"startP99Ms\":" + Math.round(pct(toStart, 99) / 100.0) / 10.0
                + ",\"streamP99Ms\":" + Math.round(pct(stream, 99) / 100.0) / 10.0
                + ",\"refused\":" + refusedTotal + ",\"errors\":" + errors.get() + ",\"notSucceeded\":" + bad
                + ",\"timedOut\":" + timedOut.get() + ",\"serverCpuSeconds\":" + cpu + ",\"rss\":\"" + rss + "\""
                + ",\"commitsPerRun\":" + (completedInWindow == 0 ? 0 : Math.round(100.0 * commits / completedInWindow) / 100.0) + "}");
        System.exit(0);
    }

    static CompletableFuture<End> end(String runId) {
        return ends.computeIfAbsent(runId, id -> new CompletableFuture<>());
    }

    /** Notes when each run's run_complete arrives; ignores the rest of the feed. */
    static final class Feed implements WebSocket.Listener {
        /** Arrival times (nanoTime) of every run_complete, in order; read once, at the end. */
        private static final long[][] arrivals = {new long[1 << 16]};
        private static int count;
        private final StringBuilder message = new StringBuilder();

        static synchronized long completedBetween(long from, long to) {
            return Arrays.stream(arrivals[0], 0, count).filter(t -> t - from >= 0 && t - to < 0).count();
        }

        private static synchronized void arrived(long now) {
            if (count == arrivals[0].length) {
                arrivals[0] = Arrays.copyOf(arrivals[0], count * 2);
            }
            arrivals[0][count++] = now;
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            long now = System.nanoTime();
            Instant wall = Instant.now();
            message.append(data);
            if (last) {
                String envelope = message.toString();
                message.setLength(0);
                if (envelope.contains("\"type\":\"run_start\"")) {
                    starts.put(field(envelope, "runId"), micros(Instant.parse(field(envelope, "time"))));
                } else if (envelope.contains("\"type\":\"run_complete\"")) {
                    arrived(now);
                    String runId = field(envelope, "runId");
                    long stamped = micros(Instant.parse(field(envelope, "time")));
                    Long started = starts.remove(runId);
                    end(runId).complete(new End(now, micros(wall), stamped, started == null ? stamped : started, field(envelope, "status")));
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
            if (code != WebSocket.NORMAL_CLOSURE) {
                System.err.println("the all-runs stream closed: " + code + " " + reason);
            }
            ends.values().forEach(future -> future.completeExceptionally(new IllegalStateException("stream closed " + code)));
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            ends.values().forEach(future -> future.completeExceptionally(error));
        }
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
    }

    static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static long ms(long nanos) {
        return Math.round(nanos / 1e6);
    }

    static void sleepUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** utime + stime of a process, in clock ticks. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return 0;
        }
    }

    static String rss(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> l.substring(6).trim()).findFirst().orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

    /** A counter of the server's /metrics (the sum over its labels), rounded, or -1. */
    static long metric(String server, String name) {
        return Math.round(metricValue(server, name));
    }

    /** A counter of the server's /metrics (the sum over its labels), or -1. */
    static double metricValue(String server, String name) {
        try {
            String text = http.send(HttpRequest.newBuilder(URI.create(server + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            for (String line : text.split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (Exception e) {
            return -1;
        }
    }

    static String send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
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
}
