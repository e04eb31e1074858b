package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.app.Config;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tens of thousands of hostile requests and WebSocket messages, generated from a fixed seed,
 * thrown at a live server with credentials: alias bombs, huge and deeply nested documents,
 * enormous numbers and strings, bad UTF-8, expressions that try to reach classes, path tricks,
 * http steps aimed at the server itself, malformed HTTP and WebSocket framing, bad tokens.
 * Each request gets a 4xx (a few framing cases may get only a closed connection), each
 * WebSocket connection ends with a close code other than 1011, a normal client keeps being
 * served throughout, and the server ends healthy (no 5xx, no blocked event loop).
 */
@Timeout(180)
class FuzzTest {
    static final long SEED = 20261129L;
    static final int REQUESTS = 12_000;
    static final int MESSAGES = 12_000;
    /** Runs the normal client follows, spread over the fuzzing. */
    static final int ROUNDS = 8;
    static final int HTTP_WORKERS = 4;
    static final int WS_WORKERS = 2;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final java.util.regex.Pattern UNKNOWN_VERSION = java.util.regex.Pattern.compile("^GET / HTTP/1\\.[2-9]\r\n");

    @TempDir
    static Path dir;

    /** One generated request: its category (for the report), its bytes, and whether a closed connection is an acceptable answer. */
    record Case(String category, byte[] bytes, boolean mayClose) {}

    @Test
    void hostileRequestsAndMessagesEachGetA4xxOrACloseWhileANormalClientIsServedAndTheServerStaysHealthy() throws Exception {
        Path tokens = dir.resolve("tokens");
        String admin = TokenFile.create(tokens, "fuzzer", Role.ADMIN);
        String steadyToken = TokenFile.create(tokens, "steady", Role.OPERATOR);
        SecuritySettings.Limits generous = new SecuritySettings.Limits(new SecuritySettings.Rate(1_000_000, Duration.ofSeconds(1)),
                new SecuritySettings.Rate(1_000_000, Duration.ofSeconds(1)), 50_000, 100_000, 100_000, Duration.ofSeconds(30), Duration.ofSeconds(180));
        try (TestServer server = TestServer.start(dir.resolve("data"), config -> config.withAllowScripts(false)
                .withSecurity(config.security().withTokensFile(tokens).withLimits(generous)))) {
            put(server, admin, "steady", "id: steady\nsteps:\n  - {id: a, type: log, message: one}\n  - {id: b, type: set, vars: {x: 1}}\n"
                    + "  - {id: c, type: log, message: \"x is ${vars.x}\"}\n");
            put(server, admin, "typed", "id: typed\ninputs:\n  n: {type: number, required: true}\nsteps:\n  - {id: a, type: log, message: hi}\n");
            put(server, admin, "slow", "id: slow\nsteps:\n  - {id: wait, type: sleep, duration: 120s}\n");
            String slowRun = execute(server, admin, "slow");
            Hostile hostile = new Hostile(server.port(), admin, slowRun);

            AtomicBoolean fuzzing = new AtomicBoolean(true);
            List<String> failures = new CopyOnWriteArrayList<>();
            Map<String, AtomicInteger> answered = new ConcurrentHashMap<>();
            Map<Integer, AtomicInteger> closeCodes = new ConcurrentHashMap<>();
            AtomicInteger rounds = new AtomicInteger();
            AtomicInteger progress = new AtomicInteger();
            long started = System.nanoTime();
            try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                Future<?> steady = threads.submit(() -> steadyClient(server, steadyToken, fuzzing, progress, rounds, failures));
                List<Future<?>> fuzzers = new ArrayList<>();
                for (int w = 0; w < HTTP_WORKERS; w++) {
                    Random random = new Random(SEED + w);
                    fuzzers.add(threads.submit(() -> fuzzHttp(server.port(), hostile, random, answered, progress, failures)));
                }
                for (int w = 0; w < WS_WORKERS; w++) {
                    Random random = new Random(SEED * 31 + w);
                    fuzzers.add(threads.submit(() -> fuzzWebSocket(server.port(), hostile, random, closeCodes, failures)));
                }
                for (Future<?> fuzzer : fuzzers) {
                    fuzzer.get();
                }
                fuzzing.set(false);
                steady.get();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(failures).as("seed " + SEED + "; answers by category " + answered + "; close codes " + closeCodes).isEmpty();
            assertThat(rounds.get()).as("normal runs followed to their end during the fuzzing").isEqualTo(ROUNDS);
            assertThat(closeCodes).as("close codes seen").containsKeys(1002, 1009).doesNotContainKeys(1000, 1011);
            assertThat(server.get("/readyz").status()).isEqualTo(200);
            String after = execute(server, admin, "steady");
            assertThat(awaitEnd(server, admin, after).path("status").asText()).isEqualTo("success");
            System.out.println("fuzz: " + REQUESTS + " requests and " + MESSAGES + " messages in " + took.toMillis() + " ms; "
                    + answered + "; close codes " + closeCodes + "; normal rounds " + rounds);
        }
    }

    @Test
    void aClientThatBreaksTheWebSocketProtocolIsClosedWith1002AndOneThatSendsTooMuchWith1009() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("frames"))) {
            server.apply("id: slow\nsteps:\n  - {id: wait, type: sleep, duration: 60s}\n");
            String path = "/api/v2/workflows/runs/" + server.execute("slow", null) + "/stream";
            Map<String, Integer> expected = new java.util.LinkedHashMap<>();
            expected.put("an unmasked frame", 1002);
            expected.put("a reserved opcode", 1002);
            expected.put("a continuation of nothing", 1002);
            expected.put("a ping over 125 bytes", 1002);
            expected.put("a frame over 64 KiB", 1009);
            expected.put("a frame claiming 2^63 bytes", 1009);
            expected.put("a text over 512 bytes", 1009);
            for (var hostileFrame : expected.entrySet()) {
                try (RawHttp.SilentWebSocket socket = RawHttp.SilentWebSocket.connect(server.port(), path)) {
                    switch (hostileFrame.getKey()) {
                        case "an unmasked frame" -> socket.send(0x1, "unmasked".getBytes(StandardCharsets.UTF_8), true, false);
                        case "a reserved opcode" -> socket.send(0x3, new byte[4], true, true);
                        case "a continuation of nothing" -> socket.send(0x0, "more".getBytes(StandardCharsets.UTF_8), true, true);
                        case "a ping over 125 bytes" -> socket.send(0x9, new byte[200], true, true);
                        case "a frame over 64 KiB" -> socket.send(0x1, new byte[100 * 1024], true, true);
                        case "a frame claiming 2^63 bytes" -> socket.sendRaw(new byte[] {(byte) 0x81, (byte) 0xFF, 0x7f, -1, -1, -1, -1, -1, -1, -1,
                                1, 2, 3, 4});
                        default -> socket.send(0x1, "x".repeat(600).getBytes(StandardCharsets.UTF_8), true, true);
                    }
                    Integer code = dev.stepstream.testing.Await.until(hostileFrame.getKey() + " closes the connection",
                            Duration.ofSeconds(10), () -> socket.ended() ? socket.endedWith() : null);
                    assertThat(code).as(hostileFrame.getKey()).isEqualTo(hostileFrame.getValue());
                }
            }
        }
    }

    static void put(TestServer server, String token, String id, String yaml) {
        TestServer.Response answer = server.send(server.request("/api/v2/workflows/" + id).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
        assertThat(answer.status()).as(answer.text()).isIn(200, 201);
    }

    static String execute(TestServer server, String token, String id) {
        TestServer.Response answer = server.send(server.request("/api/v2/workflows/" + id + "/execute")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        return answer.body().path("runId").asText();
    }

    static JsonNode awaitEnd(TestServer server, String token, String runId) {
        return dev.stepstream.testing.Await.until("run " + runId + " ends", Duration.ofSeconds(30), () -> {
            TestServer.Response run = server.send(server.request("/api/v2/workflows/runs/" + runId).header("Authorization", "Bearer " + token));
            return run.status() == 200 && TestServer.TERMINAL.contains(run.body().path("status").asText()) ? run.body() : null;
        });
    }

    /** Executes and follows a run each time the fuzzers are another 1/ROUNDS of the way, checking each stream is whole. */
    static void steadyClient(TestServer server, String token, AtomicBoolean fuzzing, AtomicInteger progress, AtomicInteger rounds,
                             List<String> failures) {
        for (int round = 0; round < ROUNDS; round++) {
            int due = round * REQUESTS / ROUNDS;
            dev.stepstream.testing.Await.until("the fuzzers reach request " + due, Duration.ofSeconds(120),
                    () -> progress.get() >= due || !fuzzing.get() ? true : null);
            try {
                String runId = execute(server, token, "steady");
                try (WsClient stream = WsClient.connect(HTTP, server.streamUrl(runId, ""),
                        builder -> builder.header("Authorization", "Bearer " + token))) {
                    WsClient.Close close = stream.awaitClose(Duration.ofSeconds(60));
                    List<Long> seqs = stream.envelopes().stream().map(e -> e.path("seq").asLong()).toList();
                    if (close.code() != 1000 || seqs.isEmpty() || seqs.get(0) != 1 || seqs.get(seqs.size() - 1) != seqs.size()) {
                        failures.add("normal client: stream of " + runId + " closed " + close + " with seqs " + seqs);
                    }
                }
                if (server.get("/healthz").status() != 200) {
                    failures.add("normal client: /healthz did not answer 200");
                }
                rounds.incrementAndGet();
            } catch (AssertionError | RuntimeException e) {
                failures.add("normal client: " + e);
                return;
            }
        }
    }

    static void fuzzHttp(int port, Hostile hostile, Random random, Map<String, AtomicInteger> answered, AtomicInteger progress,
                         List<String> failures) {
        try (RawHttp.KeptAlive connection = new RawHttp.KeptAlive(port)) {
            for (int i = 0; i < REQUESTS / HTTP_WORKERS; i++) {
                Case next = hostile.next(random);
                RawHttp.Answer answer = next.mayClose() ? RawHttp.exchange(port, next.bytes()) : connection.exchange(next.bytes());
                progress.incrementAndGet();
                String outcome = answer == null ? "closed" : Integer.toString(answer.status());
                answered.computeIfAbsent(next.category() + " " + outcome, ignored -> new AtomicInteger()).incrementAndGet();
                boolean fine = answer == null ? next.mayClose() : answer.status() >= 400 && answer.status() < 500
                        || answer.status() == 501 && UNKNOWN_VERSION.matcher(new String(next.bytes(), StandardCharsets.ISO_8859_1)).find();
                if (!fine && failures.size() < 20) {
                    failures.add(next.category() + ": " + outcome + (answer == null ? "" : " " + abbreviate(answer.body()))
                            + " for " + abbreviate(new String(next.bytes(), StandardCharsets.ISO_8859_1)));
                }
            }
        } catch (RuntimeException | AssertionError e) {
            failures.add("http fuzzer: " + e);
        }
    }

    static void fuzzWebSocket(int port, Hostile hostile, Random random, Map<Integer, AtomicInteger> closeCodes, List<String> failures) {
        int sent = 0;
        try {
            while (sent < MESSAGES / WS_WORKERS) {
                try (RawHttp.SilentWebSocket socket = RawHttp.SilentWebSocket.connect(port, hostile.streamPath())) {
                    while (sent < MESSAGES / WS_WORKERS && !socket.ended()) {
                        sent++;
                        try {
                            hostile.message(random, socket);
                        } catch (IOException e) {
                            break; // the server closed it: its close code is read below
                        }
                    }
                    boolean done = sent >= MESSAGES / WS_WORKERS;
                    Integer code = dev.stepstream.testing.Await.until("the server closes or the connection stays up",
                            Duration.ofSeconds(10), () -> socket.ended() ? socket.endedWith() : done ? 0 : null);
                    closeCodes.computeIfAbsent(code, ignored -> new AtomicInteger()).incrementAndGet();
                    if (code == 1011) {
                        failures.add("a WebSocket connection was closed with 1011 (internal error)");
                    }
                }
            }
        } catch (RuntimeException | AssertionError e) {
            failures.add("websocket fuzzer after " + sent + " messages: " + e);
        }
    }

    static String abbreviate(String text) {
        String oneLine = text.replace("\r\n", "⏎").replace('\n', '⏎');
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
    }

    /** The generator: every case is invalid by construction, so any answer but a 4xx is a bug. */
    static final class Hostile {
        private final int port;
        private final String token;
        private final String slowRun;
        private final List<Function<Random, Case>> generators = new ArrayList<>();

        Hostile(int port, String token, String slowRun) {
            this.port = port;
            this.token = token;
            this.slowRun = slowRun;
            weight(6, this::badRunId);
            weight(5, this::badQuery);
            weight(4, this::badStreamRequest);
            weight(8, this::hostileWorkflow);
            weight(6, this::hostileInputs);
            weight(2, this::badMethod);
            weight(4, this::badCredentials);
            weight(3, this::pathTrick);
            weight(1, this::malformedHttp);
            weight(1, this::oversizeHead);
        }

        private void weight(int times, Function<Random, Case> generator) {
            generators.addAll(Collections.nCopies(times, generator));
        }

        Case next(Random random) {
            return generators.get(random.nextInt(generators.size())).apply(random);
        }

        String streamPath() {
            return "/api/v2/workflows/runs/" + slowRun + "/stream?access_token=" + token;
        }

        static <T> T pick(Random random, List<T> options) {
            return options.get(random.nextInt(options.size()));
        }

        byte[] request(String method, String target, String headers, byte[] body) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + (headers.contains("Authorization:") || headers.contains("NOAUTH") ? "" : "Authorization: Bearer " + token + "\r\n")
                    + headers.replace("NOAUTH", "") + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            if (body != null) {
                out.writeBytes(body);
            }
            return out.toByteArray();
        }

        Case http(String category, String method, String target, String headers, byte[] body) {
            return new Case(category, request(method, target, headers, body), false);
        }

        static String junk(Random random, int max) {
            String alphabet = "abcXYZ019-_.~!$&'()*+,;=:@%/?#[]{}<>|\\^`\" é✓\u0000\u007f";
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(max);
            for (int i = 0; i < length; i++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            return text.toString();
        }

        static String encoded(String text) {
            return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
        }

        Case badRunId(Random random) {
            String id = pick(random, List.of(encoded(junk(random, 40)), "not-a-uuid", "12345678-1234-1234-1234-12345678901",
                    "12345678-1234-1234-1234-1234567890123", "%00", "x".repeat(2000), "%E2%9C%93", "%2e%2e%2f%2e%2e%2fx"));
            String suffix = pick(random, List.of("", "/events", "/cancel", "/stream"));
            return http("bad run id", suffix.equals("/cancel") ? "POST" : "GET", "/api/v2/workflows/runs/" + id + suffix, "", null);
        }

        Case badQuery(Random random) {
            String parameter = pick(random, List.of("limit=-1", "limit=0", "limit=501", "limit=abc", "limit=1e3",
                    "limit=99999999999999999999", "status=weird", "before=" + encoded(junk(random, 30)), "limit=5&limit=6",
                    "status=running&status=failed"));
            if (random.nextBoolean()) {
                return http("bad query", "GET", "/api/v2/workflows/runs?" + parameter, "", null);
            }
            String events = pick(random, List.of("after=-5", "after=abc", "limit=0", "limit=10001", "after=1&after=2"));
            return http("bad query", "GET", "/api/v2/workflows/runs/" + slowRun + "/events?" + events, "", null);
        }

        Case badStreamRequest(Random random) {
            String upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
            return switch (random.nextInt(5)) {
                case 0 -> http("bad stream parameter", "GET", "/api/v2/workflows/runs/" + slowRun + "/stream?"
                        + pick(random, List.of("after=-1", "batch=2", "types=nope", "minLevel=loud", "after=99999", "after=x",
                        "types=" + ",".repeat(500), "steps=%20" + encoded(junk(random, 80)), "batch=1&batch=0")), upgrade, null);
                case 1 -> http("stream of no run", "GET", "/api/v2/workflows/runs/" + java.util.UUID.randomUUID() + "/stream", upgrade, null);
                case 2 -> http("stream without upgrade", "GET", "/api/v2/workflows/runs/" + slowRun + "/stream", "", null);
                case 3 -> http("foreign origin", "GET", "/api/v2/stream", upgrade + "Origin: https://evil.example\r\n", null);
                default -> http("bad last-event-id", "GET", "/api/v2/workflows/runs/" + slowRun + "/events",
                        "Accept: text/event-stream\r\nLast-Event-ID: " + pick(random, List.of("-3", "abc", "1e9", "9".repeat(40))) + "\r\n", null);
            };
        }

        Case hostileWorkflow(Random random) {
            String yaml = "Content-Type: application/yaml\r\n";
            String json = "Content-Type: application/json\r\n";
            int kind = random.nextInt(16);
            String body = switch (kind) {
                case 0 -> aliasBomb();
                case 1 -> "[".repeat(5_000 + random.nextInt(5_000)) + "]".repeat(10);
                case 2 -> "steps: " + "[".repeat(300) + "]".repeat(300);
                case 3 -> "{\"id\": \"fz\", \"steps\": [{\"id\": \"a\", \"type\": \"sleep\", \"duration\": " + "9".repeat(5_000) + "}]}";
                case 4 -> "{\"id\": \"fz\", \"steps\": [{\"id\": \"a\", \"type\": \"log\", \"message\": \"x\"";
                case 5 -> "[1, 2, 3]";
                case 6 -> "";
                case 7 -> "id: fz\nsteps:\n  - {id: a, type: log, message: \"${" + pick(random, List.of("''.getClass()",
                        "inputs.getClass().forName('java.lang.Runtime')", "new('java.io.File', '/etc/passwd')", "x = 1",
                        "#pragma jexl.namespace.r java.lang.Runtime", "while(true){}", "System")) + "}\"}\n";
                case 8 -> "id: fz\nsteps:\n  - {id: a, type: script, run: \"cat /etc/passwd\"}\n";
                case 9 -> "id: fz\nsteps:\n  - {id: a, type: http, method: DELETE, url: \"http://127.0.0.1:" + port
                        + "/api/v2/workflows/steady\"}\n";
                case 10 -> "id: fz\nsteps:\n  - {id: a, type: http, url: \"http://169.254.169.254/latest/meta-data/iam\"}\n";
                case 11 -> "id: fz\nsteps:\n  - {id: a, type: teleport}\n";
                case 12 -> "id: other\nsteps:\n  - {id: a, type: log, message: hi}\n";
                case 13 -> "id: fz\nsteps:\n" + "  - {id: s, type: log, message: x}\n".repeat(1_001);
                case 14 -> "id: fz\nname: " + "\"" + "é".repeat(10) + "\"\nsteps: 12\n";
                default -> null;
            };
            if (kind == 15) {
                byte[] badUtf8 = {'i', 'd', ':', ' ', (byte) 0xC3, (byte) 0x28, '\n', 's', ':', ' ', (byte) 0xFF, (byte) 0xFE};
                return http("hostile workflow: bad UTF-8", "PUT", "/api/v2/workflows/fz", random.nextBoolean() ? yaml : json, badUtf8);
            }
            boolean asJson = kind == 3 || kind == 4 || kind == 5 || (kind == 1 && random.nextBoolean());
            String id = kind == 14 && random.nextBoolean() ? encoded("../../etc/passwd") : "fz";
            return http("hostile workflow " + kind, "PUT", "/api/v2/workflows/" + id, asJson ? json : yaml,
                    body.getBytes(StandardCharsets.UTF_8));
        }

        static String aliasBomb() {
            StringBuilder yaml = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
            for (int i = 1; i < 10; i++) {
                yaml.append("a").append(i).append(": &a").append(i).append(" [");
                for (int j = 0; j < 9; j++) {
                    yaml.append(j == 0 ? "" : ",").append("*a").append(i - 1);
                }
                yaml.append("]\n");
            }
            return yaml.toString();
        }

        Case hostileInputs(Random random) {
            String json = "Content-Type: application/json\r\n";
            int kind = random.nextInt(10);
            byte[] body = switch (kind) {
                case 0 -> "not json at all".getBytes(StandardCharsets.UTF_8);
                case 1 -> "[{\"inputs\": {}}]".getBytes(StandardCharsets.UTF_8);
                case 2 -> "{\"inputs\": {\"n\": 1}, \"extra\": true}".getBytes(StandardCharsets.UTF_8);
                case 3 -> "{\"inputs\": {\"n\": \"three\"}}".getBytes(StandardCharsets.UTF_8);
                case 4 -> ("{\"inputs\": {\"n\": " + "[".repeat(2_000) + "]".repeat(2_000) + "}}").getBytes(StandardCharsets.UTF_8);
                case 5 -> "{\"inputs\": {\"n\": 1e999999999}}".getBytes(StandardCharsets.UTF_8);
                case 6 -> ("{\"inputs\": {\"n\": " + "7".repeat(200) + "}}").getBytes(StandardCharsets.UTF_8);
                case 7 -> new byte[] {'{', '"', 'i', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'};
                case 8 -> ("{\"inputs\": {\"n\": \"" + "x".repeat(300 * 1024) + "\"}}").getBytes(StandardCharsets.UTF_8);
                default -> "{}".getBytes(StandardCharsets.UTF_8);
            };
            String workflow = kind == 9 ? "no-such-workflow" : "typed";
            Case request = http("hostile inputs " + kind, "POST", "/api/v2/workflows/" + workflow + "/execute", json, body);
            return kind == 8 ? new Case(request.category(), request.bytes(), true) : request;
        }

        Case badMethod(Random random) {
            String method = pick(random, List.of("PATCH", "DELETE", "TRACE", "PROPFIND", "BREW", "OPTIONS"));
            String path = pick(random, List.of("/api/v2/workflows/runs", "/api/v2/workflows/runs/" + slowRun, "/api/v2/stream",
                    "/api/v2/workflows/typed/execute", "/healthz"));
            if (method.equals("DELETE") && path.equals("/api/v2/workflows/runs")) {
                path = "/api/v2/workflows/runs/" + slowRun;
            }
            return http("bad method", method, path, "", null);
        }

        Case badCredentials(Random random) {
            String authorization = pick(random, List.of("Authorization: Basic YWRtaW46YWRtaW4=\r\n", "Authorization: Bearer\r\n",
                    "Authorization: Bearer " + "x".repeat(9_000) + "\r\n", "Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.\r\n",
                    "Authorization: Bearer eyJ" + junk(random, 50).replaceAll("[^A-Za-z0-9]", "") + ".a.b\r\n",
                    "Authorization: Bearer ss_" + junk(random, 40).replaceAll("[^A-Za-z0-9]", "") + "\r\n",
                    "Authorization: bearer " + token.substring(0, token.length() - 1) + "\r\n", "NOAUTH"));
            return switch (random.nextInt(4)) {
                case 0 -> http("bad credentials", "GET", "/api/v2/workflows", authorization, null);
                case 1 -> http("bad credentials", "POST", "/api/v2/workflows/typed/execute", authorization, "{}".getBytes(StandardCharsets.UTF_8));
                case 2 -> http("bad subprotocol token", "GET", "/api/v2/stream", "NOAUTHConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Protocol: stepstream.v2, stepstream.bearer.ss_" + junk(random, 20).replaceAll("[^a-z]", "") + "\r\n", null);
                default -> http("repeated access_token", "GET", "/api/v2/workflows?access_token=a&access_token=b", "NOAUTH", null);
            };
        }

        Case pathTrick(Random random) {
            String path = pick(random, List.of("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/v2/workflows/..%2F..%2Fetc%2Fpasswd",
                    "//etc/passwd", "/web/../../pom.xml", "/index.html%00.yaml", "/api/v2/../../data/stepstream.db",
                    "/%252e%252e/%252e%252e/etc/shadow", "/api/v2/workflows/%2e%2e", "/.git/config", "/runs/../../../../etc/hosts",
                    "/api/v2/workflows/runs/../../../../tokens"));
            return http("path trick", "GET", path, "", null);
        }

        Case malformedHttp(Random random) {
            String text = switch (random.nextInt(6)) {
                case 0 -> junk(random, 60).replace("\r", "") + "\r\n\r\n";
                // Vert.x answers a version other than 1.0 and 1.1 with 501 before any handler runs,
                // then closes: the one 5xx a client can provoke, and not from bad input to our code.
                case 1 -> "GET / HTTP/1." + (2 + random.nextInt(8)) + "\r\nHost: x\r\n\r\n";
                case 2 -> "POST /api/v2/workflows/typed/execute HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
                case 3 -> "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n";
                case 4 -> "GET  /  HTTP/1.1 extra\r\nHost: x\r\n\r\n";
                default -> "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n";
            };
            return new Case("malformed http", text.getBytes(StandardCharsets.UTF_8), true);
        }

        Case oversizeHead(Random random) {
            String text = random.nextBoolean()
                    ? "GET /api/v2/workflows?x=" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
                    : "GET /api/v2/workflows HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n";
            return new Case("oversize head", text.getBytes(StandardCharsets.UTF_8), true);
        }

        /** Sends one hostile (or merely pointless) message on a WebSocket. */
        void message(Random random, RawHttp.SilentWebSocket socket) throws IOException {
            int kind = random.nextInt(100);
            if (kind < 30) {
                socket.send(0x1, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8), true, true);
            } else if (kind < 60) {
                socket.send(0x1, junk(random, 200).getBytes(StandardCharsets.UTF_8), true, true);
            } else if (kind < 75) {
                byte[] bytes = new byte[random.nextInt(300)];
                random.nextBytes(bytes);
                socket.send(0x2, bytes, true, true);
            } else if (kind < 85) {
                socket.send(0x1, "{\"type\":".getBytes(StandardCharsets.UTF_8), false, true);
                socket.send(0x0, "\"ping\"}".getBytes(StandardCharsets.UTF_8), true, true);
            } else if (kind < 90) {
                socket.send(0x9, "hello?".getBytes(StandardCharsets.UTF_8), true, true);
            } else if (kind < 92) {
                socket.send(0x1, ("{\"type\":\"ping\",\"pad\":\"" + "p".repeat(600) + "\"}").getBytes(StandardCharsets.UTF_8), true, true);
            } else if (kind < 94) {
                socket.send(0x1, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, true, true);
            } else if (kind < 95) {
                socket.send(0x9, new byte[200], true, true);
            } else if (kind < 96) {
                socket.send(0x1, "unmasked".getBytes(StandardCharsets.UTF_8), true, false);
            } else if (kind < 97) {
                socket.send(0x3, new byte[4], true, true);
            } else if (kind < 98) {
                socket.send(0x0, "continuation of nothing".getBytes(StandardCharsets.UTF_8), true, true);
            } else if (kind < 99) {
                socket.sendRaw(new byte[] {(byte) 0x81, (byte) 0xFF, 0x7f, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4});
            } else {
                byte[] big = new byte[100 * 1024];
                java.util.Arrays.fill(big, (byte) 'z');
                socket.send(0x1, big, true, true);
            }
        }
    }
}
