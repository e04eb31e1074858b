package dev.stepstream.client;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * A stepstream server, from Java: {@link #follow} a run with resume built in,
 * {@link #watchRuns} every run for a dashboard, and the REST calls (docs/api.md). Uses the JDK's
 * {@link HttpClient} and nothing else; safe to share between threads (each {@link Follow} and
 * {@link RunWatch} is iterated by one).
 *
 * <pre>{@code
 * StepstreamClient client = StepstreamClient.builder("http://127.0.0.1:8080").token(System.getenv("STEPSTREAM_TOKEN")).build();
 * String runId = (String) client.execute("hello", Map.of("name", "Ada")).get("runId");
 * try (Follow follow = client.follow(runId)) {
 *     for (Event event : follow) {
 *         System.out.println(event.json());
 *     }
 * }
 * }</pre>
 *
 * <p>JSON answers come as {@code Map<String, Object>} (keys in the server's order), with lists
 * as {@code List<Object>}, numbers as {@code Long} or {@code Double}, and {@code null}; they are
 * unmodifiable. Errors are {@link StepstreamException}s with the API error's code and message.
 */
public final class StepstreamClient implements AutoCloseable {
    /**
     * The close codes after which a stream is connected again (a follow's with
     * {@code after=<lastSeq>}, a watch's beginning with {@code connected}): the
     * server's own (1001 going away, 1011 internal error, 1013 try again; its table is at
     * {@code GET /closecodes.mjs}, which the conformance suite checks this against) and the
     * network's: 1005 and 1006 (closed without a code, or without a close frame), 1012, 1014.
     */
    private static final Set<Integer> RECONNECT_CODES = Set.of(1001, 1005, 1006, 1011, 1012, 1013, 1014);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How many times a REST call is tried again by default ({@link Builder#retries}): 3 attempts in all. */
    public static final int DEFAULT_RETRIES = 2;
    /** The longest Retry-After a REST call waits for before trying again; a longer one is the caller's to decide. */
    private static final Duration RETRY_AFTER_MAX = Duration.ofSeconds(30);

    /**
     * The server's URL less a trailing {@code /}: every request's address is this followed by the
     * API's path ({@link #uri}), so a server behind a reverse proxy at a path keeps that path.
     */
    private final String server;
    private final String token;
    private final HttpClient http;
    private final Liveness liveness;
    private final int retries;
    /** The jitter of the REST retries' pauses, in [0, 1): random but in tests. */
    private final DoubleSupplier jitter;
    /** Whether {@link #http} is the client's own (no {@link Builder#httpClient}): then {@link #close} shuts it down. */
    private final boolean ownsHttp;

    private StepstreamClient(Builder builder) {
        this.server = builder.server;
        this.token = builder.token;
        this.liveness = builder.liveness;
        this.retries = builder.retries;
        this.jitter = builder.jitter;
        this.ownsHttp = builder.http == null;
        this.http = ownsHttp ? HttpClient.newBuilder().connectTimeout(Connection.CONNECT_TIMEOUT).build() : builder.http;
    }

    /**
     * Shuts down the client's own HTTP client (not one given to {@link Builder#httpClient}): its
     * connections end, and its selector thread, which waits in native code while it lives and
     * so holds a JVM's exit by up to 0.3 s, stops. Calls made afterwards fail.
     */
    @Override
    public void close() {
        if (ownsHttp) {
            http.shutdownNow();
        }
    }

    /**
     * A client of the server at {@code server}, such as {@code http://127.0.0.1:8080}: an
     * http:// or https:// URL with a host, a port from 1 to 65535 if any, and a path if the
     * server is behind a reverse proxy at one ({@code https://ci.example.com/stepstream/}, with
     * or without the last {@code /}), under which every request goes, REST and stream. A query
     * or a fragment, which would swallow the API's paths, and a password, which is never sent,
     * are refused: the rule of {@link ServerUrlProblem}, the {@code stepstream} command line's
     * and the other libraries'. A user name alone is neither sent nor shown in messages.
     *
     * @throws IllegalArgumentException for a URL that breaks the rule:
     *     {@code server: <what is wrong>, got <the URL, its user-info shown as ***>}
     */
    public static Builder builder(String server) {
        return new Builder(server);
    }

    /**
     * Whether a stream closed with {@code code} is connected again: a follow's with
     * {@code after=<lastSeq>}, a watch's yielding {@code connected} first.
     */
    public static boolean reconnectsAfter(int code) {
        return RECONNECT_CODES.contains(code);
    }

    public static final class Builder {
        private final String server;
        private String token;
        private HttpClient http;
        private Liveness liveness = Liveness.DEFAULT;
        private int retries = DEFAULT_RETRIES;
        private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();

        /**
         * {@code server}, when the API's paths can go after it ({@link StepstreamClient#builder}),
         * less its user-info, which is never sent, so that no message shows it.
         */
        private Builder(String server) {
            Objects.requireNonNull(server, "server");
            ServerUrlProblem.of(server).ifPresent(problem -> {
                throw new IllegalArgumentException("server: " + problem.what() + ", got " + shown(server));
            });
            String bare = server.replaceFirst("^([^:/?#]+://)[^/?#]*@", "$1");
            this.server = bare.endsWith("/") ? bare.substring(0, bare.length() - 1) : bare;
        }

        /**
         * {@code url} as a message shows it: its user-info (a password, or a user name that may
         * be a token) and a {@code password=} parameter's value as {@code ***}, as the command
         * line shows a URL.
         */
        private static String shown(String url) {
            return url.replaceAll("(?i)(password=)[^&;#]*", "$1***").replaceFirst("//[^/?#]*@", "//***@");
        }

        /** A bearer token (docs/security.md); sent as {@code Authorization: Bearer}. */
        public Builder token(String bearer) {
            this.token = bearer == null || bearer.isBlank() ? null : bearer;
            return this;
        }

        /** The HTTP client to use (its TLS settings, proxy, executor); by default one of the client's own. */
        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * How many times a REST call is tried again (by default {@value StepstreamClient#DEFAULT_RETRIES}; 0: never): on 429
         * and 503 {@code over_capacity}, which the server answers before doing anything, whatever
         * the method; for a GET, which is idempotent, on any 502, 503 or 504 and on no answer (a
         * refused or reset connection, not a timeout) too. Each retry waits as a follow's
         * reconnection does (full jitter from 250 ms up to 10 s), at least the answer's
         * {@code Retry-After}; one over 30 s, or the last failure, is thrown as it came.
         */
        public Builder retries(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("retries: expected 0 or more, got " + count);
            }
            this.retries = count;
            return this;
        }

        /** The jitter of the REST retries' pauses, a number in [0, 1): for tests. */
        Builder jitter(DoubleSupplier random) {
            this.jitter = Objects.requireNonNull(random, "random");
            return this;
        }

        /** Shorter times for silence and usable connections than {@link Liveness#DEFAULT}'s: for tests. */
        Builder liveness(Liveness times) {
            this.liveness = Objects.requireNonNull(times, "liveness");
            return this;
        }

        public StepstreamClient build() {
            return new StepstreamClient(this);
        }
    }

    // ---- the stream ----

    /** Follows the whole run: {@link #follow(String, FollowOptions)} with the defaults. */
    public Follow follow(String runId) {
        return follow(runId, FollowOptions.DEFAULTS);
    }

    /**
     * Follows a run: its events after {@code options.after()}, each once and in seq order, until
     * {@code run_complete}. Nothing connects until the follow is iterated.
     */
    public Follow follow(String runId, FollowOptions options) {
        return new Follow(this, Objects.requireNonNull(runId, "runId"), Objects.requireNonNull(options, "options"));
    }

    /** Watches every run: {@link #watchRuns(WatchOptions)} with the defaults. */
    public RunWatch watchRuns() {
        return watchRuns(WatchOptions.DEFAULTS);
    }

    /**
     * Watches the all-runs stream: {@code connected} each time a connection opens (list the
     * runs then), then the run-level events and progress of every run, or of
     * {@code options.workflowId()}'s, as they happen, until closed. Nothing connects until the
     * watch is iterated.
     */
    public RunWatch watchRuns(WatchOptions options) {
        return new RunWatch(this, Objects.requireNonNull(options, "options"));
    }

    // ---- REST ----

    /** Starts a run of a workflow: {@code {runId, workflowId, status, streamUrl}}. */
    public Map<String, Object> execute(String workflowId, Map<String, ?> inputs) {
        return object(call("POST", "/api/v2/workflows/" + encode(workflowId) + "/execute", inputs == null ? null : Map.of("inputs", inputs)));
    }

    /** The run's detail: status, steps, variables, … */
    public Map<String, Object> run(String runId) {
        return object(call("GET", "/api/v2/workflows/runs/" + encode(runId), null));
    }

    /** Runs, newest first: {@code {runs, next}}; query: {@code workflowId}, {@code status}, {@code limit}, {@code before}, … */
    public Map<String, Object> runs(Map<String, ?> query) {
        return object(call("GET", "/api/v2/workflows/runs" + query(query), null));
    }

    /** One page of a run's history: {@code {events, next}}; query: {@code after}, {@code limit}, {@code types}, {@code q}, … */
    public Map<String, Object> events(String runId, Map<String, ?> query) {
        return object(call("GET", "/api/v2/workflows/runs/" + encode(runId) + "/events" + query(query), null));
    }

    public Map<String, Object> cancel(String runId) {
        return object(call("POST", "/api/v2/workflows/runs/" + encode(runId) + "/cancel", null));
    }

    /** Starts a new run from an ended one; {@code from}: {@code failed} (null: the default), {@code start} or a step id. */
    public Map<String, Object> retry(String runId, String from) {
        return object(call("POST", "/api/v2/workflows/runs/" + encode(runId) + "/retry", from == null ? null : Map.of("from", from)));
    }

    /** Approves a waiting approval step; {@code comment} may be null. */
    public Map<String, Object> approve(String runId, String stepId, String comment) {
        return decide(runId, stepId, "approve", comment);
    }

    /** Rejects a waiting approval step; {@code comment} may be null. */
    public Map<String, Object> reject(String runId, String stepId, String comment) {
        return decide(runId, stepId, "reject", comment);
    }

    private Map<String, Object> decide(String runId, String stepId, String decision, String comment) {
        return object(call("POST", "/api/v2/workflows/runs/" + encode(runId) + "/steps/" + encode(stepId) + "/" + decision,
                comment == null ? null : Map.of("comment", comment)));
    }

    /**
     * One REST call, tried again up to {@link #retries} times when {@link #retryable} says so,
     * after the pause of a follow's reconnection ({@link Reconnector#pause}, from
     * {@link FollowOptions#DEFAULTS}'s base and cap), at least the answer's Retry-After; a
     * Retry-After over {@link #RETRY_AFTER_MAX}, or the last failure, is thrown as it came.
     */
    private Object call(String method, String path, Object body) {
        for (int attempt = 0; ; attempt++) {
            Attempt outcome = attempt(method, path, body);
            if (outcome.error() == null) {
                return outcome.value();
            }
            StepstreamException error = outcome.error();
            if (attempt >= retries || !outcome.retryable() || !retryable(method, error.status(), error.code())) {
                throw error;
            }
            Duration retryAfter = outcome.retryAfter();
            if (retryAfter != null && retryAfter.compareTo(RETRY_AFTER_MAX) > 0) {
                throw error;
            }
            Duration pause = Reconnector.pause(attempt, FollowOptions.DEFAULTS.backoffBase(), FollowOptions.DEFAULTS.backoffCap(),
                    retryAfter, jitter.getAsDouble());
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /**
     * Whether a REST call's failure may be tried again: a 429 or a 503 {@code over_capacity} (the
     * server refused before doing anything) whatever the method; for a GET, which is idempotent,
     * any 502, 503 or 504 and no answer at all (status 0) too. A POST's other 503s
     * ({@code store_unavailable} on an execute) and lost answers are ambiguous: it may have been done.
     */
    static boolean retryable(String method, int status, String code) {
        if (status == 429 || (status == 503 && "over_capacity".equals(code))) {
            return true;
        }
        return "GET".equals(method) && (status == 0 || status == 502 || status == 503 || status == 504);
    }

    /**
     * One attempt's outcome: its value, or its error with the answer's Retry-After (or null) and
     * whether it may be tried again at all (not after a timeout, which already waited).
     */
    private record Attempt(Object value, StepstreamException error, Duration retryAfter, boolean retryable) {}

    private Attempt attempt(String method, String path, Object body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(Json.write(body)));
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Attempt(null, new StepstreamException(method + " " + path + ": cannot reach the server at " + server + ": "
                    + Connection.why(e), StepstreamException.Kind.UNAVAILABLE, 0, null, null, 0), null, !(e instanceof HttpTimeoutException));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (response.statusCode() >= 300) {
            Duration retryAfter = response.headers().firstValue("Retry-After")
                    .map(header -> Connection.retryAfter(header, Instant.now())).orElse(null);
            return new Attempt(null, errorOf(method, path, response.statusCode(), response.body()), retryAfter, true);
        }
        String text = response.body();
        try {
            return new Attempt(text == null || text.isBlank() ? null : Json.parse(text), null, null, false);
        } catch (IllegalArgumentException e) {
            throw new StepstreamException(method + " " + path + ": the server's answer is " + e.getMessage(),
                    StepstreamException.Kind.PROTOCOL, response.statusCode(), null, null, 0);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    // ---- shared with the streams ----

    HttpClient http() {
        return http;
    }

    String token() {
        return token;
    }

    Liveness liveness() {
        return liveness;
    }

    /**
     * The address of the API's {@code path} (absolute, with its query) on the server: the
     * server's URL, its path included, followed by {@code path}. Never {@link URI#resolve},
     * which would replace the path of a server behind a reverse proxy at one.
     */
    URI uri(String path) {
        return URI.create(server + path);
    }

    /** {@link #uri} as a ws: or wss: URI. */
    URI webSocketUri(String path) {
        int colon = server.indexOf(':');
        return URI.create(("https".equalsIgnoreCase(server.substring(0, colon)) ? "wss" : "ws") + server.substring(colon) + path);
    }

    /** The error of a refused request: the API's error code, message and details when the body has them. */
    static StepstreamException errorOf(String method, String path, int status, String body) {
        Map<String, Object> error = apiError(body);
        Object message = error.get("message");
        return new StepstreamException(method + " " + path + ": " + status + " " + (message instanceof String text ? text : "HTTP " + status),
                StepstreamException.Kind.ofStatus(status), status, error.get("code") instanceof String code ? code : null,
                error.get("details"), 0);
    }

    /** The API error's message in {@code body}, or null. */
    static String errorMessage(String body) {
        return apiError(body).get("message") instanceof String message ? message : null;
    }

    private static Map<String, Object> apiError(String body) {
        if (body == null || body.isBlank()) {
            return Map.of();
        }
        try {
            return Json.parse(body) instanceof Map<?, ?> map && map.get("error") instanceof Map<?, ?> error
                    ? copy(error) : Map.of();
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    private static Map<String, Object> copy(Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((key, value) -> copy.put(String.valueOf(key), value));
        return copy;
    }

    static String encode(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Map<String, ?> query) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        query.forEach((name, value) -> {
            if (value != null) {
                String joined = value instanceof Iterable<?> values
                        ? StreamSupport.stream(values.spliterator(), false).map(String::valueOf).collect(Collectors.joining(","))
                        : String.valueOf(value);
                text.append(text.isEmpty() ? '?' : '&').append(encode(name)).append('=').append(encode(joined));
            }
        });
        return text.toString();
    }
}
