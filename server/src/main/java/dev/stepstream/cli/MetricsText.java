package dev.stepstream.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A scrape of {@code /metrics} (the Prometheus text format), read for {@code stepstream status}. */
final class MetricsText {
    record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;

    private MetricsText(List<Sample> samples) {
        this.samples = samples;
    }

    /** Parses the text format; lines it does not understand are skipped. */
    static MetricsText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            String series = line.substring(0, space);
            double value;
            try {
                value = Double.parseDouble(line.substring(space + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            int brace = series.indexOf('{');
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && series.endsWith("}")) {
                for (String pair : series.substring(brace + 1, series.length() - 1).split(",(?=[a-zA-Z_]+=\")")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.length() >= eq + 2) {
                        labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                    }
                }
            }
            samples.add(new Sample(brace < 0 ? series : series.substring(0, brace), labels, value));
        }
        return new MetricsText(samples);
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels} ({@code "key=value"}); 0 when none. */
    double sum(String name, String... labels) {
        double sum = 0;
        for (Sample sample : samples) {
            if (sample.name().equals(name) && matches(sample, labels)) {
                sum += sample.value();
            }
        }
        return sum;
    }

    /** The value of label {@code label} on the first sample of {@code name}, or null. */
    String label(String name, String label) {
        return samples.stream().filter(sample -> sample.name().equals(name)).map(sample -> sample.labels().get(label))
                .findFirst().orElse(null);
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
