package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small blocking client of the REST API for the CLI commands. */
final class ApiClient {
    /** The server could not be reached: the commands exit 2. */
    static final class ConnectionException extends RuntimeException {
        ConnectionException(String message) {
            super(message);
        }
    }

    /** A response: its status and its JSON body (a missing or non-JSON body is a JSON null). */
    record Response(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The error's message from the API's error shape, or the status. */
        /** Prints the error's message after {@code prefix}, then each problem of its details on a line. */
        void printError(java.io.PrintWriter err, String prefix) {
            err.println(prefix + errorMessage());
            JsonNode details = body.path("error").path("details");
            if (details.isArray()) {
                for (JsonNode problem : details) {
                    err.println("  " + problem.path("path").asText() + ": " + problem.path("message").asText());
                }
            }
        }

        String errorMessage() {
            JsonNode message = body.path("error").path("message");
            return message.isMissingNode() ? "HTTP " + status : message.asText();
        }
    }

    /** A response read as text (the Prometheus exposition of /metrics). */
    record TextResponse(int status, String body) {}

    private final String server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ApiClient(String server, String token) {
        this.server = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        this.token = token;
    }

    String server() {
        return server;
    }

    /** The bearer token, or null when none was given. */
    String token() {
        return token == null || token.isEmpty() ? null : token;
    }

    HttpClient http() {
        return http;
    }

    /** The WebSocket address of {@code path} on the server: ws:// for http://, wss:// for https://. */
    URI webSocketUri(String path) {
        int colon = server.indexOf("://");
        String scheme = colon < 0 ? "" : server.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
        String ws = switch (scheme) {
            case "http", "ws" -> "ws";
            case "https", "wss" -> "wss";
            default -> throw new ConnectionException("--server: expected an http:// or https:// URL, got \"" + server + "\"");
        };
        try {
            return URI.create(ws + server.substring(colon) + path);
        } catch (IllegalArgumentException e) {
            throw new ConnectionException("--server: not a valid URL: \"" + server + "\"");
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

    Response put(String path, byte[] body, String contentType) {
        return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    Response post(String path, JsonNode body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder;
        try {
            builder = HttpRequest.newBuilder(URI.create(server + path)).timeout(Duration.ofSeconds(30));
        } catch (IllegalArgumentException e) {
            throw new ConnectionException("--server: not a valid URL: \"" + server + "\"");
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
        } catch (IOException e) {
            throw new ConnectionException("cannot reach " + server + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("interrupted");
        }
    }
}
