package dev.stepstream.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** What an http step of a test calls: a server on 127.0.0.1 answering one path with 200 and a JSON body. */
public final class JsonTarget implements AutoCloseable {
    private final HttpServer server;
    private final String path;

    private JsonTarget(HttpServer server, String path) {
        this.server = server;
        this.path = path;
    }

    /** Serves {@code json} as {@code application/json} at {@code path} ({@code /release}) until closed. */
    public static JsonTarget serving(String path, String json) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] reply = json.getBytes(StandardCharsets.UTF_8);
        server.createContext(path, exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
        return new JsonTarget(server, path);
    }

    /** The URL the step calls. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
