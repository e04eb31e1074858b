package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.LogLevel;
import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepFailedException;
import dev.stepstream.execution.StepResult;
import dev.stepstream.json.Json;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code type: script}: runs {@code run} with {@code /bin/sh -c}. Each stdout line becomes an
 * info log and each stderr line a warn log as it is printed. A non-zero exit fails the step.
 * What the script writes to the file named by {@code $STEPSTREAM_OUTPUT} becomes the step's
 * outputs ({@link OutputFile}).
 *
 * <p>Order of lines (docs/workflows.md, "Script output"): the lines of one stream are stored in
 * the order written, exactly. Across the two streams they are stored in the order they reach
 * the server: each pipe has a reader blocked in {@code read}, and a reader puts the lines of what
 * it read into the log under one lock shared by both, so that a line read first is stored first.
 * That is the order in which the script wrote them whenever the two writes are further apart
 * than the time a reader takes to wake (microseconds; a command started in between, even an
 * {@code echo} run as {@code /bin/echo}, is far more). Two writes to the two streams closer
 * than that (two shell builtins in a row) may be swapped: stdout and stderr are two pipes, and
 * nothing the kernel keeps says which of two writes to two pipes came first, so no reader can
 * know (an exact order with the stream known needs each write tagged by the kernel, as a
 * datagram socket per stream does, which Java cannot give a child process). A script that
 * needs the exact order sends both to one stream ({@code exec 2>&1}: every line is then info).
 *
 * <p>Threads: the attempt's thread waits for the process; one platform thread per pipe reads
 * and logs (a platform thread wakes from a pipe's {@code read} faster than a virtual one, which
 * keeps the order above; two per running script). When the log's queue is full those readers
 * block, the pipe fills and the script waits (back-pressure, DESIGN.md invariant 6). An
 * interrupt (cancel, timeout) kills the whole process tree.
 */
final class ScriptStep implements StepAction {
    /**
     * Lines longer than 16 KiB are cut by the log, after secrets are masked in them. The reader
     * keeps a secret's longest value (64 KiB) more, so that a value that starts within the first
     * 16 KiB is whole when it is masked, and one byte more still so the log knows to cut.
     */
    private static final int MAX_LINE_BYTES = 16 * 1024 + 64 * 1024 + 1;

    @Override
    public StepResult run(StepContext ctx) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", StepActions.text(ctx.field("run")))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        JsonNode workdir = ctx.field("workdir");
        if (workdir != null) {
            File dir = new File(workdir.asText());
            if (!dir.isDirectory()) {
                throw new StepFailedException("workdir: no such directory \"" + workdir.asText() + "\"");
            }
            builder.directory(dir);
        }
        JsonNode env = ctx.field("env");
        if (env != null) {
            for (Map.Entry<String, JsonNode> entry : env.properties()) {
                builder.environment().put(entry.getKey(), StepActions.text(entry.getValue()));
            }
        }

        try (OutputFile outputFile = OutputFile.create()) {
            builder.environment().put("STEPSTREAM_OUTPUT", outputFile.path().toString());
            int exitCode = execute(builder, ctx);
            JsonNode saveAs = ctx.field("saveAs");
            if (saveAs != null) {
                ctx.setVariable(saveAs.asText(), Json.object().put("exitCode", exitCode));
            }
            ObjectNode outputs = outputFile.read();
            StepResult result = exitCode == 0 ? StepResult.ok() : StepResult.failed("exited with code " + exitCode);
            return result.withOutputs(outputs.isEmpty() ? null : outputs);
        }
    }

    /** Runs the script to its end, its lines logged as they come; its exit code. */
    private static int execute(ProcessBuilder builder, StepContext ctx) throws StepFailedException, InterruptedException {
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new StepFailedException("could not start /bin/sh: " + e.getMessage());
        }
        Object arrival = new Object(); // the one point where the lines of both streams are put in order
        Thread stdout = Thread.ofPlatform().daemon().name("script-stdout")
                .start(() -> pump(process.getInputStream(), ctx, LogLevel.INFO, arrival));
        Thread stderr = Thread.ofPlatform().daemon().name("script-stderr")
                .start(() -> pump(process.getErrorStream(), ctx, LogLevel.WARN, arrival));
        int exitCode;
        try {
            exitCode = process.waitFor();
            // The pipes may stay open while a background child lives on; the step waits for them.
            stdout.join();
            stderr.join();
        } catch (InterruptedException e) {
            killTree(process);
            stdout.join(Duration.ofSeconds(2));
            stderr.join(Duration.ofSeconds(2));
            throw e;
        } finally {
            if (process.isAlive()) {
                killTree(process);
            }
        }
        return exitCode;
    }

    /** Kills the shell first, so that it starts nothing new, then everything it had started. */
    static void killTree(Process process) {
        List<ProcessHandle> descendants = ProcessTree.descendants(process.toHandle());
        process.destroyForcibly();
        for (ProcessHandle handle : descendants) {
            handle.destroyForcibly();
        }
    }

    /**
     * Reads lines of at most {@link #MAX_LINE_BYTES} bytes (the rest of a longer line is
     * dropped) and logs each complete line, holding {@code arrival} from the moment a read
     * returns until its lines are logged: the other stream's reader waits, so lines are stored
     * in the order they were read. A line is stored when its newline arrives (or at the end).
     */
    private static void pump(InputStream in, StepContext ctx, LogLevel level, Object arrival) {
        byte[] chunk = new byte[64 * 1024];
        byte[] line = new byte[MAX_LINE_BYTES];
        int lineLength = 0;
        try (in) {
            int read;
            while ((read = in.read(chunk)) != -1) {
                synchronized (arrival) {
                    for (int i = 0; i < read; i++) {
                        byte b = chunk[i];
                        if (b == '\n') {
                            ctx.log(level, decode(line, lineLength));
                            lineLength = 0;
                        } else if (lineLength < MAX_LINE_BYTES) {
                            line[lineLength++] = b;
                        }
                    }
                }
            }
            if (lineLength > 0) {
                synchronized (arrival) {
                    ctx.log(level, decode(line, lineLength));
                }
            }
        } catch (IOException e) {
            // The process was killed or closed its pipe: nothing more to read.
        }
    }

    private static String decode(byte[] line, int length) {
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }
}
