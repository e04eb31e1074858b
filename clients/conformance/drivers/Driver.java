import dev.stepstream.client.Event;
import dev.stepstream.client.Follow;
import dev.stepstream.client.FollowOptions;
import dev.stepstream.client.RunWatch;
import dev.stepstream.client.RunWatchItem;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.client.StepstreamException;
import dev.stepstream.client.WatchOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The conformance driver of clients/java: see ../README.md for the arguments and the output.
 * Run by ./java, which compiles it against the library once.
 */
public final class Driver {
    private static final Duration BACKOFF_BASE = Duration.ofMillis(100);
    private static final Duration BACKOFF_CAP = Duration.ofSeconds(2);
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(60);

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> options = new HashMap<>(Map.of("--after", "0", "--stall-after", "-1", "--stall-ms", "0"));
        List<String> positional = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--watch")) {
                options.put(args[i], "");
            } else if (args[i].startsWith("--")) {
                options.put(args[i], args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        StepstreamClient client;
        try {
            client = client(positional.get(0), options);
        } catch (IllegalArgumentException e) {
            // A server URL the library refuses: the refusal's message is what the suite checks.
            stdout().println("{\"end\":{\"error\":{\"kind\":\"argument\",\"message\":" + quote(e.getMessage()) + "}}}");
            return;
        }
        if (options.containsKey("--runs")) {
            listRuns(client, Integer.parseInt(options.get("--runs")));
            return;
        }
        if (options.containsKey("--watch")) {
            watch(client, options);
            return;
        }
        FollowOptions follow = FollowOptions.DEFAULTS.after(Long.parseLong(options.get("--after")))
                .backoff(BACKOFF_BASE, BACKOFF_CAP).giveUpAfter(GIVE_UP_AFTER);
        if (options.containsKey("--types")) {
            follow = follow.types(options.get("--types").split(","));
        }
        if (options.containsKey("--steps")) {
            follow = follow.steps(options.get("--steps").split(","));
        }
        if (options.containsKey("--min-level")) {
            follow = follow.minLevel(options.get("--min-level"));
        }
        long stallAfter = Long.parseLong(options.get("--stall-after"));
        long stallMs = Long.parseLong(options.get("--stall-ms"));

        PrintStream out = stdout();
        String error = "null";
        long count = 0;
        Follow following = client.follow(positional.get(1), follow);
        try (following) {
            for (Event event : following) {
                out.println(event.json());
                if (++count == stallAfter) {
                    Thread.sleep(stallMs); // not reading: the library asks for nothing more meanwhile
                }
            }
        } catch (RuntimeException e) {
            error = error(e);
        }
        out.println("{\"end\":{\"lastSeq\":" + following.lastSeq() + ",\"reconnects\":" + following.reconnects() + ",\"error\":" + error + "}}");
    }

    /** The REST mode: {@code SERVER --runs N [--retries R] [--token T]}, runs(limit=1) N times in a row. */
    private static void listRuns(StepstreamClient client, int times) {
        PrintStream out = stdout();
        String error = "null";
        try (client) {
            for (int i = 0; i < times; i++) {
                Map<String, Object> page = client.runs(Map.of("limit", 1));
                out.println("{\"runs\":" + ((List<?>) page.get("runs")).size() + "}");
            }
        } catch (RuntimeException e) {
            error = error(e);
        }
        out.println("{\"end\":{\"error\":" + error + "}}");
    }

    /** The watch mode: {@code SERVER --watch [--workflow W] [--until-complete N] [--token T]}. */
    private static void watch(StepstreamClient client, Map<String, String> options) {
        WatchOptions watch = WatchOptions.DEFAULTS.workflowId(options.get("--workflow"))
                .backoff(BACKOFF_BASE, BACKOFF_CAP).giveUpAfter(GIVE_UP_AFTER);
        long untilComplete = Long.parseLong(options.getOrDefault("--until-complete", "1"));
        PrintStream out = stdout();
        String error = "null";
        long completed = 0;
        RunWatch watching = client.watchRuns(watch);
        try (watching) {
            for (RunWatchItem item : watching) {
                out.println(item.json());
                if (item.isRunComplete() && ++completed == untilComplete) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            error = error(e);
        }
        out.println("{\"end\":{\"reconnects\":" + watching.reconnects() + ",\"error\":" + error + "}}");
    }

    /** A client of the server; CONFORMANCE_SILENCE_MS=QUIET,DEAD shortens its silence timings. */
    private static StepstreamClient client(String server, Map<String, String> options) {
        StepstreamClient.Builder builder = StepstreamClient.builder(server).token(options.get("--token"));
        if (options.containsKey("--retries")) {
            builder.retries(Integer.parseInt(options.get("--retries")));
        }
        String silence = System.getenv("CONFORMANCE_SILENCE_MS");
        if (silence != null && !silence.isEmpty()) {
            String[] ms = silence.split(",");
            shortenSilence(builder, Duration.ofMillis(Long.parseLong(ms[0])), Duration.ofMillis(Long.parseLong(ms[1])));
        }
        return builder.build();
    }

    /**
     * Sets the library's test knob, which is not API (package-private: the builder's
     * {@code liveness(Liveness(steady, quiet, deadAfter))}), hence reflection. Steady, the time a
     * connection stays open to count as usable, must be shorter than quiet: half of it.
     */
    private static void shortenSilence(StepstreamClient.Builder builder, Duration quiet, Duration deadAfter) {
        try {
            Class<?> liveness = Class.forName("dev.stepstream.client.Liveness");
            Constructor<?> times = liveness.getDeclaredConstructor(Duration.class, Duration.class, Duration.class);
            times.setAccessible(true);
            Method set = StepstreamClient.Builder.class.getDeclaredMethod("liveness", liveness);
            set.setAccessible(true);
            set.invoke(builder, times.newInstance(quiet.dividedBy(2), quiet, deadAfter));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("clients/java's liveness knob is not where the driver looks: " + e, e);
        }
    }

    private static PrintStream stdout() {
        return new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    }

    /** The end line's error: the library's, or a crash's (any other exception). */
    private static String error(RuntimeException failure) {
        if (failure instanceof StepstreamException e) {
            return "{\"kind\":" + quote(e.kind().wire()) + ",\"status\":" + (e.status() == 0 ? "null" : e.status())
                    + ",\"code\":" + (e.code() == null ? "null" : quote(e.code()))
                    + ",\"closeCode\":" + (e.closeCode() == 0 ? "null" : e.closeCode()) + ",\"message\":" + quote(e.getMessage()) + "}";
        }
        return "{\"kind\":\"crash\",\"status\":null,\"code\":null,\"closeCode\":null,\"message\":" + quote(failure + " " + Arrays.toString(failure.getStackTrace())) + "}";
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
