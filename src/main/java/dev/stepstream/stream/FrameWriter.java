package dev.stepstream.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Writes frames that {@link Frames} encoded straight into a WebSocket's Netty channel, so that
 * many frames are one buffer and many buffers one flush (one system call). Vert.x's public
 * WebSocket API writes and flushes each frame on its own: with a thousand subscribers that is a
 * system call per event per subscriber, which was most of the server's CPU (docs/BENCHMARKS.md).
 *
 * <p>It is a handler of the connection's pipeline, installed before the upgrade just above the
 * transport (and TLS, when on), so that what it writes passes no HTTP or WebSocket encoder.
 * Frames written here go out behind anything already written, in order; Vert.x's own writes
 * (pings, pongs, the close frame) are made on the same event loop and keep their place. It
 * also tells the subscriber when the channel is writable again.
 *
 * <p>Threads: the connection's event loop only.
 */
final class FrameWriter extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext channel;
    private Runnable onWritable;

    private FrameWriter() {}

    /** Installs the writer on the connection of {@code request}, before it is upgraded. */
    static FrameWriter install(HttpServerRequest request) {
        Channel channel = ((ConnectionBase) request.connection()).channel();
        ChannelPipeline pipeline = channel.pipeline();
        FrameWriter writer = new FrameWriter();
        SslHandler tls = pipeline.get(SslHandler.class);
        if (tls != null) {
            pipeline.addAfter(pipeline.context(tls).name(), null, writer);
        } else {
            pipeline.addFirst(null, writer);
        }
        return writer;
    }

    /** Takes the writer off again, when the upgrade failed and the connection stays HTTP. */
    void uninstall() {
        channel.pipeline().remove(this);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.channel = ctx;
    }

    /** A buffer for {@code bytes} of frames, from the channel's pool; {@link #write} releases it. */
    ByteBuf buffer(int bytes) {
        return channel.alloc().directBuffer(bytes, bytes);
    }

    /** Queues frames for the socket, without flushing. */
    void write(ByteBuf frames) {
        channel.write(frames, channel.voidPromise());
    }

    /** Sends what was written: one system call, where the socket takes it all. */
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

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Runnable waiting = onWritable;
        if (waiting != null && ctx.channel().isWritable()) {
            onWritable = null;
            waiting.run();
        }
        ctx.fireChannelWritabilityChanged();
    }
}
