import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the per-event files of a paced peers run (the load generator patched with
 * {@code per-event.patch}, run with {@code PEREVENT_OUT=FILE}) and splits each event's schedule
 * latency in two: its first delivery (the way from the due time to the first socket: for
 * stepstream the script's line, the pipe, the commit and the event loop's wake-up) and its
 * spread (first to last delivery: the fan-out of 1,000 writes). Prints both over the run, then
 * per 100 events, so that a warm-up or a stall shows where the run spent its tail.
 *
 *   java bench/peers/PerEvent.java FILE...
 */
public class PerEvent {
    public static void main(String[] args) throws Exception {
        for (String file : args) {
            List<long[]> events = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of(file))) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                events.add(Arrays.stream(line.trim().split("\\s+")).mapToLong(Long::parseLong).toArray());
            }
            System.out.printf("%s: %d events%n", file, events.size());
            summary("  all", events);
            for (int from = 0; from < events.size(); from += 100) {
                summary(String.format("  %4d-%4d", from, Math.min(from + 100, events.size()) - 1),
                        events.subList(from, Math.min(from + 100, events.size())));
            }
        }
    }

    /** Columns: k, first, median, p99, last (µs). */
    private static void summary(String label, List<long[]> events) {
        long[] first = events.stream().mapToLong(e -> e[1]).sorted().toArray();
        long[] spread = events.stream().mapToLong(e -> e[4] - e[1]).sorted().toArray();
        long[] last = events.stream().mapToLong(e -> e[4]).sorted().toArray();
        System.out.printf("%s  first delivery p50 %5.1f p99 %5.1f ms | spread p50 %5.1f p99 %5.1f ms | last delivery p50 %5.1f p99 %5.1f max %6.1f ms%n",
                label, ms(first, 0.5), ms(first, 0.99), ms(spread, 0.5), ms(spread, 0.99), ms(last, 0.5), ms(last, 0.99),
                ms(last, 1.0));
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[(int) (quantile * (sorted.length - 1))] / 1000.0;
    }
}
