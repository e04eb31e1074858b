package dev.stepstream.stream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.impl.ConnectionBase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every use of Vert.x's internals (not its API), in one place: what the stream needs to take a
 * connection over from Vert.x ({@link Upgrade}) and to schedule on event loops ({@link Topic},
 * {@link StreamRoutes}). A Vert.x upgrade may change them, so {@link #check} runs when the server
 * starts and stops it, naming the Vert.x version it found, if one of them no longer holds.
 * {@code LayeringTest} allows Vert.x internals in this class only.
 */
final class VertxInternals {
    /** The name under which Vert.x's HTTP/1.1 server pipeline holds its request decoder. */
    static final String HTTP_DECODER = "httpDecoder";
    /** The Vert.x version this was written and tested against. */
    static final String TESTED_WITH = "5.1";
    /** The class of Vert.x that names {@link #HTTP_DECODER} in the pipelines it makes. */
    private static final String PIPELINE_MAKER = "io/vertx/core/http/impl/tcp/HttpServerConnectionInitializer.class";

    private VertxInternals() {}

    /**
     * Checks that the internals used here are as this build expects.
     * @throws IllegalStateException naming the Vert.x version and what changed
     */
    static void check() {
        try {
            ConnectionBase.class.getMethod("channel");
            ContextInternal.class.getMethod("nettyEventLoop");
            ContextInternal.class.getMethod("unwrap");
        } catch (NoSuchMethodException | LinkageError e) {
            throw changed("a method it uses is gone: " + e);
        }
        if (!classMentions(PIPELINE_MAKER, HTTP_DECODER)) {
            throw changed(PIPELINE_MAKER.replace('/', '.') + " no longer names its HTTP decoder \"" + HTTP_DECODER + "\"");
        }
    }

    private static IllegalStateException changed(String what) {
        return new IllegalStateException("WebSocket streams take connections over from Vert.x through its internals,"
                + " written for Vert.x " + TESTED_WITH + ", and this is Vert.x " + version() + ": " + what);
    }

    /** The running Vert.x's version, from the file its jar carries. */
    static String version() {
        try (InputStream in = Vertx.class.getClassLoader().getResourceAsStream("META-INF/vertx/vertx-version.txt")) {
            return in == null ? "(unknown version)" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "(unknown version)";
        }
    }

    /** Whether the class file's constant pool holds {@code text} (as the UTF-8 of a string constant). */
    private static boolean classMentions(String classFile, String text) {
        try (InputStream in = Vertx.class.getClassLoader().getResourceAsStream(classFile)) {
            if (in == null) {
                return false;
            }
            byte[] bytes = in.readAllBytes();
            byte[] wanted = text.getBytes(StandardCharsets.UTF_8);
            outer:
            for (int i = 0; i + wanted.length <= bytes.length; i++) {
                for (int j = 0; j < wanted.length; j++) {
                    if (bytes[i + j] != wanted[j]) {
                        continue outer;
                    }
                }
                return true;
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** The Netty channel under an HTTP connection. */
    static Channel channel(HttpConnection connection) {
        return ((ConnectionBase) connection).channel();
    }

    /** The Netty event loop a context runs on. */
    static EventLoop eventLoop(Context context) {
        return ((ContextInternal) context).nettyEventLoop();
    }

    /** The event loop's own context, not a request's duplicate of it. */
    static Context loopContext(Context context) {
        return ((ContextInternal) context).unwrap();
    }

    /**
     * Puts {@code handler} where Vert.x's HTTP request decoder is, and removes the decoder, which
     * hands what it has not decoded to the next handler: {@code handler}.
     */
    static void replaceHttpDecoder(ChannelPipeline pipeline, String name, ChannelHandler handler) {
        if (pipeline.get(HTTP_DECODER) == null) {
            throw changed("the connection's pipeline has no handler named \"" + HTTP_DECODER + "\": " + pipeline.names());
        }
        pipeline.addAfter(HTTP_DECODER, name, handler);
        pipeline.remove(HTTP_DECODER);
    }

    /**
     * Removes what Vert.x put in a connection's pipeline (its encoder, idle handler, chunked
     * writer, the handler that is its connection…): everything but TLS and the handlers named
     * {@code kept}.
     */
    static void removeVertxHandlers(ChannelPipeline pipeline, Set<String> kept) {
        List<String> vertx = new ArrayList<>();
        for (Map.Entry<String, ChannelHandler> handler : pipeline) {
            if (!(handler.getValue() instanceof SslHandler) && !kept.contains(handler.getKey())) {
                vertx.add(handler.getKey());
            }
        }
        vertx.forEach(pipeline::remove);
    }
}
