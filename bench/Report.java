import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the suite's results (target/bench/results.jsonl, one JSON object per scenario) into
 * docs/BENCHMARKS.md, between the lines {@code <!-- suite:begin -->} and {@code <!-- suite:end -->}
 * (the prose around them is kept), and draws two charts as SVG: the latency distribution of
 * the fan-out scenarios, and deliveries per second against issue 4's targets.
 *
 *   java bench/Report.java target/bench/results.jsonl docs/BENCHMARKS.md docs/bench
 */
public class Report {
    public static void main(String[] args) throws Exception {
        Path results = Path.of(args[0]);
        Path markdown = Path.of(args[1]);
        Path charts = Path.of(args[2]);
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        for (String line : Files.readAllLines(results)) {
            if (!line.isBlank()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> result = (Map<String, Object>) new JsonReader(line).value();
                runs.computeIfAbsent((String) result.get("name"), name -> new ArrayList<>()).add(result);
            }
        }
        // A scenario run several times is charted by its median run: by deliveries/s when flat
        // out, by p99 when paced (the figure its target is about), by CPU for the idle one.
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        runs.forEach((name, list) -> byName.put(name, median(list, name.startsWith("flood") ? "deliveriesPerSecond"
                : name.startsWith("paced") ? "p99" : "serverCpuSeconds")));
        Files.createDirectories(charts);
        Files.writeString(charts.resolve("latency.svg"), latencyChart(byName));
        Files.writeString(charts.resolve("throughput.svg"), throughputChart(byName));
        String section = section(runs, markdown.getParent().relativize(charts));
        String text = Files.readString(markdown);
        int begin = text.indexOf("<!-- suite:begin -->");
        int end = text.indexOf("<!-- suite:end -->");
        if (begin < 0 || end < begin) {
            throw new IllegalStateException(markdown + " has no <!-- suite:begin --> … <!-- suite:end --> section");
        }
        Files.writeString(markdown, text.substring(0, begin) + "<!-- suite:begin -->\n" + section + text.substring(end));
    }

    // ---- the tables --------------------------------------------------------------------------

    static String section(Map<String, List<Map<String, Object>>> r, Path charts) throws Exception {
        StringBuilder md = new StringBuilder();
        md.append("_Written by `bench/suite.sh` on ").append(LocalDate.now()).append(" from commit `")
                .append(command("git", "rev-parse", "--short", "HEAD")).append("`; do not edit by hand._\n\n");
        md.append("- Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (")
                .append(cpuModel()).append("), ").append(memoryGiB()).append(" GiB, ")
                .append(command("uname", "-sr")).append("; the load generator runs on the same cores as the server.\n");
        md.append("- Java: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
                .append(", server started by `bin/stepstream serve` with the JVM flags that script gives it.\n");
        md.append("- Command: `bench/suite.sh` (every scenario below, each on a fresh server and data directory;"
                + " the fan-out and idle scenarios several times, each run shown).\n");
        md.append("- Load average (1 minute) when each run began: ");
        List<String> loads = new ArrayList<>();
        r.forEach((name, list) -> loads.add("`" + name + "` " + String.join(" / ", list.stream()
                .map(result -> result.get("load") == null ? "?" : fmt("%.1f", num(result, "load"))).toList())));
        md.append(String.join(", ", loads)).append(".\n\n");
        md.append("A target is met when the median run meets it; the measured column gives every run.\n\n");

        md.append("| target (issue 4) | measured (each run) | met |\n| --- | --- | --- |\n");
        target(md, r.get("flood-batch"), "1. flat out, `batch=1`: ≥ 1,500,000 deliveries/s, nothing lost, p99 ≤ 250 ms",
                f -> parts("deliveries/s", mid(f, "deliveriesPerSecond") >= 1_500_000, "p99", mid(f, "p99") <= 250,
                        "nothing lost", sum(f, "badClients") == 0),
                f -> each(f, "deliveriesPerSecond", "%,.0f") + " deliveries/s; p99 " + each(f, "p99", "%,.0f") + " ms; "
                        + fmt("%,.0f", sum(f, "badClients")) + " bad clients");
        target(md, r.get("flood-frames"), "2. flat out, one envelope per frame: ≥ 250,000 deliveries/s, p99 ≤ 100 ms",
                f -> parts("deliveries/s", mid(f, "deliveriesPerSecond") >= 250_000, "p99", mid(f, "p99") <= 100,
                        "nothing lost", sum(f, "badClients") == 0),
                f -> each(f, "deliveriesPerSecond", "%,.0f") + " deliveries/s; p99 " + each(f, "p99", "%,.0f") + " ms; "
                        + fmt("%,.0f", sum(f, "badClients")) + " bad clients");
        target(md, r.get("paced-frames"), "3. 100 events/s to 1,000 clients: p99 ≤ 10 ms",
                f -> parts("p99", mid(f, "p99") <= 10, "nothing lost", sum(f, "badClients") == 0),
                f -> "p99 " + each(f, "p99", "%,.0f") + " ms (one envelope per frame)");
        target(md, r.get("idle"), "4. 10,000 idle connections: ≤ 8 KB resident each, ≤ 1 s CPU to accept",
                f -> parts("memory", mid(f, "rssPerConnectionKb") <= 8, "CPU", mid(f, "serverCpuSeconds") <= 1),
                f -> each(f, "rssPerConnectionKb", "%.1f") + " KB each; " + each(f, "serverCpuSeconds", "%.2f") + " s CPU");
        target(md, r.get("ingest"), "5. ingest on SQLite: ≥ 200,000 events/s from 1,000,000 lines",
                f -> yes(list(f.get(0), "eventsPerSecond").stream().allMatch(v -> v >= 200_000)),
                f -> list(f.get(0), "eventsPerSecond").stream().map(v -> fmt("%,.0f", v)).reduce((a, b) -> a + " / " + b).orElse("") + " events/s");
        target(md, r.get("startup"), "6. start-up: `/readyz` 200 within 1.5 s of launching",
                f -> r.containsKey("restart")
                        ? parts("on a new data directory", launches(f).stream().allMatch(v -> v <= 1500),
                                "restarted on its data", launches(r.get("restart")).stream().allMatch(v -> v <= 1500))
                        : yes(launches(f).stream().allMatch(v -> v <= 1500)),
                f -> "on a new data directory " + millis(f) + " ms" + (r.containsKey("restart")
                        ? "; restarted on its data " + millis(r.get("restart")) + " ms" : "")
                        + " (the first launch also writes the class-data archive; the others are judged)");

        md.append("\n![Latency from an event's creation to its receipt, by percentile](").append(charts.resolve("latency.svg"))
                .append(")\n![Deliveries per second against the targets](").append(charts.resolve("throughput.svg")).append(")\n\n");

        md.append("### Fan-out: 1,000 WebSocket clients of one run\n\n");
        md.append("| scenario | events | framing | deliveries | deliveries/s | p50 | p90 | p99 | p99.9 | max | server CPU | generator CPU | lost, duplicated or out of order |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String name : List.of("flood-batch", "flood-frames", "paced-frames", "paced-batch")) {
            for (Map<String, Object> f : r.getOrDefault(name, List.of())) {
                md.append(fmt("| `%s` | %,.0f %s | %s | %,.0f | %,.0f | %,.0f ms | %,.0f ms | %,.0f ms | %,.0f ms | %,.0f ms | %.2f s | %.2f s | %,.0f clients |\n",
                        name, num(f, "events"), num(f, "rate") > 0 ? fmt("at %,.0f/s", num(f, "rate")) : "flat out", f.get("framing"),
                        num(f, "deliveries"), num(f, "deliveriesPerSecond"), num(f, "p50"), num(f, "p90"), num(f, "p99"),
                        num(f, "p999"), num(f, "max"), num(f, "serverCpuSeconds"), num(f, "generatorCpuSeconds"), num(f, "badClients")));
            }
        }
        List<Map<String, Object>> idles = r.getOrDefault("idle", List.of());
        if (!idles.isEmpty()) {
            md.append("\n### Idle connections\n\n| connections | RSS before | RSS after | RSS each | live heap each | CPU to accept |\n| --- | --- | --- | --- | --- | --- |\n");
        }
        for (Map<String, Object> idle : idles) {
            md.append(fmt("| %,.0f | %,.0f KB | %,.0f KB | %.1f KB | %.1f KB | %.2f s |\n", num(idle, "connections"), num(idle, "rssBeforeKb"),
                    num(idle, "rssAfterKb"), num(idle, "rssPerConnectionKb"), num(idle, "heapPerConnectionKb"), num(idle, "serverCpuSeconds")));
        }
        List<Map<String, Object>> storms = r.getOrDefault("storm", List.of());
        if (!storms.isEmpty()) {
            md.append("\n### Reconnect storm: every client cut at once, back with `after`\n\n"
                    + "| clients | runs | reconnects spread over | all live again after the cut | reconnect to caught_up p50 / p99 / max | server CPU meanwhile | lost, duplicated or out of order |\n"
                    + "| --- | --- | --- | --- | --- | --- | --- |\n");
        }
        for (Map<String, Object> storm : storms) {
            md.append(fmt("| %,.0f | %,.0f | %,.0f ms | %.2f s | %,.0f / %,.0f / %,.0f ms | %.2f s | %,.0f clients |\n", num(storm, "clients"),
                    num(storm, "runs"), num(storm, "jitterMs"), num(storm, "allLiveSeconds"), num(storm, "p50"), num(storm, "p99"),
                    num(storm, "max"), num(storm, "serverCpuSeconds"), num(storm, "badClients")));
        }
        return md.toString();
    }

    /** Whether a target is met: "**yes**", "no", or for a target of several parts each part's answer. */
    interface Check { String met(List<Map<String, Object>> runs); }
    interface Show { String show(List<Map<String, Object>> runs); }

    static void target(StringBuilder md, List<Map<String, Object>> result, String target, Check check, Show show) {
        if (result == null) {
            md.append("| ").append(target).append(" | not run | — |\n");
        } else {
            md.append("| ").append(target).append(" | ").append(show.show(result)).append(" | ")
                    .append(check.met(result)).append(" |\n");
        }
    }

    // ---- the charts --------------------------------------------------------------------------

    static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    /** Latency (log scale) at each percentile from 0 to 99.99 (a log scale of 1 - p). */
    static String latencyChart(Map<String, Map<String, Object>> r) {
        int w = 720, h = 400, left = 70, right = 180, top = 40, bottom = 50;
        StringBuilder svg = svgStart(w, h, "Latency from creation to receipt, by percentile (log scales)");
        double maxMs = 1;
        List<String> names = new ArrayList<>();
        for (String name : List.of("flood-batch", "flood-frames", "paced-frames", "paced-batch")) {
            if (r.containsKey(name)) {
                names.add(name);
                maxMs = Math.max(maxMs, num(r.get(name), "max"));
            }
        }
        double decadesY = Math.ceil(Math.log10(maxMs + 1));
        double plotW = w - left - right, plotH = h - top - bottom;
        // x: -log10(1 - p), from 0 (p=0) to 4 (p=99.99)
        for (int d = 0; d <= decadesY; d++) {
            double y = top + plotH - plotH * d / decadesY;
            svg.append(fmt("<line x1='%d' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>", left, y, left + plotW, y));
            svg.append(fmt("<text x='%d' y='%.1f' text-anchor='end' font-size='11'>%s ms</text>", left - 6, y + 4, fmt("%,.0f", Math.pow(10, d))));
        }
        String[] ticks = {"0", "90", "99", "99.9", "99.99"};
        for (int i = 0; i < ticks.length; i++) {
            double x = left + plotW * i / 4;
            svg.append(fmt("<line x1='%.1f' y1='%d' x2='%.1f' y2='%.1f' stroke='#ddd'/>", x, top, x, top + plotH));
            svg.append(fmt("<text x='%.1f' y='%.1f' text-anchor='middle' font-size='11'>p%s</text>", x, top + plotH + 16, ticks[i]));
        }
        svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle' font-size='12'>percentile</text>", left + plotW / 2, h - 10));
        for (int n = 0; n < names.size(); n++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> buckets = (Map<String, Object>) r.get(names.get(n)).get("histogram");
            TreeMap<Integer, Double> counts = new TreeMap<>();
            double total = 0;
            for (Map.Entry<String, Object> e : buckets.entrySet()) {
                counts.put(Integer.parseInt(e.getKey()), ((Number) e.getValue()).doubleValue());
                total += ((Number) e.getValue()).doubleValue();
            }
            StringBuilder points = new StringBuilder();
            double seen = 0;
            for (Map.Entry<Integer, Double> e : counts.entrySet()) {
                double before = seen / total;
                seen += e.getValue();
                double after = Math.min(seen / total, 0.9999);
                double ms = Math.max(1, e.getKey());
                double y = top + plotH - plotH * Math.log10(ms) / decadesY;
                for (double p : new double[] {before, after}) {
                    double x = left + plotW * Math.min(4, -Math.log10(1 - Math.min(p, 0.9999))) / 4;
                    points.append(fmt("%.1f,%.1f ", x, y));
                }
            }
            svg.append(fmt("<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>", COLOURS[n], points.toString().trim()));
            svg.append(fmt("<rect x='%.1f' y='%d' width='14' height='4' fill='%s'/><text x='%.1f' y='%d' font-size='12'>%s</text>",
                    left + plotW + 14, top + 20 * n + 6, COLOURS[n], left + plotW + 34, top + 20 * n + 12, names.get(n)));
        }
        return svg.append("</svg>\n").toString();
    }

    /** Deliveries per second of each fan-out scenario, with the target of those that have one. */
    static String throughputChart(Map<String, Map<String, Object>> r) {
        Map<String, Double> targets = Map.of("flood-batch", 1_500_000.0, "flood-frames", 250_000.0);
        int w = 720, h = 320, left = 150, right = 40, top = 40, bottom = 40;
        StringBuilder svg = svgStart(w, h, "Deliveries per second (bars); dashed: issue 4's targets");
        List<String> names = new ArrayList<>();
        double max = 1;
        for (String name : List.of("flood-batch", "flood-frames", "paced-frames", "paced-batch")) {
            if (r.containsKey(name)) {
                names.add(name);
                max = Math.max(max, Math.max(num(r.get(name), "deliveriesPerSecond"), targets.getOrDefault(name, 0.0)));
            }
        }
        max *= 1.1;
        double plotW = w - left - right, row = (h - top - bottom) / Math.max(1.0, names.size());
        for (int n = 0; n < names.size(); n++) {
            double value = num(r.get(names.get(n)), "deliveriesPerSecond");
            double y = top + row * n + row * 0.2;
            svg.append(fmt("<text x='%d' y='%.1f' text-anchor='end' font-size='12'>%s</text>", left - 8, y + row * 0.35, names.get(n)));
            svg.append(fmt("<rect x='%d' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", left, y, plotW * value / max, row * 0.6, COLOURS[n]));
            svg.append(fmt("<text x='%.1f' y='%.1f' font-size='11'>%s/s</text>", left + plotW * value / max + 4, y + row * 0.35, fmt("%,.0f", value)));
            Double target = targets.get(names.get(n));
            if (target != null) {
                double x = left + plotW * target / max;
                svg.append(fmt("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='black' stroke-width='2' stroke-dasharray='4 3'/>",
                        x, y - 4, x, y + row * 0.6 + 4));
                svg.append(fmt("<text x='%.1f' y='%.1f' text-anchor='middle' font-size='10'>target %s/s</text>",
                        x, y - 6, fmt("%,.0f", target)));
            }
        }
        return svg.append("</svg>\n").toString();
    }

    static StringBuilder svgStart(int w, int h, String title) {
        return new StringBuilder(fmt("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>"
                + "<rect width='100%%' height='100%%' fill='white'/><text x='%d' y='22' text-anchor='middle' font-size='14'>%s</text>",
                w, h, w / 2, title));
    }

    // ---- small things ------------------------------------------------------------------------

    /** The run whose {@code key} is the median of the runs' (the lower of the middle two for an even count). */
    static Map<String, Object> median(List<Map<String, Object>> runs, String key) {
        List<Map<String, Object>> sorted = new ArrayList<>(runs);
        sorted.sort(java.util.Comparator.comparingDouble(run -> num(run, key)));
        return sorted.get((sorted.size() - 1) / 2);
    }

    static double mid(List<Map<String, Object>> runs, String key) {
        return num(median(runs, key), key);
    }

    static double sum(List<Map<String, Object>> runs, String key) {
        return runs.stream().mapToDouble(run -> num(run, key)).sum();
    }

    /** Every run's {@code key}, in run order: "1.2 / 1.4 / 1.3", with the median named when there are several. */
    static String each(List<Map<String, Object>> runs, String key, String format) {
        String all = String.join(" / ", runs.stream().map(run -> fmt(format, num(run, key))).toList());
        return runs.size() > 1 ? all + " (median " + fmt(format, mid(runs, key)) + ")" : all;
    }

    /** A start-up result's launches after the first (which also writes the class-data archive). */
    static List<Double> launches(List<Map<String, Object>> runs) {
        return list(runs.get(0), "millis").stream().skip(1).toList();
    }

    static String millis(List<Map<String, Object>> runs) {
        return String.join(" / ", list(runs.get(0), "millis").stream().map(v -> fmt("%,.0f", v)).toList());
    }

    static String yes(boolean met) {
        return met ? "**yes**" : "no";
    }

    /** Pairs of a part's name and whether it is met: "**yes**" if all are, else each part's answer. */
    static String parts(Object... namesAndMet) {
        List<String> answers = new ArrayList<>();
        boolean all = true;
        for (int i = 0; i < namesAndMet.length; i += 2) {
            boolean met = (Boolean) namesAndMet[i + 1];
            all &= met;
            answers.add(namesAndMet[i] + " " + yes(met));
        }
        return all ? yes(true) : String.join(", ", answers);
    }

    static double num(Map<String, Object> m, String key) {
        Object value = m.get(key);
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    @SuppressWarnings("unchecked")
    static List<Double> list(Map<String, Object> m, String key) {
        List<Double> out = new ArrayList<>();
        for (Object o : (List<Object>) m.getOrDefault(key, List.of())) {
            out.add(((Number) o).doubleValue());
        }
        return out;
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static String command(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        return out;
    }

    static String cpuModel() throws Exception {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
    }

    static long memoryGiB() throws Exception {
        String total = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\D", "");
        return Math.round(Long.parseLong(total) / 1024.0 / 1024.0);
    }

    /** Just enough JSON for the result lines: objects, arrays, strings, numbers, booleans. */
    static final class JsonReader {
        private final String s;
        private int i;

        JsonReader(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> map = new LinkedHashMap<>();
                i++;
                skip();
                if (s.charAt(i) == '}') {
                    i++;
                    return map;
                }
                while (true) {
                    skip();
                    String key = (String) value();
                    skip();
                    i++; // :
                    map.put(key, value());
                    skip();
                    if (s.charAt(i++) == '}') {
                        return map;
                    }
                }
            }
            if (c == '[') {
                List<Object> list = new ArrayList<>();
                i++;
                skip();
                if (s.charAt(i) == ']') {
                    i++;
                    return list;
                }
                while (true) {
                    list.add(value());
                    skip();
                    if (s.charAt(i++) == ']') {
                        return list;
                    }
                }
            }
            if (c == '"') {
                StringBuilder out = new StringBuilder();
                i++;
                while (s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\') {
                        i++;
                    }
                    out.append(s.charAt(i++));
                }
                i++;
                return out.toString();
            }
            int start = i;
            while (i < s.length() && ",}] ".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String token = s.substring(start, i);
            return switch (token) {
                case "true" -> true;
                case "false" -> false;
                case "null" -> null;
                default -> Double.parseDouble(token);
            };
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }
}
