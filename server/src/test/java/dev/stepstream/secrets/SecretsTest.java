package dev.stepstream.secrets;

import static dev.stepstream.testing.TestServer.payloads;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.sun.net.httpserver.HttpServer;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets (docs/security.md, "Secrets"): stored encrypted, never answered, read by steps as
 * {@code ${secrets.NAME}}, and masked in every form before an event is stored, so that no byte
 * the server produces holds a value.
 */
@Timeout(90)
class SecretsTest {
    /** A value whose JSON, URL and base64 forms all differ from it. */
    private static final String VALUE = "pa\"ss\\w0rd with/odd+chars=ü";
    /** One an HTTP header can carry as it is (headers are ISO-8859-1: a server may read ü otherwise, and no longer the value). */
    private static final String ASCII_VALUE = "pa\"ss\\w0rd with/odd+chars=x";

    /**
     * VALUE as encoders in common use print it:
     * <ul>
     *   <li>URL-encoded as Python 3's urllib.parse does, in upper- and lower-case hex:
     *       {@code quote(v)} (which leaves / alone), {@code quote(v, safe="")}, {@code quote_plus(v)};
     *   <li>as a JSON string with what lies past ASCII escaped: Python's {@code json.dumps(v)},
     *       PHP's {@code json_encode($v)} (which escapes / too), Jackson's {@code ESCAPE_NON_ASCII}.
     * </ul>
     */
    private static final List<String> ENCODED_ELSEWHERE = List.of(
            "pa%22ss%5Cw0rd%20with/odd%2Bchars%3D%C3%BC", "pa%22ss%5cw0rd%20with/odd%2bchars%3d%c3%bc",
            "pa%22ss%5Cw0rd%20with%2Fodd%2Bchars%3D%C3%BC", "pa%22ss%5cw0rd%20with%2fodd%2bchars%3d%c3%bc",
            "pa%22ss%5Cw0rd+with%2Fodd%2Bchars%3D%C3%BC", "pa%22ss%5cw0rd+with%2fodd%2bchars%3d%c3%bc",
            "pa\\\"ss\\\\w0rd with/odd+chars=\\u00fc", "pa\\\"ss\\\\w0rd with\\/odd+chars=\\u00fc",
            "pa\\\"ss\\\\w0rd with/odd+chars=\\u00FC");

    private static List<String> forms(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        List<String> forms = new ArrayList<>(List.of(value, value.replace("\\", "\\\\").replace("\"", "\\\""),
                URLEncoder.encode(value, StandardCharsets.UTF_8), URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"),
                Base64.getEncoder().encodeToString(bytes), Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)));
        if (value.equals(VALUE)) {
            forms.addAll(ENCODED_ELSEWHERE);
        }
        return forms;
    }

    private static TestServer.Response setSecret(TestServer server, String name, String value) {
        return server.putJson("/api/v2/secrets/" + name, "{\"value\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(value) + "}");
    }

    @Test
    void secretsAreSetListedAndDeletedButTheirValuesNeverAnswered(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            TestServer.Response created = setSecret(server, "API_TOKEN", VALUE);
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            assertThat(setSecret(server, "API_TOKEN", VALUE + "2").status()).isEqualTo(200);
            TestServer.Response list = server.get("/api/v2/secrets");
            assertThat(list.body().path("secrets")).extracting(s -> s.path("name").asText()).containsExactly("API_TOKEN");
            assertThat(list.body().path("secrets").get(0).has("updatedAt")).isTrue();
            for (String form : forms(VALUE)) {
                assertThat(list.text() + created.text()).doesNotContain(form);
            }

            TestServer.Response shortValue = setSecret(server, "SHORT", "abc");
            assertThat(shortValue.status()).isEqualTo(400);
            assertThat(shortValue.text()).contains("value: at least 4 characters");
            TestServer.Response halfCharacter = server.putJson("/api/v2/secrets/HALF", "{\"value\": \"ab\\ud800cdef\"}");
            assertThat(halfCharacter.status()).as("UTF-8 cannot hold it: the value stored would not be the one sent").isEqualTo(400);
            assertThat(halfCharacter.text()).contains("value: not Unicode text");
            assertThat(setSecret(server, "PAIRED", "ab\ud83d\ude00cd").status()).as("a whole pair is a character").isEqualTo(201);
            assertThat(server.delete("/api/v2/secrets/PAIRED").status()).isEqualTo(204);
            TestServer.Response badName = setSecret(server, "lower", VALUE);
            assertThat(badName.status()).isEqualTo(400);
            assertThat(badName.text()).contains("name: expected upper-case letters");
            assertThat(server.putJson("/api/v2/secrets/OTHER", "{\"value\": \"long enough\", \"extra\": 1}").text())
                    .contains("extra: unknown field");

            assertThat(server.delete("/api/v2/secrets/API_TOKEN").status()).isEqualTo(204);
            TestServer.Response again = server.delete("/api/v2/secrets/API_TOKEN");
            assertThat(again.status()).isEqualTo(404);
            assertThat(again.body().path("error").path("code").asText()).isEqualTo("secret_not_found");
            assertThat(server.get("/api/v2/secrets").body().path("secrets")).isEmpty();
        }
    }

    /** A PUT answers the updatedAt it stored: the list shows the same instant, each time the secret is set again. */
    @Test
    void aPutAnswersTheUpdatedAtTheListShows(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            for (int i = 0; i < 5; i++) {
                TestServer.Response put = setSecret(server, "API_TOKEN", VALUE + i);
                assertThat(put.status()).as(put.text()).isEqualTo(i == 0 ? 201 : 200);

                JsonNode listed = server.get("/api/v2/secrets").body().path("secrets").get(0);
                assertThat(listed.path("name").asText()).isEqualTo("API_TOKEN");
                assertThat(listed.path("updatedAt").asText()).as("set %d times", i + 1).isEqualTo(put.body().path("updatedAt").asText());
            }
        }
    }

    /** Steps that do all they can to print the secret TOKEN: what a careless or hostile workflow would. */
    private static final String LEAKY = """
            id: leaky
            steps:
              - {id: said, type: log, message: "the token is ${secrets.TOKEN}"}
              - id: printed
                type: script
                env: {T: "${secrets.TOKEN}"}
                run: |
                  printf 'raw: %s\\n' "$T"
                  printf 'in pieces: %s' "$(printf '%s' "$T" | cut -c1-5)"; printf '%s\\n' "$(printf '%s' "$T" | cut -c6-)"
                  printf '%s' "$T" | base64 -w0; echo
                  echo "token=$T" >> "$STEPSTREAM_OUTPUT"
                  printf '%s\\n' "$T" >&2
                  printf 'long:%16370s%s and more\\n' '' "$T"
              - {id: kept, type: set, vars: {tok: "${secrets.TOKEN}", nested: {deep: ["${secrets.TOKEN}"]}}}
              - {id: large, type: set, vars: {huge: "@X@${secrets.TOKEN}@Y@"}}
              - {id: echoed, type: log, message: "from a variable: ${vars.tok}"}
              - {id: failed, type: fail, message: "gave up with ${secrets.TOKEN}"}
            """.replace("@X@", "x".repeat(1_020)).replace("@Y@", "y".repeat(16_000));

    /**
     * Follows the run live from its start until the server closes the stream after its end, checks
     * the ended run with {@code ended}, and returns every frame the stream carried.
     */
    private static List<String> framesToTheEnd(TestServer server, String runId, java.util.function.Consumer<JsonNode> ended) {
        try (WsClient live = WsClient.connect(HttpClient.newHttpClient(), server.streamUrl(runId, ""))) {
            JsonNode run = server.awaitEnd(runId);
            live.awaitClose(Duration.ofSeconds(20));
            ended.accept(run);
            return new ArrayList<>(live.messages().stream().map(WsClient.Message::text).toList());
        }
    }

    /** Runs LEAKY with TOKEN set, checks what it emitted is masked, and returns every answer and frame the server gave. */
    private static List<String> runLeaky(TestServer server) {
        assertThat(setSecret(server, "TOKEN", VALUE).status()).isEqualTo(201);
        server.apply(LEAKY);
        String runId = server.execute("leaky", null);
        List<String> produced = framesToTheEnd(server, runId, run -> assertThat(run.path("status").asText()).isEqualTo("failed"));
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains(
                "the token is ***", "raw: ***", "in pieces: ***", "***", "from a variable: ***");
        String cut = payloads(events, "step_log", p -> p.path("message").asText()).stream()
                .filter(m -> m.startsWith("long:")).findFirst().orElseThrow();
        assertThat(cut).as("a value across the 16 KiB cut is masked before it").contains("***").doesNotContain("pa");
        assertThat(server.run(runId).path("variables").path("tok").asText()).isEqualTo("***");
        String huge = payloads(events, "variable_change", p -> p).stream().filter(p -> p.path("varName").asText().equals("huge"))
                .findFirst().orElseThrow().path("newValue").asText();
        assertThat(huge).as("a value across the cut of a preview is masked before it").contains("***").doesNotContain("pa");
        assertThat(server.run(runId).path("variables").path("huge").asText()).as("whole, as the store keeps it")
                .isEqualTo("x".repeat(1_020) + "***" + "y".repeat(16_000));
        assertThat(server.run(runId).path("error").asText()).contains("gave up with ***");
        JsonNode printed = payloads(events, "step_complete", p -> p).stream()
                .filter(p -> p.path("stepId").asText().equals("printed")).findFirst().orElseThrow();
        assertThat(printed.path("outputs").path("token").asText()).isEqualTo("***");

        produced.add(server.get("/api/v2/workflows/runs/" + runId).text());
        produced.add(server.get("/api/v2/workflows/runs/" + runId + "/events").text());
        produced.add(server.get("/api/v2/workflows/runs").text());
        produced.add(server.get("/api/v2/secrets").text());
        produced.add(server.get("/metrics").text());
        return produced;
    }

    private static void assertNoForm(String what, byte[] bytes) {
        assertNoForm(what, bytes, VALUE);
    }

    private static void assertNoForm(String what, byte[] bytes, String value) {
        for (String form : forms(value)) {
            assertThat(indexOf(bytes, form.getBytes(StandardCharsets.UTF_8))).as("%s holds the value as %s", what, form).isEqualTo(-1);
        }
    }

    @Test
    void aSecretIsMaskedInEveryFormWhateverTheStepsDoWithItAndNoByteTheServerKeepsHoldsIt(@TempDir Path data) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            for (String answer : runLeaky(server)) {
                assertNoForm("an answer or frame", answer.getBytes(StandardCharsets.UTF_8));
            }
        }
        for (byte[] file : filesUnder(data)) {
            assertNoForm("a file of the data dir", file);
        }
    }

    @Test
    void onPostgresAndRedisNoRowAndNoBrokerMessageHoldsAValue(@TempDir Path data) throws Exception {
        Redis.require();
        try (Postgres postgres = Postgres.schema()) {
            Path heard = data.resolve("redis.out");
            Process listener = new ProcessBuilder("redis-cli", "-u", Redis.URL, "--raw", "PSUBSCRIBE", "*")
                    .redirectErrorStream(true).redirectOutput(heard.toFile()).start();
            try {
                Await.until("the Redis listener subscribes", Duration.ofSeconds(10),
                        () -> new String(read(heard), StandardCharsets.UTF_8).contains("psubscribe") ? true : null);
                try (TestServer server = TestServer.start(data.resolve("node"), config -> config.withAllowScripts(true)
                        .withDb(postgres.url()).withRedis(Redis.URL))) {
                    for (String answer : runLeaky(server)) {
                        assertNoForm("an answer or frame", answer.getBytes(StandardCharsets.UTF_8));
                    }
                }
            } finally {
                listener.destroy();
                listener.waitFor();
            }
            byte[] broker = Files.readAllBytes(heard);
            assertThat(new String(broker, StandardCharsets.UTF_8)).as("the listener heard the run").contains("the token is ***");
            assertNoForm("a Redis message", broker);
            assertNoForm("a PostgreSQL row", rows(postgres.url()));
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every value of every row of the store's tables, as bytes. */
    private static byte[] rows(String url) throws java.sql.SQLException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url)) {
            for (String table : List.of("workflows", "runs", "run_steps", "run_variables", "events", "secrets", "secret_keys", "nodes")) {
                try (java.sql.Statement select = connection.createStatement();
                     java.sql.ResultSet rows = select.executeQuery("SELECT * FROM " + table)) {
                    int columns = rows.getMetaData().getColumnCount();
                    while (rows.next()) {
                        for (int i = 1; i <= columns; i++) {
                            Object value = rows.getObject(i);
                            out.writeBytes(value instanceof byte[] bytes ? bytes
                                    : String.valueOf(value).getBytes(StandardCharsets.UTF_8));
                            out.write('\n');
                        }
                    }
                }
            }
        }
        return out.toByteArray();
    }

    /**
     * The URL forms an audit found unmasked: Python's {@code quote(v)}, which leaves {@code /} as
     * it is, and lower-case hex. The script prints each in two halves, so that the workflow
     * itself holds none of them.
     */
    @Test
    void aValueEncodedAsPythonOrPhpPrintsItInUrlsAndJsonIsMasked(@TempDir Path data) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            assertThat(setSecret(server, "TOKEN", VALUE).status()).isEqualTo(201);
            StringBuilder script = new StringBuilder();
            for (String form : ENCODED_ELSEWHERE) {
                int half = form.length() / 2;
                script.append("printf '%s%s\\n' '").append(form, 0, half).append("' '").append(form.substring(half)).append("'\n");
            }
            server.apply("""
                    id: encoder
                    steps:
                      - id: print
                        type: script
                        env: {T: "${secrets.TOKEN}"}
                        run: |
                    %s""".formatted(script.toString().indent(10)));
            String runId = server.execute("encoder", null);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(runId), "step_log", p -> p.path("message").asText()))
                    .hasSize(ENCODED_ELSEWHERE.size()).containsOnly("***");
            List<String> produced = new ArrayList<>(server.awaitRawHistory(runId));
            produced.add(server.run(runId).toString());
            for (String answer : produced) {
                assertNoForm("the run's history or detail", answer.getBytes(StandardCharsets.UTF_8));
            }
        }
        for (byte[] file : filesUnder(data)) {
            assertNoForm("a file of the data dir", file);
        }
    }

    /** Two secrets' values as an audit found them, printed by runs that never read them. */
    private static final String HOOK_KEY = "hook-key-123";
    private static final String S3CRET = "s3cr3t-VALUE";

    /**
     * Every run masks every secret defined, whether it reads it or not: a value written out in
     * the workflow, built by a script, kept in a variable, failed with, or beside another secret
     * the step reads. (The workflow as it was applied holds the values: it is stored as given, so
     * the data dir is not searched here; the next tests search it where the workflow holds none.)
     */
    @Test
    void aRunThatReadsNoSecretMasksTheValueOfEverySecretDefined(@TempDir Path data) {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            assertThat(setSecret(server, "HOOK_KEY", HOOK_KEY).status()).isEqualTo(201);
            assertThat(setSecret(server, "OTHER", S3CRET).status()).isEqualTo(201);
            server.apply("""
                    id: literal
                    steps:
                      - {id: said, type: log, message: "literal hook-key-123 and s3cr3t-VALUE"}
                      - {id: built, type: script, run: "printf '%s%s\\n' 'hook-k' 'ey-123'"}
                      - {id: kept, type: set, vars: {both: ["hook-key-123", {s3cr3t-VALUE: "s3cr3t-VALUE"}]}}
                      - {id: beside, type: log, message: "${secrets.HOOK_KEY} beside s3cr3t-VALUE"}
                      - {id: failed, type: fail, message: "gave up with s3cr3t-VALUE"}
                    """);
            String runId = server.execute("literal", null);
            List<String> produced = framesToTheEnd(server, runId, run -> {
                assertThat(run.path("status").asText()).isEqualTo("failed");
                assertThat(run.path("error").asText()).contains("gave up with ***");
                assertThat(run.path("variables").path("both").toString()).isEqualTo("[\"***\",{\"***\":\"***\"}]");
            });
            assertThat(payloads(server.awaitHistory(runId), "step_log", p -> p.path("message").asText()))
                    .containsExactly("literal *** and ***", "***", "*** beside ***");
            produced.addAll(server.awaitRawHistory(runId));
            produced.add(server.get("/api/v2/workflows/runs/" + runId).text());
            produced.add(server.get("/api/v2/workflows/runs").text());
            produced.add(server.get("/api/v2/workflows/runs/" + runId + "/logs").text());
            for (String answer : produced) {
                assertNoForm("an answer or frame", answer.getBytes(StandardCharsets.UTF_8), HOOK_KEY);
                assertNoForm("an answer or frame", answer.getBytes(StandardCharsets.UTF_8), S3CRET);
            }
        }
    }

    /**
     * Inputs that hold a secret's value are masked before the run is stored: its run_start, its
     * detail and the runs listing show {@code ***}, and so does what the run prints of them (it
     * sees {@code ***}), as does the concurrency key made of them; no byte of the data dir holds
     * the value (the workflow does not).
     */
    @Test
    void anInputThatHoldsASecretsValueIsMaskedBeforeTheRunIsStored(@TempDir Path data) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            assertThat(setSecret(server, "OTHER", S3CRET).status()).isEqualTo(201);
            assertThat(setSecret(server, "TOKEN", VALUE).status()).isEqualTo(201);
            server.apply("""
                    id: echoes
                    inputs:
                      x: {type: string}
                      more: {type: object}
                    concurrency: {key: "echo-${inputs.x}", limit: 1}
                    steps:
                      - {id: said, type: log, message: "x is ${inputs.x}"}
                      - {id: printed, type: script, env: {X: "${inputs.x}"}, run: 'echo "printed $X"'}
                    """);
            String inputs = "{\"x\": \"s3cr3t-VALUE\", \"more\": {\"deep\": [" + TextNode.valueOf("a " + VALUE) + "]}}";
            String runId = server.execute("echoes", inputs);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");

            assertThat(run.path("inputs").toString()).isEqualTo("{\"x\":\"***\",\"more\":{\"deep\":[\"a ***\"]}}");
            List<JsonNode> events = server.awaitHistory(runId);
            assertThat(payloads(events, "run_start", p -> p.path("inputs"))).containsExactly(run.path("inputs"));
            assertThat(payloads(events, "step_log", p -> p.path("message").asText())).containsExactly("x is ***", "printed ***");
            List<String> produced = new ArrayList<>(server.awaitRawHistory(runId));
            produced.add(server.get("/api/v2/workflows/runs/" + runId).text());
            produced.add(server.get("/api/v2/workflows/runs").text());
            for (String answer : produced) {
                assertNoForm("an answer", answer.getBytes(StandardCharsets.UTF_8), S3CRET);
                assertNoForm("an answer", answer.getBytes(StandardCharsets.UTF_8));
            }
        }
        for (byte[] file : filesUnder(data)) {
            assertNoForm("a file of the data dir", file, S3CRET);
            assertNoForm("a file of the data dir", file);
        }
    }

    /**
     * What reaches the server besides a step's output is masked before it is stored too: an
     * approver's comment (kept in the step's row, searched by the data dir's check, and in its
     * step_complete) and a secret's value given as a number, in the inputs or in a variable.
     */
    @Test
    void anApproversCommentAndANumberThatHoldASecretsValueAreMasked(@TempDir Path data) throws Exception {
        String number = "31415926";
        try (TestServer server = TestServer.start(data)) {
            assertThat(setSecret(server, "TOKEN", VALUE).status()).isEqualTo(201);
            assertThat(setSecret(server, "PIN", number).status()).isEqualTo(201);
            server.apply("""
                    id: gated
                    inputs:
                      n: {type: number}
                      half: {type: number}
                    steps:
                      - {id: kept, type: set, vars: {n: "${inputs.half * 2}", list: ["${inputs.half * 2}", 1]}}
                      - {id: gate, type: approval, message: "go?"}
                    """);
            String runId = server.execute("gated", "{\"n\": " + number + ", \"half\": " + Long.parseLong(number) / 2 + "}");
            Await.until("the gate waits", Duration.ofSeconds(20),
                    () -> server.run(runId).path("status").asText().equals("waiting") ? true : null);
            String comment = "fine, the password is " + VALUE;
            TestServer.Response approved = server.post("/api/v2/workflows/runs/" + runId + "/steps/gate/approve",
                    "{\"comment\": " + TextNode.valueOf(comment) + "}");
            assertThat(approved.status()).as(approved.text()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");

            assertThat(run.path("inputs").path("n").asText()).isEqualTo("***");
            assertThat(run.path("variables").path("n").asText()).isEqualTo("***");
            assertThat(run.path("variables").path("list").toString()).isEqualTo("[\"***\",1]");
            List<JsonNode> events = server.awaitHistory(runId);
            assertThat(payloads(events, "step_complete", p -> p.path("decision").path("comment").asText(null)))
                    .contains("fine, the password is ***");
            List<String> produced = new ArrayList<>(server.awaitRawHistory(runId));
            produced.add(server.get("/api/v2/workflows/runs/" + runId).text());
            produced.add(server.get("/api/v2/workflows/runs").text());
            for (String answer : produced) {
                assertNoForm("an answer", answer.getBytes(StandardCharsets.UTF_8));
                assertThat(answer).as("an answer").doesNotContain(number);
            }
        }
        for (byte[] file : filesUnder(data)) {
            assertNoForm("a file of the data dir", file);
            assertThat(indexOf(file, number.getBytes(StandardCharsets.UTF_8))).as("a file of the data dir holds the number").isEqualTo(-1);
        }
    }

    /** A script that prints {@code value} (in two halves, so that the workflow holds none of it) when the file {@code inputs.gate} exists. */
    private static String printsWhenGateOpens(String id, String value) {
        int half = value.length() / 2;
        return """
                id: %s
                inputs:
                  gate: {type: string}
                steps:
                  - id: print
                    type: script
                    run: |
                      printf 'before: %%s%%s\\n' '%s' '%s'
                      while [ ! -f "${inputs.gate}" ]; do sleep 0.02; done
                      printf 'after: %%s%%s\\n' '%s' '%s'
                """.formatted(id, value.substring(0, half), value.substring(half), value.substring(0, half), value.substring(half));
    }

    private static void awaitLog(TestServer server, String runId, String message) {
        Await.until("the run logs \"" + message + "\"", Duration.ofSeconds(20), () -> payloads(server.events(runId), "step_log",
                p -> p.path("message").asText()).contains(message) ? true : null);
    }

    /**
     * What was decided for a secret defined while a run goes on (docs/security.md, "Masking"):
     * the run masks it from then on, as every run of the node does, though it never reads it;
     * what it printed before stays as it was stored.
     */
    @Test
    void aSecretDefinedWhileARunGoesOnIsMaskedInWhatTheRunPrintsFromThenOn(@TempDir Path data) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply(printsWhenGateOpens("late", S3CRET));
            Path gate = data.resolve("gate");
            String runId = server.execute("late", "{\"gate\": \"" + gate + "\"}");
            awaitLog(server, runId, "before: " + S3CRET);

            assertThat(setSecret(server, "LATE", S3CRET).status()).isEqualTo(201);
            Files.createFile(gate);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(runId), "step_log", p -> p.path("message").asText()))
                    .containsExactly("before: " + S3CRET, "after: ***");
        }
    }

    /** A secret deleted is no secret any longer: later runs print it as it is. */
    @Test
    void aSecretDeletedIsNoLongerMaskedInTheRunsThatFollow(@TempDir Path data) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply(printsWhenGateOpens("printer", S3CRET));
            Path gate = Files.createFile(data.resolve("gate"));
            assertThat(setSecret(server, "GONE", S3CRET).status()).isEqualTo(201);
            String masked = server.execute("printer", "{\"gate\": \"" + gate + "\"}");
            assertThat(server.awaitEnd(masked).path("status").asText()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(masked), "step_log", p -> p.path("message").asText()))
                    .containsExactly("before: ***", "after: ***");

            assertThat(server.delete("/api/v2/secrets/GONE").status()).isEqualTo(204);
            String plain = server.execute("printer", "{\"gate\": \"" + gate + "\"}");
            assertThat(server.awaitEnd(plain).path("status").asText()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(plain), "step_log", p -> p.path("message").asText()))
                    .containsExactly("before: " + S3CRET, "after: " + S3CRET);
        }
    }

    /**
     * Runs rebuilt from their logs mask every secret defined as well: one taken up after an
     * approval, and one retried, which takes over the outputs and variables of the run it
     * retries (printed in clear there, before the secret was defined) and masks them in its own log.
     */
    @Test
    void runsRebuiltFromTheirLogsMaskEverySecretDefinedToo(@TempDir Path data) {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply("""
                    id: patient
                    steps:
                      - {id: gate, type: approval, message: "go on?"}
                      - {id: late, type: script, run: "printf '%s%s\\n' 's3cr3t' '-VALUE'"}
                    """);
            server.apply("""
                    id: flaky
                    steps:
                      - id: made
                        type: script
                        run: |
                          printf 'token=%s%s\\n' 's3cr3t' '-VALUE' >> "$STEPSTREAM_OUTPUT"
                      - {id: kept, type: set, vars: {token: "${steps.made.outputs.token}"}}
                      - {id: broke, type: fail, message: "not yet"}
                    """);
            String waiting = server.execute("patient", null);
            Await.until("the run waits", Duration.ofSeconds(20),
                    () -> server.run(waiting).path("status").asText().equals("waiting") ? true : null);
            String failed = server.execute("flaky", null);
            assertThat(server.awaitEnd(failed).path("variables").path("token").asText()).as("no secret yet").isEqualTo(S3CRET);

            assertThat(setSecret(server, "LATER", S3CRET).status()).isEqualTo(201);
            assertThat(server.post("/api/v2/workflows/runs/" + waiting + "/steps/gate/approve", "").status()).isEqualTo(202);
            assertThat(server.awaitEnd(waiting).path("status").asText()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(waiting), "step_log", p -> p.path("message").asText())).containsExactly("***");

            TestServer.Response retried = server.post("/api/v2/workflows/runs/" + failed + "/retry", "{\"from\": \"broke\"}");
            assertThat(retried.status()).as(retried.text()).isEqualTo(202);
            String retry = retried.body().path("runId").asText();
            JsonNode run = server.awaitEnd(retry);
            assertThat(run.path("variables").path("token").asText()).isEqualTo("***");
            List<String> produced = new ArrayList<>(server.awaitRawHistory(retry));
            produced.add(run.toString());
            assertThat(String.join("\n", produced)).contains("\"reused\":true").doesNotContain(S3CRET);
        }
    }

    /**
     * A secret set through one node is masked by the runs of another node that shares the
     * database, which learns of it by reading the secrets' version every poll interval (here
     * 300 ms): node A, which set it, is stopped, so that B runs everything.
     */
    @Test
    void aSecretSetThroughAnotherNodeIsMaskedWithinAPollInterval(@TempDir Path data) throws Exception {
        try (Postgres postgres = Postgres.schema();
             TestServer b = clusterNode(data, "node-b", postgres)) {
            b.apply(printsWhenGateOpens("printer", S3CRET));
            Path gate = Files.createFile(data.resolve("gate"));
            try (TestServer a = clusterNode(data, "node-a", postgres)) {
                assertThat(setSecret(a, "ELSEWHERE", S3CRET).status()).isEqualTo(201);
            }
            java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>();
            Await.until("node B masks the value (a poll interval, and a run or two)", Duration.ofSeconds(10), () -> {
                String runId = b.execute("printer", "{\"gate\": \"" + gate + "\"}");
                last.set(runId);
                b.awaitEnd(runId);
                return payloads(b.awaitHistory(runId), "step_log", p -> p.path("message").asText()).contains("after: ***") ? true : null;
            });
            assertThat(b.run(last.get()).toString()).doesNotContain(S3CRET);
        }
    }

    /** A node on {@code postgres}, polling every 300 ms, with the master key that every node of the cluster shares. */
    private static TestServer clusterNode(Path data, String nodeId, Postgres postgres) {
        return TestServer.start(data.resolve(nodeId), config -> config.withAllowScripts(true).withDb(postgres.url())
                .withSecrets(new SecretsSettings(data.resolve("secrets.key")))
                .withCluster(new dev.stepstream.execution.ClusterSettings(nodeId, Duration.ofSeconds(15), Duration.ofMillis(300))));
    }

    @Test
    void anHttpResponseThatHoldsASecretIsMaskedInTheVariableAndTheOutputs(@TempDir Path data) throws Exception {
        HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/echo", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            byte[] reply = ("{\"seen\": " + TextNode.valueOf(auth) + ", \"encoded\": \""
                    + Base64.getEncoder().encodeToString(auth.substring(7).getBytes(StandardCharsets.UTF_8)) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        target.start();
        try (TestServer server = TestServer.start(data)) {
            assertThat(setSecret(server, "TOKEN", ASCII_VALUE).status()).isEqualTo(201);
            server.apply("""
                    id: caller
                    steps:
                      - id: call
                        type: http
                        url: "http://127.0.0.1:%d/echo"
                        headers: {Authorization: "Bearer ${secrets.TOKEN}"}
                        saveAs: reply
                    """.formatted(target.getAddress().getPort()));
            String runId = server.execute("caller", null);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(run.path("variables").path("reply").path("body").path("seen").asText()).isEqualTo("Bearer ***");
            assertThat(run.path("variables").path("reply").path("body").path("encoded").asText()).isEqualTo("***");
            List<String> produced = new ArrayList<>(server.awaitRawHistory(runId));
            produced.add(server.run(runId).toString());
            for (String answer : produced) {
                assertNoForm("the run's history or detail", answer.getBytes(StandardCharsets.UTF_8), ASCII_VALUE);
            }
        } finally {
            target.stop(0);
        }
    }

    @Test
    void aRotationWhileARunWaitsLosesNothingTheRunReadsAfterIt(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            setSecret(server, "ONE", "first value");
            server.apply("""
                    id: patient
                    steps:
                      - {id: early, type: log, message: "before: ${secrets.ONE}"}
                      - {id: gate, type: approval, message: "go on?"}
                      - {id: late, type: set, vars: {seen: "${secrets.ONE}"}}
                    """);
            String runId = server.execute("patient", null);
            Await.until("the run waits", Duration.ofSeconds(20),
                    () -> server.run(runId).path("status").asText().equals("waiting") ? true : null);
            assertThat(server.post("/api/v2/secrets/rotate-key", "").body().path("resealed").asInt()).isEqualTo(1);
            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/steps/gate/approve", "").status()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(run.path("variables").path("seen").asText()).isEqualTo("***");
        }
    }

    /**
     * The master key itself changes with no secret lost and no run stopped: nodes start with the
     * new key and the previous one, a rotation seals the older data keys under the new key, and
     * from then on the new key alone opens everything.
     */
    @Test
    void theMasterKeyChangesWhileARunWaitsAndThenThePreviousOneIsNoLongerNeeded(@TempDir Path data) throws Exception {
        Path keyFile = data.resolve("secrets.key");
        String runId;
        try (TestServer server = TestServer.start(data)) {
            assertThat(setSecret(server, "TOKEN", VALUE).status()).isEqualTo(201);
            server.apply("""
                    id: patient
                    steps:
                      - {id: early, type: log, message: "before: ${secrets.TOKEN}"}
                      - {id: gate, type: approval, message: "go on?"}
                      - {id: late, type: log, message: "after: ${secrets.TOKEN}"}
                    """);
            runId = server.execute("patient", null);
            Await.until("the run waits", Duration.ofSeconds(20),
                    () -> server.run(runId).path("status").asText().equals("waiting") ? true : null);
        }
        Path oldKey = Files.move(keyFile, data.resolve("old.key"));
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(MasterKey.random(32)) + "\n");
        SecretsSettings both = new SecretsSettings(null, keyFile, null, oldKey);
        try (TestServer server = TestServer.start(data, config -> config.withSecrets(both))) {
            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/steps/gate/approve", "").status()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(runId), "step_log", p -> p.path("message").asText()))
                    .containsExactly("before: ***", "after: ***");
            TestServer.Response rotated = server.post("/api/v2/secrets/rotate-key", "");
            assertThat(rotated.status()).as(rotated.text()).isEqualTo(200);
            assertThat(rotated.body().path("resealed").asInt()).isEqualTo(1);
            assertThat(rotated.body().path("rewrapped").asInt()).as("the first data key, sealed under the old master key").isEqualTo(1);
            assertThat(server.post("/api/v2/secrets/rotate-key", "").body().path("rewrapped").asInt()).isZero();
        }
        try (TestServer server = TestServer.start(data)) {
            assertThat(setSecret(server, "OTHER", "another value").status()).as("the new key alone opens the vault").isEqualTo(201);
            server.apply("""
                    id: reader
                    steps:
                      - {id: read, type: log, message: "${secrets.TOKEN} ${secrets.OTHER}"}
                    """);
            JsonNode run = server.awaitEnd(server.execute("reader", null));
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(run.path("runId").asText()), "step_log", p -> p.path("message").asText()))
                    .containsExactly("*** ***");
        }
        SecretsSettings oldOnly = new SecretsSettings(null, oldKey, null, null);
        try (TestServer server = TestServer.start(data, config -> config.withSecrets(oldOnly))) {
            TestServer.Response refused = server.post("/api/v2/secrets/rotate-key", "");
            assertThat(refused.status()).as("the old key opens nothing any longer").isEqualTo(503);
            assertThat(refused.text()).contains("--secrets-key-file " + oldKey, "does not open");
        }
    }

    @Test
    void aNodeWhoseMasterKeyDoesNotOpenTheStoredKeysServesRunsButSaysWhyItCannotReadSecrets(@TempDir Path data) throws Exception {
        try (TestServer server = TestServer.start(data)) {
            assertThat(setSecret(server, "TOKEN", VALUE).status()).isEqualTo(201);
        }
        Files.writeString(data.resolve("secrets.key"), Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        try (TestServer server = TestServer.start(data)) {
            TestServer.Response refused = setSecret(server, "OTHER", VALUE);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.body().path("error").path("code").asText()).isEqualTo("secrets_unavailable");
            assertThat(refused.text()).contains("--secrets-key-file " + data.resolve("secrets.key"), "does not open");
            assertThat(server.get("/api/v2/secrets").body().path("secrets")).as("names are still listed").hasSize(1);
            server.apply("""
                    id: reads
                    steps:
                      - {id: plain, type: log, message: "runs go on"}
                      - {id: use, type: log, message: "${secrets.TOKEN}"}
                    """);
            JsonNode run = server.awaitEnd(server.execute("reads", null));
            assertThat(run.path("status").asText()).isEqualTo("failed");
            assertThat(run.path("error").asText()).startsWith("step \"use\" failed: secret \"TOKEN\": --secrets-key-file");
        }
        SecretsSettings byVariable = new SecretsSettings(Base64.getEncoder().encodeToString(new byte[32]), null, null, null);
        try (TestServer server = TestServer.start(data, config -> config.withSecrets(byVariable))) {
            assertThat(setSecret(server, "OTHER", VALUE).text()).as("a key given as itself: named both ways it may come")
                    .contains("--secrets-key (STEPSTREAM_SECRETS_KEY): this node's master key does not open");
        }
    }

    @Test
    void aStepThatReadsASecretThatDoesNotExistFailsNamingIt(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply("""
                    id: missing
                    steps:
                      - {id: use, type: log, message: "${secrets.NOPE}"}
                    """);
            JsonNode run = server.awaitEnd(server.execute("missing", null));
            assertThat(run.path("status").asText()).isEqualTo("failed");
            assertThat(run.path("error").asText()).isEqualTo("step \"use\" failed: no secret \"NOPE\" exists");
        }
    }

    @Test
    void secretsAreNotPassedToAChildRunsInputsAndTheirNamesAreChecked(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            TestServer.Response child = server.putYaml("/api/v2/workflows/parent", """
                    id: parent
                    steps:
                      - {id: call, type: workflow, workflow: other, inputs: {token: "${secrets.TOKEN}"}}
                      - {id: odd, type: log, message: "${secrets.lower}"}
                    """);
            assertThat(child.status()).isEqualTo(422);
            assertThat(child.text()).contains("steps[0].inputs.token", "a secret is not passed to another workflow's run",
                    "steps[1].message", "a secret's name is upper-case");
        }
    }

    @Test
    void aRotationSealsEverySecretAgainAndRunsGoOnReadingThem(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            setSecret(server, "ONE", "first value");
            setSecret(server, "TWO", "second value");
            TestServer.Response rotated = server.post("/api/v2/secrets/rotate-key", "");
            assertThat(rotated.status()).as(rotated.text()).isEqualTo(200);
            assertThat(rotated.body().path("resealed").asInt()).isEqualTo(2);
            server.apply("""
                    id: reader
                    steps:
                      - {id: read, type: set, vars: {both: "${secrets.ONE} ${secrets.TWO}"}}
                      - {id: said, type: log, message: "${vars.both}"}
                    """);
            JsonNode run = server.awaitEnd(server.execute("reader", null));
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(run.path("runId").asText()), "step_log", p -> p.path("message").asText()))
                    .containsExactly("*** ***");
        }
    }

    private static List<byte[]> filesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(file -> {
                try {
                    return Files.readAllBytes(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
