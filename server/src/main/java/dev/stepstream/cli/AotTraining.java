package dev.stepstream.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Arrays;

/**
 * The client commands {@code bin/stepstream} runs while it records the AOT cache of client
 * commands (JDK 25, JEP 483 and 515), in one JVM, since a cache comes from one recorded JVM:
 * the classes every command loads then start from the cache. Its arguments are commands
 * separated by {@code ;;}, each run as {@link Cli#run} runs it, output discarded. Exits 0 when
 * every command exited 0, else 1 (and no cache is written).
 *
 * <p>Recorded with {@code runs} alone, the cache held none of what follows a run (the JDK's
 * HttpClient and WebSocket, the client library, the view), which every {@code follow} and
 * {@code run --follow} then loaded and verified from the jar and the JDK's image: 0.5-0.65 s
 * to follow a finished run of eight events, 0.28-0.35 s with them in the cache
 * (docs/BENCHMARKS.md, issue 21, target 4).
 *
 * <pre>  java -XX:AOTMode=record … -cp stepstream.jar dev.stepstream.cli.AotTraining runs --server URL ';;' follow …</pre>
 */
public final class AotTraining {
    private static final String SEPARATOR = ";;";

    private AotTraining() {}

    public static void main(String[] args) {
        int failed = 0;
        int start = 0;
        for (int i = 0; i <= args.length; i++) {
            if (i == args.length || args[i].equals(SEPARATOR)) {
                String[] command = Arrays.copyOfRange(args, start, i);
                if (Cli.run(command, new PrintWriter(Writer.nullWriter()), new PrintWriter(Writer.nullWriter())) != Cli.OK) {
                    System.err.println("AOT training: stepstream " + String.join(" ", command) + " failed");
                    failed++;
                }
                start = i + 1;
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
