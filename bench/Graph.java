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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Workflow graphs (issue 14), two scenarios against a running server.
 *
 * <p>{@code graph}: a run of 200 {@code log} and {@code set} steps, 4 layers of 50, each step of a
 * layer needing 3 of the layer before ({@code s<k>_<i>} needs {@code s<k-1>_<i>}, {@code _<i+1>},
 * {@code _<i+2>}, modulo 50), {@code maxParallel: 50}. Each run is followed on its own stream
 * ({@code /runs/{id}/stream?batch=1}), opened as soon as execute answers; the clock runs from the
 * execute request to the arrival of {@code run_complete} on that stream. The follower checks
 * that every seq comes once, in order, and counts the most steps running at once (step_start
 * without its step_complete yet). Also reported: the run's own {@code duration} (the run's
 * thread, from before its run_start to before its run_complete: no commit, no delivery), and
 * whether run_complete arrived live (after {@code caught_up}): a run that ended before its
 * stream opened is timed by the stream's opening.
 *
 * <p>{@code fanout}: events stored per second by 50 {@code script} steps at once, each
 * printing 20,000 lines ({@code maxParallel: 50}; a {@code log} step needing all 50 joins them),
 * against one script printing 1,000,000 (bench/Ingest.java's workflow). Measured as
 * bench/Ingest.java does: from the execute request until the run's run_complete arrives on the
 * all-runs stream (sent right after the commit that stores it, batches committing in order), and
 * events = the run's lastSeq. The two workflows alternate, one pair of warm-ups first, so that
 * both meet the same JIT and the same drift of a shared machine.
 *
 * With SERVER_PID, each {@code fanout} run also gives the CPU time the server's JVM spent
 * (user + system, from /proc) and that of the scripts it ran (its children's, counted as it
 * reaps them).
 *
 * <p>Each run prints a line; the last line is {@code RESULT {json}}.
 *
 * Usage: java bench/Graph.java SERVER_URL graph [RUNS=5] [WARMUPS=2]
 *        java bench/Graph.java SERVER_URL fanout [RUNS=3] [WARMUPS=1] [SERVER_PID]
 */
public class Graph {
    static final HttpClient http = HttpClient.newHttpClient();
    static final int LAYERS = 4;
    static final int WIDTH = 50;
    static final int FAN_IN = 3;
    static final int SCRIPTS = 50;
    static final int LINES = 1_000_000;

    public static void main(String[] args) throws Exception {
        String server = args[0];
        String mode = args.length > 1 ? args[1] : "graph";
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : mode.equals("graph") ? 5 : 3;
        int warmups = args.length > 3 ? Integer.parseInt(args[3]) : mode.equals("graph") ? 2 : 1;
        switch (mode) {
            case "graph" -> graph(server, runs, warmups);
            case "fanout" -> fanout(server, runs, warmups, args.length > 4 ? Long.parseLong(args[4]) : 0);
            default -> throw new IllegalArgumentException("mode: graph or fanout, got " + mode);
        }
    }

    static void graph(String server, int runs, int warmups) throws Exception {
        put(server, "bench-graph", graphWorkflow());
        List<Double> millis = new ArrayList<>();
        List<Long> durations = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        for (int i = 1 - warmups; i <= runs; i++) {
            long started = System.nanoTime();
            long startedWall = System.currentTimeMillis();
            String runId = execute(server, "bench-graph");
            RunFollower follower = new RunFollower();
            WebSocket socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create(ws(server) + "/api/v2/workflows/runs/" + runId + "/stream?batch=1"), follower)
                    .get(10, TimeUnit.SECONDS);
            Followed run = follower.done.get(5, TimeUnit.MINUTES);
            socket.abort();
            double elapsed = (run.completedAt() - started) / 1e6;
            double rate = run.lastSeq() / (elapsed / 1e3);
            System.out.printf("%s: status %s, %d events, %d steps at most at once; execute to run_complete %.0f ms%s;"
                            + " run duration %d ms; %,.0f events/s (from execute: run_start's time +%d ms, run_complete's +%d ms)%n",
                    i <= 0 ? "warm-up " + (i + warmups) : "run " + i, run.status(), run.lastSeq(), run.peakRunning(),
                    elapsed, run.live() ? "" : " (ended before its stream opened)", run.duration(), rate,
                    run.startTime() - startedWall, run.completeTime() - startedWall);
            if (!run.status().equals("success")) {
                throw new IllegalStateException("run " + runId + " ended " + run.status());
            }
            if (i > 0) {
                millis.add(elapsed);
                durations.add(run.duration());
                rates.add(rate);
            }
        }
        System.out.printf("median of %d: execute to run_complete %.0f ms (%.0f–%.0f), run duration %d ms (%d–%d), %,.0f events/s (%,.0f–%,.0f)%n",
                runs, median(millis), Collections.min(millis), Collections.max(millis),
                Math.round(median(durations.stream().map(Long::doubleValue).toList())), Collections.min(durations), Collections.max(durations),
                median(rates), Collections.min(rates), Collections.max(rates));
        System.out.println("RESULT {\"scenario\":\"graph\",\"steps\":" + LAYERS * WIDTH + ",\"width\":" + WIDTH
                + ",\"millis\":" + json(millis) + ",\"runDurationMillis\":" + durations + ",\"eventsPerSecond\":" + json(rates) + "}");
    }

    /** 4 layers of 50: logs and sets alternating, each needing 3 steps of the layer before. */
    static String graphWorkflow() {
        StringBuilder yaml = new StringBuilder("id: bench-graph\nmaxParallel: " + WIDTH + "\nsteps:\n");
        for (int layer = 0; layer < LAYERS; layer++) {
            for (int i = 0; i < WIDTH; i++) {
                String id = "s" + layer + "_" + i;
                yaml.append("  - {id: ").append(id);
                if (layer > 0) {
                    List<String> needs = new ArrayList<>();
                    for (int n = 0; n < FAN_IN; n++) {
                        needs.add("s" + (layer - 1) + "_" + (i + n) % WIDTH);
                    }
                    yaml.append(", needs: [").append(String.join(", ", needs)).append("]");
                }
                yaml.append(i % 2 == 0
                        ? ", type: log, message: \"layer " + layer + " step " + i + "\"}\n"
                        : ", type: set, vars: {" + id + ": " + i + "}}\n");
            }
        }
        return yaml.toString();
    }

    static void fanout(String server, int runs, int warmups, long serverPid) throws Exception {
        int lines = LINES / SCRIPTS;
        put(server, "bench-single", "id: bench-single\nsteps:\n  - {id: print, type: script, run: \"seq 1 " + LINES + "\"}\n");
        StringBuilder fan = new StringBuilder("id: bench-fanout\nmaxParallel: " + SCRIPTS + "\nsteps:\n");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < SCRIPTS; i++) {
            fan.append("  - {id: print").append(i).append(", type: script, run: \"seq 1 ").append(lines).append("\"}\n");
            all.add("print" + i);
        }
        fan.append("  - {id: join, needs: [").append(String.join(", ", all)).append("], type: log, message: done}\n");
        put(server, "bench-fanout", fan.toString());

        WebSocket feed = http.newWebSocketBuilder()
                .buildAsync(URI.create(ws(server) + "/api/v2/stream"), new Feed())
                .get(10, TimeUnit.SECONDS);
        Map<String, List<Double>> rates = Map.of("bench-single", new ArrayList<>(), "bench-fanout", new ArrayList<>());
        for (int i = 1 - warmups; i <= runs; i++) {
            for (String workflow : List.of("bench-single", "bench-fanout")) {
                long[] cpuBefore = cpuTicks(serverPid);
                long started = System.nanoTime();
                String runId = execute(server, workflow);
                long ended = completion(runId).get(10, TimeUnit.MINUTES);
                long[] cpuAfter = cpuTicks(serverPid);
                double seconds = (ended - started) / 1e9;
                String run = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId)).GET());
                long events = Long.parseLong(field(run, "lastSeq"));
                System.out.printf("%s %s: status %s, %,d events in %.2f s: %,.0f events/s%s%n",
                        i <= 0 ? "warm-up " + (i + warmups) : "run " + i, workflow, field(run, "status"), events, seconds, events / seconds,
                        serverPid == 0 ? "" : String.format("; CPU: server %.2f s, scripts %.2f s",
                                (cpuAfter[0] - cpuBefore[0]) / 100.0, (cpuAfter[1] - cpuBefore[1]) / 100.0));
                if (!field(run, "status").equals("success")) {
                    throw new IllegalStateException("run " + runId + " ended " + field(run, "status"));
                }
                if (i > 0) {
                    rates.get(workflow).add(events / seconds);
                }
            }
        }
        feed.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        double single = median(rates.get("bench-single"));
        double fanned = median(rates.get("bench-fanout"));
        System.out.printf("median of %d: one script %,.0f events/s, %d scripts at once %,.0f events/s: %+.0f %%%n",
                runs, single, SCRIPTS, fanned, (fanned / single - 1) * 100);
        System.out.println("RESULT {\"scenario\":\"fanout\",\"lines\":" + LINES + ",\"scripts\":" + SCRIPTS
                + ",\"singleEventsPerSecond\":" + json(rates.get("bench-single"))
                + ",\"fanoutEventsPerSecond\":" + json(rates.get("bench-fanout")) + "}");
    }

    /**
     * How one run's stream went: its end as the follower saw it. {@code startTime} and
     * {@code completeTime} are the {@code time} of run_start and run_complete (epoch ms, the
     * server's clock, which on one machine is the client's).
     */
    record Followed(long completedAt, String status, long duration, long lastSeq, int peakRunning, boolean live,
                    long startTime, long completeTime) {}

    /**
     * Follows one run's stream ({@code batch=1}: envelopes one per line): checks that the seqs
     * come 1, 2, 3… once each, notes the arrival of run_complete, and completes {@code done} when
     * the server closes the stream with 1000 after it.
     */
    static final class RunFollower implements WebSocket.Listener {
        final CompletableFuture<Followed> done = new CompletableFuture<>();
        private final StringBuilder message = new StringBuilder();
        private long lastSeq;
        private int running;
        private int peakRunning;
        private boolean caughtUp;
        private long startTime;
        private Followed ended;

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            long now = System.nanoTime();
            message.append(data);
            if (last) {
                for (String envelope : message.toString().split("\n")) {
                    envelope(envelope, now);
                }
                message.setLength(0);
            }
            socket.request(1);
            return null;
        }

        private void envelope(String envelope, long now) {
            String type = field(envelope, "type");
            if (type.equals("caught_up")) {
                caughtUp = true;
                return;
            }
            long seq = Long.parseLong(field(envelope, "seq"));
            if (seq != lastSeq + 1) {
                done.completeExceptionally(new IllegalStateException("seq " + seq + " after " + lastSeq));
            }
            lastSeq = seq;
            switch (type) {
                case "run_start" -> startTime = time(envelope);
                case "step_start" -> peakRunning = Math.max(peakRunning, ++running);
                case "step_complete" -> running--;
                case "run_complete" -> ended = new Followed(now, field(envelope, "status"),
                        Long.parseLong(field(envelope, "duration")), seq, peakRunning, caughtUp, startTime, time(envelope));
                default -> { }
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            if (statusCode == WebSocket.NORMAL_CLOSURE && ended != null) {
                done.complete(ended);
            } else {
                done.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason + " before run_complete"));
            }
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            done.completeExceptionally(error);
        }
    }

    /** The moment (System.nanoTime) each run's run_complete arrived on the all-runs stream, by run id. */
    static final Map<String, CompletableFuture<Long>> completed = new ConcurrentHashMap<>();

    static CompletableFuture<Long> completion(String runId) {
        return completed.computeIfAbsent(runId, id -> new CompletableFuture<>());
    }

    /** Notes when each run's run_complete arrives on the all-runs stream; ignores the rest. */
    static final class Feed implements WebSocket.Listener {
        private final StringBuilder message = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            long now = System.nanoTime();
            message.append(data);
            if (last) {
                String envelope = message.toString();
                message.setLength(0);
                if (envelope.contains("\"type\":\"run_complete\"")) {
                    completion(field(envelope, "runId")).complete(now);
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            completed.values().forEach(future -> future.completeExceptionally(error));
        }
    }

    static void put(String server, String id, String yaml) throws Exception {
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + id))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
    }

    static String execute(String server, String workflow) throws Exception {
        return field(send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + workflow + "/execute"))
                .POST(HttpRequest.BodyPublishers.noBody())), "runId");
    }

    static String send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static String ws(String server) {
        return server.replaceFirst("^http", "ws");
    }

    /** The first value of the named field: in an envelope, the envelope's own (its head comes before the payload). */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    /**
     * A process's CPU time so far in clock ticks (1/100 s), user + system: its own, and that of
     * the children it has reaped; zeros without a pid.
     */
    static long[] cpuTicks(long pid) throws Exception {
        if (pid == 0) {
            return new long[2];
        }
        String[] fields = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
        return new long[] {Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long.parseLong(fields[13]) + Long.parseLong(fields[14])};
    }

    static long time(String envelope) {
        return Instant.parse(field(envelope, "time")).toEpochMilli();
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static String json(List<Double> values) {
        return values.stream().map(v -> String.valueOf(Math.round(v))).toList().toString().replace(" ", "");
    }
}
