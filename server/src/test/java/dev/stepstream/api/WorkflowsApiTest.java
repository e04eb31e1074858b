package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.workflow.WorkflowCatalog;
import dev.stepstream.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

@Timeout(60)
class WorkflowsApiTest {
    @TempDir
    static Path dir;
    static TestServer server;

    static final String HELLO = """
            id: greet
            name: Greeter
            description: says hello
            inputs:
              who: {type: string, default: world}
            steps:
              - id: hello
                type: log
                message: "Hello ${inputs.who}"
            """;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withAllowScripts(false));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void putCreatesThenReplacesWithIncreasingVersions() {
        String yaml = HELLO.replace("id: greet", "id: versions");
        TestServer.Response created = server.putYaml("/api/v2/workflows/versions", yaml);
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body().path("version").asInt()).isEqualTo(1);
        assertThat(created.header("Location")).isEqualTo("/api/v2/workflows/versions");

        TestServer.Response same = server.putYaml("/api/v2/workflows/versions", yaml);
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.body().path("version").asInt()).as("an identical definition is not a change").isEqualTo(1);

        TestServer.Response changed = server.putYaml("/api/v2/workflows/versions", yaml.replace("says hello", "says hi"));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.body().path("version").asInt()).isEqualTo(2);
        assertThat(server.get("/api/v2/workflows/versions").body().path("description").asText()).isEqualTo("says hi");
    }

    @Test
    void jsonBodiesAreAcceptedAndTheIdMayComeFromThePath() {
        TestServer.Response response = server.putJson("/api/v2/workflows/from-json",
                "{\"steps\": [{\"id\": \"a\", \"type\": \"log\", \"message\": \"hi\"}]}");
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        JsonNode fetched = server.get("/api/v2/workflows/from-json").body();
        assertThat(fetched.path("id").asText()).isEqualTo("from-json");
        assertThat(fetched.path("version").asInt()).isEqualTo(1);
        assertThat(fetched.path("steps").get(0).path("message").asText()).isEqualTo("hi");
    }

    @Test
    void listShowsSummaries() {
        server.apply(HELLO.replace("id: greet", "id: listed"));
        JsonNode list = server.get("/api/v2/workflows").body().path("workflows");
        JsonNode listed = null;
        for (JsonNode workflow : list) {
            if (workflow.path("id").asText().equals("listed")) {
                listed = workflow;
            }
        }
        assertThat(listed).isNotNull();
        assertThat(listed.path("name").asText()).isEqualTo("Greeter");
        assertThat(listed.path("description").asText()).isEqualTo("says hello");
        assertThat(listed.path("steps").asInt()).isEqualTo(1);
        assertThat(listed.path("version").asInt()).isEqualTo(1);
        assertThat(listed.path("updatedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    }

    @Test
    void deleteRemovesTheWorkflowButKeepsItsRuns() {
        server.apply(HELLO.replace("id: greet", "id: doomed"));
        String runId = server.execute("doomed", null);
        server.awaitEnd(runId);
        assertThat(server.delete("/api/v2/workflows/doomed").status()).isEqualTo(204);
        assertThat(server.get("/api/v2/workflows/doomed").status()).isEqualTo(404);
        assertThat(server.delete("/api/v2/workflows/doomed").status()).isEqualTo(404);
        assertThat(server.run(runId).path("status").asText()).isEqualTo("success");
        assertThat(server.events(runId)).isNotEmpty();
    }

    @Test
    void unknownWorkflowIs404WithTheErrorShape() {
        TestServer.Response response = server.get("/api/v2/workflows/nope");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("workflow_not_found");
        assertThat(response.body().path("error").path("message").asText()).contains("nope");
        assertThat(server.post("/api/v2/workflows/nope/execute", "").status()).isEqualTo(404);
    }

    @Test
    void yamlThatDoesNotParseIs400WithLineAndColumn() {
        TestServer.Response response = server.putYaml("/api/v2/workflows/broken", "id: broken\nsteps:\n  - id: a\n   type: log: x\n");
        assertThat(response.status()).isEqualTo(400);
        JsonNode error = response.body().path("error");
        assertThat(error.path("details").path("line").asInt()).isPositive();
        assertThat(error.path("details").path("column").asInt()).isPositive();
        assertThat(error.path("message").asText()).startsWith("line ");
        assertThat(response.text()).doesNotContain("at [Source", "Exception");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsPath() {
        String yaml = """
                id: bad
                steps:
                  - id: x
                    type: log
                    message: hi
                  - id: x
                    type: log
                    message: again
                  - id: tp
                    type: teleport
                  - id: s
                    type: sleep
                    duration: soon
                """;
        TestServer.Response response = server.putYaml("/api/v2/workflows/bad", yaml);
        assertThat(response.status()).isEqualTo(422);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_workflow");
        List<String> paths = new ArrayList<>();
        response.body().path("error").path("details").forEach(p -> paths.add(p.path("path").asText()));
        assertThat(paths).contains("steps[1].id", "steps[2].type", "steps[3].duration");
        assertThat(response.text()).contains("duplicate id", "teleport");
        assertThat(server.get("/api/v2/workflows/bad").status()).as("nothing stored").isEqualTo(404);
    }

    /** One trigger with two problems: each is named, the cron's not hidden behind the time zone's. */
    @Test
    void aScheduleWithABadCronAndABadTimeZoneHasBothProblemsNamed() {
        String yaml = """
                id: cr2
                triggers:
                  - {id: nightly, type: schedule, cron: "0 3 * *", timezone: Mars/Olympus}
                steps:
                  - {id: a, type: log, message: hi}
                """;
        TestServer.Response response = server.putYaml("/api/v2/workflows/cr2", yaml);

        assertThat(response.status()).as(response.text()).isEqualTo(422);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_workflow");
        List<String> problems = new ArrayList<>();
        response.body().path("error").path("details").forEach(p -> problems.add(p.path("path").asText() + ": " + p.path("message").asText()));
        assertThat(problems).containsExactlyInAnyOrder(
                "triggers[0].cron: \"0 3 * *\" is not a cron expression: expected 5 fields (minute hour day-of-month month"
                        + " day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; got 4 fields",
                "triggers[0].timezone: \"Mars/Olympus\" is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)");
        assertThat(server.get("/api/v2/workflows/cr2").status()).as("nothing stored").isEqualTo(404);
    }

    /** What cron-utils says ("Cron expression contains 1 parts but we expect one of [5]") is told in our words. */
    @Test
    void aBadCronIsExplainedNamingItsFieldAndWhatItAccepts() {
        String yaml = """
                id: crons
                triggers:
                  - {id: a, type: schedule, cron: "@fortnightly"}
                  - {id: b, type: schedule, cron: "*/0 * * * *"}
                  - {id: c, type: schedule, cron: "0 61 * * *"}
                  - {id: d, type: schedule, cron: "0 0 * 13 *"}
                  - {id: e, type: schedule, cron: "0 0 * * FRI,XYZ"}
                  - {id: f, type: schedule, cron: "1,,2 * * * *"}
                  - {id: g, type: schedule, cron: "0 0 30 2 *"}
                  - {id: h, type: schedule, cron: "0 9 * * 1#6"}
                  - {id: leap, type: schedule, cron: "0 0 29 2 *"}
                steps:
                  - {id: a, type: log, message: hi}
                """;
        TestServer.Response response = server.putYaml("/api/v2/workflows/crons", yaml);
        assertThat(response.status()).as(response.text()).isEqualTo(422);
        List<String> problems = new ArrayList<>();
        response.body().path("error").path("details").forEach(p -> problems.add(p.path("path").asText() + ": " + p.path("message").asText()));
        assertThat(problems).containsExactly(
                "triggers[0].cron: \"@fortnightly\" is not a cron expression: unknown shorthand \"@fortnightly\" (expected @hourly,"
                        + " @daily, @midnight, @weekly, @monthly, @yearly or @annually)",
                "triggers[1].cron: \"*/0 * * * *\" is not a cron expression: minute: a step of /0 is not from 1 to 59",
                "triggers[2].cron: \"0 61 * * *\" is not a cron expression: hour: 61 is not from 0 to 23",
                "triggers[3].cron: \"0 0 * 13 *\" is not a cron expression: month: 13 is not from 1 to 12",
                "triggers[4].cron: \"0 0 * * FRI,XYZ\" is not a cron expression: unexpected \"xyz\" (fields hold numbers, *,"
                        + " lists, ranges, steps, JAN-DEC, SUN-SAT, L, W and #)",
                "triggers[5].cron: \"1,,2 * * * *\" is not a cron expression: an empty value in a field (two commas in a row?)",
                "triggers[6].cron: \"0 0 30 2 *\" is never due: no date matches it",
                "triggers[7].cron: \"0 9 * * 1#6\" is never due: no date matches it");
    }

    /** Jackson's "non-standard token 'NaN': enable `…` to allow" lost its feature name and meant nothing. */
    @Test
    void aNaNInJsonIsRefusedSayingJsonHasNone() {
        TestServer.Response workflow = server.putJson("/api/v2/workflows/nan",
                "{\"steps\": [{\"id\": \"a\", \"type\": \"log\", \"message\": NaN}]}");
        assertThat(workflow.status()).as(workflow.text()).isEqualTo(400);
        assertThat(workflow.body().path("error").path("message").asText())
                .contains("NaN is not a JSON number (JSON has no NaN or Infinity: write a number, or null)")
                .doesNotContain("enable");

        server.apply(HELLO.replace("id: greet", "id: nan-inputs"));
        TestServer.Response execute = server.post("/api/v2/workflows/nan-inputs/execute", "{\"inputs\": {\"who\": -Infinity}}");
        assertThat(execute.status()).as(execute.text()).isEqualTo(400);
        assertThat(execute.body().path("error").path("message").asText())
                .isEqualTo("the body is not valid JSON: -Infinity is not a JSON number (JSON has no NaN or Infinity: write a number,"
                        + " or null)");
    }

    @Test
    void aStepIdWrittenAsANumberIsAskedToBeQuoted() {
        TestServer.Response response = server.putYaml("/api/v2/workflows/numbered", """
                id: numbered
                steps:
                  - {id: 5, type: log, message: five}
                  - {id: six, needs: [5], type: log, message: six}
                """);
        assertThat(response.status()).as(response.text()).isEqualTo(422);
        List<String> problems = new ArrayList<>();
        response.body().path("error").path("details").forEach(p -> problems.add(p.path("path").asText() + ": " + p.path("message").asText()));
        assertThat(problems).contains(
                "steps[0].id: got the number 5: a step id is text, so quote it (\"5\")",
                "steps[1].needs[0]: got the number 5: a step id is text, so quote it (\"5\")");
    }

    @Test
    void anIdInTheBodyMustMatchThePath() {
        TestServer.Response response = server.putYaml("/api/v2/workflows/other", HELLO);
        assertThat(response.status()).isEqualTo(422);
        assertThat(response.body().path("error").path("details").get(0).path("path").asText()).isEqualTo("id");
    }

    @Test
    void scriptStepsAreRefusedUnlessTheServerAllowsThem() {
        TestServer.Response response = server.putYaml("/api/v2/workflows/scripted",
                "id: scripted\nsteps:\n  - id: s\n    type: script\n    run: echo hi\n");
        assertThat(response.status()).isEqualTo(422);
        assertThat(response.text()).contains("steps[0].type", "--allow-scripts");
    }

    /**
     * A workflow stored where scripts were allowed, on a server restarted without them: it is
     * still listed and read, and executing it (or delivering to its webhook, or retrying a run of
     * it) is a 422 that names the step in its details, not a 500; nothing runs.
     */
    @Test
    void aStoredWorkflowThatTheServersSettingsMakeInvalidIs422OnExecute(@TempDir Path data) {
        String yaml = """
                id: scripted
                triggers:
                  - {id: hook, type: webhook}
                steps:
                  - {id: s, type: script, run: echo hi}
                """;
        String ran;
        try (TestServer allowing = TestServer.start(data, config -> config.withAllowScripts(true))) {
            allowing.apply(yaml);
            ran = allowing.execute("scripted", null);
            allowing.awaitEnd(ran);
        }
        try (TestServer refusing = TestServer.start(data, config -> config.withAllowScripts(false))) {
            assertThat(refusing.get("/api/v2/workflows/scripted").status()).isEqualTo(200);
            for (String path : List.of("/api/v2/workflows/scripted/execute", "/api/v2/hooks/scripted/hook")) {
                TestServer.Response execute = refusing.post(path, "{}");
                assertThat(execute.status()).as(path + ": " + execute.text()).isEqualTo(422);
                JsonNode error = execute.body().path("error");
                assertThat(error.path("code").asText()).isEqualTo("invalid_workflow");
                assertThat(error.path("message").asText()).startsWith("workflow \"scripted\" as stored is not valid on this server: ")
                        .contains("--allow-scripts");
                assertThat(error.path("details").get(0).path("path").asText()).isEqualTo("steps[0].type");
            }
            TestServer.Response retry = refusing.post("/api/v2/workflows/runs/" + ran + "/retry", "{}");
            assertThat(retry.status()).as(retry.text()).isEqualTo(422);
            assertThat(retry.body().path("error").path("message").asText()).startsWith("the workflow this run ran is no longer valid here: ");
            assertThat(retry.body().path("error").path("details").get(0).path("path").asText()).as("every problem in details")
                    .isEqualTo("steps[0].type");
            assertThat(refusing.get("/api/v2/workflows/runs").body().path("runs")).as("nothing queued but the first run")
                    .extracting(run -> run.path("runId").asText()).containsExactly(ran);
        }
    }

    /**
     * The operator learns which stored workflows this server refuses when it starts, from one
     * warning each naming the problems, rather than from the first run or schedule refused.
     */
    @Test
    void aServerStartingWithStoredWorkflowsItRefusesWarnsOfEachOnce(@TempDir Path data) {
        try (TestServer allowing = TestServer.start(data, config -> config.withAllowScripts(true))) {
            allowing.apply("""
                    id: scripted
                    steps:
                      - {id: s, type: script, run: echo hi}
                    """);
            allowing.apply("""
                    id: plain
                    steps:
                      - {id: l, type: log, message: hi}
                    """);
        }
        var catalogLog = (Logger) LoggerFactory.getLogger(WorkflowCatalog.class);
        var warnings = new ListAppender<ILoggingEvent>();
        warnings.start();
        catalogLog.addAppender(warnings);
        try (TestServer refusing = TestServer.start(data, config -> config.withAllowScripts(false))) {
            List<String> messages;
            synchronized (warnings) { // the lock its doAppend holds
                messages = warnings.list.stream().filter(event -> event.getLevel() == Level.WARN)
                        .map(ILoggingEvent::getFormattedMessage).toList();
            }
            assertThat(messages).singleElement().asString()
                    .startsWith("stored workflow scripted (version 1) is not valid on this server and will not run: ")
                    .contains("steps[0].type", "--allow-scripts", "apply it fixed (docs/operations.md)");
            assertThat(refusing.post("/api/v2/workflows/plain/execute", "{}").status()).isEqualTo(202);
        } finally {
            catalogLog.detachAppender(warnings);
        }
    }

    @Test
    void aBodyOverOneMebibyteIs413AndChangesNothing() {
        server.apply(HELLO.replace("id: greet", "id: big"));
        String huge = HELLO.replace("id: greet", "id: big") + "# " + "x".repeat(1024 * 1024) + "\n";
        TestServer.Response response = server.putYaml("/api/v2/workflows/big", huge);
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("body_too_large");
        assertThat(response.body().path("error").path("message").asText()).isEqualTo("the request body is larger than 1 MiB");
        TestServer.Response decision = server.post("/api/v2/workflows/runs/" + java.util.UUID.randomUUID() + "/steps/a/approve",
                "{\"comment\": \"" + "x".repeat(70 * 1024) + "\"}");
        assertThat(decision.status()).isEqualTo(413);
        assertThat(decision.body().path("error").path("message").asText()).as("each route's own limit")
                .isEqualTo("the request body is larger than 64 KiB");
        // The server closes the connection after the refused body, and must say so: a client
        // that put the connection back in its pool would send its next request into the close.
        assertThat(response.header("Connection")).isEqualTo("close");
        assertThat(server.get("/api/v2/workflows/big").body().path("version").asInt()).isEqualTo(1);
    }

    @Test
    void anExpectationOtherThanContinueIs417InTheErrorShapeAndChangesNothing() throws java.io.IOException {
        server.apply(HELLO.replace("id: greet", "id: expecting"));
        String body = HELLO.replace("id: greet", "id: expecting").replace("Hello", "Changed");
        // A socket: the JDK's client sends no Expect but its own 100-continue.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            socket.getOutputStream().write(("PUT /api/v2/workflows/expecting HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/yaml\r\nExpect: 200-ok\r\nContent-Length: " + bytes.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 417").contains("application/json")
                    .contains("{\"error\":{\"code\":\"expectation_failed\",\"message\":\"Expect: the one expectation is 100-continue, got 200-ok\"}}");
        }
        assertThat(server.get("/api/v2/workflows/expecting").body().path("version").asInt()).isEqualTo(1);
    }

    @Test
    void moreThanAThousandStepsIs422() {
        StringBuilder yaml = new StringBuilder("id: long\nsteps:\n");
        for (int i = 0; i < 1001; i++) {
            yaml.append("  - {id: s").append(i).append(", type: log, message: hi}\n");
        }
        TestServer.Response response = server.putYaml("/api/v2/workflows/long", yaml.toString());
        assertThat(response.status()).isEqualTo(422);
        assertThat(response.text()).contains("steps");
    }

    @Test
    void theIdRunsIsReservedForTheRunsListing() {
        TestServer.Response response = server.putJson("/api/v2/workflows/runs",
                "{\"steps\": [{\"id\": \"a\", \"type\": \"log\", \"message\": \"hi\"}]}");
        assertThat(response.status()).isIn(404, 405, 422);
        assertThat(server.get("/api/v2/workflows/runs").status()).isEqualTo(200);
    }

    @Test
    void workflowsDirectoryLoadsGoodFilesAndSkipsBadOnes(@TempDir Path data) throws Exception {
        Path workflows = Files.createDirectories(data.resolve("wf"));
        Files.writeString(workflows.resolve("good.yaml"), HELLO.replace("id: greet", "id: good"));
        Files.writeString(workflows.resolve("bad.yaml"), "id: bad-file\nsteps: []\n");
        Files.writeString(workflows.resolve("broken.yml"), "id: [\n");
        try (TestServer other = TestServer.start(data, config -> config.withWorkflowsDir(workflows))) {
            assertThat(other.get("/api/v2/workflows/good").status()).isEqualTo(200);
            assertThat(other.get("/api/v2/workflows/bad-file").status()).isEqualTo(404);
        }
    }

    @Test
    void aSecondFileWithAnIdAlreadyLoadedIsSkippedAndRestartsAddNoVersion(@TempDir Path data) throws Exception {
        Path workflows = Files.createDirectories(data.resolve("wf"));
        Files.writeString(workflows.resolve("a.yaml"), HELLO.replace("id: greet", "id: twice").replace("says hello", "first"));
        Files.writeString(workflows.resolve("b.yaml"), HELLO.replace("id: greet", "id: twice").replace("says hello", "second"));
        for (int start = 1; start <= 2; start++) {
            try (TestServer other = TestServer.start(data, config -> config.withWorkflowsDir(workflows))) {
                JsonNode twice = other.get("/api/v2/workflows/twice").body();
                assertThat(twice.path("description").asText()).as("start %d: the first file by name", start).isEqualTo("first");
                assertThat(twice.path("version").asInt()).as("start %d: nothing changed", start).isEqualTo(1);
            }
        }
    }

    @Test
    void bodiesSentWithAFormTypeAreReadAsTheyCameAsCurlDashDSendsThem() {
        // curl -d and --data-binary say application/x-www-form-urlencoded unless told otherwise;
        // Vert.x's form decoder refused such a body over 8 KiB (or 1 KiB without an =) with a 400.
        StringBuilder yaml = new StringBuilder("id: big-form\ninputs:\n  text: {type: string}\nsteps:\n");
        for (int i = 0; yaml.length() < 20_000; i++) {
            yaml.append("  - {id: s").append(i).append(", type: log, message: \"line ").append(i).append(" of a long workflow\"}\n");
        }
        String form = "application/x-www-form-urlencoded";
        TestServer.Response put = server.send(server.request("/api/v2/workflows/big-form").header("Content-Type", form)
                .PUT(HttpRequest.BodyPublishers.ofString(yaml.toString())));
        assertThat(put.status()).as(put.text()).isEqualTo(201);
        String text = "x".repeat(9_000);
        TestServer.Response execute = server.send(server.request("/api/v2/workflows/big-form/execute").header("Content-Type", form)
                .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": {\"text\": \"" + text + "\"}}")));
        assertThat(execute.status()).as(execute.text()).isEqualTo(202);
        JsonNode run = server.run(execute.body().path("runId").asText());
        assertThat(run.path("inputs").path("text").asText()).isEqualTo(text);
    }

    @Test
    void unknownRoutesAndMethodsAnswerWithTheErrorShape() {
        TestServer.Response missing = server.get("/api/v2/nothing-here");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("error").path("code").asText()).isEqualTo("not_found");
        TestServer.Response method = server.send(server.request("/api/v2/workflows").DELETE());
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.body().path("error").path("code").asText()).isEqualTo("method_not_allowed");
        assertThat(method.header("Allow")).as("a 405 says what the path allows").isEqualTo("GET, HEAD");
        assertThat(method.body().path("error").path("message").asText()).isEqualTo("DELETE is not allowed on /api/v2/workflows; it allows GET, HEAD");

        TestServer.Response other = server.send(server.request("/api/v2/workflows/some-id").method("PATCH", HttpRequest.BodyPublishers.noBody()));
        assertThat(other.status()).isEqualTo(405);
        assertThat(other.header("Allow")).isEqualTo("DELETE, GET, HEAD, PUT");
        // A GET of a path only POST answers: the web page's GET /* takes it first, and hands it on.
        for (String path : List.of("/api/v2/workflows/some-id/execute", "/api/v2/workflows/runs/" + java.util.UUID.randomUUID() + "/cancel")) {
            TestServer.Response get = server.get(path);
            assertThat(get.status()).as(path).isEqualTo(405);
            assertThat(get.header("Allow")).as(path).isEqualTo("POST");
            assertThat(get.body().path("error").path("code").asText()).isEqualTo("method_not_allowed");
        }
        TestServer.Response page = server.send(server.request("/runs/" + java.util.UUID.randomUUID()).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(page.status()).as("a page of the web app").isEqualTo(405);
        assertThat(page.header("Allow")).isEqualTo("GET, HEAD");
    }

    /**
     * Every path GET answers answers HEAD (RFC 9110): the same status and headers, no body.
     * What would stream for nothing does not: a HEAD with Accept: text/event-stream is the JSON
     * page's head, a log download's is its head alone, a stream route's is its 426.
     */
    @Test
    void headAnswersWhereverGetDoesWithTheHeadAlone() {
        server.apply(HELLO.replace("id: greet", "id: headed"));
        String runId = server.execute("headed", null);
        server.awaitEnd(runId);
        String run = "/api/v2/workflows/runs/" + runId;
        for (String path : List.of("/healthz", "/readyz", "/api/v2/workflows", "/api/v2/workflows/headed", run, run + "/events",
                run + "/log", "/runs/" + runId, "/", "/app.mjs")) {
            TestServer.Response get = server.get(path);
            TestServer.Response head = server.send(server.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertThat(head.status()).as(path).isEqualTo(get.status()).isEqualTo(200);
            assertThat(head.text()).as(path).isEmpty();
            assertThat(head.header("Content-Type")).as(path).isNotNull().isEqualTo(get.header("Content-Type"));
        }
        TestServer.Response sse = server.send(server.request(run + "/events").header("Accept", "text/event-stream")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(sse.status()).isEqualTo(200);
        assertThat(sse.header("Content-Type")).startsWith("application/json");
        TestServer.Response stream = server.send(server.request(run + "/stream").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(stream.status()).isEqualTo(426);
        TestServer.Response execute = server.send(server.request("/api/v2/workflows/headed/execute").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(execute.status()).as("not what only POST answers").isEqualTo(405);
        assertThat(execute.header("Allow")).isEqualTo("POST");
    }

    @Test
    void healthAndReadiness() {
        assertThat(server.get("/healthz").status()).isEqualTo(200);
        TestServer.Response ready = server.get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body().path("store").asText()).isEqualTo("up");
    }
}
