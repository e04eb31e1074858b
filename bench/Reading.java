import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading benchmark (issue 19): on one run of LINES log lines ("line 1" … "line LINES"), how long
 * a search over the whole history takes through {@code GET …/events?q=} (the time to the first
 * match, following {@code next}; and to the end of the pages), and the rate of the log download
 * {@code GET …/log} (three times) with the server's resident memory and heap meanwhile.
 *
 * Usage: java bench/Reading.java SERVER_URL SERVER_PID [LINES]
 */
public class Reading {
    static final HttpClient http = HttpClient.newHttpClient();
    static String server;

    public static void main(String[] args) throws Exception {
        server = args[0];
        long pid = Long.parseLong(args[1]);
        int lines = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        put("/api/v2/workflows/bench-read", "id: bench-read\nsteps:\n  - id: flood\n    type: script\n    run: \"seq 1 " + lines
                + " | sed 's/^/line /'\"\n");
        long t0 = System.nanoTime();
        String runId = field(post("/api/v2/workflows/bench-read/execute", "{}"), "runId");
        while (!List.of("success", "failed").contains(field(get("/api/v2/workflows/runs/" + runId), "status"))) {
            Thread.sleep(250); // a benchmark's poll of a run that takes seconds, not a test's synchronisation
        }
        System.out.printf("run of %,d lines stored in %.1f s%n", lines, (System.nanoTime() - t0) / 1e9);

        // Rare words at different depths, a frequent one, and one that is nowhere (a full scan).
        List<String> terms = List.of("line " + lines, "LINE " + (lines / 2), "line " + (lines / 4 + 7), "line 77777",
                "line " + (lines - 12345), "line 3", "Line 424242", "line 999", "line " + (lines * 3 / 4), "line 123456");
        List<Double> firsts = new ArrayList<>();
        for (String term : terms) {
            double[] timing = search(runId, term);
            firsts.add(timing[0]);
            System.out.printf("search %-14s first match %6.0f ms, all pages %6.0f ms, %d pages, %d matches%n",
                    '"' + term + '"', timing[0], timing[1], (long) timing[2], (long) timing[3]);
        }
        double[] none = search(runId, "no such words");
        System.out.printf("search %-14s (nowhere: the whole history) %6.0f ms, %d pages%n", "\"no such words\"", none[1], (long) none[2]);
        Collections.sort(firsts);
        System.out.printf("search: first match p50 %.0f ms, max %.0f ms over %d terms%n", firsts.get(firsts.size() / 2),
                firsts.getLast(), firsts.size());

        // The download, three times, with the server's memory sampled every 50 ms.
        for (int round = 1; round <= 3; round++) {
            download(runId, pid);
        }
    }

    static void download(String runId, long pid) throws Exception {
        long rssBefore = rss(pid);
        AtomicLong rssMax = new AtomicLong(rssBefore);
        AtomicLong heapMax = new AtomicLong(heap());
        // A flag, not the interrupt alone: heap()'s request would swallow an interrupt that lands in it.
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!done.get()) {
                rssMax.accumulateAndGet(rss(pid), Math::max);
                heapMax.accumulateAndGet(heap(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        long start = System.nanoTime();
        long bytes = 0;
        long newlines = 0;
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/"
                + runId + "/log")).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                bytes += read;
                for (int i = 0; i < read; i++) {
                    if (buffer[i] == '\n') {
                        newlines++;
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        done.set(true);
        sampler.interrupt();
        sampler.join();
        System.out.printf("download: %,d lines, %.1f MiB in %.2f s: %.1f MiB/s, %,.0f lines/s%n", newlines, bytes / 1048576.0,
                seconds, bytes / 1048576.0 / seconds, newlines / seconds);
        System.out.printf("server memory: RSS %.0f MiB before, %.0f MiB at most during; heap at most %.0f MiB%n",
                rssBefore / 1048576.0, rssMax.get() / 1048576.0, heapMax.get() / 1048576.0);
    }

    /** {first match ms, all pages ms, pages, matches}. */
    static double[] search(String runId, String term) throws Exception {
        long start = System.nanoTime();
        double first = -1;
        long after = 0;
        int pages = 0;
        int matches = 0;
        while (true) {
            String page = get("/api/v2/workflows/runs/" + runId + "/events?types=step_log&limit=100&after=" + after + "&q="
                    + URLEncoder.encode(term, StandardCharsets.UTF_8));
            pages++;
            int found = count(page, "\"seq\":");
            matches += found;
            if (found > 0 && first < 0) {
                first = (System.nanoTime() - start) / 1e6;
            }
            Matcher next = Pattern.compile("\"next\":(\\d+)").matcher(page);
            if (!next.find()) {
                return new double[] {first, (System.nanoTime() - start) / 1e6, pages, matches};
            }
            after = Long.parseLong(next.group(1));
        }
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // the server ended
        }
        return 0;
    }

    /** The JVM's heap in use, from /metrics (the sum of its heap pools). */
    static long heap() {
        try {
            double sum = 0;
            for (String line : get("/metrics").split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return (long) sum;
        } catch (Exception e) {
            return 0;
        }
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    static String get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static String post(String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static void put(String path, String yaml) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(server + path))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException("PUT " + path + ": " + response.statusCode() + " " + response.body());
        }
    }
}
