package dev.stepstream.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.ext.web.impl.ServerWebSocketWrapper;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Writes frames that {@link Frames} encoded straight into a WebSocket's Netty channel, so that
 * many frames are one buffer and many buffers one flush (one system call). Vert.x's public
 * WebSocket API writes and flushes each frame on its own: with a thousand subscribers that is a
 * system call per event per subscriber, which was most of the server's CPU (docs/BENCHMARKS.md).
 *
 * <p>This reaches below Vert.x through {@link WebSocketInternal}, Vert.x's interface for its own
 * components. Frames written here go out behind anything already written, in order; Vert.x's
 * own writes (pings, pongs, the close frame) still go through Vert.x and, being made on the same
 * event loop, keep their place. The pipeline after the upgrade holds only the WebSocket codec
 * (and TLS, when on), which pass an encoded buffer through untouched; the stream tests pin this.
 *
 * <p>Threads: the connection's event loop only.
 */
final class FrameWriter {
    private final ChannelHandlerContext channel;
    private Runnable onWritable;

    /**
     * vertx-web hands out its own wrapper of the WebSocket (to answer {@code host()} and
     * {@code scheme()} from forwarded headers), which has no way to the socket under it; its
     * {@code delegate} field is read once here, so that a Vert.x upgrade that renames it fails
     * at start-up and in every stream test, not quietly.
     */
    private static final VarHandle WRAPPED;

    static {
        try {
            WRAPPED = MethodHandles.privateLookupIn(ServerWebSocketWrapper.class, MethodHandles.lookup())
                    .findVarHandle(ServerWebSocketWrapper.class, "delegate", ServerWebSocket.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    FrameWriter(ServerWebSocket socket) {
        while (socket instanceof ServerWebSocketWrapper wrapper) {
            socket = (ServerWebSocket) WRAPPED.get(wrapper);
        }
        if (!(socket instanceof WebSocketInternal internal)) {
            throw new IllegalStateException("this Vert.x version's WebSocket does not expose its channel: "
                    + socket.getClass().getName());
        }
        this.channel = internal.channelHandlerContext();
        // Told when the channel becomes writable again; one small handler per connection.
        channel.pipeline().addBefore(channel.name(), "stepstream-writability", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                Runnable waiting = onWritable;
                if (waiting != null && ctx.channel().isWritable()) {
                    onWritable = null;
                    waiting.run();
                }
                ctx.fireChannelWritabilityChanged();
            }
        });
    }

    /** A buffer for {@code bytes} of frames, from the channel's pool; {@link #write} releases it. */
    ByteBuf buffer(int bytes) {
        return channel.alloc().directBuffer(bytes, bytes);
    }

    /** Queues frames for the socket, without flushing. */
    void write(ByteBuf frames) {
        channel.write(frames, channel.voidPromise());
    }

    /** Sends what was written: one system call for all of it, where the socket takes it. */
    void flush() {
        channel.flush();
    }

    /** False while the channel holds more unsent bytes than its high-water mark. */
    boolean writable() {
        return channel.channel().isWritable();
    }

    /** Runs {@code writable} once, soon, when the channel has drained below its low-water mark. */
    void onWritable(Runnable writable) {
        if (channel.channel().isWritable()) {
            channel.executor().execute(writable); // never from inside the caller's own turn
        } else {
            onWritable = writable;
        }
    }
}
