package dev.stepstream.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One scrape of {@code /metrics}, parsed from the Prometheus text format, to compare figures before and after. */
public final class Scrape {
    /** One sample line: its metric name, labels and value. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;
    private final String text;

    private Scrape(List<Sample> samples, String text) {
        this.samples = samples;
        this.text = text;
    }

    /** Scrapes the server's {@code /metrics}, checking the answer is the Prometheus text format. */
    public static Scrape of(TestServer server) {
        TestServer.Response response = server.get("/metrics");
        if (response.status() != 200 || !String.valueOf(response.header("Content-Type")).startsWith("text/plain")) {
            throw new AssertionError("/metrics answered " + response.status() + " " + response.header("Content-Type"));
        }
        return parse(response.text());
    }

    public static Scrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            int brace = series.indexOf('{');
            String name = brace < 0 ? series : series.substring(0, brace);
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0) {
                for (String pair : series.substring(brace + 1, series.length() - 1).split(",(?=[a-zA-Z_]+=\")")) {
                    int eq = pair.indexOf('=');
                    labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                }
            }
            samples.add(new Sample(name, labels, value));
        }
        return new Scrape(samples, text);
    }

    /**
     * The sum of the samples named {@code name} whose labels include {@code labels} (given as
     * {@code "key=value"}); fails when there is no such sample at all.
     */
    public double value(String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (Sample sample : samples) {
            if (sample.name().equals(name) && matches(sample, labels)) {
                sum += sample.value();
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no sample " + name + " " + List.of(labels) + " in the scrape");
        }
        return sum;
    }

    /** {@code this} minus {@code before} for one series: how far it moved (a series {@code before} lacked was 0). */
    public double since(Scrape before, String name, String... labels) {
        return value(name, labels) - (before.has(name, labels) ? before.value(name, labels) : 0);
    }

    private boolean has(String name, String... labels) {
        return samples.stream().anyMatch(sample -> sample.name().equals(name) && matches(sample, labels));
    }

    public boolean has(String name) {
        return samples.stream().anyMatch(sample -> sample.name().equals(name));
    }

    public List<Sample> samples() {
        return samples;
    }

    public String text() {
        return text;
    }

    private static boolean matches(Sample sample, String[] labels) {
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (!label.substring(eq + 1).equals(sample.labels().get(label.substring(0, eq)))) {
                return false;
            }
        }
        return true;
    }
}
