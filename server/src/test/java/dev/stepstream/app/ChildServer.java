package dev.stepstream.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A server in a child JVM (same classpath), for tests that kill it. Its output is kept for failure messages. */
final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("stepstream listening on (http://\\S+)");

    private final Process process;
    private final StringBuffer output;
    private final String url;

    private ChildServer(Process process, StringBuffer output, String url) {
        this.process = process;
        this.output = output;
        this.url = url;
    }

    static ChildServer start(Path dataDir, String... extraArgs) throws IOException {
        return start(dataDir, java.util.Map.of(), List.of(), extraArgs);
    }

    /** With {@code jvmOptions} (such as {@code -Dlogback.configurationFile=…}) before the main class. */
    static ChildServer start(Path dataDir, List<String> jvmOptions, String... extraArgs) throws IOException {
        return start(dataDir, java.util.Map.of(), jvmOptions, extraArgs);
    }

    /**
     * Options of every child JVM: quick compilation (C1 only) and the serial collector, which
     * spend about a quarter less CPU on starting a server than the defaults (a dozen test
     * classes start children, some one per test, on a 2-core machine).
     */
    static final List<String> QUICK_START = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    /**
     * A node of a test cluster: with {@code env} added to its environment and {@code jvmOptions}
     * (a small heap and quick compilation keep three of them light on a 2-core machine).
     */
    static ChildServer start(Path dataDir, java.util.Map<String, String> env, List<String> jvmOptions, String... extraArgs)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(QUICK_START);
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "dev.stepstream.Main", "serve", "--port", "0", "--data-dir", dataDir.toString(),
                "--workflows-dir", dataDir.resolve("no-workflows").toString()));
        command.addAll(List.of(extraArgs));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        StringBuffer output = new StringBuffer();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    output.append(line).append('\n');
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        url.complete(matcher.group(1));
                    }
                }
            } catch (IOException e) {
                // the process died; the url future fails below
            }
            url.completeExceptionally(new IllegalStateException("the server exited before listening:\n" + output));
        });
        try {
            return new ChildServer(process, output, url.get(60, TimeUnit.SECONDS));
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not start:\n" + output, e);
        }
    }

    String url() {
        return url;
    }

    /** What the server printed so far, for failure messages. */
    String output() {
        return output.toString();
    }

    /** Pauses the whole JVM (SIGSTOP), as a stalled VM or a debugger would; its children run on. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Lets a paused JVM go on (SIGCONT). */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
