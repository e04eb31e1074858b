import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ingest benchmark: a workflow whose script prints N lines; measures events stored per second,
 * from the execute request until the run's run_complete is committed.
 *
 * <p>The end is seen on the all-runs stream ({@code /api/v2/stream?workflowId=bench-ingest}),
 * which the server sends a run's run_complete on right after the commit that stores it; batches
 * commit in order, so every line is stored by then. The run detail is read once afterwards for
 * the final status and the number of events. (An earlier version polled the run detail every
 * 10 ms: the polling client took about a quarter of a core, on the same two cores as the server
 * it measured.)
 *
 * Usage: java bench/Ingest.java SERVER_URL [LINES] [RUNS]
 */
public class Ingest {
    static final HttpClient http = HttpClient.newHttpClient();
    /** The moment (System.nanoTime) each run's run_complete arrived, by run id. */
    static final Map<String, CompletableFuture<Long>> completed = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String server = args[0];
        int lines = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String env = secretsEnv();
        String workflow = "id: bench-ingest\nsteps:\n  - {id: print, type: script, run: \"seq 1 " + lines + "\""
                + (env.isEmpty() ? "" : ", env: " + env) + "}\n";
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-ingest"))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(workflow)));
        WebSocket feed = http.newWebSocketBuilder()
                .buildAsync(URI.create(server.replaceFirst("^http", "ws") + "/api/v2/stream?workflowId=bench-ingest"), new Feed())
                .get(10, TimeUnit.SECONDS);
        StringBuilder rates = new StringBuilder();
        for (int i = 1; i <= runs; i++) {
            long started = System.nanoTime();
            String body = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-ingest/execute"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            String runId = field(body, "runId");
            long ended = completion(runId).get(10, TimeUnit.MINUTES);
            double seconds = (ended - started) / 1e9;
            String run = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId)).GET());
            long events = Long.parseLong(field(run, "lastSeq"));
            System.out.printf("run %d: status %s, %,d events in %.2f s: %,.0f events/s%n",
                    i, field(run, "status"), events, seconds, events / seconds);
            rates.append(rates.isEmpty() ? "" : ",").append(Math.round(events / seconds));
        }
        feed.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        System.out.println("RESULT {\"scenario\":\"ingest\",\"lines\":" + lines + ",\"eventsPerSecond\":[" + rates + "]}");
    }

    /** As Load.secretsEnv: the step's env referencing STEPSTREAM_BENCH_SECRETS stored secrets, or empty. */
    static String secretsEnv() {
        int count = Integer.parseInt(System.getenv().getOrDefault("STEPSTREAM_BENCH_SECRETS", "0"));
        StringBuilder env = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String name = "S%03d".formatted(i);
            env.append(env.isEmpty() ? "{" : ", ").append(name).append(": \"${secrets.").append(name).append("}\"");
        }
        return env.isEmpty() ? "" : env.append("}").toString();
    }

    static CompletableFuture<Long> completion(String runId) {
        return completed.computeIfAbsent(runId, id -> new CompletableFuture<>());
    }

    /** Notes when each run's run_complete arrives; ignores the rest of the feed. */
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
