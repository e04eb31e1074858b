package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The client commands against a real server, run in-process with captured output. */
@Timeout(60)
class CliTest {
    @TempDir
    static Path dir;
    static TestServer server;

    record Result(int exitCode, String out, String err) {}

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void workflowsApplyRegistersFilesAndReportsProblems(@TempDir Path files) throws Exception {
        Path good = Files.writeString(files.resolve("cli-hello.yaml"), """
                id: cli-hello
                inputs:
                  n: {type: number, default: 1}
                  loud: {type: boolean, default: false}
                steps:
                  - {id: a, type: log, message: "n=${inputs.n} loud=${inputs.loud}"}
                """);
        Path bad = Files.writeString(files.resolve("cli-bad.yaml"), "id: cli-bad\nsteps:\n  - {id: a, type: teleport}\n");

        Result applied = cli("workflows", "apply", good.toString(), "--server", server.url());
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("cli-hello", "version 1");

        Result rejected = cli("workflows", "apply", bad.toString(), good.toString(), "--server", server.url());
        assertThat(rejected.exitCode()).isEqualTo(1);
        assertThat(rejected.err()).contains("cli-bad.yaml", "steps[0].type", "teleport");
        assertThat(server.get("/api/v2/workflows/cli-bad").status()).isEqualTo(404);
    }

    @Test
    void runPrintsTheRunIdAndFollowExitsWithTheRunsOutcome() {
        server.apply("""
                id: cli-typed
                inputs:
                  n: {type: number, required: true}
                  loud: {type: boolean, default: false}
                steps:
                  - {id: a, type: log, message: "n=${inputs.n * 2} loud=${inputs.loud}"}
                """);
        server.apply("id: cli-fails\nsteps:\n  - {id: boom, type: fail, message: kaput}\n");

        Result started = cli("run", "cli-typed", "--input", "n=21", "--input", "loud=true", "--server", server.url());
        assertThat(started.exitCode()).as(started.err()).isZero();
        String runId = started.out().strip();
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        assertThat(server.awaitHistory(runId).toString()).contains("n=42 loud=true");

        Result followed = cli("run", "cli-typed", "--input", "n=1", "--follow", "--server", server.url());
        assertThat(followed.exitCode()).as(followed.err()).isZero();
        assertThat(followed.out()).contains("n=2 loud=false", "success");

        Result failed = cli("run", "cli-fails", "--follow", "--server", server.url());
        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.out()).contains("kaput", "failed");

        Result json = cli("run", "cli-fails", "--follow", "--json", "--server", server.url());
        assertThat(json.exitCode()).isEqualTo(1);
        assertThat(json.out().lines().toList()).allSatisfy(line -> assertThat(line).startsWith("{\"runId\""));
        assertThat(json.out().lines().toList().getLast()).contains("\"type\":\"run_complete\"");

        Result badInput = cli("run", "cli-typed", "--input", "n=many", "--server", server.url());
        assertThat(badInput.exitCode()).isEqualTo(2);
        assertThat(badInput.err()).contains("--input n");
    }

    @Test
    void runsListsRunsAsATable() {
        server.apply("id: cli-listed\nsteps:\n  - {id: a, type: log, message: hi}\n");
        String runId = server.execute("cli-listed", null);
        server.awaitEnd(runId);
        Result listed = cli("runs", "--workflow", "cli-listed", "--server", server.url());
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("RUN ID", runId, "cli-listed", "success");
        Result bad = cli("runs", "--status", "sleepy", "--server", server.url());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("status");
    }

    @Test
    void statusSummarisesTheServerOnOneScreen() {
        server.apply("id: cli-status\nsteps:\n  - {id: a, type: log, message: hi}\n");
        server.awaitEnd(server.execute("cli-status", null));
        Result status = cli("status", "--server", server.url(), "--interval", "200ms");
        assertThat(status.exitCode()).as(status.err()).isZero();
        List<String> lines = status.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("stepstream development at " + server.url());
        assertThat(status.out()).contains("state        ready (store up, broker up)", "uptime ", "events/s     ", " stored, ", "over 200ms",
                "connections  0 open");
        String runs = lines.stream().filter(line -> line.startsWith("runs ")).findFirst().orElseThrow();
        assertThat(runs).matches("runs +\\d+ running, \\d+ queued; ended since start: [1-9][0-9]* success, \\d+ failed, \\d+ cancelled, \\d+ interrupted");
        assertThat(lines).as("one screen").hasSizeLessThan(12);

        Result badInterval = cli("status", "--server", server.url(), "--interval", "soon");
        assertThat(badInterval.exitCode()).isEqualTo(2);
        assertThat(badInterval.err()).contains("--interval");
        Result unreachable = cli("status", "--server", "http://127.0.0.1:1");
        assertThat(unreachable.exitCode()).isEqualTo(2);
        assertThat(unreachable.err()).contains("cannot reach");
    }

    @Test
    void anUnreachableServerIsExitCode2() {
        Result result = cli("runs", "--server", "http://127.0.0.1:1");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("cannot reach");
    }
}
