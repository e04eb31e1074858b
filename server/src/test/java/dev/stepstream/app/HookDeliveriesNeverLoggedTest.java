package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.Await;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A refused webhook delivery is logged with its ids and reason, and nothing of what it sent: not
 * its body (bad signature, replay, bad inputs, bad JSON, too large), not its signature.
 */
@Timeout(120)
class HookDeliveriesNeverLoggedTest {
    private static final String KEY = "the webhook's key, 42";
    private static final String BODY = "{\"note\": \"body-words-never-logged\", \"id\": 7}";
    private static final String ANOTHER_BODY = "{\"note\": \"replayed-words-never-logged\"}";
    private static final String NUMBER_BODY = "{\"key-never-logged\": 1e99999}";
    /** A well-formed signature of nothing in particular. */
    private static final String FORGED = "sha256=" + "c0ffee".repeat(10) + "abcd";

    @Test
    void refusedDeliveriesAreLoggedWithoutTheirBodyOrSignature(@TempDir Path dir) throws Exception {
        for (String format : List.of("text", "json")) {
            try (ChildServer server = ChildServer.start(dir.resolve(format), "--log-format", format)) {
                HttpResponse<String> secret = NodeApi.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/secrets/HOOK_KEY"))
                        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"value\": \"" + KEY + "\"}")));
                assertThat(secret.statusCode()).as(secret.body()).isEqualTo(201);
                NodeApi.put(server, """
                        id: quiet
                        inputs: {ref: {type: string, required: true}}
                        triggers:
                          - {id: push, type: webhook, secret: "${secrets.HOOK_KEY}", inputs: {ref: "${body.ref}"}}
                        steps:
                          - {id: a, type: log, message: "${inputs.ref}"}
                        """);
                String good = sign(BODY);

                assertThat(deliver(server, BODY, Map.of("X-Hub-Signature-256", FORGED))).isEqualTo(401);
                assertThat(deliver(server, BODY, Map.of("X-Stepstream-Signature", FORGED.substring(0, 50)))).isEqualTo(401);
                assertThat(deliver(server, ANOTHER_BODY, Map.of("X-Hub-Signature-256", good))).as("replayed").isEqualTo(401);
                assertThat(deliver(server, BODY, Map.of("X-Hub-Signature-256", good))).as("no ref in the body").isEqualTo(422);
                assertThat(deliver(server, NUMBER_BODY, Map.of("X-Hub-Signature-256", sign(NUMBER_BODY)))).isEqualTo(400);
                String large = "large-words-never-logged ".repeat(50_000);
                assertThat(deliver(server, large, Map.of("X-Hub-Signature-256", sign(large)))).isEqualTo(413);

                // HooksApi's own lines, whichever the format (JSON writes quiet\/push)
                String output = Await.until("the six refusals are logged", Duration.ofSeconds(10), () ->
                        server.output().lines().filter(line -> line.contains("HooksApi") && line.contains("refused: ")).count() == 6
                                ? server.output() : null);
                assertThat(output).contains("401 invalid_signature", "422 invalid_inputs", "400 invalid_json", "413 body_too_large");
                assertThat(output).doesNotContain("body-words-never-logged", "replayed-words-never-logged", "key-never-logged",
                        "large-words-never-logged", FORGED.substring(7, 27), good.substring(7, 27), KEY);
            }
        }
    }

    private static int deliver(ChildServer server, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/hooks/quiet/push"))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return NodeApi.send(request).statusCode();
    }

    private static String sign(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
