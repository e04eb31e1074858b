import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Start-up benchmark: launches {@code bin/stepstream serve} on a fresh data directory, RUNS
 * times, and measures from the launch to the first 200 of {@code /readyz} (polled every 5 ms),
 * then stops the server with SIGTERM. The first launch also builds the class-data archive or
 * (Java 25+) the AOT cache bin/stepstream keeps, so it is reported apart from the others. With
 * {@code --restart}, every launch uses the same data directory, which the first one creates:
 * a server restarted on the database it already has. With several {@code --home}, the
 * checkouts take turns, launch by launch (each with its own data directory), so that they share
 * the machine's moods when other work runs on it.
 *
 *   java bench/Startup.java [--runs 5] [--port 18282] [--home CHECKOUT]... [--restart]
 */
public class Startup {
    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(arg(args, "--runs", "5"));
        int port = Integer.parseInt(arg(args, "--port", "18282"));
        List<String> homes = new ArrayList<>();
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--home")) {
                homes.add(args[i + 1]);
            }
        }
        if (homes.isEmpty()) {
            homes.add(".");
        }
        boolean restart = java.util.Arrays.asList(args).contains("--restart");
        List<Path> shared = new ArrayList<>();
        for (String ignored : homes) {
            shared.add(Files.createTempDirectory("startup"));
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                .timeout(Duration.ofMillis(500)).build();
        List<List<Long>> millis = new ArrayList<>();
        homes.forEach(home -> millis.add(new ArrayList<>()));
        for (int i = 0; i < runs; i++) {
            for (int h = 0; h < homes.size(); h++) {
                String home = homes.get(h);
                Path data = restart ? shared.get(h) : Files.createTempDirectory("startup");
                long start = System.nanoTime();
                Process server = new ProcessBuilder(home + "/bin/stepstream", "serve", "--port", Integer.toString(port),
                        "--data-dir", data.resolve("data").toString(), "--workflows-dir", "workflows")
                        .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start();
                long took = -1;
                // 2 minutes: the first launch of a build on Java 25+ also trains its AOT cache (10-30 s).
            while (System.nanoTime() - start < 120_000_000_000L && server.isAlive()) {
                    try {
                        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                            took = (System.nanoTime() - start) / 1_000_000;
                            break;
                        }
                    } catch (java.io.IOException e) {
                        // not listening yet
                    }
                    Thread.sleep(5);
                }
                server.destroy();
                server.waitFor();
                if (took < 0) {
                    System.out.println(Files.readString(data.resolve("server.log")));
                    throw new IllegalStateException("the server did not become ready");
                }
                System.out.printf("%s%s %d: /readyz answered 200 after %d ms%n", homes.size() > 1 ? home + " " : "",
                        restart ? "restart" : "launch", i + 1, took);
                millis.get(h).add(took);
            }
        }
        for (int h = 0; h < homes.size(); h++) {
            System.out.println("RESULT {\"scenario\":\"startup\",\"restart\":" + restart
                    + (homes.size() > 1 ? ",\"home\":\"" + homes.get(h) + "\"" : "") + ",\"millis\":"
                    + millis.get(h).toString().replace(" ", "") + "}");
        }
    }

    static String arg(String[] args, String name, String otherwise) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return otherwise;
    }
}
