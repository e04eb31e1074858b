package dev.stepstream.cli;

import static dev.stepstream.cli.CliTest.cli;
import static dev.stepstream.cli.CliTest.cliReading;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.stepstream.cli.CliTest.Result;
import dev.stepstream.client.Event;
import dev.stepstream.client.Follow;
import dev.stepstream.client.ReverseProxy;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands pointed at something that is not stepstream, or at a URL they cannot use:
 * never a success, always one line that names the URL and where it came from, exit 2 (docs/clients.md,
 * "The stepstream command line").
 */
@Timeout(120)
class NotStepstreamTest {
    private static final String RUN_ID = "6f1c2a9e-0000-4000-8000-000000000001";

    @TempDir
    static Path dir;
    /** A web site: {@code 200 text/html} to every path but those under /missing/, /moved/ and /json/ ({@link WebSite}). */
    static WebSite site;

    @BeforeAll
    static void start() throws IOException {
        site = new WebSite();
    }

    @AfterAll
    static void stop() {
        site.close();
    }

    @Test
    void everyClientCommandAnsweredByAWebPageSaysItIsNotStepstreamsWithExit2() throws IOException {
        Path file = Files.writeString(dir.resolve("w.yaml"), "id: w\nsteps:\n  - {id: a, type: log, message: hi}\n");
        for (List<String> command : List.of(List.of("status"), List.of("delete", RUN_ID), List.of("workflows", "delete", "x"),
                List.of("workflows", "apply", file.toString()), List.of("secrets", "set", "FOO"), List.of("cancel", RUN_ID),
                List.of("runs"), List.of("runs", "--json"), List.of("runs", "--watch"), List.of("follow", RUN_ID),
                List.of("run", "w"), List.of("run", "w", "--follow"), List.of("retry", RUN_ID), List.of("logs", RUN_ID),
                List.of("approve", RUN_ID, "gate"), List.of("reject", RUN_ID, "gate"), List.of("workflows", "list"),
                List.of("workflows", "get", "w"), List.of("secrets", "list"), List.of("secrets", "delete", "FOO"),
                List.of("secrets", "rotate-key"))) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--server", site.url()));
            Result result = cliReading("a-value\n", args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s: %s", command, result.err()).isEqualTo(2);
            assertThat(result.out()).as("%s", command).isEmpty();
            assertThat(result.err().lines()).as("%s", command).singleElement().asString()
                    .startsWith(commandName(command) + ": " + site.url() + "/")
                    .endsWith(": the answer is not stepstream's (text/html); is --server right?");
        }
    }

    /**
     * A 404 page, a redirect, the JSON error of another API: none is stepstream's refusal, so
     * none is read as one ("HTTP 404", exit 1); each says what came and asks about --server.
     */
    @Test
    void aNotFoundPageARedirectOrAnotherApisErrorIsNoRefusalOfStepstreams() {
        Result missing = cli("runs", "--server", site.url() + "/missing");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err().lines()).singleElement().asString().isEqualTo("stepstream runs: " + site.url()
                + "/missing/api/v2/workflows/runs?limit=50: the answer is not stepstream's (HTTP 404, text/html); is --server right?");

        Result moved = cli("workflows", "get", "w", "--server", site.url() + "/moved");
        assertThat(moved.exitCode()).isEqualTo(2);
        assertThat(moved.err().lines()).singleElement().asString()
                .contains("/moved/api/v2/workflows/w: the answer is not stepstream's (HTTP 301, a redirect to https://");

        Result otherApi = cli("cancel", RUN_ID, "--server", site.url() + "/json");
        assertThat(otherApi.exitCode()).isEqualTo(2);
        assertThat(otherApi.err().lines()).singleElement().asString()
                .endsWith("the answer is not stepstream's (HTTP 404, JSON that is no error of stepstream's); is --server right?");
    }

    @Test
    void aServerUrlTheApisPathsCannotFollowIsAUsageErrorNamingTheFlag() {
        for (var bad : Map.of(site.url() + "?x=1", "--server: expected a URL without a query (?…): the API's paths go after it",
                site.url() + "/#top", "--server: expected a URL without a fragment (#…): the API's paths go after it",
                "http://127.0.0.1:99999", "--server: expected a port from 1 to 65535, got \"http://127.0.0.1:99999\"",
                "ftp://127.0.0.1", "--server: expected an http:// or https:// URL, got \"ftp://127.0.0.1\"",
                "http://ann:s3cret@127.0.0.1:1", "--server: a password in the URL is never sent; give a token with --token"
                        + " or STEPSTREAM_TOKEN, got \"http://***@127.0.0.1:1\"").entrySet()) {
            for (String command : List.of("runs", "follow", "status")) {
                Result result = command.equals("follow") ? cli("follow", RUN_ID, "--server", bad.getKey()) : cli(command, "--server", bad.getKey());
                assertThat(result.exitCode()).as("%s %s: %s", command, bad.getKey(), result.err()).isEqualTo(2);
                assertThat(result.err().lines()).as("%s %s", command, bad.getKey()).singleElement().asString()
                        .startsWith("stepstream " + command + ": " + bad.getValue()).doesNotContain("s3cret", "Exception");
            }
        }
        assertThat(site.requests()).as("nothing asked with a query that would swallow the API's path").noneMatch(path -> path.contains("?x=1"));
    }

    @Test
    void aServerUrlFromTheEnvironmentIsNamedAsSuch() throws Exception {
        Result query = CliTest.cliProcess(Map.of("STEPSTREAM_SERVER", site.url() + "?x=1"), "runs");
        assertThat(query.exitCode()).as(query.err()).isEqualTo(2);
        assertThat(query.err().lines()).singleElement().asString()
                .startsWith("stepstream runs: STEPSTREAM_SERVER: expected a URL without a query");
        Result page = CliTest.cliProcess(Map.of("STEPSTREAM_SERVER", site.url()), "runs");
        assertThat(page.exitCode()).as(page.err()).isEqualTo(2);
        assertThat(page.err().lines()).singleElement().asString().endsWith("is STEPSTREAM_SERVER right?");
    }

    /** The user-info of a URL may be a token or a password: no message shows it (Redact.url, as for --db). */
    @Test
    void noMessageShowsTheUserInfoOfTheServersUrl() {
        String withUser = site.url().replace("http://", "http://ss_tokenish@");
        Result page = cli("runs", "--server", withUser);
        assertThat(page.exitCode()).isEqualTo(2);
        assertThat(page.err()).contains(site.url().replace("http://", "http://***@") + "/api/v2/workflows/runs")
                .doesNotContain("ss_tokenish");
        Result nobody = cli("cancel", RUN_ID, "--server", "http://ss_tokenish@127.0.0.1:1");
        assertThat(nobody.exitCode()).isEqualTo(2);
        assertThat(nobody.err()).contains("cannot reach the server at http://***@127.0.0.1:1").doesNotContain("ss_tokenish");
    }

    /**
     * A server behind a reverse proxy at a path: every request goes under it, the REST commands'
     * and the streams that follow a run and watch the runs (the client library's), with or without
     * a trailing {@code /}; the library on its own too. The proxy answers any other path with a
     * web page.
     */
    @Test
    void aServerBehindAReverseProxyAtAPathIsAskedThereForTheRestAndTheStreams() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("proxied"));
             ReverseProxy proxy = ReverseProxy.at("/stepstream", server.url())) {
            Path file = Files.writeString(dir.resolve("proxied.yaml"), "id: proxied\nsteps:\n  - {id: a, type: log, message: hi}\n");
            String at = proxy.url() + "/stepstream/";
            Result applied = cli("workflows", "apply", file.toString(), "--server", at);
            assertThat(applied.exitCode()).as(applied.err()).isZero();
            Result started = cli("run", "proxied", "--server", at);
            assertThat(started.exitCode()).as(started.err()).isZero();
            String runId = started.out().strip();
            server.awaitEnd(runId);
            Result runs = cli("runs", "--server", at);
            assertThat(runs.exitCode()).as(runs.err()).isZero();
            assertThat(runs.out()).contains(runId, "proxied", "success");
            Result logs = cli("logs", runId, "--server", at);
            assertThat(logs.exitCode()).as(logs.err()).isZero();
            assertThat(logs.out()).contains(" a INFO hi");

            Result followed = cli("follow", runId, "--server", at);
            assertThat(followed.exitCode()).as(followed.err()).isZero();
            assertThat(followed.out()).contains("  info  hi", "run success in ");

            java.io.StringWriter watched = new java.io.StringWriter();
            CompletableFuture<Result> watching = new CompletableFuture<>();
            Thread watcher = Thread.ofPlatform().start(() -> watching.complete(
                    CliTest.cli(watched, "runs", "--watch", "--server", proxy.url() + "/stepstream")));
            Await.until("the list", Duration.ofSeconds(30), () -> watched.toString().contains(runId) ? true : null);
            Result live = cli("run", "proxied", "--follow", "--server", proxy.url() + "/stepstream");
            assertThat(live.exitCode()).as(live.err()).isZero();
            String liveId = live.out().lines().findFirst().orElseThrow().split(" ")[1];
            Await.until("the live run's end, watched", Duration.ofSeconds(30), () -> watched.toString().lines()
                    .anyMatch(line -> line.contains(liveId) && line.contains("success in ")) ? true : null);
            watcher.interrupt();
            Result watch = watching.get(30, TimeUnit.SECONDS);
            assertThat(watch.exitCode()).as(watch.err()).isEqualTo(130);

            try (StepstreamClient library = StepstreamClient.builder(at).build(); Follow follow = library.follow(runId)) {
                assertThat(follow.stream().map(Event::type)).endsWith("run_complete");
                assertThat(library.run(runId)).containsEntry("status", "success");
            }
            assertThat(proxy.asked()).allMatch(target -> target.startsWith("/stepstream/api/v2/"));
        }
    }

    /** The name a command's lines begin with: {@code stepstream runs}, {@code stepstream workflows apply}. */
    private static String commandName(List<String> command) {
        boolean grouped = command.get(0).equals("workflows") || command.get(0).equals("secrets");
        return "stepstream " + (grouped ? command.get(0) + " " + command.get(1) : command.get(0));
    }

    /** A web site that is not stepstream, and keeps the paths it was asked for. */
    static final class WebSite implements AutoCloseable {
        private final HttpServer http;
        private final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());

        WebSite() throws IOException {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", exchange -> {
                requests.add(exchange.getRequestURI().toString());
                exchange.getRequestBody().readAllBytes();
                String path = exchange.getRequestURI().getPath();
                int status = 200;
                String type = "text/html; charset=utf-8";
                String body = "<!doctype html><title>Welcome</title><p>Hello from a web site.";
                if (path.startsWith("/missing/")) {
                    status = 404;
                    body = "<!doctype html><title>Not found</title>";
                } else if (path.startsWith("/moved/")) {
                    status = 301;
                    exchange.getResponseHeaders().add("Location", "https://elsewhere.example" + path);
                } else if (path.startsWith("/json/")) {
                    status = 404;
                    type = "application/json";
                    body = "{\"detail\":\"Not Found\"}";
                }
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", type);
                exchange.sendResponseHeaders(status, bytes.length);
                exchange.getResponseBody().write(bytes);
                exchange.close();
            });
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        List<String> requests() {
            return List.copyOf(requests);
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }
}
