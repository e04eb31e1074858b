package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.security.Role;
import dev.stepstream.security.TokenFile;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.Scrape;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access log's promise, one line per request, kept for the requests the security guard
 * refuses before any route runs: an operator must see a brute-force attempt, in the log and in
 * {@code /metrics}, without the credentials it tried.
 */
@Timeout(120)
class AccessLogTest {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void refusedRequestsAreLoggedOnceEachWithTheirReasonAndCounted() throws Exception {
        Path tokens = dir.resolve("tokens");
        String viewer = TokenFile.create(tokens, "scraper", Role.VIEWER);
        String guess = "ss_aGuessThatIsNotAToken0123456789abcdefghij";
        try (ChildServer server = ChildServer.start(dir, LoggingTest.REAL_LOGGING, "--tokens-file", tokens.toString(),
                "--rate-limit", "4/min")) {
            Scrape before = scrape(server, viewer);

            assertThat(get(server, "/api/v2/workflows?try=1", "Bearer " + guess).statusCode()).isEqualTo(401);
            assertThat(get(server, "/api/v2/workflows?try=2&%61ccess_token=" + guess, null).statusCode()).isEqualTo(401);
            assertThat(get(server, "/api/v2/workflows?try=3", null).statusCode()).isEqualTo(401);
            assertThat(get(server, "/api/v2/workflows?try=4", "Bearer " + guess).statusCode()).isEqualTo(401);
            HttpResponse<String> limited = get(server, "/api/v2/workflows?try=5", "Bearer " + guess);
            assertThat(limited.statusCode()).as("past --rate-limit, before the token is even looked at").isEqualTo(429);

            String output = Await.until("the five refusals are logged", Duration.ofSeconds(10),
                    () -> server.output().contains("?try=5 ") ? server.output() : null);
            assertThat(output).as(output).doesNotContain(guess).doesNotContain(guess.substring(3, 20));
            for (int i = 1; i <= 5; i++) {
                String marker = "?try=" + i;
                List<String> lines = output.lines().filter(line -> line.contains(marker + " ") || line.contains(marker + "&")).toList();
                assertThat(lines).as("one access-log line for request %d", i).hasSize(1);
                assertThat(lines.get(0)).contains("stepstream.access - 127.0.0.1:", "GET /api/v2/workflows" + marker);
            }
            assertThat(output).contains("?try=1 401 ", "?try=2&%61ccess_token=[redacted] 401 ", "?try=5 429 ")
                    .contains("bytes, refused: invalid_token", "bytes, refused: unauthenticated", "bytes, refused: rate_limited");

            Scrape after = scrape(server, viewer);
            assertThat(after.since(before, "stepstream_http_refused_total", "reason=invalid_token")).isEqualTo(3);
            assertThat(after.since(before, "stepstream_http_refused_total", "reason=unauthenticated")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_http_refused_total", "reason=rate_limited")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_http_requests_seconds_count", "status=401")).isEqualTo(4);
        }
    }

    /**
     * A path the router cannot decode (a {@code %} without two hex digits) is the client's
     * mistake, on any route and before any credentials are looked at: a 400 with the error
     * shape and one access-log line, never a 500 with a stack trace per request, which let
     * anyone flood the log.
     */
    @Test
    void aMalformedPercentEscapeIsA400WithOneLogLineAndNoStackTrace() throws Exception {
        Path tokens = dir.resolve("tokens");
        TokenFile.create(tokens, "someone", Role.ADMIN);
        try (ChildServer server = ChildServer.start(dir, LoggingTest.REAL_LOGGING, "--tokens-file", tokens.toString())) {
            int port = URI.create(server.url()).getPort();
            Await.until("the server has logged its start", Duration.ofSeconds(10),
                    () -> server.output().contains("stepstream listening on") ? true : null);
            long linesBefore = server.output().lines().count();
            List<String> requests = List.of("GET /%zz", "GET /api/v2/workflows%", "GET /api/v2/workflows/runs/%G0/events",
                    "POST /api/v2/workflows/x%2/execute", "DELETE /api/v2/workflows/%", "HEAD /%zz.html", "GET /metrics%7");
            for (String request : requests) {
                String path = request.substring(request.indexOf(' ') + 1);
                RawHttp.Answer answer = RawHttp.exchange(port, (request + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                        + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(answer).as(request).isNotNull();
                assertThat(answer.status()).as(request).isEqualTo(400);
                if (!request.startsWith("HEAD")) {
                    assertThat(answer.json().path("error").path("code").asText()).as(request).isEqualTo("bad_request");
                    assertThat(answer.json().path("error").path("message").asText()).as(request).contains(path);
                }
            }
            String output = Await.until("each request is logged", Duration.ofSeconds(10),
                    () -> server.output().lines().filter(line -> line.contains(" 400 ")).count() == requests.size() ? server.output() : null);
            assertThat(output.lines().count() - linesBefore).as(output).isEqualTo(requests.size());
            assertThat(output).doesNotContain("Exception", "\tat ", "ERROR");
        }
    }

    /**
     * A request the HTTP decoder cannot read (a request line over 8 KiB, headers over 16 KiB)
     * never reaches the router, and is logged and counted all the same: a flood of them leaves
     * a trace. Its line is cut short, and a token in it is redacted.
     */
    @Test
    void aRequestTooLongToDecodeIsLoggedAndCountedAsRefused() throws Exception {
        Path tokens = dir.resolve("tokens");
        String viewer = TokenFile.create(tokens, "scraper", Role.VIEWER);
        try (ChildServer server = ChildServer.start(dir, LoggingTest.REAL_LOGGING, "--tokens-file", tokens.toString())) {
            int port = URI.create(server.url()).getPort();
            Scrape before = scrape(server, viewer);
            String longPath = "/api/v2/workflows?access_token=" + viewer + "&pad=" + "a".repeat(9_000);
            RawHttp.Answer uri = RawHttp.exchange(port, ("GET " + longPath + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(uri.status()).isEqualTo(414);
            RawHttp.Answer headers = RawHttp.exchange(port, ("GET /api/v2/workflows?big=1 HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nX-Big: " + "b".repeat(17_000) + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(headers.status()).isEqualTo(431);

            String output = Await.until("both refusals are logged", Duration.ofSeconds(10), () -> server.output().contains("refused: uri_too_long")
                    && server.output().contains("refused: headers_too_large") ? server.output() : null);
            assertThat(output).doesNotContain(viewer).doesNotContain("a".repeat(100)).doesNotContain("b".repeat(100));
            assertThat(output.lines().filter(line -> line.contains("stepstream.access")
                    && (line.contains(" 414 ") || line.contains(" 431 "))).count()).isEqualTo(2);
            Scrape after = scrape(server, viewer);
            assertThat(after.since(before, "stepstream_http_refused_total", "reason=uri_too_long")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_http_refused_total", "reason=headers_too_large")).isEqualTo(1);
        }
    }

    /**
     * An answer is logged once it reached the connection, not once it was handed over: a client
     * that takes the head of a 4 MiB page and goes away is a 499, where it was logged 200 with
     * every byte as sent; one that reads it all is a 200 as before.
     */
    @Test
    void aClientThatGoesAwayDuringALargeAnswerIsLogged499() throws Exception {
        try (ChildServer server = ChildServer.start(dir, LoggingTest.REAL_LOGGING, "--allow-scripts")) {
            NodeApi.put(server, """
                    id: wide
                    steps:
                      - id: print
                        type: script
                        run: 'for i in $(seq 1 600); do head -c 12000 /dev/zero | tr "\\0" x; echo; done'
                    """);
            String runId = NodeApi.execute(server, "wide", "{}");
            assertThat(NodeApi.awaitEnd(server, runId).path("status").asText()).isEqualTo("success");
            String page = "/api/v2/workflows/runs/" + runId + "/events?limit=1000";
            assertThat(get(server, page + "&whole=1", null).body()).hasSizeGreaterThan(4_000_000);

            URI url = URI.create(server.url());
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.setReceiveBufferSize(4096); // so that the page cannot wait in the kernel's buffers
                socket.connect(new java.net.InetSocketAddress(url.getHost(), url.getPort()));
                socket.getOutputStream().write(("GET " + page + "&cut=1 HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            }

            String output = Await.until("the cut answer is logged", Duration.ofSeconds(20),
                    () -> server.output().contains("&cut=1 ") ? server.output() : null);
            assertThat(output.lines().filter(line -> line.contains("stepstream.access") && line.contains("&cut=1 ")))
                    .singleElement().asString().contains("&cut=1 499 ");
            assertThat(output).contains("&whole=1 200 ");
        }
    }

    private HttpResponse<String> get(ChildServer server, String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Scrape scrape(ChildServer server, String token) throws IOException, InterruptedException {
        HttpResponse<String> metrics = get(server, "/metrics", "Bearer " + token);
        assertThat(metrics.statusCode()).as(metrics.body()).isEqualTo(200);
        return Scrape.parse(metrics.body());
    }
}
