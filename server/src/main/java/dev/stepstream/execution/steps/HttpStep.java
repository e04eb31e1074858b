package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.LogLevel;
import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepFailedException;
import dev.stepstream.execution.StepResult;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code type: http}: one request. Without {@code expectStatus}, a status of 400 or more fails
 * the step. The response is the step's outputs, {@code status}, {@code headers} and
 * {@code body} (a JSON body parsed), and is saved as such under {@code saveAs}. Requests time out after 30 s unless the step sets {@code timeout}.
 * Redirects (at most {@value #MAX_REDIRECTS}) are followed here rather than by the client, so
 * that each hop is checked against the server's {@code --http-allow} stance: a redirect cannot
 * carry a request to where the step could not send it. A 303, and a 301 or 302 answering a
 * POST, continue as a GET without body; an https URL is never redirected to http.
 */
final class HttpStep implements StepAction {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** A larger response body fails the step rather than filling memory. */
    static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    static final int MAX_REDIRECTS = 5;

    @Override
    public StepResult run(StepContext ctx) throws Exception {
        String method = ctx.field("method") == null ? "GET" : StepActions.text(ctx.field("method")).toUpperCase(Locale.ROOT);
        URI uri = parseUrl(StepActions.text(ctx.field("url")));
        String refused = ctx.httpTargets().refusal(uri);
        if (refused != null) {
            throw new StepFailedException("url: " + refused);
        }
        HttpRequest request = buildRequest(ctx, method, uri);

        long started = System.nanoTime();
        HttpResponse<InputStream> response = send(ctx, method, request);
        for (int hops = 0; isRedirect(response.statusCode()) && hops < MAX_REDIRECTS; hops++) {
            URI next = redirectTarget(uri, response);
            if (next == null) {
                break; // no usable Location, or https to http: the step sees the 3xx
            }
            response.body().close();
            String refusedHop = ctx.httpTargets().refusal(next);
            if (refusedHop != null) {
                throw new StepFailedException(method + " " + uri + " redirected to " + next + ": " + refusedHop);
            }
            int status = response.statusCode();
            if (status == 303 || ((status == 301 || status == 302) && method.equals("POST"))) {
                method = "GET";
                request = HttpRequest.newBuilder(next).timeout(request.timeout().orElse(DEFAULT_TIMEOUT)).GET().build();
            } else {
                request = buildRequest(ctx, method, next);
            }
            uri = next;
            response = send(ctx, method, request);
        }
        byte[] body = readBody(response);
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        int status = response.statusCode();
        ctx.log(LogLevel.INFO, method + " " + uri + " -> " + status + " in " + tookMs + " ms");

        ObjectNode outputs = responseValue(response, body);
        JsonNode saveAs = ctx.field("saveAs");
        if (saveAs != null) {
            ctx.setVariable(saveAs.asText(), outputs.deepCopy());
        }
        return checkStatus(status, ctx.field("expectStatus")).withOutputs(outputs);
    }

    private static HttpResponse<InputStream> send(StepContext ctx, String method, HttpRequest request) throws Exception {
        try {
            return ctx.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new StepFailedException(method + " " + request.uri() + ": no response within "
                    + request.timeout().orElseThrow().toMillis() + " ms");
        } catch (IOException e) {
            throw new StepFailedException(method + " " + request.uri() + ": " + describe(e));
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** Where a redirect points, resolved against the URL that answered; null when it cannot or may not be followed. */
    private static URI redirectTarget(URI from, HttpResponse<?> response) {
        String location = response.headers().firstValue("Location").orElse(null);
        if (location == null || location.isBlank()) {
            return null;
        }
        try {
            URI next = from.resolve(location.trim());
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return null;
            }
            if (from.getScheme().equalsIgnoreCase("https") && scheme.equals("http")) {
                return null;
            }
            return next;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static URI parseUrl(String url) throws StepFailedException {
        try {
            URI uri = URI.create(url);
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                throw new StepFailedException("url: expected an http or https URL, got \"" + url + "\"");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new StepFailedException("url: not a valid URL: \"" + url + "\"");
        }
    }

    private static HttpRequest buildRequest(StepContext ctx, String method, URI uri) throws Exception {
        Duration timeout = ctx.timeout() == null ? DEFAULT_TIMEOUT : ctx.timeout();
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(timeout);
        boolean hasContentType = false;
        JsonNode headers = ctx.field("headers");
        if (headers != null) {
            for (Map.Entry<String, JsonNode> header : headers.properties()) {
                try {
                    builder.header(header.getKey(), StepActions.text(header.getValue()));
                } catch (IllegalArgumentException e) {
                    throw new StepFailedException("headers." + header.getKey() + ": this header cannot be set");
                }
                hasContentType |= header.getKey().equalsIgnoreCase("Content-Type");
            }
        }
        JsonNode body = ctx.field("body");
        HttpRequest.BodyPublisher publisher;
        if (body == null || body.isNull()) {
            publisher = HttpRequest.BodyPublishers.noBody();
        } else if (body.isTextual()) {
            publisher = HttpRequest.BodyPublishers.ofString(body.asText());
        } else {
            publisher = HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body));
            if (!hasContentType) {
                builder.header("Content-Type", "application/json");
            }
        }
        return builder.method(method, publisher).build();
    }

    private static byte[] readBody(HttpResponse<InputStream> response) throws IOException, StepFailedException {
        try (InputStream in = response.body()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new StepFailedException("response body is larger than " + MAX_BODY_BYTES / (1024 * 1024) + " MiB");
            }
            return body;
        }
    }

    private static ObjectNode responseValue(HttpResponse<?> response, byte[] body) {
        ObjectNode value = Json.object();
        value.put("status", response.statusCode());
        ObjectNode headers = value.putObject("headers");
        response.headers().map().forEach((name, values) -> {
            if (!name.startsWith(":")) {
                headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values));
            }
        });
        String contentType = response.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        JsonNode parsed = null;
        if (contentType.contains("json") && body.length > 0) {
            try {
                parsed = Json.MAPPER.readTree(body);
            } catch (IOException e) {
                parsed = null; // not valid JSON after all: keep it as text
            }
            if (parsed != null && Json.numberTooLong(parsed, "") != null) {
                parsed = null; // a number like 1e400, which could not be read back once stored: text too
            }
        }
        if (parsed != null) {
            value.set("body", parsed);
        } else {
            value.put("body", new String(body, StandardCharsets.UTF_8));
        }
        return value;
    }

    private static StepResult checkStatus(int status, JsonNode expectStatus) {
        if (expectStatus == null) {
            return status < 400 ? StepResult.ok() : StepResult.failed("status " + status);
        }
        for (JsonNode expected : expectStatus) {
            if (expected.asInt() == status) {
                return StepResult.ok();
            }
        }
        List<String> expected = new java.util.ArrayList<>();
        expectStatus.forEach(node -> expected.add(node.asText()));
        return StepResult.failed("status " + status + " (expected " + String.join(" or ", expected) + ")");
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
