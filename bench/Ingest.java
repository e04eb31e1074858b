import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ingest benchmark: a workflow whose script prints N lines; measures events stored per second,
 * from the execute request until the run's run_complete is committed (the run detail shows a
 * final status only after that commit, and batches commit in order, so every line is stored).
 *
 * Usage: java bench/Ingest.java SERVER_URL [LINES] [RUNS]
 */
public class Ingest {
    static final HttpClient http = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        String server = args[0];
        int lines = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String workflow = "id: bench-ingest\nsteps:\n  - {id: print, type: script, run: \"seq 1 " + lines + "\"}\n";
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-ingest"))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(workflow)));
        StringBuilder rates = new StringBuilder();
        for (int i = 1; i <= runs; i++) {
            long started = System.nanoTime();
            String body = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/bench-ingest/execute"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            String runId = field(body, "runId");
            String run;
            while (true) {
                run = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId)).GET());
                String status = field(run, "status");
                if (!status.equals("queued") && !status.equals("running")) {
                    break;
                }
                Thread.sleep(10); // polling interval; it bounds the measurement error to ~10 ms
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long events = Long.parseLong(field(run, "lastSeq"));
            System.out.printf("run %d: status %s, %,d events in %.2f s: %,.0f events/s%n",
                    i, field(run, "status"), events, seconds, events / seconds);
            rates.append(rates.isEmpty() ? "" : ",").append(Math.round(events / seconds));
        }
        System.out.println("RESULT {\"scenario\":\"ingest\",\"lines\":" + lines + ",\"eventsPerSecond\":[" + rates + "]}");
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
}
