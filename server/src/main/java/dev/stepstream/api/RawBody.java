package dev.stepstream.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;

/**
 * A request's body as the bytes that came, whatever its {@code Content-Type}, up to a limit:
 * for the webhook, whose signature is over those exact bytes, and for every other route that
 * takes a body (a workflow, inputs, a decision, a secret): {@code curl -d} and
 * {@code --data-binary} send the form type unless told otherwise.
 *
 * <p>Not vertx-web's {@code BodyHandler}: for a form type ({@code application/x-www-form-urlencoded},
 * {@code multipart/form-data}) it has Vert.x decode the form as it arrives, and that decoder's
 * own limits (8 KiB a value, 1 KiB buffered without an {@code =}, 256 fields) refuse a GitHub
 * form delivery of a few commits with a 400 long before 1 MiB; a multipart body it keeps out of
 * the body altogether. This reads the same way otherwise: a {@code Content-Length} over the limit
 * is refused before a byte is read, {@code Expect: 100-continue} is answered, and the router's
 * error handlers answer a failure (413 past the limit, 400 for a body that is not well-formed
 * HTTP, where {@code BodyHandler} answered a malformed chunk 200 "OK").
 */
final class RawBody {
    /** What the buffer starts at for a body of unknown length, or the most it starts at for a known one. */
    private static final int INITIAL_BYTES = 64 * 1024;

    private static final String KEY = RawBody.class.getName();
    private static final String LIMIT_KEY = RawBody.class.getName() + ".limit";

    private RawBody() {
    }

    /**
     * A route's first handler: reads the body as {@link #read} does, then hands the request on
     * with it kept in the context, for {@link #of}.
     */
    static Handler<RoutingContext> handler(int limit) {
        return ctx -> read(ctx, limit, body -> {
            ctx.put(KEY, body);
            ctx.next();
        });
    }

    /** The limit a refused body passed, in words ({@code 256 KiB}), for the 413's message. */
    static String limitText(RoutingContext ctx) {
        Integer limit = ctx.get(LIMIT_KEY);
        if (limit == null) {
            return "this route takes";
        }
        return limit % (1024 * 1024) == 0 ? limit / (1024 * 1024) + " MiB"
                : limit % 1024 == 0 ? limit / 1024 + " KiB" : limit + " bytes";
    }

    /** Fails {@code ctx} with 413, its limit kept for {@link #limitText}. */
    private static void tooLarge(RoutingContext ctx, int limit) {
        ctx.put(LIMIT_KEY, limit);
        ctx.fail(413);
    }

    /** The body {@link #handler} read: empty when none came. */
    static Buffer of(RoutingContext ctx) {
        Buffer body = ctx.get(KEY);
        return body == null ? Buffer.buffer() : body;
    }

    /**
     * Reads the body of {@code ctx}'s request, on its event loop, and hands it to {@code then}
     * there; or fails {@code ctx} (413 past {@code limit} bytes), and {@code then} is not called.
     * Must be the route's first handler, as the request's bytes are not held for a later one.
     */
    static void read(RoutingContext ctx, int limit, Consumer<Buffer> then) {
        HttpServerRequest request = ctx.request();
        long length = contentLength(request);
        // HTTP/2 sends no Transfer-Encoding: a body comes in frames until the stream ends.
        boolean unknownLength = request.version() == HttpVersion.HTTP_2 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
        if (length == -1 && !unknownLength) {
            then.accept(Buffer.buffer()); // HTTP/1.1 without either header: no body
            return;
        }
        if (length > limit) {
            tooLarge(ctx, limit);
            return;
        }
        String expect = request.getHeader(HttpHeaders.EXPECT);
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                ctx.fail(417); // the one expectation HTTP defines
                return;
            }
            if (request.version() != HttpVersion.HTTP_1_0) { // which must ignore it (RFC 9110, 10.1.1)
                ctx.response().writeContinue();
            }
        }
        if (request.isEnded()) {
            ctx.fail(new IllegalStateException("the request ended before its body was read: RawBody must be its route's first handler"));
            return;
        }
        Buffer body = Buffer.buffer((int) Math.min(length == -1 ? INITIAL_BYTES : length, INITIAL_BYTES));
        boolean[] refused = {false}; // read and written on the request's event loop only
        request.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > limit) {
                refused[0] = true;
                tooLarge(ctx, limit);
            } else {
                body.appendBuffer(chunk);
            }
        }).endHandler(ignored -> {
            if (!refused[0]) {
                then.accept(body);
            }
        }).exceptionHandler(failure -> {
            if (!refused[0]) {
                refused[0] = true;
                // The body did not come as HTTP (a bad chunk size: Netty's NumberFormatException,
                // after which Vert.x closes the connection), or the connection closed and no one
                // hears the answer: the sender's doing either way, never a 500.
                ctx.fail(400, failure);
            }
        }).resume();
    }

    /** The {@code Content-Length} given, or -1 for none (as {@code BodyHandler} reads it: one that is no number is none). */
    private static long contentLength(HttpServerRequest request) {
        String given = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (given == null || given.isEmpty()) {
            return -1;
        }
        try {
            return Math.max(Long.parseLong(given.trim()), -1);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
