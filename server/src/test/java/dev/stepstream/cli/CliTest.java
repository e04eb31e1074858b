package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.app.Config;
import dev.stepstream.json.Json;
import dev.stepstream.settings.Setting;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
        return cli(new StringWriter(), args);
    }

    /** The command with its stdout going to {@code out}, to be read while it runs. */
    static Result cli(java.io.Writer out, String... args) {
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * The command in a JVM of its own with {@code environment} added to this one's: what reads
     * {@code STEPSTREAM_SERVER} or {@code STEPSTREAM_TOKEN}, or exits as the process does.
     */
    static Result cliProcess(java.util.Map<String, String> environment, String... args) throws Exception {
        return cliProcess(null, environment, args);
    }

    /** The same, run in {@code workingDirectory} (null: this one's). */
    static Result cliProcess(Path workingDirectory, java.util.Map<String, String> environment, String... args) throws Exception {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new java.util.ArrayList<>(List.of(javaCommand, "-cp", System.getProperty("java.class.path"), "dev.stepstream.Main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .directory(workingDirectory == null ? null : workingDirectory.toFile());
        builder.environment().remove("STEPSTREAM_SERVER");
        builder.environment().remove("STEPSTREAM_TOKEN");
        builder.environment().putAll(environment);
        Path errors = Files.createTempFile("stepstream-cli", ".stderr");
        try {
            Process process = builder.redirectError(errors.toFile()).start();
            String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s exits", List.of(args)).isTrue();
            return new Result(process.exitValue(), out, Files.readString(errors));
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** The command reading {@code stdin}, as a pipe gives it. */
    static Result cliReading(String stdin, String... args) {
        return cliReading(new java.io.ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)), args);
    }

    static Result cliReading(java.io.InputStream stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(args, stdin, new PrintWriter(out, true), new PrintWriter(err, true));
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
    void serveHelpListsEverySettingOfTheTableWithItsDefaultAndEveryOneIsAFlag() {
        Result help = cli("serve", "--help");

        assertThat(help.exitCode()).isZero();
        for (Setting<?> setting : Config.SETTINGS) {
            assertThat(help.out()).as(setting.name())
                    .contains(setting.flag() + (setting.optionalValue() ? "[=" : "=") + setting.label());
        }
        String words = help.out().replaceAll("\\s+", " ");
        assertThat(words).contains("--port=N Port to listen on, 0 for any free port. (default 8080)")
                .contains("--lease=DURATION Node lease; another node marks this one's running runs interrupted once it lapses."
                        + " (default 15s)")
                .contains("--rate-limit=RATE Requests per client. (default 100/s)")
                .contains("(default host name and a random suffix)");
        Result bad = cli("serve", "--lease", "soon");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("--lease: expected a duration like 500ms, 10s or 1m, got \"soon\"");
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

        // A file that does not parse (the server's 400) or cannot be read is a usage error, 2,
        // as every command's 400 is; the worst file decides, the others are applied all the same.
        Path broken = Files.writeString(files.resolve("cli-broken.yaml"), "id: [unclosed\n");
        Result unparsed = cli("workflows", "apply", broken.toString(), bad.toString(), good.toString(), "--server", server.url());
        assertThat(unparsed.exitCode()).as(unparsed.err()).isEqualTo(2);
        assertThat(unparsed.err()).contains("cli-broken.yaml: line ", "cli-bad.yaml");
        assertThat(unparsed.out()).contains("applied workflow cli-hello");
        Result missing = cli("workflows", "apply", files.resolve("nowhere.yaml").toString(), "--server", server.url());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("nowhere.yaml: cannot read");
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

        // Without --follow, --json prints the server's answer: a program reads the run's id from it.
        Result answer = cli("run", "cli-typed", "--input", "n=2", "--json", "--server", server.url());
        assertThat(answer.exitCode()).as(answer.err()).isZero();
        JsonNode started202 = Json.parseTrusted(answer.out().strip().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(started202.path("workflowId").asText()).isEqualTo("cli-typed");
        assertThat(started202.path("status").asText()).isEqualTo("queued");
        assertThat(server.awaitEnd(started202.path("runId").asText()).path("status").asText()).isEqualTo("success");

        Result json = cli("run", "cli-fails", "--follow", "--json", "--server", server.url());
        assertThat(json.exitCode()).isEqualTo(1);
        assertThat(json.out().lines().toList()).allSatisfy(line -> assertThat(line).startsWith("{\"runId\""));
        assertThat(json.out().lines().toList().getLast()).contains("\"type\":\"run_complete\"");

        Result badInput = cli("run", "cli-typed", "--input", "n=many", "--server", server.url());
        assertThat(badInput.exitCode()).isEqualTo(2);
        assertThat(badInput.err()).contains("--input n: expected a number, got \"many\"");
    }

    @Test
    void anInputThatIsNoJsonOfItsTypeSaysWhatWasExpectedInGoodEnglish() {
        server.apply("id: cli-shaped\ninputs:\n  o: {type: object}\n  l: {type: array}\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Result object = cli("run", "cli-shaped", "--input", "o={", "--server", server.url());
        assertThat(object.exitCode()).isEqualTo(2);
        assertThat(object.err()).contains("--input o: expected an object, got \"{\"");
        Result array = cli("run", "cli-shaped", "--input", "l=[", "--server", server.url());
        assertThat(array.exitCode()).isEqualTo(2);
        assertThat(array.err()).contains("--input l: expected an array, got \"[\"");
    }

    /** A full queue (--max-queued-runs) refuses a run, in a sentence whose verb agrees with its number. */
    @Test
    void aRunRefusedByAFullQueueSaysHowManyAreQueued(@TempDir Path data) {
        try (TestServer small = TestServer.start(data, config -> config.withMaxConcurrentRuns(1).withMaxQueuedRuns(1))) {
            small.apply("id: cli-long\nsteps:\n  - {id: a, type: sleep, duration: 1m}\n");
            String running = small.execute("cli-long", null);
            Await.until("run " + running + " runs", Duration.ofSeconds(20),
                    () -> small.run(running).path("status").asText().equals("running") ? true : null);
            String queued = small.execute("cli-long", null);

            Result refused = cli("run", "cli-long", "--server", small.url());

            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.err()).isEqualTo("stepstream run: 1 run is queued already; try again later" + System.lineSeparator());
            assertThat(cli("cancel", queued, "--server", small.url()).exitCode()).isZero();
            assertThat(cli("cancel", running, "--server", small.url()).exitCode()).isZero();
        }
    }

    @Test
    void runsListsRunsAsATable() {
        server.apply("id: cli-listed\nsteps:\n  - {id: a, type: log, message: hi}\n");
        String runId = server.execute("cli-listed", null);
        server.awaitEnd(runId);
        Result listed = cli("runs", "--workflow", "cli-listed", "--server", server.url());
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("RUN ID", "TRIGGER", runId, "cli-listed", "success");
        assertThat(listed.out().lines().filter(line -> line.startsWith(runId)).findFirst().orElseThrow()).endsWith("manual");
        Result bad = cli("runs", "--status", "sleepy", "--server", server.url());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("status");
        Result retries = cli("runs", "--workflow", "cli-listed", "--trigger", "retry", "--server", server.url());
        assertThat(retries.exitCode()).as(retries.err()).isZero();
        assertThat(retries.out()).contains("RUN ID").doesNotContain(runId);
        Result badTrigger = cli("runs", "--trigger", "cron", "--server", server.url());
        assertThat(badTrigger.exitCode()).isEqualTo(2);
        assertThat(badTrigger.err()).contains("trigger");
    }

    @Test
    void runsKeepsItsColumnsInLineWhateverTheLengthOfAWorkflowsId() {
        // Longer than the 24 characters the WORKFLOW column once had, which pushed the rest of its row out of line.
        String longId = "cli-listed-under-a-workflow-id-longer-than-a-column";
        server.apply("id: " + longId + "\nsteps:\n  - {id: a, type: log, message: hi}\n");
        server.apply("id: cli-short\nsteps:\n  - {id: a, type: log, message: hi}\n");
        String longRun = server.execute(longId, null);
        String shortRun = server.execute("cli-short", null);
        server.awaitEnd(longRun);
        server.awaitEnd(shortRun);

        Result listed = cli("runs", "--status", "success", "--server", server.url());
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        List<String> lines = listed.out().lines().toList();
        int status = lines.getFirst().indexOf("STATUS");
        int created = lines.getFirst().indexOf("CREATED");
        assertThat(lines).filteredOn(line -> line.startsWith(longRun) || line.startsWith(shortRun)).hasSize(2).allSatisfy(line -> {
            assertThat(line.substring(status)).startsWith("success ");
            assertThat(line.substring(created)).matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z .*");
        });
    }

    /** {@code logs} prints the server's log as it is, and its filters are the server's, and --grep's the CLI's. */
    @Test
    void logsPrintsTheRunsLogAndFiltersItsEntries() {
        server.apply("""
                id: cli-logs
                steps:
                  - {id: a, type: log, message: "Starting"}
                  - {id: b, type: log, level: warn, message: "two\\nLines here"}
                  - {id: c, type: log, level: debug, message: "tail\\tend"}
                """);
        String runId = server.execute("cli-logs", null);
        server.awaitEnd(runId);
        String whole = server.get("/api/v2/workflows/runs/" + runId + "/log").text();
        String nl = System.lineSeparator();

        Result all = cli("logs", runId, "--server", server.url());
        assertThat(all.exitCode()).as(all.err()).isZero();
        assertThat(all.out()).isEqualTo(whole.replace("\n", nl));
        assertThat(all.out().lines().toList()).hasSize(4);
        assertThat(all.err()).isEmpty();

        Result warn = cli("logs", runId, "--min-level", "warn", "--server", server.url());
        assertThat(warn.out().lines().toList()).hasSize(2).first().asString().endsWith(" b WARN two");
        Result steps = cli("logs", runId, "--steps", "a,c", "--server", server.url());
        assertThat(steps.out().lines().toList()).hasSize(2).last().asString().endsWith(" c DEBUG tail\tend");

        Result grep = cli("logs", runId, "--grep", "lines HERE", "--server", server.url());
        assertThat(grep.exitCode()).isZero();
        assertThat(grep.out().lines().toList()).as("the whole entry: its line and its continuation")
                .hasSize(2).containsExactly(whole.lines().toList().get(1), "  Lines here");
        assertThat(cli("logs", runId, "--grep", "starting", "--server", server.url()).out().lines().toList())
                .singleElement().asString().endsWith(" a INFO Starting");
        Result none = cli("logs", runId, "--grep", "nowhere", "--server", server.url());
        assertThat(none.exitCode()).isZero();
        assertThat(none.out()).isEmpty();
    }

    @Test
    void logsOfARunThatIsNoneIsExit1AndABadFlagExit2NamingIt() {
        String unknown = java.util.UUID.randomUUID().toString();
        Result missing = cli("logs", unknown, "--server", server.url());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err().lines()).singleElement().asString().isEqualTo("stepstream logs: no run " + unknown + " exists");
        assertThat(missing.out()).isEmpty();

        Result level = cli("logs", unknown, "--min-level", "loud", "--server", server.url());
        assertThat(level.exitCode()).isEqualTo(2);
        assertThat(level.err().lines()).singleElement().asString().contains("--min-level", "\"loud\"");
        Result steps = cli("logs", unknown, "--steps", "a,,b", "--server", server.url());
        assertThat(steps.exitCode()).isEqualTo(2);
        assertThat(steps.err().lines()).singleElement().asString().contains("steps: ");
        Result id = cli("logs", "not-a-run", "--server", server.url());
        assertThat(id.exitCode()).isEqualTo(2);
        assertThat(id.err()).contains("RUN_ID");
    }

    /** A long log is printed whole and in order as it arrives. */
    @Test
    void logsOfALongRunPrintsEveryLineInOrder() {
        server.apply("id: cli-logs-long\nsteps:\n  - {id: print, type: script, run: \"seq 1 20000\"}\n");
        String runId = server.execute("cli-logs-long", null);
        assertThat(server.awaitEnd(runId, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("success");

        Result printed = cli("logs", runId, "--server", server.url());
        assertThat(printed.exitCode()).as(printed.err()).isZero();
        List<String> lines = printed.out().lines().toList();
        assertThat(lines).hasSize(20_000);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).endsWith(" print INFO " + (i + 1))) {
                throw new AssertionError("line " + (i + 1) + " is " + lines.get(i));
            }
        }
    }

    @Test
    void workflowsListGetAndDeleteShowAndRemoveWorkflows(@TempDir Path files) throws Exception {
        server.apply("""
                id: cli-shown
                name: Shown
                triggers:
                  - {id: nightly, type: schedule, cron: "0 3 * * *"}
                steps:
                  - {id: a, type: log, message: "hello: world"}
                  - {id: b, type: sleep, duration: 10ms}
                """);
        server.apply("id: cli-shown\nname: Shown again\nsteps:\n  - {id: a, type: log, message: hi}\n");

        Result list = cli("workflows", "list", "--server", server.url());
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out().lines().findFirst().orElseThrow()).matches("ID +NAME +VERSION +STEPS +UPDATED");
        assertThat(list.out().lines().filter(line -> line.startsWith("cli-shown ")).findFirst().orElseThrow())
                .matches("cli-shown +Shown again +2 +1 +\\d{4}-.*Z");
        Result listJson = cli("workflows", "list", "--json", "--server", server.url());
        assertThat(Json.MAPPER.readTree(listJson.out())).isEqualTo(server.get("/api/v2/workflows").body());

        Result current = cli("workflows", "get", "cli-shown", "--server", server.url());
        assertThat(current.exitCode()).as(current.err()).isZero();
        assertThat(current.out()).startsWith("# workflow cli-shown, version 2, updated ").contains("name: Shown again")
                .doesNotContain("updatedAt");
        Result first = cli("workflows", "get", "cli-shown", "--version", "1", "--server", server.url());
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("version 1", "name: Shown", "nightly", "hello: world").doesNotContain("nextRunAt");
        // What get prints, apply takes back: the same definition, a new version.
        Path file = Files.writeString(files.resolve("cli-shown.yaml"), first.out());
        Result applied = cli("workflows", "apply", file.toString(), "--server", server.url());
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        JsonNode again = server.get("/api/v2/workflows/cli-shown").body();
        assertThat(again.path("version").asInt()).isEqualTo(3);
        assertThat(again.path("steps").toString()).isEqualTo(server.get("/api/v2/workflows/cli-shown?version=1").body().path("steps").toString());
        Result json = cli("workflows", "get", "cli-shown", "--json", "--server", server.url());
        assertThat(Json.MAPPER.readTree(json.out())).isEqualTo(again);

        Result noVersion = cli("workflows", "get", "cli-shown", "--version", "9", "--server", server.url());
        assertThat(noVersion.exitCode()).isEqualTo(1);
        assertThat(noVersion.err().lines()).singleElement().asString().isEqualTo("stepstream workflows get: workflow \"cli-shown\" has no version 9");
        assertThat(cli("workflows", "get", "cli-shown", "--version", "0", "--server", server.url()).exitCode()).isEqualTo(2);

        Result deleted = cli("workflows", "delete", "cli-shown", "--server", server.url());
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualTo("workflow cli-shown deleted" + System.lineSeparator());
        Result gone = cli("workflows", "get", "cli-shown", "--server", server.url());
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err().lines()).singleElement().asString().isEqualTo("stepstream workflows get: no workflow \"cli-shown\" exists");
        assertThat(cli("workflows", "get", "cli-shown", "--version", "1", "--server", server.url()).exitCode())
                .as("a deleted workflow's versions stay readable").isZero();
        Result twice = cli("workflows", "delete", "cli-shown", "--server", server.url());
        assertThat(twice.exitCode()).isEqualTo(1);
        assertThat(twice.err().lines()).singleElement().asString().isEqualTo("stepstream workflows delete: no workflow \"cli-shown\" exists");
        assertThat(twice.out()).isEmpty();

        Result help = cli("workflows", "--help");
        assertThat(help.out()).contains("apply", "list", "get", "delete");
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
        String store = lines.stream().filter(line -> line.startsWith("store ")).findFirst().orElseThrow();
        assertThat(store).as("the SQLite file, measured at the sweeper's first pass")
                .matches("store +[0-9.]+ (KiB|MiB) on disk, [0-9.]+ (B|KiB|MiB) free inside to give back; \\d+ runs deleted since start \\(\\d+ by retention\\)");
        assertThat(lines).as("one screen").hasSizeLessThan(12);

        Result badInterval = cli("status", "--server", server.url(), "--interval", "soon");
        assertThat(badInterval.exitCode()).isEqualTo(2);
        assertThat(badInterval.err()).contains("--interval");
        Result unreachable = cli("status", "--server", "http://127.0.0.1:1");
        assertThat(unreachable.exitCode()).isEqualTo(2);
        assertThat(unreachable.err()).contains("cannot reach");
    }

    /**
     * Every client command that finds no server says so on one line: the URL tried, in words (no
     * Java class name), and how to point elsewhere; exit 2 (docs/clients.md, "The stepstream command line").
     */
    @Test
    void everyClientCommandThatCannotReachTheServerSaysSoOnOneLineWithExit2(@TempDir Path files) throws Exception {
        Path file = Files.writeString(files.resolve("w.yaml"), "id: w\nsteps:\n  - {id: a, type: log, message: hi}\n");
        String runId = java.util.UUID.randomUUID().toString();
        String nobody = "http://127.0.0.1:1";
        for (List<String> command : List.of(List.of("run", "w"), List.of("run", "w", "--follow"), List.of("follow", runId),
                List.of("runs"), List.of("status"), List.of("cancel", runId), List.of("delete", runId), List.of("retry", runId),
                List.of("retry", runId, "--follow"), List.of("approve", runId, "gate"),
                List.of("reject", runId, "gate", "--comment", "no"), List.of("workflows", "apply", file.toString()),
                List.of("secrets", "set", "CLI_NOBODY"), List.of("secrets", "list"), List.of("secrets", "delete", "CLI_NOBODY"),
                List.of("secrets", "rotate-key"), List.of("logs", runId), List.of("workflows", "list"),
                List.of("workflows", "get", "w"), List.of("workflows", "delete", "w"))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.addAll(List.of("--server", nobody));
            Result result = cliReading("never-sent-value\n", args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s: %s", command, result.err()).isEqualTo(2);
            boolean grouped = command.get(0).equals("workflows") || command.get(0).equals("secrets");
            assertThat(result.err().lines()).as("%s", command).singleElement().asString()
                    .startsWith("stepstream " + (grouped ? command.get(0) + " " + command.get(1) : command.get(0))
                            + ": cannot reach the server at " + nobody + " (from --server)")
                    .doesNotContain("never-sent-value")
                    .contains("connection refused", "--server URL or STEPSTREAM_SERVER")
                    .doesNotContain("Exception");
            assertThat(result.out()).as("%s", command).isEmpty();
        }
        Result unknownHost = cli("runs", "--server", "http://no-such-host.invalid:8080");
        assertThat(unknownHost.exitCode()).isEqualTo(2);
        assertThat(unknownHost.err().lines()).singleElement().asString().contains("no-such-host.invalid", "unknown host");
        String tlsToPlain = server.url().replace("http://", "https://");
        for (String command : List.of("runs", "follow")) {
            Result tls = command.equals("runs") ? cli("runs", "--server", tlsToPlain)
                    : cli("follow", runId, "--server", tlsToPlain);
            assertThat(tls.exitCode()).as(command).isEqualTo(2);
            assertThat(tls.err().lines()).as(command).singleElement().asString().contains("cannot reach", "TLS failed");
        }
        Result notAUrl = cli("runs", "--server", "localhost:8080");
        assertThat(notAUrl.exitCode()).isEqualTo(2);
        assertThat(notAUrl.err().lines()).singleElement().asString().contains("--server: expected an http:// or https:// URL");
    }

    /**
     * An id goes into a path as one segment (RFC 3986: a space as %20, never a form's +; a / as
     * %2F), so the server reads it, and quotes it, as it was typed; one that is no segment at all
     * (empty, . or ..) is a usage error rather than a request for another path.
     */
    @Test
    void anIdIsSentAsOnePathSegmentAndQuotedAsTyped() {
        Result spaced = cli("run", "BAD ID", "--server", server.url());
        assertThat(spaced.exitCode()).isEqualTo(1);
        assertThat(spaced.err().lines()).singleElement().asString().isEqualTo("stepstream run: no workflow \"BAD ID\" exists");
        for (List<String> command : List.of(List.of("workflows", "get", "a/b c"), List.of("workflows", "delete", "a/b c"),
                List.of("run", "a/b c", "--follow"), List.of("run", "a/b c"))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.addAll(List.of("--server", server.url()));
            Result result = cli(args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s: %s", command, result.err()).isEqualTo(1);
            assertThat(result.err().lines()).as("%s", command).singleElement().asString().endsWith(": no workflow \"a/b c\" exists");
        }
        String waiting = deployWaitingAtTheGate();
        Result step = cli("approve", waiting, "my gate", "--server", server.url());
        assertThat(step.exitCode()).isEqualTo(1);
        assertThat(step.err()).isEqualTo("stepstream approve: run " + waiting + " has no step \"my gate\"" + System.lineSeparator());
        assertThat(cli("cancel", waiting, "--server", server.url()).exitCode()).isZero();

        for (List<String> command : List.of(List.of("run", ""), List.of("run", "."), List.of("workflows", "get", ".."),
                List.of("workflows", "delete", "."), List.of("approve", waiting, ".."))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.addAll(List.of("--server", server.url()));
            Result result = cli(args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s: %s", command, result.err()).isEqualTo(2);
            assertThat(result.err().lines()).as("%s", command).singleElement().asString()
                    .contains(": expected an id, got \"" + command.getLast() + "\"");
        }
    }

    /** A request the server refuses (404, 409, 422) is exit 1, with one line saying why, never twice. */
    @Test
    void aRefusedRequestIsExit1WithOneLineSayingWhy() {
        server.apply("id: cli-refused\ninputs:\n  n: {type: number, default: 1}\nsteps:\n  - {id: a, type: log, message: hi}\n");
        String unknownRun = java.util.UUID.randomUUID().toString();

        Result noWorkflow = cli("run", "cli-nope", "--follow", "--server", server.url());
        assertThat(noWorkflow.exitCode()).isEqualTo(1);
        assertThat(noWorkflow.err().lines()).singleElement().asString().isEqualTo("stepstream run: no workflow \"cli-nope\" exists");

        Result badInput = cli("run", "cli-refused", "--input", "m=1", "--server", server.url());
        assertThat(badInput.exitCode()).isEqualTo(1);
        assertThat(badInput.err().lines()).singleElement().asString().startsWith("stepstream run: inputs.m: unknown input");

        Result noRun = cli("cancel", unknownRun, "--server", server.url());
        assertThat(noRun.exitCode()).isEqualTo(1);
        assertThat(noRun.err().lines()).singleElement().asString().contains(unknownRun);

        String ended = server.execute("cli-refused", null);
        server.awaitEnd(ended);
        Result finished = cli("cancel", ended, "--server", server.url());
        assertThat(finished.exitCode()).isEqualTo(1);
        assertThat(finished.err().lines()).singleElement().asString().contains("already ended");
    }

    /** Every command about a run or a workflow that is none: exit 1, one line that names it (API.md, "Command line additions"). */
    @Test
    void everyCommandAboutARunOrWorkflowThatIsNoneIsExit1WithOneLine() {
        String unknownRun = java.util.UUID.randomUUID().toString();
        for (List<String> command : List.of(List.of("cancel", unknownRun), List.of("retry", unknownRun),
                List.of("retry", unknownRun, "--follow"), List.of("approve", unknownRun, "gate"), List.of("reject", unknownRun, "gate"),
                List.of("logs", unknownRun), List.of("follow", unknownRun), List.of("delete", unknownRun),
                List.of("workflows", "get", "cli-none"), List.of("workflows", "delete", "cli-none"))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.addAll(List.of("--server", server.url()));
            Result result = cli(args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s: %s", command, result.err()).isEqualTo(1);
            assertThat(result.err().lines()).as("%s", command).singleElement().asString()
                    .contains(command.get(0).equals("workflows") ? "cli-none" : unknownRun).doesNotContain("Exception");
        }
    }

    @Test
    void runsWatchListsThenPrintsALineForEachChangeToTheWorkflowsRunsUntilInterrupted() throws Exception {
        server.apply("id: cli-watched\nsteps:\n  - {id: hello, type: log, message: hi}\n");
        server.apply("id: cli-unwatched\nsteps:\n  - {id: hello, type: log, message: hi}\n");
        String listed = server.execute("cli-watched", null);
        server.awaitEnd(listed);
        StringWriter out = new StringWriter(); // a StringBuffer inside: safe to read while the command writes
        CompletableFuture<Result> watching = new CompletableFuture<>();
        Thread watcher = Thread.ofPlatform().start(() -> watching.complete(
                cli(out, "runs", "--watch", "--workflow", "cli-watched", "--server", server.url())));
        Await.until("the list", Duration.ofSeconds(30), () -> out.toString().contains(listed) ? true : null);

        String other = server.execute("cli-unwatched", null);
        server.awaitEnd(other);
        String runId = server.execute("cli-watched", null);
        server.awaitEnd(runId);
        Await.until("the run's end", Duration.ofSeconds(30),
                () -> out.toString().lines().anyMatch(line -> line.contains(runId) && line.contains("success in")) ? true : null);
        watcher.interrupt();
        Result result = watching.get(30, TimeUnit.SECONDS);

        assertThat(result.exitCode()).as(result.err()).isEqualTo(130);
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.getFirst()).startsWith("RUN ID");
        assertThat(lines).filteredOn(line -> line.contains(runId)).extracting(line -> line.substring(line.indexOf(runId)))
                .satisfiesExactly(
                        queued -> assertThat(queued).isEqualTo(runId + "  cli-watched  queued (manual)"),
                        running -> assertThat(running).isEqualTo(runId + "  cli-watched  running"),
                        step -> assertThat(step).isEqualTo(runId + "  cli-watched  step hello: success"),
                        ended -> assertThat(ended).startsWith(runId + "  cli-watched  success in "));
        assertThat(out.toString()).as("another workflow's run").doesNotContain(other);
    }

    @Test
    void runsWatchRefusesTheFiltersItCannotApplyToChanges() {
        Result refused = cli("runs", "--watch", "--status", "running", "--server", server.url());
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("--watch").contains("--status");
    }

    @Test
    void cancelStopsARunningRun() {
        server.apply("id: cli-long\nsteps:\n  - {id: wait, type: sleep, duration: 30s}\n");
        String runId = server.execute("cli-long", null);
        Result cancelled = cli("cancel", runId, "--server", server.url());
        assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
        assertThat(cancelled.out()).contains(runId);
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void deleteRemovesAFinishedRunAndAFollowOfItEndsSayingItWasDeleted() throws Exception {
        server.apply(dev.stepstream.testing.Yaml.fixture("st-flood.yaml"));
        String runId = server.execute("st-flood", "{\"lines\": 100000}");
        server.awaitEnd(runId, Duration.ofSeconds(120));
        HeldWriter held = new HeldWriter();
        CompletableFuture<Result> follow = CompletableFuture.supplyAsync(
                () -> cli(held, "follow", runId, "--json", "--server", server.url()));
        held.awaitHeld(); // the follower shows nothing more, so it reads nothing more: the server's replay waits

        Result deleted = cli("delete", runId, "--server", server.url());
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualTo("deleted run " + runId + System.lineSeparator());
        held.release();

        Result followed = follow.get(60, TimeUnit.SECONDS);
        assertThat(followed.exitCode()).as(followed.err()).isEqualTo(1);
        assertThat(followed.err().lines()).singleElement().asString()
                .isEqualTo("stepstream follow: run " + runId + " was deleted (after seq " + followed.out().lines().count() + ")");
        assertThat(followed.out()).doesNotContain("run_complete");

        Result again = cli("delete", runId, "--server", server.url());
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err().lines()).singleElement().asString().isEqualTo("stepstream delete: no run " + runId + " exists");
    }

    @Test
    void deleteRefusesARunThatHasNotFinishedAndAnIdThatIsNone() {
        server.apply("id: cli-gated\nsteps:\n  - {id: gate, type: approval, message: \"ok?\"}\n");
        String waiting = server.execute("cli-gated", null);
        Await.until("run " + waiting + " waits", Duration.ofSeconds(30),
                () -> server.run(waiting).path("status").asText().equals("waiting") ? true : null);

        Result refused = cli("delete", waiting, "--server", server.url());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err().lines()).singleElement().asString().startsWith("stepstream delete: run " + waiting + " is waiting");

        Result malformed = cli("delete", "nope", "--server", server.url());
        assertThat(malformed.exitCode()).isEqualTo(2);
        assertThat(malformed.err()).contains("RUN_ID: expected a run id (a UUID)");
        assertThat(cli("cancel", waiting, "--server", server.url()).exitCode()).isZero();
    }

    /** Stdout that holds its first write until released: a person who stopped reading a pipe. */
    private static final class HeldWriter extends StringWriter {
        private final java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

        @Override
        public void write(String text, int offset, int length) {
            writing.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.write(text, offset, length);
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            write(new String(chars, offset, length), 0, length);
        }

        void awaitHeld() throws InterruptedException {
            assertThat(writing.await(30, TimeUnit.SECONDS)).as("the follower shows its first event").isTrue();
        }

        void release() {
            released.countDown();
        }
    }

    private static final String DEPLOY = """
            id: cli-deploy
            steps:
              - {id: build, type: set, vars: {artifact: "app-1.2"}}
              - {id: gate, type: approval, message: "Ship ${vars.artifact}?"}
              - {id: ship, type: log, message: shipped}
            """;

    /** Starts a run of {@link #DEPLOY} and returns its id once it waits for a decision on its gate. */
    private static String deployWaitingAtTheGate() {
        server.apply(DEPLOY);
        String runId = server.execute("cli-deploy", null);
        Await.until("run " + runId + " waits", Duration.ofSeconds(20),
                () -> server.run(runId).path("status").asText().equals("waiting") ? runId : null);
        return runId;
    }

    @Test
    void approveTakesTheDecisionWithItsCommentAndTheRunGoesOn() {
        String runId = deployWaitingAtTheGate();

        Result approved = cli("approve", runId, "gate", "--comment", "go", "--server", server.url());

        assertThat(approved.exitCode()).as(approved.err()).isZero();
        assertThat(approved.out()).isEqualTo("run " + runId + ": step \"gate\" approved" + System.lineSeparator());
        assertThat(approved.err()).isEmpty();
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        JsonNode gate = TestServer.payloads(server.awaitHistory(runId), "step_complete", p -> p).stream()
                .filter(p -> p.path("stepId").asText().equals("gate")).findFirst().orElseThrow();
        assertThat(gate.path("decision")).isEqualTo(Json.object().put("approved", true).put("by", "anonymous").put("comment", "go"));
    }

    @Test
    void rejectFailsTheRunAndItsFollowerExits1() throws Exception {
        server.apply(DEPLOY);
        StringWriter out = new StringWriter();
        CompletableFuture<Result> following = CompletableFuture.supplyAsync(
                () -> cli(out, "run", "cli-deploy", "--follow", "--server", server.url()));
        String runId = Await.until("the follower shows that the gate waits", Duration.ofSeconds(20), () -> {
            if (following.isDone()) {
                throw new AssertionError("the follower ended early: " + following.join());
            }
            return out.toString().contains("waits for a decision") ? out.toString().lines().findFirst().orElseThrow().split(" ")[1] : null;
        });

        Result rejected = cli("reject", runId, "gate", "--comment", "not on a Friday", "--server", server.url());

        assertThat(rejected.exitCode()).as(rejected.err()).isZero();
        assertThat(rejected.out()).isEqualTo("run " + runId + ": step \"gate\" rejected" + System.lineSeparator());
        Result followed = following.get(30, TimeUnit.SECONDS);
        assertThat(followed.exitCode()).as(followed.err()).isEqualTo(1);
        assertThat(followed.out()).contains("✘ gate failed in ", ": rejected by anonymous: \"not on a Friday\"", "run failed in ");
        assertThat(server.run(runId).path("status").asText()).isEqualTo("failed");
    }

    /** A decision the server refuses is exit 1 with one line saying why; a bad argument is exit 2. */
    @Test
    void aDecisionOnAStepThatWaitsForNoneIsRefusedWithOneLine() {
        String runId = deployWaitingAtTheGate();
        assertThat(cli("approve", runId, "gate", "--server", server.url()).exitCode()).isZero();

        Result twice = cli("approve", runId, "gate", "--server", server.url());
        assertThat(twice.exitCode()).isEqualTo(1);
        assertThat(twice.err().lines()).singleElement().asString()
                .startsWith("stepstream approve: step \"gate\" of run " + runId + " waits for no decision");
        assertThat(twice.out()).isEmpty();

        Result noStep = cli("reject", runId, "gaet", "--server", server.url());
        assertThat(noStep.exitCode()).isEqualTo(1);
        assertThat(noStep.err().lines()).singleElement().asString()
                .isEqualTo("stepstream reject: run " + runId + " has no step \"gaet\"");

        String unknownRun = java.util.UUID.randomUUID().toString();
        Result noRun = cli("approve", unknownRun, "gate", "--server", server.url());
        assertThat(noRun.exitCode()).isEqualTo(1);
        assertThat(noRun.err().lines()).singleElement().asString().startsWith("stepstream approve: ").contains(unknownRun);

        Result badId = cli("approve", "not-a-run", "gate", "--server", server.url());
        assertThat(badId.exitCode()).isEqualTo(2);
        assertThat(badId.err().lines()).singleElement().asString().contains("RUN_ID", "not-a-run");
        Result noStepGiven = cli("reject", runId, "--server", server.url());
        assertThat(noStepGiven.exitCode()).isEqualTo(2);
        Result longComment = cli("reject", runId, "gate", "--comment", "x".repeat(5000), "--server", server.url());
        assertThat(longComment.exitCode()).as("a 400: the command was given something bad").isEqualTo(2);
        assertThat(longComment.err().lines()).singleElement().asString().startsWith("stepstream reject: comment: at most ");
    }

    private static final String FLAKY = """
            id: cli-flaky
            steps:
              - {id: prepare, type: set, vars: {version: "7"}}
              - {id: deploy, type: script, run: "[ -f '%s' ]"}
              - {id: after, type: log, message: "deployed ${vars.version}"}
            """;

    /** {@link #FLAKY} with its deploy step failing until {@code fixed} exists; returns the id of a run of it that failed. */
    private static String flakyRunThatFailed(Path fixed) {
        server.apply(FLAKY.formatted(fixed));
        String runId = server.execute("cli-flaky", null);
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("failed");
        return runId;
    }

    /** The ids of the steps whose step_complete in the run's log says {@code reused}. */
    private static List<String> reusedSteps(String runId) {
        return TestServer.payloads(server.awaitHistory(runId), "step_complete", p -> p).stream()
                .filter(p -> p.path("reused").asBoolean()).map(p -> p.path("stepId").asText()).toList();
    }

    @Test
    void retryPrintsTheNewRunsIdAndTheNewRunSaysWhichItRetries(@TempDir Path files) {
        String failed = flakyRunThatFailed(files.resolve("fixed"));

        Result retried = cli("retry", failed, "--server", server.url());

        assertThat(retried.exitCode()).as(retried.err()).isZero();
        assertThat(retried.err()).isEmpty();
        String retryId = retried.out().strip();
        assertThat(retried.out()).isEqualTo(retryId + System.lineSeparator());
        assertThat(java.util.UUID.fromString(retryId).toString()).isEqualTo(retryId).isNotEqualTo(failed);
        JsonNode retry = server.awaitEnd(retryId);
        assertThat(retry.path("retryOf")).isEqualTo(Json.object().put("runId", failed).put("from", "failed"));
        assertThat(retry.path("status").asText()).as("deploy fails again: nothing was fixed").isEqualTo("failed");
        assertThat(reusedSteps(retryId)).containsExactly("prepare");
        assertThat(server.run(failed).path("retries")).containsExactly(Json.MAPPER.getNodeFactory().textNode(retryId));
    }

    @Test
    void retryFollowShowsTheNewRunWhichReusesWhatSucceededAndExits0(@TempDir Path files) throws Exception {
        Path fixed = files.resolve("fixed");
        String failed = flakyRunThatFailed(fixed);
        Files.createFile(fixed);

        Result followed = cli("retry", failed, "--follow", "--server", server.url());

        assertThat(followed.exitCode()).as(followed.err()).isZero();
        assertThat(followed.out()).contains("deployed 7", "▶ deploy", "run success in ").doesNotContain("▶ prepare");
        String retryId = followed.out().lines().findFirst().orElseThrow().split(" ")[1];
        assertThat(reusedSteps(retryId)).containsExactly("prepare");

        Result fromStart = cli("retry", failed, "--from", "start", "--follow", "--server", server.url());
        assertThat(fromStart.exitCode()).as(fromStart.err()).isZero();
        assertThat(fromStart.out()).contains("▶ prepare", "deployed 7");
        String fromStartId = fromStart.out().lines().findFirst().orElseThrow().split(" ")[1];
        assertThat(server.run(fromStartId).path("retryOf").path("from").asText()).isEqualTo("start");
        assertThat(reusedSteps(fromStartId)).isEmpty();
    }

    @Test
    void retryFollowOfARetryThatFailsAgainExits1(@TempDir Path files) {
        String failed = flakyRunThatFailed(files.resolve("fixed"));

        Result followed = cli("retry", failed, "--follow", "--server", server.url());

        assertThat(followed.exitCode()).isEqualTo(1);
        assertThat(followed.out()).contains("✘ deploy failed in ", "run failed in ");
    }

    /** A retry the server refuses is exit 1 with one line saying why; a bad argument, a 400 included, is exit 2. */
    @Test
    void aRetryOfARunThatHasNotEndedIsRefusedAndABadFromIsAUsageError(@TempDir Path files) {
        String waiting = deployWaitingAtTheGate();
        Result going = cli("retry", waiting, "--server", server.url());
        assertThat(going.exitCode()).isEqualTo(1);
        assertThat(going.err().lines()).singleElement().asString()
                .startsWith("stepstream retry: run " + waiting + " is waiting").contains("only a run that has ended is retried");
        assertThat(going.out()).isEmpty();
        assertThat(cli("cancel", waiting, "--server", server.url()).exitCode()).isZero();

        String unknownRun = java.util.UUID.randomUUID().toString();
        Result noRun = cli("retry", unknownRun, "--follow", "--server", server.url());
        assertThat(noRun.exitCode()).isEqualTo(1);
        assertThat(noRun.err().lines()).singleElement().asString().startsWith("stepstream retry: ").contains(unknownRun);
        assertThat(noRun.out()).isEmpty();

        String failed = flakyRunThatFailed(files.resolve("fixed"));
        Result badFrom = cli("retry", failed, "--from", "nope", "--server", server.url());
        assertThat(badFrom.exitCode()).isEqualTo(2);
        assertThat(badFrom.err().lines()).singleElement().asString()
                .startsWith("stepstream retry: from: expected failed, start or a step id of run " + failed).contains("\"nope\"");
        assertThat(badFrom.out()).isEmpty();
        assertThat(server.run(failed).path("retries")).as("nothing was started").isEmpty();

        Result badId = cli("retry", "not-a-run", "--server", server.url());
        assertThat(badId.exitCode()).isEqualTo(2);
        assertThat(badId.err().lines()).singleElement().asString().contains("RUN_ID", "not-a-run");
    }

    /** Every secret's name in {@code GET /api/v2/secrets}. */
    private static List<String> secretNames(TestServer on) {
        TestServer.Response listed = on.get("/api/v2/secrets");
        assertThat(listed.status()).as(listed.text()).isEqualTo(200);
        List<String> names = new java.util.ArrayList<>();
        listed.body().path("secrets").forEach(secret -> names.add(secret.path("name").asText()));
        return names;
    }

    @Test
    void secretsSetReadsTheValueFromStdinAndListShowsTheNameButNeverTheValue() throws Exception {
        List<Result> results = new java.util.ArrayList<>();

        Result set = cliReading("first-cli-value\n", "secrets", "set", "CLI_TOKEN", "--server", server.url());
        results.add(set);
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("secret CLI_TOKEN set" + System.lineSeparator());
        assertThat(set.err()).isEmpty();

        Result replaced = cliReading("second-cli-value", "secrets", "set", "CLI_TOKEN", "--server", server.url());
        results.add(replaced);
        assertThat(replaced.exitCode()).as(replaced.err()).isZero();
        assertThat(replaced.out()).isEqualTo("secret CLI_TOKEN replaced" + System.lineSeparator());
        results.add(cliReading("a-much-longer-value-than-the-other\n", "secrets", "set", "CLI_TOKEN_WITH_A_LONGER_NAME",
                "--server", server.url()));
        assertThat(results.getLast().exitCode()).as(results.getLast().err()).isZero();

        Result listed = cli("secrets", "list", "--server", server.url());
        results.add(listed);
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        List<String> lines = listed.out().lines().toList();
        assertThat(lines.getFirst()).matches("NAME +UPDATED");
        String token = lines.stream().filter(line -> line.startsWith("CLI_TOKEN ")).findFirst().orElseThrow();
        String longer = lines.stream().filter(line -> line.startsWith("CLI_TOKEN_WITH_A_LONGER_NAME ")).findFirst().orElseThrow();
        assertThat(token).matches("CLI_TOKEN +\\d{4}-\\d\\d-\\d\\dT\\S+Z");
        assertThat(lines).as("one column of times").extracting(line -> line.indexOf(line.strip().split(" +")[1]))
                .containsOnly(lines.getFirst().indexOf("UPDATED"));
        assertThat(longer).contains("T");

        Result json = cli("secrets", "list", "--json", "--server", server.url());
        results.add(json);
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode secrets = Json.MAPPER.readTree(json.out()).path("secrets");
        JsonNode listedToken = java.util.stream.StreamSupport.stream(secrets.spliterator(), false)
                .filter(secret -> secret.path("name").asText().equals("CLI_TOKEN")).findFirst().orElseThrow();
        assertThat(listedToken.properties()).extracting(java.util.Map.Entry::getKey).containsExactly("name", "updatedAt");

        for (Result result : results) {
            assertThat(result.out() + result.err()).doesNotContain("first-cli-value", "second-cli-value", "a-much-longer-value");
        }
    }

    /** What a step reads is exactly what was piped in, less one newline: {@code echo} and {@code echo -n} agree. */
    @Test
    void secretsSetKeepsTheValueExactlyLessOneTrailingNewline() {
        for (var given : java.util.Map.of("CLI_ECHOED", "echoed-value\n", "CLI_PRINTED", "echoed-value",
                "CLI_CRLF", "crlf-value\r\n", "CLI_MULTI", "line one\nline two\n\n").entrySet()) {
            Result set = cliReading(given.getValue(), "secrets", "set", given.getKey(), "--server", server.url());
            assertThat(set.exitCode()).as("%s: %s", given.getKey(), set.err()).isZero();
        }
        server.apply("""
                id: cli-secret-values
                steps:
                  - {id: expect, type: set, vars: {multi: "line one\\nline two\\n"}}
                  - id: compare
                    type: log
                    message: >-
                      exact: ${secrets.CLI_ECHOED == 'echoed-value'} ${secrets.CLI_PRINTED == 'echoed-value'}
                      ${secrets.CLI_CRLF == 'crlf-value'} ${secrets.CLI_MULTI == vars.multi}
                """);
        String runId = server.execute("cli-secret-values", null);
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        assertThat(TestServer.payloads(server.awaitHistory(runId), "step_log", p -> p.path("message").asText()))
                .contains("exact: true true true true");
    }

    /** A bad name or value is exit 2 with one line naming it, and the value is never repeated. */
    @Test
    void aSecretWithABadNameOrAShortOrEmptyValueIsAUsageErrorNamingIt() {
        Result shortValue = cliReading("x9q\n", "secrets", "set", "CLI_SHORT", "--server", server.url());
        assertThat(shortValue.exitCode()).isEqualTo(2);
        assertThat(shortValue.err().lines()).singleElement().asString()
                .startsWith("stepstream secrets set: value: at least 4 characters").doesNotContain("x9q");
        assertThat(shortValue.out()).isEmpty();

        java.io.ByteArrayInputStream unread = new java.io.ByteArrayInputStream("lower-case-value".getBytes());
        Result lowerCase = cliReading(unread, "secrets", "set", "cli_lower", "--server", server.url());
        assertThat(lowerCase.exitCode()).isEqualTo(2);
        assertThat(lowerCase.err().lines()).singleElement().asString()
                .startsWith("stepstream secrets set: name: expected upper-case letters").contains("\"cli_lower\"");
        assertThat(unread.available()).as("a bad name is refused before the value is read").isEqualTo(16);

        for (String nothing : List.of("", "\n")) {
            Result empty = cliReading(nothing, "secrets", "set", "CLI_EMPTY", "--server", server.url());
            assertThat(empty.exitCode()).isEqualTo(2);
            assertThat(empty.err().lines()).singleElement().asString().startsWith("stepstream secrets set: value: empty");
        }

        Result badDelete = cli("secrets", "delete", "cli_lower", "--server", server.url());
        assertThat(badDelete.exitCode()).isEqualTo(2);
        assertThat(badDelete.err().lines()).singleElement().asString().startsWith("stepstream secrets delete: name: ");

        assertThat(secretNames(server)).doesNotContain("CLI_SHORT", "cli_lower", "CLI_EMPTY");
    }

    /** There is no way to give a value on the command line, where ps and the shell's history would show it. */
    @Test
    void secretsSetTakesNoValueFromTheCommandLineAndNeverRepeatsOneGivenThere() {
        var set = new picocli.CommandLine(SecretsCommand.Set.class).getCommandSpec();
        assertThat(set.positionalParameters()).extracting(p -> p.paramLabel()).containsExactly("NAME");
        assertThat(set.options().stream().filter(option -> option.arity().max() > 0).flatMap(option -> Stream.of(option.names())))
                .containsExactlyInAnyOrder("--server", "--token");

        for (List<String> extra : List.of(List.of("argv-value-1234"), List.of("--value", "argv-value-1234"),
                List.of("--value=argv-value-1234"), List.of("-v", "argv-value-1234"))) {
            List<String> args = new java.util.ArrayList<>(List.of("secrets", "set", "CLI_ARGV"));
            args.addAll(extra);
            args.addAll(List.of("--server", server.url()));
            Result result = cliReading("stdin-value-5678\n", args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s", extra).isEqualTo(2);
            assertThat(result.err().lines()).as("%s", extra).singleElement().asString()
                    .startsWith("stepstream secrets set: NAME is the only argument: the value is read from stdin")
                    .doesNotContain("argv-value-1234");
            assertThat(result.out()).isEmpty();
        }
        assertThat(secretNames(server)).doesNotContain("CLI_ARGV");

        Result help = cli("secrets", "set", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out().replaceAll("\\s+", " ")).contains("read from stdin (never from the command line)",
                "less one trailing newline, so that both `echo` and `echo -n` give the same value", "printf %s");
    }

    @Test
    void secretsDeleteRemovesASecretAndASecondDeleteIsRefused() {
        assertThat(cliReading("to-be-deleted\n", "secrets", "set", "CLI_GONE", "--server", server.url()).exitCode()).isZero();

        Result deleted = cli("secrets", "delete", "CLI_GONE", "--server", server.url());
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualTo("secret CLI_GONE deleted" + System.lineSeparator());
        assertThat(secretNames(server)).doesNotContain("CLI_GONE");
        assertThat(cli("secrets", "list", "--server", server.url()).out()).doesNotContain("CLI_GONE");

        Result again = cli("secrets", "delete", "CLI_GONE", "--server", server.url());
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err().lines()).singleElement().asString().isEqualTo("stepstream secrets delete: no secret \"CLI_GONE\" exists");
        assertThat(again.out()).isEmpty();
    }

    /** On a server of its own, so that the count is this test's alone. */
    @Test
    void rotateKeySaysHowManySecretsItSealedAgainAndUnderWhichKey(@TempDir Path data) {
        try (TestServer own = TestServer.start(data)) {
            assertThat(cliReading("only-one-value", "secrets", "set", "CLI_ONE", "--server", own.url()).exitCode()).isZero();

            Result one = cli("secrets", "rotate-key", "--server", own.url());
            assertThat(one.exitCode()).as(one.err()).isZero();
            assertThat(one.out()).matches("sealed 1 secret again under key [0-9a-f]{16}\\R");

            assertThat(cliReading("another-value", "secrets", "set", "CLI_TWO", "--server", own.url()).exitCode()).isZero();
            Result two = cli("secrets", "rotate-key", "--server", own.url());
            assertThat(two.exitCode()).as(two.err()).isZero();
            assertThat(two.out()).matches("sealed 2 secrets again under key [0-9a-f]{16}\\R");
            assertThat(two.out().strip().split(" ")[6]).isNotEqualTo(one.out().strip().split(" ")[6]);
            assertThat(one.out() + one.err() + two.out() + two.err()).doesNotContain("only-one-value", "another-value");
        }
    }

    /** picocli's own message for a map option reads "option option '--input'"; ours names the flag once. */
    @Test
    void anInputWithoutAnEqualsSignIsAUsageErrorInPlainWords() {
        Result result = cli("run", "anything", "--input", "who", "--server", server.url());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err().lines()).singleElement().asString()
                .isEqualTo("stepstream run: --input: expected NAME=VALUE, got \"who\" (see stepstream run --help)");
    }

    /**
     * Ctrl-C while following: the CLI says that the run continues and how to cancel it, and exits
     * 130. In a child JVM, since the exit code is the JVM's own for SIGINT.
     */
    @Test
    void ctrlCWhileFollowingSaysTheRunContinuesAndExits130() throws Exception {
        server.apply("id: cli-ctrl-c\nsteps:\n  - {id: wait, type: sleep, duration: 30s}\n");
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(javaCommand, "-cp", System.getProperty("java.class.path"), "dev.stepstream.Main",
                "run", "cli-ctrl-c", "--follow", "--server", server.url()).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            String started = out.readLine(); // "run <id> of cli-ctrl-c (version 1) started"
            assertThat(started).as("the CLI's first line").matches("run [0-9a-f-]{36} of cli-ctrl-c .*started");
            String runId = started.split(" ")[1];
            assertThat(out.readLine()).as("the step's start: the stream is live").contains("wait");

            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();

            assertThat(process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS))
                    .as("the CLI ended after SIGINT (a JVM started with SIGINT ignored would not)").isTrue();
            assertThat(process.exitValue()).isEqualTo(130);
            String err = new String(process.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(err.lines()).singleElement().asString().isEqualTo("stepstream run: interrupted; run " + runId
                    + " continues on the server; to cancel it: stepstream cancel " + runId + " --server " + server.url());
            assertThat(server.run(runId).path("status").asText()).isEqualTo("running");
            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
        } finally {
            process.destroyForcibly();
        }
    }
    /**
     * The usage help wraps descriptions between words only: every URL in an option's
     * description appears whole on one line of the command's help (picocli's own wrapping cut
     * {@code http://127.} / {@code 0.0.1:8080}).
     */
    @Test
    void theUsageHelpOfEveryCommandBreaksNoUrl() {
        java.util.regex.Pattern url = java.util.regex.Pattern.compile("[a-z][a-z0-9+.-]*://[^\\s)\",]+");
        java.util.ArrayDeque<java.util.Map.Entry<List<String>, picocli.CommandLine>> commands = new java.util.ArrayDeque<>();
        new picocli.CommandLine(new Cli()).getSubcommands().forEach((name, line) -> commands.add(java.util.Map.entry(List.of(name), line)));
        int urls = 0;
        while (!commands.isEmpty()) {
            var command = commands.poll();
            command.getValue().getSubcommands().forEach((name, line) -> {
                List<String> path = new java.util.ArrayList<>(command.getKey());
                path.add(name);
                commands.add(java.util.Map.entry(path, line));
            });
            List<String> args = new java.util.ArrayList<>(command.getKey());
            args.add("--help");
            Result help = cli(args.toArray(String[]::new));
            assertThat(help.exitCode()).as("%s", args).isZero();
            for (picocli.CommandLine.Model.OptionSpec option : command.getValue().getCommandSpec().options()) {
                for (String description : option.description()) {
                    java.util.regex.Matcher found = url.matcher(description);
                    while (found.find()) {
                        String whole = found.group().replaceAll("[.]$", "");
                        urls++;
                        assertThat(help.out().lines().anyMatch(line -> line.contains(whole)))
                                .as("%s: %s is cut in the help:%n%s", args, whole, help.out()).isTrue();
                    }
                }
            }
        }
        assertThat(urls).as("URLs checked").isGreaterThan(5);
    }

    /**
     * What a hostile workflow author or server puts in a text: a change of the terminal's title
     * (OSC … BEL), a clear of the screen (CSI 2J), an 8-bit CSI (0x9B) cut short, and a bare CR.
     */
    private static final String HOSTILE = "deploy\u001b]0;pwned\u0007 now\u001b[2J c1\u009b\rover";
    /** {@link #HOSTILE} as YAML writes it, in a double-quoted scalar. */
    private static final String HOSTILE_YAML = "\"deploy\\e]0;pwned\\a now\\e[2J c1\\x9b\\rover\"";
    /**
     * {@link #HOSTILE} as the CLI shows it, without colour ({@link SafeText}): the two well-formed
     * sequences taken out, the CSI cut short and the CR shown.
     */
    private static final String HOSTILE_SHOWN = "deploy now c1␛[␍over";

    /** The command with stdout and stderr captured as the bytes it writes, in UTF-8 as a terminal reads them. */
    static Result cliBytes(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = Cli.run(args, new PrintWriter(new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.UTF_8), true),
                new PrintWriter(new java.io.OutputStreamWriter(err, java.nio.charset.StandardCharsets.UTF_8), true));
        return new Result(code, out.toString(java.nio.charset.StandardCharsets.UTF_8), err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Asserts that {@code written} holds nothing a terminal would obey: no C0 control but a tab
     * and a line break, no DEL, no C1 (in UTF-8, 0x9B is the bytes C2 9B, which a terminal reads as CSI).
     */
    static void assertNothingATerminalObeys(String what, String written) {
        String withoutLineBreaks = written.replace(System.lineSeparator(), "\n");
        assertThat(withoutLineBreaks.chars().filter(c -> c != '\t' && c != '\n' && (c < 0x20 || (c >= 0x7f && c <= 0x9f))))
                .as("%s wrote a raw control: %s", what, written).isEmpty();
    }

    /** A workflow with {@link #HOSTILE} wherever it takes free text; its runs log it and fail with it. */
    private static final String HOSTILE_WORKFLOW = """
            id: cli-hostile
            name: %1$s
            description: %1$s
            inputs:
              who: {type: string, default: %1$s}
            steps:
              - {id: say, type: log, message: %1$s}
              - {id: boom, type: fail, message: %1$s}
            """.formatted(HOSTILE_YAML);

    /** A workflow, a run and a file whose texts are hostile: every command's human output shows them, none obeys them. */
    @Test
    void hostileTextFromAWorkflowOrARunIsShownNeverObeyed(@TempDir Path files) throws Exception {
        Path workflow = Files.writeString(files.resolve("cli-hostile.yaml"), HOSTILE_WORKFLOW);
        Result applied = cliBytes("workflows", "apply", workflow.toString(), "--server", server.url());
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(server.get("/api/v2/workflows/cli-hostile").body().path("name").asText()).isEqualTo(HOSTILE);
        String runId = server.execute("cli-hostile", null);
        assertThat(server.awaitEnd(runId).path("error").asText()).contains(HOSTILE);

        Path invalid = Files.writeString(files.resolve("cli-hostile-bad.yaml"), """
                id: cli-hostile-bad
                steps:
                  - {id: a, type: %1$s}
                  - {id: b, type: log, message: hi, %1$s: 1}
                """.formatted(HOSTILE_YAML));
        Result rejected = cliBytes("workflows", "apply", invalid.toString(), "--server", server.url());
        assertThat(rejected.exitCode()).isEqualTo(1);
        // The validator quotes as JSON does, C0 controls escaped; the C1 it leaves (with what it
        // takes as its CSI's end) is taken out.
        assertThat(rejected.err()).contains("2 problems:", "unknown step type \"deploy\\u001B]0;pwned\\u0007 now");

        Result runs = cliBytes("runs", "--workflow", "cli-hostile", "--server", server.url());
        assertThat(runs.exitCode()).as(runs.err()).isZero();
        assertThat(runs.out()).contains(runId, "failed");

        Result followed = cliBytes("follow", runId, "--server", server.url());
        assertThat(followed.exitCode()).isEqualTo(1);
        assertThat(followed.out()).contains(HOSTILE_SHOWN);

        for (Result result : List.of(applied, rejected, runs, followed)) {
            assertNothingATerminalObeys("out", result.out());
            assertNothingATerminalObeys("err", result.err());
        }
    }

    /**
     * {@code --json} of a hostile run is the same JSON, every string exact, with its DEL and C1
     * controls escaped as JSON escapes C0 ones: nothing in it a terminal would obey.
     */
    @Test
    void jsonOfAHostileRunHoldsTheExactTextAndNothingATerminalObeys() throws Exception {
        server.apply(HOSTILE_WORKFLOW);
        String runId = server.execute("cli-hostile", null);
        server.awaitEnd(runId);
        List<JsonNode> history = server.awaitHistory(runId);

        Result runs = cliBytes("runs", "--workflow", "cli-hostile", "--json", "--server", server.url());
        assertThat(runs.exitCode()).as(runs.err()).isZero();
        JsonNode listed = java.util.stream.StreamSupport.stream(Json.MAPPER.readTree(runs.out()).path("runs").spliterator(), false)
                .filter(run -> run.path("runId").asText().equals(runId)).findFirst().orElseThrow();
        assertThat(listed.path("error").asText()).contains(HOSTILE);
        assertThat(runs.out()).contains("\\u009B");

        Result followed = cliBytes("follow", runId, "--json", "--server", server.url());
        assertThat(followed.exitCode()).isEqualTo(1);
        List<JsonNode> envelopes = new java.util.ArrayList<>();
        for (String line : followed.out().lines().toList()) {
            envelopes.add(Json.MAPPER.readTree(line));
        }
        assertThat(envelopes).as("the same envelopes as the history").isEqualTo(history);
        assertThat(TestServer.payloads(envelopes, "step_log", p -> p.path("message").asText())).containsExactly(HOSTILE);

        for (Result result : List.of(runs, followed)) {
            assertNothingATerminalObeys("out", result.out());
            assertNothingATerminalObeys("err", result.err());
        }
    }

    /**
     * A hostile server, whose every text is {@link #HOSTILE}: each command shows it in its visible
     * form, and obeys none of it; nothing of it is the CLI's own, so nothing of it is coloured.
     */
    @Test
    void textFromAHostileServerIsShownNeverObeyedByEveryCommand(@TempDir Path files) throws Exception {
        Path file = Files.writeString(files.resolve("w.yaml"), "id: w\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Path other = Files.writeString(files.resolve("bad.yaml"), "id: bad\nsteps: []\n");
        String runId = java.util.UUID.randomUUID().toString();
        try (HostileServer hostile = new HostileServer()) {
            List<List<String>> commands = List.of(List.of("runs"), List.of("status", "--interval", "10ms"),
                    List.of("workflows", "apply", file.toString(), other.toString()), List.of("secrets", "list"),
                    List.of("secrets", "rotate-key"), List.of("retry", runId), List.of("cancel", runId), List.of("delete", runId),
                    List.of("approve", runId, "gate"), List.of("run", "w"), List.of("logs", runId),
                    List.of("logs", runId, "--grep", "pwned"), List.of("workflows", "list"), List.of("workflows", "get", "hostile"),
                    List.of("workflows", "get", "nope"), List.of("workflows", "delete", "w"));
            for (List<String> command : commands) {
                List<String> args = new java.util.ArrayList<>(command);
                args.addAll(List.of("--server", hostile.url()));
                Result result = cliBytes(args.toArray(String[]::new));
                assertThat(result.out() + result.err()).as("%s", command).contains(HOSTILE_SHOWN);
                assertNothingATerminalObeys(command + " out", result.out());
                assertNothingATerminalObeys(command + " err", result.err());
            }
            Result followed = cliBytes("retry", runId, "--follow", "--server", hostile.url());
            assertThat(followed.exitCode()).as("a run id that is none is followed nowhere").isEqualTo(1);
            assertThat(followed.err()).contains("the server answered no run id");
            for (var json : java.util.Map.of(List.of("runs", "--json"), HostileServer.RUNS,
                    List.of("secrets", "list", "--json"), HostileServer.SECRETS, List.of("workflows", "list", "--json"), HostileServer.WORKFLOWS,
                    List.of("workflows", "get", "hostile", "--json"), HostileServer.DEFINITION).entrySet()) {
                List<String> args = new java.util.ArrayList<>(json.getKey());
                args.addAll(List.of("--server", hostile.url()));
                Result result = cliBytes(args.toArray(String[]::new));
                assertThat(result.exitCode()).as("%s: %s", json.getKey(), result.err()).isZero();
                assertThat(Json.MAPPER.readTree(result.out())).as("%s", json.getKey()).isEqualTo(json.getValue());
                assertNothingATerminalObeys(json.getKey() + " out", result.out());
            }
        }
    }

    /**
     * A server that answers every request of the client commands with {@link #HOSTILE} wherever
     * the answer has text: a 2xx where a command prints what it got, an error where it prints why.
     */
    static final class HostileServer implements AutoCloseable {
        static final JsonNode RUNS = Json.object().set("runs", Json.MAPPER.createArrayNode().add(Json.object()
                .put("runId", HOSTILE).put("workflowId", HOSTILE).put("status", HOSTILE).put("createdAt", HOSTILE).put("duration", 5)));
        static final JsonNode SECRETS = Json.object().set("secrets", Json.MAPPER.createArrayNode()
                .add(Json.object().put("name", HOSTILE).put("updatedAt", HOSTILE)));
        static final JsonNode WORKFLOWS = Json.object().set("workflows", Json.MAPPER.createArrayNode()
                .add(Json.object().put("id", HOSTILE).put("name", HOSTILE).put("version", HOSTILE).put("steps", HOSTILE)
                        .put("updatedAt", HOSTILE)));
        static final JsonNode DEFINITION = Json.object().put("id", HOSTILE).put("name", HOSTILE).put("version", 1)
                .put("updatedAt", HOSTILE).set("steps", Json.MAPPER.createArrayNode().add(Json.object().put("id", "a")
                        .put("type", "log").put("message", HOSTILE + "\u0085next\u007f")));
        /** A log whose every line and continuation is hostile, the second entry holding "pwned" only in its continuation. */
        static final String LOG = HOSTILE + "\n  " + HOSTILE + "\n2026-01-01T00:00:00.000Z a INFO x\n  pwned " + HOSTILE + "\n";

        private final com.sun.net.httpserver.HttpServer http;

        HostileServer() throws java.io.IOException {
            http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", exchange -> {
                String request = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
                JsonNode error = Json.object().set("error", Json.object().put("message", HOSTILE)
                        .set("details", Json.MAPPER.createArrayNode().add(Json.object().put("path", HOSTILE).put("message", HOSTILE))
                                .add(Json.object().put("path", "steps").put("message", HOSTILE))));
                int status = 200;
                String body;
                if (request.equals("GET /metrics")) {
                    body = "stepstream_build_info{version=\"" + HOSTILE + "\"} 1\n";
                } else if (request.startsWith("GET /api/v2/workflows/runs/") && request.endsWith("/log")) {
                    body = LOG;
                } else if (request.equals("GET /api/v2/workflows")) {
                    body = Json.text(WORKFLOWS);
                } else if (request.equals("GET /api/v2/workflows/hostile")) {
                    body = Json.text(DEFINITION);
                } else if (request.startsWith("GET /api/v2/workflows/runs")) {
                    body = Json.text(RUNS);
                } else if (request.equals("GET /readyz")) {
                    body = Json.text(Json.object().put("status", "ready").put(HOSTILE, HOSTILE));
                } else if (request.equals("GET /api/v2/secrets")) {
                    body = Json.text(SECRETS);
                } else if (request.equals("POST /api/v2/secrets/rotate-key")) {
                    body = Json.text(Json.object().put("resealed", 1).put("rewrapped", 0).put("keyId", HOSTILE));
                } else if (request.equals("PUT /api/v2/workflows/w") || request.endsWith("/retry")) {
                    status = request.startsWith("PUT") ? 201 : 202;
                    body = Json.text(Json.object().put("id", HOSTILE).put("version", 1).put("runId", HOSTILE));
                } else if (request.equals("GET /api/v2/workflows/w")) {
                    body = Json.text(Json.object().put("id", "w"));
                } else {
                    status = 422;
                    body = Json.text(error);
                }
                byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", request.equals("GET /metrics") || body == LOG
                        ? "text/plain" : "application/json");
                exchange.sendResponseHeaders(status, bytes.length);
                exchange.getResponseBody().write(bytes);
                exchange.close();
            });
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    /**
     * The Java client library, which the CLI follows with, reconnects on exactly the close codes
     * whose {@code CloseCode} (the server's one table) says so, and on a drop (1006).
     */
    @Test
    void theFollowerReconnectsAsCloseCodeSays() {
        for (dev.stepstream.stream.CloseCode code : dev.stepstream.stream.CloseCode.values()) {
            assertThat(dev.stepstream.client.StepstreamClient.reconnectsAfter(code.code())).as("%s", code).isEqualTo(code.reconnect());
        }
        assertThat(dev.stepstream.client.StepstreamClient.reconnectsAfter(1006)).isTrue();
    }
}
