package dev.stepstream.web;

import dev.stepstream.stream.CloseCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.MimeMapping;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The web page ({@code GET /}, docs/api.md): static files from the classpath folder {@code web},
 * the JavaScript client library it follows runs with ({@code /stepstream-client.mjs}), and the
 * page's deep links ({@code /runs/{runId}}, {@code /workflows/{id}}) answered with
 * {@code index.html} so that a reload of such an address shows the page, which then routes itself.
 * Any other GET of a path outside {@code /api/} that names no file is answered with the page too,
 * with status 404: the page shows its not-found page, and the status tells crawlers and scripts.
 * Mount it after the API and stream routes: an {@code /api/} path or a file it does not know falls
 * through to the API's JSON 404.
 */
public final class WebRoutes {
    private static final String ROOT = "web";
    /**
     * The close codes as a module, written from {@link CloseCode}: the table the conformance suite
     * checks the client libraries' (and so the page's) against.
     */
    static final String CLOSE_CODES = closeCodesModule();
    private final Buffer index;
    /** clients/js/index.mjs, which the build copies into the jar: the page follows runs with it. */
    private final Buffer clientLibrary;

    public WebRoutes() {
        index = resource(ROOT + "/index.html");
        clientLibrary = resource("clients/js/index.mjs");
    }

    public void mount(Router router) {
        router.get("/closecodes.mjs").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/javascript; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .end(CLOSE_CODES));
        router.get("/stepstream-client.mjs").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/javascript; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .end(clientLibrary));
        router.get("/runs/:runId").handler(this::sendIndex);
        router.get("/workflows/:workflowId").handler(this::sendIndex);
        router.get("/compare").handler(this::sendIndex);
        // vertx-web's StaticHandler answers a HEAD before it looks up the file's type: say it here
        // as its GET would, so that a HEAD's head is the GET's (RFC 9110).
        router.head("/*").handler(ctx -> {
            String path = ctx.normalizedPath();
            String type = MimeMapping.mimeTypeForFilename(path.endsWith("/") ? "index.html" : path);
            if (type != null) {
                ctx.response().putHeader("Content-Type", type.startsWith("text") ? type + ";charset=UTF-8" : type);
            }
            ctx.next();
        });
        router.get("/*").handler(StaticHandler.create(ROOT)
                .setIndexPage("index.html")
                // The files are small and change with the jar: let the browser revalidate
                // rather than run yesterday's modules against today's server.
                .setCachingEnabled(false)
                .setDirectoryListing(false));
        router.get("/*").handler(ctx -> {
            String path = ctx.normalizedPath();
            if (path.startsWith("/api/") || path.substring(path.lastIndexOf('/') + 1).contains(".")) {
                ctx.next();
            } else {
                ctx.response().setStatusCode(404);
                sendIndex(ctx);
            }
        });
    }

    /** An ES module of {@link CloseCode}: each code's name and whether a stream closed with it reconnects. */
    static String closeCodesModule() {
        StringBuilder codes = new StringBuilder();
        for (CloseCode code : CloseCode.values()) {
            codes.append("  ").append(code.code()).append(": Object.freeze({ name: '").append(code.name())
                    .append("', reconnect: ").append(code.reconnect()).append(" }),\n");
        }
        return "// Made by the server from its CloseCode (docs/api.md, the close codes of a stream).\n"
                + "export const CLOSE_CODES = Object.freeze({\n" + codes + "});\n";
    }

    private static Buffer resource(String path) {
        try (InputStream in = WebRoutes.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the classpath: the jar was not built whole");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void sendIndex(RoutingContext ctx) {
        ctx.response()
                .putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .end(index);
    }
}
