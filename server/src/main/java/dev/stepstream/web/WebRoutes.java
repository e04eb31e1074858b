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
import java.nio.charset.StandardCharsets;

/**
 * The web page ({@code GET /}, docs/api.md): static files from the classpath folder {@code web},
 * the JavaScript client library it follows runs with ({@code /stepstream-client.mjs}), and the
 * page's deep links ({@code /runs/{runId}}, {@code /workflows/{id}}) answered with
 * {@code index.html} so that a reload of such an address shows the page, which then routes itself.
 * Any other GET of a path outside {@code /api/} that names no file is answered with the page too,
 * with status 404: the page shows its not-found page, and the status tells crawlers and scripts.
 * Mount it after the API and stream routes: an {@code /api/} path or a file it does not know falls
 * through to the API's JSON 404.
 *
 * <p>The page is the same wherever it is served, at the root of a host or at a path that a reverse
 * proxy strips ({@code https://host/stepstream/} → {@code /}; docs/deploy.md), which the server never
 * learns: each answer with {@code index.html} carries a {@code <base href>} relative to the path it
 * answers ({@link #baseOf}), which the browser resolves against the address it shows, and the
 * page makes every address of its own from that base.
 */
public final class WebRoutes {
    private static final String ROOT = "web";
    /**
     * The close codes as a module, written from {@link CloseCode}: the table the conformance suite
     * checks the client libraries' (and so the page's) against.
     */
    static final String CLOSE_CODES = closeCodesModule();
    /** The href of index.html's base in the file: right for {@code /} and {@code /index.html}, which the static handler serves. */
    private static final String FILE_BASE = "<base href=\"./\">";
    /** index.html before and after the href of its base: the page at a path has that path's base between them. */
    private final String indexBeforeBase;
    private final String indexAfterBase;
    /** clients/js/index.mjs, which the build copies into the jar: the page follows runs with it. */
    private final Buffer clientLibrary;

    public WebRoutes() {
        String index = resource(ROOT + "/index.html").toString(StandardCharsets.UTF_8);
        int base = index.indexOf(FILE_BASE);
        if (base < 0) {
            throw new IllegalStateException(ROOT + "/index.html has no " + FILE_BASE + ": the page would not work at a path");
        }
        int href = base + FILE_BASE.indexOf("./");
        indexBeforeBase = index.substring(0, href);
        indexAfterBase = index.substring(href + "./".length());
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

    /**
     * The base of the page answered for {@code path}: one {@code ../} for each directory the path
     * is below the page's root, {@code ./} at the root. {@code /} and {@code /compare} have
     * {@code ./}, {@code /runs/x} has {@code ../}, {@code /a/b/c} and {@code /a/b/} have
     * {@code ../../}. Relative, so the browser resolves it against the address it shows, proxy's
     * prefix and all; so the path is the one the browser sent, not the router's normalized one,
     * which makes {@code //a/b} {@code /a/b} while the browser's address has both slashes (and a
     * browser sends no dot segments). Only a {@code /} divides: an encoded one ({@code %2F}) is
     * part of a segment to the browser as well.
     */
    static String baseOf(String path) {
        int depth = (int) path.chars().filter(c -> c == '/').count() - 1;
        return depth <= 0 ? "./" : "../".repeat(depth);
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
                .end(indexBeforeBase + baseOf(ctx.request().path()) + indexAfterBase);
    }
}
