package dev.stepstream.stream;

import dev.stepstream.api.ApiError;
import dev.stepstream.json.Json;
import dev.stepstream.security.StreamGate;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * The WebSocket opening handshake of the stream endpoints (RFC 6455, section 4.2), made by hand
 * so that the connection can be taken over from Vert.x for the life of the stream: once upgraded,
 * a stream needs none of Vert.x's per-connection HTTP and WebSocket machinery (its request,
 * headers, message queues, handlers: most of an idle connection's memory; docs/BENCHMARKS.md),
 * only the transport (and TLS), Netty's frame decoder and one {@link StreamSocket}.
 *
 * <p>In three steps, on the connection's event loop: {@link #check} the handshake's headers
 * before anything else is done for the request (a refusal is an HTTP error like any other);
 * {@link #hold} the connection, in the request's handler, which stops HTTP decoding so that
 * bytes a client sends right after its request are kept for the frame decoder; then either
 * {@link #accept} (the 101 answer, and the pipeline rebuilt) or {@link #refused} (the error
 * answer, after which the connection closes: it can no longer read a request).
 *
 * <p>Answers as Vert.x did: {@code stepstream.v2} when the client offers it (the first offered
 * protocol the server speaks, in the client's order; a {@code stepstream.bearer.} protocol is
 * never echoed), no protocol header when it offers only others, and no extensions (a client
 * that offers permessage-deflate gets uncompressed frames, which the RFC allows).
 */
final class Upgrade {
    static final String PROTOCOL = "stepstream.v2";
    /** Frames from clients (masked, no extensions) of at most 64 KiB; a violation is ours to answer, with 1002 or 1009. */
    private static final WebSocketDecoderConfig FRAMES = WebSocketDecoderConfig.newBuilder()
            .expectMaskedFrames(true)
            .allowMaskMismatch(false)
            .allowExtensions(false)
            .maxFramePayloadLength(64 * 1024)
            .closeOnProtocolViolation(false)
            .build();
    private static final byte[] GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".getBytes(StandardCharsets.US_ASCII);
    /** One digest per event loop: looking SHA-1 up in the security providers costs more than the hash. */
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    });
    private static final byte[] SWITCHING = ("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
            + "sec-websocket-accept: ").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WITH_PROTOCOL = ("\r\nsec-websocket-protocol: " + PROTOCOL + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String HOLD = "stepstream-hold";
    private static final String DECODER = "stepstream-frames";
    private static final String SOCKET = "stepstream-socket";

    private final HttpServerRequest request;
    private final Channel channel;
    private final Held held;

    private Upgrade(HttpServerRequest request, Channel channel, Held held) {
        this.request = request;
        this.channel = channel;
        this.held = held;
    }

    /**
     * What Vert.x's handshake checked beyond {@link HttpServerRequest#canUpgradeToWebSocket} (a GET
     * over HTTP/1.1 with {@code Connection: Upgrade} and {@code Upgrade: websocket}).
     *
     * @throws ApiError 426 for a {@code Sec-WebSocket-Version} other than 13 (with the version this
     *                  server speaks in that header, as RFC 6455 asks), 400 without a
     *                  {@code Sec-WebSocket-Key}, or for a request that says it has a body
     */
    static void check(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String version = request.getHeader("Sec-WebSocket-Version");
        if (!"13".equals(version == null ? null : version.trim())) {
            ctx.response().putHeader("Sec-WebSocket-Version", "13");
            throw new ApiError(426, "unsupported_websocket_version", "Sec-WebSocket-Version: this server speaks version 13"
                    + " (RFC 6455), " + (version == null ? "and the request names none" : "not \"" + abbreviate(version) + "\""),
                    Json.object().put("header", "Sec-WebSocket-Version"));
        }
        String key = request.getHeader("Sec-WebSocket-Key");
        if (key == null || key.isBlank()) {
            throw new ApiError(400, "invalid_handshake", "Sec-WebSocket-Key: missing; a WebSocket handshake needs one (RFC 6455)",
                    Json.object().put("header", "Sec-WebSocket-Key"));
        }
        if (!isNonce(key.trim())) {
            throw new ApiError(400, "invalid_handshake", "Sec-WebSocket-Key: must be 16 bytes in Base64 (RFC 6455 section 4.1), not \""
                    + abbreviate(key.trim()) + "\"", Json.object().put("header", "Sec-WebSocket-Key"));
        }
        String length = request.getHeader("Content-Length");
        if (request.getHeader("Transfer-Encoding") != null || (length != null && !length.trim().equals("0"))) {
            throw new ApiError(400, "invalid_handshake", "a WebSocket handshake has no body",
                    Json.object().put("header", request.getHeader("Transfer-Encoding") != null ? "Transfer-Encoding" : "Content-Length"));
        }
    }

    /**
     * Stops decoding HTTP on the request's connection: from now on its bytes are held (up to 64 KiB)
     * for the frame decoder. Call in the request's handler, after {@link #check}, once nothing but
     * the run's lookup can refuse the upgrade; then call {@link #accept} or {@link #refused}.
     */
    static Upgrade hold(HttpServerRequest request) {
        Channel channel = VertxInternals.channel(request.connection());
        Held held = new Held();
        VertxInternals.replaceHttpDecoder(channel.pipeline(), HOLD, held);
        return new Upgrade(request, channel, held);
    }

    /**
     * Answers 101 (written, not yet flushed: it leaves with the stream's first frames, see
     * {@link StreamSocket#flush}) and takes the connection over: every handler but the transport's
     * and TLS is replaced by the frame decoder and a {@link StreamSocket}, which reads nothing until
     * {@link StreamSocket#start}. The connection no longer counts as Vert.x's (its close handlers
     * never run): its pass releases its place in the connection count instead.
     *
     * @return the socket, or null if the client has gone meanwhile (nothing was written)
     */
    StreamSocket accept(Heartbeats heartbeats, StreamGate.Pass pass) {
        if (!channel.isActive()) {
            return null;
        }
        pass.takeOver(request.connection());
        String key = request.getHeader("Sec-WebSocket-Key").trim();
        String protocol = protocol(request.getHeader("Sec-WebSocket-Protocol"));
        ChannelPipeline pipeline = channel.pipeline();
        StreamSocket socket = new StreamSocket(heartbeats.on(channel.eventLoop()));
        pipeline.addAfter(HOLD, DECODER, new WebSocket13FrameDecoder(FRAMES));
        pipeline.addAfter(DECODER, SOCKET, socket);
        VertxInternals.removeVertxHandlers(pipeline, Set.of(HOLD, DECODER, SOCKET));
        socket.writeHandshake(response(key, protocol), losesFramesAfterTheHandshake(request.getHeader("User-Agent")));
        return socket;
    }

    /** The JDK's WebSocket client, which drops what arrives while it switches readers (see {@link StreamSocket#writeHandshake}). */
    static boolean losesFramesAfterTheHandshake(String userAgent) {
        return userAgent != null && userAgent.startsWith("Java-http-client");
    }

    /**
     * The upgrade was refused after {@link #hold}: the error answer goes out as usual, and then
     * the connection closes, since it can no longer read another request. Call before the error
     * is sent.
     */
    void refused(RoutingContext ctx) {
        ctx.response().putHeader("Connection", "close");
        ctx.addEndHandler(ignored -> request.connection().close());
    }

    /** The protocol to answer with: {@value #PROTOCOL} if offered (Netty's rule: the first header's comma list), else null. */
    static String protocol(String offered) {
        if (offered == null) {
            return null;
        }
        for (String protocol : offered.split(",")) {
            if (protocol.trim().equals(PROTOCOL)) {
                return PROTOCOL;
            }
        }
        return null;
    }

    /** Whether {@code key} is what RFC 6455 (4.1) asks of a client: a 16-byte nonce in Base64 (24 characters). */
    static boolean isNonce(String key) {
        try {
            return key.length() == 24 && Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code Sec-WebSocket-Accept}: the key and the RFC's GUID, hashed with SHA-1, in Base64. */
    static byte[] acceptKey(String key) {
        MessageDigest sha1 = SHA1.get();
        sha1.update(key.getBytes(StandardCharsets.US_ASCII));
        return Base64.getEncoder().encode(sha1.digest(GUID)); // digest() resets it for the next key
    }

    private static byte[] response(String key, String protocol) {
        byte[] accept = acceptKey(key);
        byte[] end = protocol == null ? END : WITH_PROTOCOL;
        byte[] response = Arrays.copyOf(SWITCHING, SWITCHING.length + accept.length + end.length);
        System.arraycopy(accept, 0, response, SWITCHING.length, accept.length);
        System.arraycopy(end, 0, response, SWITCHING.length + accept.length, end.length);
        return response;
    }

    private static String abbreviate(String text) {
        return text.length() > 20 ? text.substring(0, 20) + "…" : text;
    }

    /**
     * In place of the HTTP decoder between {@link #hold} and the takeover: keeps the bytes that
     * arrive (frames a client sent early; a client should wait for the 101, but need not) and hands
     * them to the frame decoder when it is removed; closes the connection past 64 KiB. Messages
     * the HTTP decoder made before it was removed (the request's end) pass on. Event loop only.
     */
    static final class Held extends ChannelInboundHandlerAdapter {
        private static final int MAX_HELD = 64 * 1024;
        private ByteBuf bytes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buffer)) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (bytes == null) {
                bytes = buffer;
            } else {
                ByteBuf joined = ctx.alloc().buffer(bytes.readableBytes() + buffer.readableBytes());
                joined.writeBytes(bytes).writeBytes(buffer);
                bytes.release();
                buffer.release();
                bytes = joined;
            }
            if (bytes.readableBytes() > MAX_HELD) {
                bytes.release();
                bytes = null;
                ctx.close();
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            ByteBuf waiting = bytes;
            bytes = null;
            if (waiting != null) {
                if (ctx.channel().isActive()) {
                    ctx.fireChannelRead(waiting);
                    ctx.fireChannelReadComplete();
                } else {
                    waiting.release();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (bytes != null) {
                bytes.release();
                bytes = null;
            }
            ctx.fireChannelInactive();
        }
    }
}
