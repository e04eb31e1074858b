import dev.stepstream.client.Event;
import dev.stepstream.client.Follow;
import dev.stepstream.client.FollowOptions;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.client.StepstreamException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
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
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> options = new HashMap<>(Map.of("--after", "0", "--stall-after", "-1", "--stall-ms", "0"));
        List<String> positional = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                options.put(args[i], args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        FollowOptions follow = FollowOptions.DEFAULTS.after(Long.parseLong(options.get("--after")))
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(2)).giveUpAfter(Duration.ofSeconds(60));
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

        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        StepstreamClient client = StepstreamClient.builder(positional.get(0)).token(options.get("--token")).build();
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
        } catch (StepstreamException e) {
            error = "{\"kind\":" + quote(e.kind().wire()) + ",\"status\":" + (e.status() == 0 ? "null" : e.status())
                    + ",\"code\":" + (e.code() == null ? "null" : quote(e.code()))
                    + ",\"closeCode\":" + (e.closeCode() == 0 ? "null" : e.closeCode()) + ",\"message\":" + quote(e.getMessage()) + "}";
        } catch (RuntimeException e) {
            error = "{\"kind\":\"crash\",\"status\":null,\"code\":null,\"closeCode\":null,\"message\":" + quote(e + " " + Arrays.toString(e.getStackTrace())) + "}";
        }
        out.println("{\"end\":{\"lastSeq\":" + following.lastSeq() + ",\"reconnects\":" + following.reconnects() + ",\"error\":" + error + "}}");
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
