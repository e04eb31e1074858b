package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSRF stance of http steps: not this server itself, not link-local (cloud metadata), not
 * through a redirect either; with --http-allow, only the hosts listed.
 */
@Timeout(60)
class HttpTargetsTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static TestServer allowing;
    /** Answers /ok with 200, and /to?url=X with a redirect to X. */
    static HttpServer target;

    @BeforeAll
    static void start() throws IOException {
        target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/ok", exchange -> {
            byte[] body = "fine".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        target.createContext("/to", exchange -> {
            String url = java.net.URLDecoder.decode(exchange.getRequestURI().getRawQuery().substring(4), StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Location", url);
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        target.start();
        server = TestServer.start(dir.resolve("default"));
        allowing = TestServer.start(dir.resolve("allowing"), config -> config.withSecurity(config.security()
                .withHttpAllow(List.of("localhost:" + target.getAddress().getPort()))));
        for (TestServer s : List.of(server, allowing)) {
            s.apply("""
                    id: fetch
                    inputs:
                      url: {type: string, required: true}
                    steps:
                      - {id: get, type: http, url: "${inputs.url}"}
                    """);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
        allowing.close();
        target.stop(0);
    }

    static String targetUrl(String path) {
        return "http://127.0.0.1:" + target.getAddress().getPort() + path;
    }

    static TestServer.Response put(TestServer on, String url) {
        return on.putYaml("/api/v2/workflows/ssrf", "id: ssrf\nsteps:\n  - {id: get, type: http, url: \"" + url + "\"}\n");
    }

    static JsonNode fetch(TestServer on, String url) {
        String runId = on.execute("fetch", "{\"url\": \"" + url + "\"}");
        return on.awaitEnd(runId);
    }

    @Test
    void aWorkflowThatCallsThisServerItselfIsRefusedWhenRegistered() {
        TestServer.Response answer = put(server, server.url() + "/api/v2/workflows/fetch/execute");
        assertThat(answer.status()).isEqualTo(422);
        assertThat(answer.body().path("error").path("details").get(0).path("path").asText()).isEqualTo("steps[0].url");
        assertThat(answer.text()).contains("may not call this server itself");
        TestServer.Response localhost = put(server, "http://localhost:" + server.port() + "/api/v2/workflows");
        assertThat(localhost.status()).isEqualTo(422);
        assertThat(put(server, "http://127.0.0.1:" + server.port() + "/healthz").status())
                .as("its probes change nothing, so a workflow may check this very server").isIn(200, 201);
    }

    @Test
    void linkLocalAddressesWhereCloudMetadataLivesAreRefused() {
        TestServer.Response answer = put(server, "http://169.254.169.254/latest/meta-data/");
        assertThat(answer.status()).isEqualTo(422);
        assertThat(answer.text()).contains("link-local");
    }

    /**
     * The metadata services' addresses besides link-local (AWS's IPv6 one, Alibaba's), and IPv6
     * addresses that carry 169.254.169.254 (NAT64, 6to4, IPv4-compatible), are refused as
     * link-local is; their neighbours are not.
     */
    @Test
    void theCloudMetadataServicesOtherAddressesAreRefusedToo() {
        for (String url : java.util.List.of("http://[fd00:ec2::254]/latest/meta-data/", "http://100.100.100.200/latest/meta-data/",
                "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::169.254.169.254]/", "http://[2002:a9fe:a9fe::1]/",
                "http://[::169.254.169.254]/")) {
            TestServer.Response answer = put(server, url);
            assertThat(answer.status()).as(url).isEqualTo(422);
            assertThat(answer.text()).as(url).contains("cloud metadata", "unless listed in --http-allow");
        }
        for (String url : java.util.List.of("http://[fd00:ec2::253]/", "http://100.100.100.201/", "http://[64:ff9b::808:808]/",
                "http://[2001:db8::1]/")) {
            assertThat(put(server, url).status()).as(url).isIn(200, 201);
        }
    }

    @Test
    void aUrlBuiltFromInputsIsCheckedWhenTheStepRuns() {
        JsonNode run = fetch(server, server.url() + "/api/v2/workflows");
        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(run.path("steps").get(0).path("error").asText()).contains("may not call this server itself");
        assertThat(fetch(server, targetUrl("/ok")).path("status").asText()).as("other hosts are fine").isEqualTo("success");
    }

    @Test
    void aRedirectCannotCarryARequestWhereTheStepCouldNotSendIt() {
        String toSelf = targetUrl("/to?url=" + java.net.URLEncoder.encode(server.url() + "/api/v2/workflows", StandardCharsets.UTF_8));
        JsonNode refused = fetch(server, toSelf);
        assertThat(refused.path("status").asText()).isEqualTo("failed");
        assertThat(refused.path("steps").get(0).path("error").asText()).contains("redirected to", "may not call this server itself");
        String toOk = targetUrl("/to?url=" + java.net.URLEncoder.encode(targetUrl("/ok"), StandardCharsets.UTF_8));
        assertThat(fetch(server, toOk).path("status").asText()).as("other redirects are followed").isEqualTo("success");
    }

    @Test
    void withHttpAllowOnlyTheListedHostsMayBeCalled() {
        int port = target.getAddress().getPort();
        assertThat(put(allowing, "http://localhost:" + port + "/ok").status()).isEqualTo(201);
        TestServer.Response other = put(allowing, "http://127.0.0.1:" + port + "/ok");
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.text()).contains("is not in --http-allow");
        assertThat(fetch(allowing, "http://localhost:" + port + "/ok").path("status").asText()).isEqualTo("success");
        JsonNode elsewhere = fetch(allowing, "https://example.com/");
        assertThat(elsewhere.path("steps").get(0).path("error").asText()).contains("host example.com is not in --http-allow");
    }
}
