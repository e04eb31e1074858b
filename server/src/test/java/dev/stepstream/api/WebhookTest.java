package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.security.Role;
import dev.stepstream.security.SecuritySettings;
import dev.stepstream.security.TokenFile;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /api/v2/hooks/{workflowId}/{triggerId}} from outside (docs/api.md, "Webhooks"): a
 * signed body starts a run whose inputs come from the body, headers and query; GitHub's own
 * example signature passes as it is; a bad or missing signature, or a signature replayed with
 * another body, is 401 and starts nothing; a webhook without a secret asks for an operator.
 */
@Timeout(120)
class WebhookTest {
    /** GitHub's documented example ("Validating webhook deliveries"): this secret, this payload, this header. */
    static final String GITHUB_SECRET = "It's a Secret to Everybody";
    static final String GITHUB_PAYLOAD = "Hello, World!";
    static final String GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    static final String PUSHED = """
            id: pushed
            inputs:
              ref: {type: string, required: true}
              event: {type: string}
              env: {type: string, default: dev}
              tags: {type: array}
            triggers:
              - id: push
                type: webhook
                secret: "${secrets.HOOK_KEY}"
                inputs: {ref: "${body.ref}", event: "${headers['x-github-event']}", env: "${query.env}", tags: "${query.tag}"}
              - id: by-hand
                type: webhook
                inputs: {ref: "${body.ref}"}
              - id: nightly
                type: schedule
                cron: "@daily"
                inputs: {ref: main}
            steps:
              - {id: say, type: log, message: "${inputs.ref}"}
            """;
    static final String GREETED = """
            id: greeted
            inputs:
              text: {type: string, required: true}
            triggers:
              - {id: greet, type: webhook, secret: "${secrets.HOOK_KEY}", inputs: {text: "${body}"}}
              - {id: orphan, type: webhook, secret: "${secrets.NOT_SET}", inputs: {text: "${body}"}}
            steps:
              - {id: say, type: log, message: "${inputs.text}"}
            """;

    @TempDir
    static Path dir;
    static TestServer server;
    static final Map<String, String> TOKENS = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        Path tokens = dir.resolve("tokens");
        for (Role role : Role.values()) {
            TOKENS.put(role.wire(), TokenFile.create(tokens, "the-" + role.wire(), role));
        }
        server = TestServer.start(dir.resolve("server"), config -> config.withSecurity(config.security().withTokensFile(tokens)));
        TestServer.Response secret = server.send(server.request("/api/v2/secrets/HOOK_KEY").header("Authorization", bearer("admin"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"value\": \"" + GITHUB_SECRET + "\"}")));
        assertThat(secret.status()).as(secret.text()).isEqualTo(201);
        for (String yaml : new String[] {PUSHED, GREETED}) {
            String id = yaml.substring("id: ".length(), yaml.indexOf('\n'));
            TestServer.Response put = server.send(server.request("/api/v2/workflows/" + id).header("Authorization", bearer("admin"))
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
            assertThat(put.status()).as(put.text()).isEqualTo(201);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String bearer(String role) {
        return "Bearer " + TOKENS.get(role);
    }

    static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static TestServer.Response deliver(TestServer to, String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder request = to.request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return to.send(request);
    }

    static TestServer.Response deliver(String path, String body, Map<String, String> headers) {
        return deliver(server, path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** How many runs the workflow has, as an admin lists them. */
    static int runs(String workflowId) {
        TestServer.Response list = server.send(server.request("/api/v2/workflows/runs?limit=500&workflowId=" + workflowId)
                .header("Authorization", bearer("admin")));
        assertThat(list.status()).as(list.text()).isEqualTo(200);
        return list.body().path("runs").size();
    }

    static JsonNode run(String runId) {
        TestServer.Response run = server.send(server.request("/api/v2/workflows/runs/" + runId).header("Authorization", bearer("admin")));
        assertThat(run.status()).as(run.text()).isEqualTo(200);
        return run.body();
    }

    @Test
    void aSignedDeliveryStartsARunWithInputsFromTheBodyHeadersAndQuery() {
        String body = "{\"ref\": \"refs/heads/main\", \"commits\": []}";
        TestServer.Response answer = deliver("/api/v2/hooks/pushed/push?env=prod&tag=a&tag=b", body, Map.of(
                "Content-Type", "application/json", "X-GitHub-Event", "push",
                "X-Hub-Signature-256", sign(GITHUB_SECRET, body.getBytes(StandardCharsets.UTF_8))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        String runId = answer.body().path("runId").asText();
        assertThat(answer.body().path("workflowId").asText()).isEqualTo("pushed");
        assertThat(answer.body().path("status").asText()).isEqualTo("queued");
        assertThat(answer.body().path("streamUrl").asText()).isEqualTo("/api/v2/workflows/runs/" + runId + "/stream");
        assertThat(answer.header("Location")).isEqualTo("/api/v2/workflows/runs/" + runId);
        JsonNode run = run(runId);
        assertThat(run.path("trigger").path("type").asText()).isEqualTo("webhook");
        assertThat(run.path("trigger").path("id").asText()).isEqualTo("push");
        assertThat(run.path("inputs").toString())
                .isEqualTo("{\"ref\":\"refs/heads/main\",\"event\":\"push\",\"env\":\"prod\",\"tags\":[\"a\",\"b\"]}");
    }

    @Test
    void theStepstreamHeaderSignsAsWellAndAMissingQueryValueTakesTheDefault() {
        String body = "{\"ref\": \"v1.2.3\"}";
        TestServer.Response answer = deliver("/api/v2/hooks/pushed/push", body,
                Map.of("X-Stepstream-Signature", sign(GITHUB_SECRET, body.getBytes(StandardCharsets.UTF_8))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        JsonNode inputs = run(answer.body().path("runId").asText()).path("inputs");
        assertThat(inputs.path("ref").asText()).isEqualTo("v1.2.3");
        assertThat(inputs.path("env").asText()).isEqualTo("dev");
        assertThat(inputs.has("event")).as("a header not sent gives no value").isFalse();
    }

    @Test
    void githubsOwnExampleSignatureIsAcceptedAsItIsAndATextBodyIsText() {
        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", GITHUB_PAYLOAD,
                hub(GITHUB_SIGNATURE));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").asText()).isEqualTo(GITHUB_PAYLOAD);
    }

    /** GitHub's other content type: the form's bytes are signed and read as they came, as text. */
    @Test
    void aFormEncodedBodyIsSignedAsSentAndReadAsText() {
        String body = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D";
        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", body, Map.of(
                "Content-Type", "application/x-www-form-urlencoded", "X-Hub-Signature-256", sign(GITHUB_SECRET, bytes(body))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").asText()).isEqualTo(body);
    }

    /**
     * GitHub's form deliveries are often over 8 KiB (a push of a few commits): the body is read as
     * the bytes it is, never decoded as a form, whose field limits (8 KiB a value, 1 KiB without
     * an {@code =}) are not the webhook's.
     */
    @Test
    void aFormEncodedBodyOfTwelveKilobytesIsSignedAsSentAndReadAsText() {
        String commits = "{\"id\":\"0123456789abcdef\",\"message\":\"a commit\"},".repeat(240);
        String json = "{\"ref\":\"refs/heads/main\",\"commits\":[" + commits.substring(0, commits.length() - 1) + "]}";
        String body = "payload=" + java.net.URLEncoder.encode(json, StandardCharsets.UTF_8);
        assertThat(body.length()).isBetween(12_000, 20_000);

        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", body, Map.of(
                "Content-Type", "application/x-www-form-urlencoded", "X-Hub-Signature-256", sign(GITHUB_SECRET, bytes(body))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").asText()).isEqualTo(body);
    }

    @Test
    void aFormEncodedBodyOfOneMebibyteWithoutAnEqualsSignIsReadAsText() {
        byte[] body = new byte[HooksApi.MAX_BODY_BYTES];
        java.util.Arrays.fill(body, (byte) 'x');

        TestServer.Response answer = deliver(server, "/api/v2/hooks/greeted/greet", body, Map.of(
                "Content-Type", "application/x-www-form-urlencoded", "X-Hub-Signature-256", sign(GITHUB_SECRET, body)));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").asText())
                .isEqualTo(new String(body, StandardCharsets.US_ASCII));
    }

    /** A multipart body is bytes like any other: signed and read as sent, not taken apart into fields. */
    @Test
    void aMultipartBodyIsSignedAsSentAndReadAsText() {
        String body = "--b0undary\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{\"ref\":\"main\"}\r\n--b0undary--\r\n";
        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", body, Map.of(
                "Content-Type", "multipart/form-data; boundary=b0undary", "X-Hub-Signature-256", sign(GITHUB_SECRET, bytes(body))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").asText()).isEqualTo(body);
    }

    @Test
    void anEmptyBodyIsSignedAndReadAsEmptyText() {
        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", "", Map.of(
                "Content-Type", "application/x-www-form-urlencoded", "X-Hub-Signature-256", sign(GITHUB_SECRET, new byte[0])));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").isTextual()).isTrue();
        assertThat(run(answer.body().path("runId").asText()).path("inputs").path("text").asText()).isEmpty();
    }

    static Stream<Arguments> badSignatures() {
        String good = GITHUB_SIGNATURE;
        String payload = GITHUB_PAYLOAD;
        String wrong = sign("another secret", bytes(payload));
        return Stream.of(
                Arguments.of("a wrong signature", payload, hub(wrong)),
                Arguments.of("no signature", payload, Map.of()),
                Arguments.of("an empty header", payload, hub("")),
                Arguments.of("another algorithm's prefix", payload, hub(good.replace("sha256=", "sha1=xx"))),
                Arguments.of("no prefix", payload, hub(good.substring("sha256=".length()))),
                Arguments.of("an odd number of hex digits", payload, hub(good.substring(0, good.length() - 1))),
                Arguments.of("a digit that is not hex", payload, hub(good.substring(0, good.length() - 1) + "g")),
                Arguments.of("a truncated signature", payload, hub(good.substring(0, 40))),
                Arguments.of("GitHub's signature replayed with another body", "Hello, World?", hub(good)),
                Arguments.of("a good and a bad header", payload, Map.of("X-Hub-Signature-256", good, "X-Stepstream-Signature", wrong)),
                Arguments.of("an operator's token instead of a signature", payload, Map.of("Authorization", "Bearer operator")));
    }

    static Map<String, String> hub(String signature) {
        return Map.of("X-Hub-Signature-256", signature);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSignatures")
    void aBadOrMissingSignatureIs401AndStartsNoRun(String name, String body, Map<String, String> headers) {
        Map<String, String> sent = new LinkedHashMap<>(headers);
        if ("Bearer operator".equals(sent.get("Authorization"))) {
            sent.put("Authorization", bearer("operator")); // the signature is the credential: a token stands for nothing here
        }
        int before = runs("greeted");

        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", body, sent);

        assertThat(answer.status()).as(answer.text()).isEqualTo(401);
        assertThat(answer.body().path("error").path("code").asText()).isEqualTo("invalid_signature");
        assertThat(answer.header("WWW-Authenticate")).as("no token would do").isNull();
        assertThat(answer.text()).doesNotContain(GITHUB_SIGNATURE.substring(7, 30));
        assertThat(runs("greeted")).isEqualTo(before);
    }

    @Test
    void aSignedDeliveryNeedsNoTokenAndABadOneChangesNothing() {
        TestServer.Response answer = deliver("/api/v2/hooks/greeted/greet", GITHUB_PAYLOAD,
                Map.of("X-Hub-Signature-256", GITHUB_SIGNATURE, "Authorization", "Bearer ss_not-a-token-of-this-server"));
        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
    }

    @Test
    void withoutASecretAWebhookAsksForAnOperatorsToken() {
        String body = "{\"ref\": \"main\"}";
        int before = runs("pushed");

        TestServer.Response anonymous = deliver("/api/v2/hooks/pushed/by-hand", body, Map.of());
        assertThat(anonymous.status()).as(anonymous.text()).isEqualTo(401);
        assertThat(anonymous.body().path("error").path("code").asText()).isEqualTo("unauthenticated");
        assertThat(anonymous.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"stepstream\"");

        TestServer.Response badToken = deliver("/api/v2/hooks/pushed/by-hand", body,
                Map.of("Authorization", "Bearer ss_not-a-token-of-this-server"));
        assertThat(badToken.status()).as(badToken.text()).isEqualTo(401);
        assertThat(badToken.body().path("error").path("code").asText()).isEqualTo("invalid_token");

        TestServer.Response signedOnly = deliver("/api/v2/hooks/pushed/by-hand", body,
                hub(sign(GITHUB_SECRET, bytes(body))));
        assertThat(signedOnly.status()).as("a signature is no credential where there is no secret").isEqualTo(401);

        TestServer.Response viewer = deliver("/api/v2/hooks/pushed/by-hand", body, Map.of("Authorization", bearer("viewer")));
        assertThat(viewer.status()).as(viewer.text()).isEqualTo(403);
        assertThat(viewer.body().path("error").path("code").asText()).isEqualTo("forbidden");
        assertThat(runs("pushed")).isEqualTo(before);

        TestServer.Response operator = deliver("/api/v2/hooks/pushed/by-hand", body, Map.of("Authorization", bearer("operator")));
        assertThat(operator.status()).as(operator.text()).isEqualTo(202);
        JsonNode run = run(operator.body().path("runId").asText());
        assertThat(run.path("trigger").path("id").asText()).isEqualTo("by-hand");
        assertThat(run.path("inputs").path("ref").asText()).isEqualTo("main");
    }

    @Test
    void anUnknownWorkflowAnUnknownTriggerAndAScheduleGetTheSameAnswer() {
        for (String path : new String[] {"/api/v2/hooks/nope/push", "/api/v2/hooks/pushed/nope", "/api/v2/hooks/pushed/nightly"}) {
            TestServer.Response answer = deliver(path, GITHUB_PAYLOAD, hub(GITHUB_SIGNATURE));
            assertThat(answer.status()).as(path + ": " + answer.text()).isEqualTo(404);
            assertThat(answer.body().path("error").path("code").asText()).isEqualTo("hook_not_found");
        }
    }

    @Test
    void aSecretThatIsNotSetIs503WithoutNamingIt() {
        TestServer.Response answer = deliver("/api/v2/hooks/greeted/orphan", GITHUB_PAYLOAD, hub(GITHUB_SIGNATURE));
        assertThat(answer.status()).as(answer.text()).isEqualTo(503);
        assertThat(answer.body().path("error").path("code").asText()).isEqualTo("secrets_unavailable");
        assertThat(answer.text()).doesNotContain("NOT_SET");
    }

    @Test
    void aBodyOverOneMebibyteIs413AndStartsNoRun() {
        byte[] body = new byte[1024 * 1024 + 1];
        java.util.Arrays.fill(body, (byte) 'x');
        int before = runs("greeted");

        TestServer.Response answer = deliver(server, "/api/v2/hooks/greeted/greet", body, hub(sign(GITHUB_SECRET, body)));

        assertThat(answer.status()).as(answer.text()).isEqualTo(413);
        assertThat(answer.body().path("error").path("code").asText()).isEqualTo("body_too_large");
        assertThat(answer.body().path("error").path("message").asText()).isEqualTo("the request body is larger than 1 MiB");
        assertThat(runs("greeted")).isEqualTo(before);
    }

    /** Sent in chunks, without a length to refuse it by, a form body is counted as it comes and refused past 1 MiB all the same. */
    @Test
    void aFormEncodedBodyOverOneMebibyteIs413AndStartsNoRunWithOrWithoutALength() {
        byte[] body = new byte[HooksApi.MAX_BODY_BYTES + 1];
        java.util.Arrays.fill(body, (byte) 'x');
        int before = runs("greeted");

        for (boolean chunked : new boolean[] {false, true}) {
            HttpRequest.BodyPublisher publisher = chunked
                    ? HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArray(body))
                    : HttpRequest.BodyPublishers.ofByteArray(body);
            TestServer.Response answer = server.send(server.request("/api/v2/hooks/greeted/greet").POST(publisher)
                    .header("Content-Type", "application/x-www-form-urlencoded").header("X-Hub-Signature-256", sign(GITHUB_SECRET, body)));

            assertThat(answer.status()).as((chunked ? "chunked: " : "") + answer.text()).isEqualTo(413);
            assertThat(answer.body().path("error").path("code").asText()).isEqualTo("body_too_large");
        }
        assertThat(runs("greeted")).isEqualTo(before);
    }

    /** A body whose chunks are not HTTP is the sender's error, answered as a malformed request; it starts nothing. */
    @Test
    void aMalformedChunkedBodyIs400AndStartsNoRun() {
        int before = runs("greeted");

        RawHttp.Answer answer = RawHttp.exchange(server.port(), ("POST /api/v2/hooks/greeted/greet HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));

        assertThat(answer).as("an answer before the connection closes").isNotNull();
        assertThat(answer.status()).as(answer.body()).isEqualTo(400);
        assertThat(answer.json().path("error").path("code").asText()).isEqualTo("bad_request");
        assertThat(runs("greeted")).isEqualTo(before);
    }

    @Test
    void aBodyThatDoesNotGiveARequiredInputIs422NamingIt() {
        String body = "{\"branch\": \"main\"}";
        int before = runs("pushed");

        TestServer.Response answer = deliver("/api/v2/hooks/pushed/push", body, hub(sign(GITHUB_SECRET, bytes(body))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(422);
        assertThat(answer.body().path("error").path("code").asText()).isEqualTo("invalid_inputs");
        assertThat(answer.body().path("error").path("details").get(0).path("path").asText()).isEqualTo("inputs.ref");
        assertThat(runs("pushed")).isEqualTo(before);
    }

    @Test
    void anExpressionThatFailsOnTheBodyIs422NamingTheInput() {
        String body = "not json, so body.ref reads a property of text";
        TestServer.Response answer = deliver("/api/v2/hooks/pushed/push", body, hub(sign(GITHUB_SECRET, bytes(body))));

        assertThat(answer.status()).as(answer.text()).isEqualTo(422);
        assertThat(answer.body().path("error").path("details").get(0).path("path").asText()).isEqualTo("inputs.ref");
    }

    @Test
    void deliveriesAreCountedByOutcome() {
        Scrape before = scrape();
        deliver("/api/v2/hooks/greeted/greet", GITHUB_PAYLOAD, hub(GITHUB_SIGNATURE));
        deliver("/api/v2/hooks/greeted/greet", GITHUB_PAYLOAD, Map.of());
        deliver("/api/v2/hooks/nope/nope", GITHUB_PAYLOAD, Map.of());

        Scrape after = scrape();
        assertThat(after.since(before, "stepstream_hooks_total", "outcome=accepted")).isEqualTo(1);
        assertThat(after.since(before, "stepstream_hooks_total", "outcome=invalid_signature")).isEqualTo(1);
        assertThat(after.since(before, "stepstream_hooks_total", "outcome=hook_not_found")).isEqualTo(1);
        assertThat(after.since(before, "stepstream_http_refused_total", "reason=invalid_signature")).isEqualTo(1);
    }

    static Scrape scrape() {
        TestServer.Response metrics = server.send(server.request("/metrics").header("Authorization", bearer("viewer")));
        assertThat(metrics.status()).isEqualTo(200);
        return Scrape.parse(metrics.text());
    }

    /** Signed deliveries come without credentials, so they count against the sender's address, like any such request. */
    @Test
    void theRateLimitAppliesToSignedDeliveries() throws IOException {
        ManualClock clock = new ManualClock();
        SecuritySettings.Limits small = new SecuritySettings.Limits(new SecuritySettings.Rate(3, Duration.ofSeconds(1)),
                SecuritySettings.DEFAULT_LIMITS.streams(), 10_000, 1000, 20_000, Duration.ofSeconds(30), Duration.ofSeconds(180));
        Path tokens = dir.resolve("limited-tokens");
        String admin = TokenFile.create(tokens, "admin", Role.ADMIN);
        try (TestServer limited = TestServer.start(dir.resolve("limited"), clock, config -> config.withSecurity(config.security()
                .withTokensFile(tokens).withLimits(small)))) {
            TestServer.Response put = limited.send(limited.request("/api/v2/workflows/greeted").header("Authorization", "Bearer " + admin)
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(GREETED)));
            assertThat(put.status()).as(put.text()).isEqualTo(201);
            TestServer.Response secret = limited.send(limited.request("/api/v2/secrets/HOOK_KEY").header("Authorization", "Bearer " + admin)
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"value\": \"" + GITHUB_SECRET + "\"}")));
            assertThat(secret.status()).as(secret.text()).isEqualTo(201);
            clock.advance(Duration.ofSeconds(1));

            TestServer.Response limitedAnswer = null;
            for (int i = 0; i < 10 && limitedAnswer == null; i++) {
                TestServer.Response answer = deliver(limited, "/api/v2/hooks/greeted/greet", bytes(GITHUB_PAYLOAD),
                        hub(GITHUB_SIGNATURE));
                if (answer.status() == 429) {
                    limitedAnswer = answer;
                } else {
                    assertThat(answer.status()).as(answer.text()).isEqualTo(202);
                }
            }
            assertThat(limitedAnswer).as("a 429 within 10 deliveries at 3/s").isNotNull();
            assertThat(limitedAnswer.body().path("error").path("code").asText()).isEqualTo("rate_limited");
            assertThat(limitedAnswer.header("Retry-After")).isNotNull();
        }
    }
}
