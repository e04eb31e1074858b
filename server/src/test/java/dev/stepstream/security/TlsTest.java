package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Certificates;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS and WSS from PEM files, with a certificate made in the test by the JDK's keytool ({@link Certificates}). */
@Timeout(90)
class TlsTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        Certificates.Pair tls = Certificates.selfSigned(dir, "server");
        server = TestServer.start(dir.resolve("data"), config -> config.withSecurity(config.security().withTls(tls.cert(), tls.key())));
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("stepstream", tls.certificate());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, trust.getTrustManagers(), null);
        client = HttpClient.newBuilder().sslContext(ssl).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theServerSpeaksHttpsAndHttp2() throws Exception {
        assertThat(server.url()).startsWith("https://127.0.0.1:");
        HttpResponse<String> health = send(HttpRequest.newBuilder(URI.create(server.url() + "/healthz")));
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);
        HttpResponse<String> http11 = send(HttpRequest.newBuilder(URI.create(server.url() + "/healthz")).version(HttpClient.Version.HTTP_1_1));
        assertThat(http11.statusCode()).isEqualTo(200);
        assertThat(http11.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }

    @Test
    void aBodyOverTheLimitIs413OverHttp2TooAndTheConnectionGoesOn() throws Exception {
        HttpResponse<String> refused = send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/huge"))
                .header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString("id: huge\n# " + "x".repeat(1024 * 1024) + "\n")));
        assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(refused.statusCode()).as("HTTP/2 forbids Connection: close; a client fails the stream on it").isEqualTo(413);
        assertThat(refused.headers().firstValue("Connection")).isEmpty();
        assertThat(send(HttpRequest.newBuilder(URI.create(server.url() + "/healthz"))).statusCode()).isEqualTo(200);
    }

    @Test
    void aRunStreamWorksOverWss() throws Exception {
        HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/tls"))
                .header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString("id: tls\nsteps:\n  - {id: a, type: log, message: secret}\n")));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        HttpResponse<String> run = send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/tls/execute"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(run.statusCode()).isEqualTo(202);
        String runId = run.body().replaceAll(".*\"runId\":\"([^\"]+)\".*", "$1");
        URI wss = server.streamUrl(runId, "");
        assertThat(wss.getScheme()).isEqualTo("wss");
        try (WsClient stream = WsClient.connect(client, wss)) {
            assertThat(stream.awaitClose().code()).isEqualTo(1000);
            assertThat(stream.envelopes()).extracting(e -> e.path("type").asText()).contains("run_start", "run_complete");
        }
    }

    /** The start-up check that --tls-key is --tls-cert's key (ServeStartupErrorsTest has the refusals) passes a true pair. */
    @Test
    void aKeyWithItsOwnCertificatePassesTheStartUpCheckRsaOrEc() {
        for (String algorithm : List.of("RSA", "EC")) {
            Certificates.Pair own = Certificates.selfSigned(dir.resolve("own"), algorithm, algorithm);
            Config config = Config.resolve(Map.of("tls-cert", own.cert().toString(), "tls-key", own.key().toString()), Map.of());
            assertThat(config.security().tlsKey()).as(algorithm).isEqualTo(own.key());
        }
    }

    @Test
    void plainHttpOnTheTlsPortGetsNoAnswer() {
        assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/healthz")).timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }
}
