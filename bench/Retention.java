import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Retention benchmark: what the sweeper costs an ingest flood, how fast it deletes, and how
 * much of the SQLite file it gives back, or, on PostgreSQL, whether autovacuum makes the
 * deleted rows' space reusable so that the events table stops growing.
 *
 * <ol>
 *   <li>Fills the store: FILL_RUNS runs of a script printing FILL_LINES lines (workflow
 *       {@code bench-fill}), and measures the database file.</li>
 *   <li>Baseline: three ingest runs of 1,000,000 lines ({@code bench-ingest}, as bench/Ingest.java),
 *       events/s each, and the commit-time histogram over them.</li>
 *   <li>Gives {@code bench-fill} {@code retention: {maxRuns: 1}}: the sweeper's next pass (within
 *       a minute) deletes all but one fill run. As soon as the first deletion shows in the
 *       metrics, ingest runs go back to back until the pass has ended (at most six); events/s of
 *       each, whether the sweeper was still deleting when it ended, and the commit-time histogram
 *       over them.</li>
 *   <li>The database file once the pass has ended and the checkpoint has cut it; then gives
 *       {@code bench-ingest} {@code maxRuns: 1} as well, and measures the file again once the next
 *       pass has deleted those runs with nothing else writing (the space given back).</li>
 * </ol>
 * On PostgreSQL (a psql connection string as fifth argument) the sizes are
 * {@code pg_total_relation_size} of the events table and of all tables, with the events table's
 * live and dead rows and autovacuum's count from {@code pg_stat_user_tables}; after each pass it
 * also waits (at most {@link #AUTOVACUUM_WAIT}) for autovacuum to have processed the events table,
 * and at the end ingests {@link #REUSE_RUNS} more runs of 1,000,000 lines to see whether they
 * fill the space made free or grow the table.
 * The sweeper's own line in the server log (rate, longest write) is printed by bench/retention.sh.
 *
 * Usage: java bench/Retention.java SERVER_URL DATA_DIR [FILL_RUNS] [FILL_LINES] [PSQL_URL]
 */
public class Retention {
    /** Ingest runs measured while the sweeper deletes; then the pass is left to end alone. */
    static final int MAX_RUNS_WHILE_SWEEPING = 6;
    static final HttpClient http = HttpClient.newHttpClient();
    static final Map<String, CompletableFuture<Long>> completed = new ConcurrentHashMap<>();
    static String server;
    /** PostgreSQL: the psql connection string of the server's database; null on SQLite. */
    static String psql;
    static final long AUTOVACUUM_WAIT_SECONDS = 240;
    static final Duration AUTOVACUUM_WAIT = Duration.ofSeconds(AUTOVACUUM_WAIT_SECONDS);
    static final int REUSE_RUNS = 3;

    public static void main(String[] args) throws Exception {
        server = args[0];
        Path file = Path.of(args[1], "stepstream.db");
        int fillRuns = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int fillLines = args.length > 3 ? Integer.parseInt(args[3]) : 100_000;
        psql = args.length > 4 ? args[4] : null;
        put("bench-fill", "id: bench-fill\nsteps:\n  - {id: print, type: script, run: \"seq 1 " + fillLines + "\"}\n");
        put("bench-ingest", "id: bench-ingest\nsteps:\n  - {id: print, type: script, run: \"seq 1 1000000\"}\n");
        WebSocket feed = http.newWebSocketBuilder()
                .buildAsync(URI.create(server.replaceFirst("^http", "ws") + "/api/v2/stream"), new Feed())
                .get(10, TimeUnit.SECONDS);

        long fillStarted = System.nanoTime();
        for (int i = 0; i < fillRuns; i++) {
            runToEnd("bench-fill");
        }
        System.out.printf("fill: %d runs of %,d lines in %.1f s%n", fillRuns, fillLines, (System.nanoTime() - fillStarted) / 1e9);
        long before = settledSize(file);
        System.out.printf("file before: %,d bytes (%s)%n", before, sizes(file));

        Map<String, Double> a = commitBuckets();
        List<Long> baseline = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            baseline.add(runToEnd("bench-ingest"));
        }
        Map<String, Double> b = commitBuckets();
        System.out.println("baseline ingest events/s: " + baseline + "; commits: " + tail(a, b));

        double passes = metric("stepstream_retention_passes_total", "");
        put("bench-fill", "id: bench-fill\nretention: {maxRuns: 1}\nsteps:\n  - {id: print, type: script, run: \"seq 1 "
                + fillLines + "\"}\n");
        long waitStarted = System.nanoTime();
        while (metric("stepstream_runs_deleted_total", "reason=\"retention\"") == 0) {
            if (System.nanoTime() - waitStarted > TimeUnit.SECONDS.toNanos(90)) {
                throw new IllegalStateException("the sweeper deleted nothing within 90 s");
            }
            Thread.sleep(100); // polling for the pass to begin, not a synchronisation guess
        }
        Map<String, Double> c = commitBuckets();
        List<String> during = new ArrayList<>();
        while (during.size() < MAX_RUNS_WHILE_SWEEPING && metric("stepstream_retention_passes_total", "") <= passes) {
            long rate = runToEnd("bench-ingest");
            double deleted = metric("stepstream_runs_deleted_total", "reason=\"retention\"");
            boolean stillSweeping = metric("stepstream_retention_passes_total", "") <= passes;
            during.add(rate + (stillSweeping ? " (sweeping; " : " (pass ended; ") + (long) deleted + " runs deleted)");
        }
        Map<String, Double> d = commitBuckets();
        System.out.println("ingest events/s while the sweeper ran: " + during + "; commits: " + tail(c, d));
        while (metric("stepstream_retention_passes_total", "") <= passes) {
            Thread.sleep(200); // polling for the pass to end, not a synchronisation guess
        }
        long after = settledSize(file);
        System.out.printf("file after: %,d bytes (%s), with 3+%d ingest runs of 1,000,000 lines added meanwhile%n",
                after, sizes(file), during.size());
        if (psql != null) {
            after = afterAutovacuum();
        }

        // The space given back, with nothing else writing: all but the newest ingest run go too.
        double deletedBefore = metric("stepstream_runs_deleted_total", "reason=\"retention\"");
        passes = metric("stepstream_retention_passes_total", "");
        put("bench-ingest", "id: bench-ingest\nretention: {maxRuns: 1}\nsteps:\n  - {id: print, type: script, run: \"seq 1 1000000\"}\n");
        long quietStarted = System.nanoTime();
        while (metric("stepstream_retention_passes_total", "") <= passes
                || metric("stepstream_runs_deleted_total", "reason=\"retention\"") == deletedBefore) {
            if (System.nanoTime() - quietStarted > TimeUnit.SECONDS.toNanos(900)) {
                throw new IllegalStateException("no pass deleted the ingest runs within 900 s");
            }
            Thread.sleep(200); // polling for the pass to end, not a synchronisation guess
            if (metric("stepstream_retention_passes_total", "") > passes
                    && metric("stepstream_runs_deleted_total", "reason=\"retention\"") == deletedBefore) {
                passes = metric("stepstream_retention_passes_total", ""); // a pass that began before the change
            }
        }
        long quiet = settledSize(file);
        System.out.printf("file once %,.0f more runs were deleted with nothing else writing: %,d bytes (%s): %.1f %% of %,d%n",
                metric("stepstream_runs_deleted_total", "reason=\"retention\"") - deletedBefore, quiet, sizes(file),
                100.0 * quiet / after, after);
        if (psql != null) {
            long vacuumed = afterAutovacuum();
            // New events after the space was made free: do they reuse it, or grow the table?
            for (int i = 0; i < REUSE_RUNS; i++) {
                long rate = runToEnd("bench-ingest");
                System.out.printf("reuse: ingest run %d of 1,000,000 lines at %,d events/s: %s%n", i + 1, rate, sizes(file));
            }
            long reused = settledSize(file);
            System.out.printf("events table after %d more runs of 1,000,000 lines: %,d bytes, %+,d since autovacuum%n",
                    REUSE_RUNS, reused, reused - vacuumed);
        }
        feed.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
    }

    /** Executes a run and waits for its run_complete on the all-runs stream; its events/s. */
    static long runToEnd(String workflowId) throws Exception {
        long started = System.nanoTime();
        String body = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + workflowId + "/execute"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        String runId = field(body, "runId");
        long ended = completion(runId).get(10, TimeUnit.MINUTES);
        String run = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId)).GET());
        if (!"success".equals(field(run, "status"))) {
            throw new IllegalStateException("run " + runId + " ended " + field(run, "status"));
        }
        return Math.round(Long.parseLong(field(run, "lastSeq")) / ((ended - started) / 1e9));
    }

    /**
     * The file's size once the checkpointer has moved the log into it (no change for a second);
     * on PostgreSQL, the events table's, with its indexes and TOAST.
     */
    static long settledSize(Path file) throws Exception {
        if (psql != null) {
            return Long.parseLong(sql("SELECT pg_total_relation_size('events')"));
        }
        long last = -1;
        for (int same = 0; same < 10; ) {
            long now = Files.size(file);
            same = now == last ? same + 1 : 0;
            last = now;
            Thread.sleep(100); // polling the file, not a synchronisation guess
        }
        return last;
    }

    static String sizes(Path file) throws Exception {
        if (psql != null) {
            return sql("SELECT format('events table %s bytes (%s live, %s dead rows, autovacuumed %s times, last %s),"
                    + " all tables %s bytes', pg_total_relation_size('events'), n_live_tup, n_dead_tup, autovacuum_count,"
                    + " COALESCE(to_char(last_autovacuum AT TIME ZONE 'UTC', 'HH24:MI:SS'), 'never'),"
                    + " (SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + "  WHERE n.nspname = current_schema() AND c.relkind = 'r'))"
                    + " FROM pg_stat_user_tables WHERE relname = 'events'")
                    + freeSpace()
                    + String.format("; stepstream_store_size_bytes %,.0f", metric("stepstream_store_size_bytes", ""));
        }
        Path wal = Path.of(file + "-wal");
        return "file " + Files.size(file) + ", WAL " + (Files.exists(wal) ? Files.size(wal) : 0);
    }

    /**
     * PostgreSQL: the free space in the events table's heap that new rows can take (as vacuum or
     * pruning left it), by pgstattuple_approx when the extension is there (bench/retention.sh
     * creates it), which reads the pages not marked all-visible.
     */
    static String freeSpace() throws Exception {
        if (sql("SELECT count(*) FROM pg_extension WHERE extname = 'pgstattuple'").equals("0")) {
            return "";
        }
        return sql("SELECT format('; heap %s bytes, %s bytes free (%s %%), %s dead rows', table_len, approx_free_space,"
                + " round(approx_free_percent::numeric, 1), dead_tuple_count) FROM pgstattuple_approx('events')");
    }

    /**
     * PostgreSQL: waits until autovacuum has processed the events table once more than now (at
     * most {@link #AUTOVACUUM_WAIT}, autovacuum's own schedule), then its size.
     */
    static long afterAutovacuum() throws Exception {
        long count = Long.parseLong(sql("SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'events'"));
        long started = System.nanoTime();
        while (Long.parseLong(sql("SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'events'")) == count) {
            if (System.nanoTime() - started > AUTOVACUUM_WAIT.toNanos()) {
                System.out.printf("autovacuum did not process the events table within %d s: %s%n", AUTOVACUUM_WAIT_SECONDS,
                        sizes(null));
                return settledSize(null);
            }
            Thread.sleep(1_000); // polling autovacuum's statistics, not a synchronisation guess
        }
        System.out.printf("after autovacuum (%.0f s later): %s%n", (System.nanoTime() - started) / 1e9, sizes(null));
        return settledSize(null);
    }

    /** PostgreSQL: one query's single value, by psql. */
    static String sql(String query) throws Exception {
        Process process = new ProcessBuilder("psql", "-X", "-A", "-t", "-q", psql, "-c", query)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes()).trim();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("psql failed: " + query);
        }
        return out;
    }

    /** The cumulative commit-time buckets, by bound in seconds. */
    static Map<String, Double> commitBuckets() throws Exception {
        Map<String, Double> buckets = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^stepstream_eventlog_commit_seconds_bucket\\{le=\"([^\"]+)\"[^}]*\\} (\\S+)$")
                .matcher(metrics());
        while (m.find()) {
            buckets.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return buckets;
    }

    /** Commits between two scrapes: how many, the p99's bucket and the largest bucket reached. */
    static String tail(Map<String, Double> from, Map<String, Double> to) {
        double total = to.get("+Inf") - from.get("+Inf");
        String p99 = null;
        String max = null;
        for (Map.Entry<String, Double> bucket : to.entrySet()) { // cumulative, smallest bound first
            double count = bucket.getValue() - from.getOrDefault(bucket.getKey(), 0.0);
            if (p99 == null && count >= 0.99 * total) {
                p99 = bucket.getKey();
            }
            if (max == null && count >= total) {
                max = bucket.getKey();
            }
        }
        return String.format("%,.0f, p99 <= %s s, all <= %s s", total, p99, max);
    }

    static double metric(String name, String labels) throws Exception {
        double sum = 0;
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(metrics());
        while (m.find()) {
            if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    static String metrics() throws Exception {
        return send(HttpRequest.newBuilder(URI.create(server + "/metrics")).GET());
    }

    static CompletableFuture<Long> completion(String runId) {
        return completed.computeIfAbsent(runId, id -> new CompletableFuture<>());
    }

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

    static void put(String id, String yaml) throws Exception {
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + id))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
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
