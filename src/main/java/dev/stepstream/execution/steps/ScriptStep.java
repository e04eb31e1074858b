package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
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
 *
 * <p>Threads: the attempt's thread waits for the process; one virtual thread per pipe reads
 * lines and logs them. When the log's queue is full those readers block, the pipe fills and
 * the script waits (back-pressure, DESIGN.md invariant 6). An interrupt (cancel, timeout)
 * kills the whole process tree.
 */
final class ScriptStep implements StepAction {
    /** Lines longer than this are cut by the log (16 KiB); the reader keeps one byte more so it knows. */
    private static final int MAX_LINE_BYTES = 16 * 1024 + 1;

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

        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new StepFailedException("could not start /bin/sh: " + e.getMessage());
        }
        Thread stdout = Thread.ofVirtual().name("script-stdout").start(() -> pump(process.getInputStream(), ctx, LogLevel.INFO));
        Thread stderr = Thread.ofVirtual().name("script-stderr").start(() -> pump(process.getErrorStream(), ctx, LogLevel.WARN));
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

        JsonNode saveAs = ctx.field("saveAs");
        if (saveAs != null) {
            ctx.setVariable(saveAs.asText(), Json.object().put("exitCode", exitCode));
        }
        return exitCode == 0 ? StepResult.ok() : StepResult.failed("exited with code " + exitCode);
    }

    /** Kills the shell first, so that it starts nothing new, then everything it had started. */
    static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        for (ProcessHandle handle : descendants) {
            handle.destroyForcibly();
        }
    }

    /** Reads lines of at most {@link #MAX_LINE_BYTES} bytes (the rest of a longer line is dropped). */
    private static void pump(InputStream in, StepContext ctx, LogLevel level) {
        byte[] chunk = new byte[64 * 1024];
        byte[] line = new byte[MAX_LINE_BYTES];
        int lineLength = 0;
        try (in) {
            int read;
            while ((read = in.read(chunk)) != -1) {
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
            if (lineLength > 0) {
                ctx.log(level, decode(line, lineLength));
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
