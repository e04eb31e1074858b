package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/** A small blocking client of the REST API for the CLI commands. */
final class ApiClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /**
     * No server to talk to (it cannot be reached, or {@code --server} is not a URL), or a stream
     * that could not be resumed: one line on stderr, exit 2 (docs/clients.md, "The stepstream command line").
     */
    static final class ConnectionException extends Cli.Exit {
        ConnectionException(String message) {
            super(Cli.USAGE, message);
        }
    }

    /** The server refused the request (401, 403, 404, 409, 422): one line saying why, exit 1. */
    static final class RefusedException extends Cli.Exit {
        RefusedException(String message) {
            super(Cli.FAILED, message);
        }
    }

    /** A response: its status and its JSON body (a missing or non-JSON body is a JSON null). */
    record Response(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /**
         * Prints the error's message after {@code prefix}; when its details list several
         * problems, each on a line of its own below (one problem is the message itself). Each
         * made safe ({@link Terminal#printf}): a problem may quote the file, a message the server.
         */
        void printError(java.io.PrintWriter err, String prefix) {
            JsonNode details = body.path("error").path("details");
            if (!details.isArray() || details.size() < 2) {
                Terminal.printf(err, "%s%s%n", prefix, errorMessage());
                return;
            }
            Terminal.printf(err, "%s%d problems:%n", prefix, details.size());
            for (JsonNode problem : details) {
                Terminal.printf(err, "  %s: %s%n", problem.path("path").asText(), problem.path("message").asText());
            }
        }

        /**
         * Says on {@code spec}'s stderr, in one line made safe ({@link Terminal#printf}), why the
         * server refused, and returns the exit code of a refusal: 2 for a 400 (the command was
         * given something bad), else 1.
         */
        int refused(picocli.CommandLine.Model.CommandSpec spec) {
            Terminal.printf(spec.commandLine().getErr(), "%s: %s%n", spec.qualifiedName(), errorMessage());
            return status == 400 ? Cli.USAGE : Cli.FAILED;
        }

        /** The API's error message (or the status), and for a 401 how to give a token. */
        String errorMessage() {
            JsonNode message = body.path("error").path("message");
            return (message.isMissingNode() ? "HTTP " + status : message.asText())
                    + (status == 401 ? " (give a token with --token or STEPSTREAM_TOKEN)" : "");
        }
    }

    /** A response read as text (the Prometheus exposition of /metrics). */
    record TextResponse(int status, String body) {}

    private final String server;
    /** Where {@link #server} came from, for messages: {@code --server}, {@code STEPSTREAM_SERVER}, or null (the default). */
    private final String serverSource;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

    ApiClient(String server, String token) {
        this(server, null, token);
    }

    ApiClient(String server, String serverSource, String token) {
        this.server = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        this.serverSource = serverSource;
        this.token = token;
    }

    String server() {
        return server;
    }

    /** The bearer token, or null when none was given. */
    String token() {
        return token == null || token.isEmpty() ? null : token;
    }

    /**
     * The Java client library on the same server, token and HTTP client: what follows a run's
     * stream ({@link RunFollower}).
     */
    StepstreamClient library() {
        try {
            return StepstreamClient.builder(server).token(token()).httpClient(http).build();
        } catch (IllegalArgumentException e) {
            throw notAUrl();
        }
    }

    Response get(String path) {
        return send(request(path).GET());
    }

    TextResponse getText(String path) {
        HttpResponse<String> response = exchange(request(path).GET(),
                HttpResponse.BodyHandlers.ofString(java.nio.charset.StandardCharsets.UTF_8));
        return new TextResponse(response.statusCode(), response.body());
    }

    /**
     * GETs {@code path} and, for a 2xx, hands its body to {@code reader} as it arrives (UTF-8),
     * and returns null; any other answer is read whole and returned, as {@link #get} reads it.
     * A failure while reading the body (the server went away, or cut the answer) is a
     * ConnectionException that says so.
     */
    Response getStreamed(String path, String accept, BodyReader reader) {
        HttpResponse<java.io.InputStream> response = exchange(request(path).setHeader("Accept", accept).GET(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream body = response.body()) {
            if (response.statusCode() < 200 || response.statusCode() >= 300) {
                byte[] bytes = body.readAllBytes();
                JsonNode json;
                try {
                    json = bytes.length == 0 ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(bytes);
                } catch (IOException e) {
                    json = Json.MAPPER.nullNode();
                }
                return new Response(response.statusCode(), json);
            }
            reader.read(new java.io.InputStreamReader(body, java.nio.charset.StandardCharsets.UTF_8));
            return null;
        } catch (IOException e) {
            throw new ConnectionException("the answer of the server at " + server + " was cut short: " + why(e));
        }
    }

    /** Reads a body as it arrives. */
    @FunctionalInterface
    interface BodyReader {
        void read(java.io.Reader body) throws IOException;
    }

    Response put(String path, byte[] body, String contentType) {
        return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    Response post(String path, JsonNode body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    Response delete(String path) {
        return send(request(path).DELETE());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder;
        try {
            URI uri = URI.create(server + path);
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                throw notAUrl();
            }
            builder = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw notAUrl();
        }
        if (token != null && !token.isEmpty()) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder.header("Accept", "application/json");
    }

    private Response send(HttpRequest.Builder builder) {
        HttpResponse<byte[]> response = exchange(builder, HttpResponse.BodyHandlers.ofByteArray());
        JsonNode body;
        try {
            body = response.body().length == 0 ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            body = Json.MAPPER.nullNode();
        }
        return new Response(response.statusCode(), body);
    }

    /** Sends the request; a server that cannot be reached is a ConnectionException that says why. */
    private <T> HttpResponse<T> exchange(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(builder.build(), body);
        } catch (IOException | UnresolvedAddressException e) {
            throw unreachable(why(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("interrupted");
        }
    }

    private ConnectionException notAUrl() {
        return new ConnectionException((serverSource == null ? "--server" : serverSource)
                + ": expected an http:// or https:// URL, got \"" + server + "\"");
    }

    /**
     * No server at the URL tried: one line with the URL, where it came from, why (in words, never
     * a Java class name), and how to point elsewhere (docs/clients.md, "The stepstream command line").
     */
    ConnectionException unreachable(String why) {
        return new ConnectionException("cannot reach the server at " + server
                + (serverSource == null ? "" : " (from " + serverSource + ")") + ": " + why
                + "; start one with \"stepstream serve\", or point to another with --server URL or STEPSTREAM_SERVER");
    }

    /** Why a connection failed, in a few words a person can act on. */
    static String why(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            // First: the JDK reports an unknown host as a ConnectException caused by this.
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            switch (cause) {
                case HttpConnectTimeoutException e -> {
                    return "no answer within " + CONNECT_TIMEOUT.toSeconds() + " s";
                }
                case HttpTimeoutException e -> {
                    return "no answer within " + REQUEST_TIMEOUT.toSeconds() + " s";
                }
                case ConnectException e -> {
                    return "connection refused";
                }
                case SSLException e -> {
                    return "TLS failed" + (e.getMessage() == null ? "" : ": " + e.getMessage());
                }
                default -> { }
            }
        }
        return words(failure);
    }

    /**
     * A failure's message without the Java class names that exceptions wrapping others put in
     * it ({@code java.net.ConnectException: Connection refused} is "Connection refused").
     */
    static String words(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message == null) {
                continue;
            }
            String stripped = message.replaceAll("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*)?", "").strip();
            if (!stripped.isEmpty()) {
                return stripped;
            }
        }
        return "the connection failed";
    }
}
