import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Client-command benchmark: starts {@code bin/stepstream serve} of SERVER_HOME on a fresh data
 * directory, waits for {@code /readyz}, then runs {@code bin/stepstream runs} of each HOME in turn
 * (alternating, so that the homes share the machine's moods), RUNS times, and prints each
 * command's wall time, from the launch to its exit. The first command of each home also builds
 * the archive bin/stepstream keeps (if it does), so it is reported apart from the others.
 *
 *   java bench/Cli.java [--runs 10] [--port 18283] [--server-home CHECKOUT] HOME...
 */
public class Cli {
    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(arg(args, "--runs", "10"));
        int port = Integer.parseInt(arg(args, "--port", "18283"));
        List<String> homes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                i++;
            } else {
                homes.add(args[i]);
            }
        }
        if (homes.isEmpty()) {
            homes.add(".");
        }
        String serverHome = arg(args, "--server-home", homes.get(0));
        Path data = Files.createTempDirectory("cli");
        Process server = new ProcessBuilder(serverHome + "/bin/stepstream", "serve", "--port", Integer.toString(port),
                "--data-dir", data.resolve("data").toString(), "--workflows-dir", "workflows")
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start();
        try {
            awaitReady(port, server);
            String url = "http://127.0.0.1:" + port;
            for (String home : homes) { // the first command of each writes its archive: not judged
                System.out.printf("%s first: %d ms%n", home, runs(home, url));
            }
            List<List<Long>> millis = new ArrayList<>();
            homes.forEach(home -> millis.add(new ArrayList<>()));
            for (int i = 0; i < runs; i++) {
                for (int h = 0; h < homes.size(); h++) {
                    long took = runs(homes.get(h), url);
                    millis.get(h).add(took);
                    System.out.printf("%s %d: %d ms%n", homes.get(h), i + 1, took);
                }
            }
            for (int h = 0; h < homes.size(); h++) {
                List<Long> sorted = millis.get(h).stream().sorted().toList();
                System.out.println("RESULT {\"scenario\":\"cli-runs\",\"home\":\"" + homes.get(h) + "\",\"median\":"
                        + sorted.get(sorted.size() / 2) + ",\"millis\":" + millis.get(h).toString().replace(" ", "") + "}");
            }
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    /** Runs {@code stepstream runs} of {@code home} once; its wall time in ms. */
    static long runs(String home, String url) throws Exception {
        long start = System.nanoTime();
        Process command = new ProcessBuilder(home + "/bin/stepstream", "runs", "--server", url)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int exit = command.waitFor();
        long took = (System.nanoTime() - start) / 1_000_000;
        if (exit != 0) {
            throw new IllegalStateException(home + ": stepstream runs exited with " + exit);
        }
        return took;
    }

    static void awaitReady(int port, Process server) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline && server.isAlive()) {
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the server did not become ready");
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
