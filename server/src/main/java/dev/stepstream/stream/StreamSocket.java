package dev.stepstream.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A stream's WebSocket, as the one handler of ours on its channel (after {@link Upgrade} took the
 * connection over from Vert.x, behind Netty's frame decoder). It writes what the stream encoded
 * ({@link Frames}) straight to the channel, many frames per flush; it keeps the connection honest
 * (docs/api.md, "The run stream"): a ping frame every ping interval, a close when nothing arrived
 * for the idle timeout (both from {@link Heartbeats}, one clock per event loop, not a timer per
 * connection); it applies the inbound rules (a message, text or binary, over {@value #MAX_INBOUND_BYTES}
 * bytes closes with 1009, {@code {"type":"ping"}} is answered with {@code {"type":"pong"}},
 * anything else is ignored; a frame that breaks the protocol closes with 1002, one over 64 KiB
 * with 1009); and it closes properly: its close frame, then the channel closes when the
 * client's close frame comes back (or after the close timeout); a client's close frame is
 * answered with the same code and ends the stream.
 *
 * <p>States: {@code OPEN} (the stream writes), {@code CLOSING} (a close frame was sent, by us
 * or in answer to the client's: writes are dropped, the channel closes soon), {@code CLOSED}
 * (the channel closed; the stream was told with {@link Events#ended}).
 *
 * <p>Threads: the channel's event loop only, which owns every field.
 */
final class StreamSocket extends ChannelDuplexHandler {
    /** An inbound message, text or binary, larger than this closes the connection with 1009 (docs/security.md, "Limits"). */
    static final int MAX_INBOUND_BYTES = 512;
    private static final byte[] PONG = "{\"type\":\"pong\"}".getBytes(StandardCharsets.UTF_8);
    private static final int FIN = 0x80;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    private static final int PONG_FRAME = 0xA;
    /** A close frame's reason is at most 123 bytes (a control frame's payload is at most 125). */
    private static final int MAX_REASON_BYTES = 123;
    /** The code a close frame without one is reported with (RFC 6455 7.4.1: "no status received"). */
    private static final int NO_STATUS = 1005;
    /** How long the stream waits for a client to show that it reads frames before sending it any (see {@link #writeHandshake}). */
    private static final long LISTENING_TIMEOUT_MS = 250;

    /** What the socket tells its stream. Called on the event loop. */
    interface Events {
        /**
         * The socket asks for the stream to end with {@code code}: nothing arrived for the idle
         * timeout, or the client broke a rule. The stream answers with {@link #close}.
         */
        void closeRequested(CloseCode code, String reason);

        /**
         * The connection is gone (once, at the end). {@code clientCode} is the code of the client's
         * close frame when the client closed first, else null (the server closed, or the
         * connection dropped without a close frame).
         */
        void ended(Integer clientCode);
    }

    private enum State { OPEN, CLOSING, CLOSED }

    /** The kind of the message being received: a text one is collected and read, a binary one counted and ignored. */
    private enum Inbound { NONE, TEXT, BINARY }

    private final Heartbeats.Loop clock;
    private ChannelHandlerContext channel;
    private Events events;
    private State state = State.OPEN;
    private Runnable onWritable;
    /**
     * Frames held back until the client shows that its WebSocket reads (null since): see
     * {@link #writeHandshake}. With a close frame queued behind them, and a timer that sends them
     * anyway.
     */
    private java.util.ArrayDeque<ByteBuf> queued;
    private int queuedBytes;
    private ByteBuf queuedClose;
    private io.netty.util.concurrent.Future<?> listeningTimer;
    /** The client's close code when it closed first (0: it did not). */
    private int clientCode;
    /**
     * The connection is failed (RFC 6455 7.1.7): it broke the protocol (the frame decoder reads
     * nothing more, so no close frame will come back), or sent a message that is too big or not
     * UTF-8. The close frame goes, then the TCP connection ends, without waiting for an answer.
     */
    private boolean failed;
    /** What kind of message is being received, when it comes in fragments; NONE between messages. */
    private Inbound inbound = Inbound.NONE;
    /** Bytes of the message being received so far, text or binary: what the limit is checked on. */
    private int inboundLength;
    /** A fragmented text message collected so far (its first {@code inboundLength} bytes), or null. */
    private byte[] text;

    // Liveness, kept by the loop's clock: whether the client was heard from since its last tick
    // (a frame arrived, or it read enough of what waited for it that the channel drained), when,
    // the last ping, and when the channel closes unless the client answers our close frame first
    // (the close timeout after the frame left, or after a 1013 was decided).
    boolean received;
    long lastReceived;
    long lastPing;
    long closeDeadline;
    boolean closeTimed;
    StreamSocket previous;
    StreamSocket next;

    StreamSocket(Heartbeats.Loop clock) {
        this.clock = clock;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.channel = ctx;
        clock.add(this);
    }

    /**
     * Writes the 101 answer. For the JDK's client ({@code holdBack}), also a ping frame, and holds
     * every frame after them back until the client shows that its WebSocket reads: its pong, or
     * any frame it sends (or, from a client that answers no ping, after
     * {@value #LISTENING_TIMEOUT_MS} ms). Any other client gets its first frames at once.
     *
     * <p>Why: the JDK's client (java.net.http, which the CLI and the tests use) loses what
     * arrives while it hands the connection from its HTTP reader to its WebSocket reader. What
     * came in the same read as the 101 survives; a further read in that moment is dropped, and
     * the stream goes on from the middle of a frame ("Unexpected rsv1 bit"). Seen in FanOutTest:
     * clients failed exactly 16 KB (the JDK's read buffer) into their first burst, whether the
     * 101 came alone or with the first frames (commit d1ef865 did the latter). A pong comes from
     * the WebSocket reader, so once it arrives nothing can be lost. It costs a stream one round
     * trip before its first frames, so only the JDK's client pays it (its User-Agent says
     * {@code Java-http-client}).
     */
    void writeHandshake(byte[] response, boolean holdBack) {
        if (!holdBack) {
            channel.write(channel.alloc().buffer(response.length).writeBytes(response), channel.voidPromise());
            return;
        }
        ByteBuf out = channel.alloc().buffer(response.length + 2);
        out.writeBytes(response).writeByte(FIN | PING).writeByte(0);
        channel.write(out, channel.voidPromise());
        queued = new java.util.ArrayDeque<>(4);
        listeningTimer = channel.executor().schedule(this::listening, LISTENING_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the socket once its stream is wired to {@code events}: sends the 101 answer and the
     * ping (whatever the stream wrote meanwhile is held back, see {@link #writeHandshake}), then
     * reads the client's frames, beginning with any that came early.
     */
    void start(Events events) {
        this.events = events;
        channel.flush();
        if (state == State.CLOSED) {
            events.ended(clientCode == 0 ? null : clientCode);
            return;
        }
        if (channel.pipeline().get(Upgrade.Held.class) != null) {
            channel.pipeline().remove(Upgrade.Held.class); // hands the frame decoder what arrived meanwhile
        }
        channel.channel().config().setAutoRead(true); // Vert.x may have paused the request's reads
    }

    /** A buffer for {@code bytes} of frames, from the channel's pool; {@link #write} releases it. */
    ByteBuf buffer(int bytes) {
        return channel.alloc().directBuffer(bytes, bytes);
    }

    /** Queues frames for the socket, without flushing; dropped once the socket is closing. */
    void write(ByteBuf frames) {
        if (state != State.OPEN) {
            frames.release();
            return;
        }
        send(frames);
    }

    private void send(ByteBuf frames) {
        if (queued != null) {
            queued.add(frames);
            queuedBytes += frames.readableBytes();
        } else {
            channel.write(frames, channel.voidPromise());
        }
    }

    /** Sends what was written: one system call, where the socket takes it all. */
    void flush() {
        if (queued == null) {
            channel.flush();
        }
    }

    /** False while the channel (or what is held back) holds more unsent bytes than the channel's high-water mark. */
    boolean writable() {
        return queued != null ? queuedBytes < channel.channel().config().getWriteBufferHighWaterMark() : channel.channel().isWritable();
    }

    /** Runs {@code writable} once, soon, when the channel has drained below its low-water mark. */
    void onWritable(Runnable writable) {
        if (queued == null && channel.channel().isWritable()) {
            channel.executor().execute(writable); // never from inside the caller's own turn
        } else {
            onWritable = writable;
        }
    }

    /** The client's WebSocket reads (or it answers no ping): what was held back goes, in order. */
    private void listening() {
        if (queued == null) {
            return;
        }
        java.util.ArrayDeque<ByteBuf> frames = queued;
        queued = null;
        queuedBytes = 0;
        listeningTimer.cancel(false);
        listeningTimer = null;
        for (ByteBuf frame : frames) {
            channel.write(frame, channel.voidPromise());
        }
        ByteBuf close = queuedClose;
        queuedClose = null;
        if (close != null) {
            writeClose(close);
        } else {
            channel.flush();
        }
        if (onWritable != null && channel.channel().isWritable()) {
            Runnable waiting = onWritable;
            onWritable = null;
            channel.executor().execute(waiting);
        }
    }

    /** Drops what was held back (the connection is failing or gone). */
    private void dropQueued() {
        if (queued != null) {
            queued.forEach(ByteBuf::release);
            queued = null;
            queuedBytes = 0;
        }
        if (queuedClose != null) {
            queuedClose.release();
            queuedClose = null;
        }
        if (listeningTimer != null) {
            listeningTimer.cancel(false);
            listeningTimer = null;
        }
    }

    /** True until a close frame was sent (by the server, or in answer to the client's). */
    boolean open() {
        return state == State.OPEN;
    }

    /**
     * Sends a close frame with {@code code} and {@code reason} after what was written, and closes
     * the channel when the client's close frame comes back, or when the close timeout has passed
     * since the frame left (a client that stopped reading gets it, behind what was queued, once
     * it reads again, as long as it is not idle for the idle timeout; for a 1013, only if it
     * reads within the close timeout); at once when the client broke the protocol (RFC 6455
     * 7.1.7: fail the connection). Idempotent.
     */
    void close(CloseCode code, String reason) {
        if (state != State.OPEN) {
            return;
        }
        state = State.CLOSING;
        if (code == CloseCode.TRY_AGAIN) {
            // The client read nothing for a write timeout: its close frame, behind what it has not
            // read, may never leave, and its pings would keep the connection for ever. It gets the
            // close timeout from now to read on to the frame; else the channel closes without it.
            closeDeadline = clock.now() + clock.closeTimeoutNanos();
            closeTimed = true;
        }
        ByteBuf frame = closeFrame(code.code(), reason);
        if (failed) {
            dropQueued();
        } else if (queued != null) {
            queuedClose = frame; // after the frames queued before it
            return;
        }
        writeClose(frame);
    }

    private void writeClose(ByteBuf frame) {
        if (failed) {
            channel.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.writeAndFlush(frame).addListener(written -> {
                closeDeadline = clock.now() + clock.closeTimeoutNanos();
                closeTimed = true;
            });
        }
    }

    /** The loop's clock: idle close, ping, and the end of a close handshake that got no answer. */
    void tick(long now) {
        if (received) {
            received = false;
            lastReceived = now;
        }
        if (state == State.CLOSING) {
            if ((closeTimed && now - closeDeadline >= 0) || now - lastReceived >= clock.idleNanos()) {
                channel.close();
            }
        } else if (state == State.OPEN && events != null) {
            if (now - lastReceived >= clock.idleNanos()) {
                events.closeRequested(CloseCode.GOING_AWAY, "nothing received; reconnect with after");
            } else if (now - lastPing >= clock.pingNanos()) {
                lastPing = now;
                if (queued == null && writable()) { // a client that does not read would not see it either
                    channel.writeAndFlush(control(PING, null), channel.voidPromise());
                }
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ReferenceCountUtil.release(msg); // the upgrade request's end, passed on by the HTTP decoder as it left
            return;
        }
        received = true;
        try {
            if (!(frame instanceof CloseWebSocketFrame)) {
                listening(); // it sends frames, so it reads them
            }
            switch (frame) {
                case CloseWebSocketFrame close -> closeReceived(close);
                case PingWebSocketFrame ping -> {
                    if (state == State.OPEN && writable()) { // a client that pings but never reads gets no queue of pongs
                        channel.writeAndFlush(control(PONG_FRAME, ping.content()), channel.voidPromise());
                    }
                }
                case TextWebSocketFrame first -> fragment(Inbound.TEXT, first.content(), first.isFinalFragment());
                case BinaryWebSocketFrame first -> fragment(Inbound.BINARY, first.content(), first.isFinalFragment());
                case ContinuationWebSocketFrame more -> fragment(Inbound.NONE, more.content(), more.isFinalFragment());
                default -> { } // a pong: it counts as something received, no more
            }
        } finally {
            frame.release();
        }
    }

    /**
     * A frame of a message: the first one of a text or binary message ({@code kind}), or a
     * continuation ({@link Inbound#NONE}) of the message begun before (the frame decoder fails a
     * continuation of nothing, and a new message in the middle of one, with 1002). The one place
     * the inbound limit is applied, to text and binary alike: past {@value #MAX_INBOUND_BYTES}
     * bytes a message closes the connection with 1009. A text message is collected and handled
     * when it is whole; a binary one is counted and ignored, as any message but a ping.
     */
    private void fragment(Inbound kind, ByteBuf content, boolean last) {
        if (state != State.OPEN) {
            return;
        }
        boolean first = kind != Inbound.NONE;
        if (first) {
            inbound = kind;
            inboundLength = 0;
        }
        int length = content.readableBytes();
        if (inboundLength + length > MAX_INBOUND_BYTES) {
            inbound = Inbound.NONE;
            text = null;
            failed = true; // as for a frame the decoder refuses: the connection is failed, and closed after the frame
            events.closeRequested(CloseCode.TOO_BIG, "messages to the server are at most " + MAX_INBOUND_BYTES + " bytes");
            return;
        }
        int offset = inboundLength;
        inboundLength += length;
        boolean isText = inbound == Inbound.TEXT;
        if (last) {
            inbound = Inbound.NONE;
        }
        if (isText) {
            text(content, offset, first, last);
        }
    }

    /** A fragment of a text message within the limit, starting at {@code offset} of it: collected, and handled when whole. */
    private void text(ByteBuf content, int offset, boolean first, boolean last) {
        int length = content.readableBytes();
        if (first && last) {
            if (utf8(content, content.readerIndex(), length)) {
                message(ByteBufUtil.getBytes(content));
            }
            return;
        }
        if (text == null) {
            text = new byte[MAX_INBOUND_BYTES];
        }
        content.readBytes(text, offset, length);
        if (last) {
            byte[] whole = java.util.Arrays.copyOf(text, offset + length);
            text = null;
            if (utf8(Unpooled.wrappedBuffer(whole), 0, whole.length)) {
                message(whole);
            }
        }
    }

    /**
     * Whether a whole text message is UTF-8; if not, the stream is closed with 1007 (RFC 6455
     * 8.1: the endpoint must fail the connection), reassembled messages included.
     */
    private boolean utf8(ByteBuf bytes, int from, int length) {
        if (ByteBufUtil.isText(bytes, from, length, StandardCharsets.UTF_8)) {
            return true;
        }
        failed = true; // RFC 6455 7.1.7: a failed connection is closed, without waiting for the client's close frame
        events.closeRequested(CloseCode.INVALID_PAYLOAD, "text messages must be valid UTF-8");
        return false;
    }

    /** A whole text message of at most 512 bytes: {@code {"type":"ping"}} is answered, anything else ignored. */
    private void message(byte[] utf8) {
        try {
            JsonNode message = Json.MAPPER.readTree(utf8);
            if (message != null && "ping".equals(message.path("type").asText()) && writable()) {
                ByteBuf pong = channel.alloc().buffer(Frames.frameLength(PONG.length));
                Frames.writeText(pong, PONG);
                channel.writeAndFlush(pong, channel.voidPromise());
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: ignored, as any other message
        }
    }

    /**
     * The client's close frame: in answer to ours, the handshake is done; otherwise the client
     * ends the stream, and gets its code back. Either way the channel then closes (the server
     * closes the TCP connection first, RFC 6455 7.1.1).
     */
    private void closeReceived(CloseWebSocketFrame close) {
        if (state == State.OPEN) {
            state = State.CLOSING;
            dropQueued(); // the client is leaving: what it has not seen yet, it will not need
            int code = close.statusCode();
            clientCode = code == -1 ? NO_STATUS : code;
            ByteBuf reason = close.content();
            boolean badReason = reason.readableBytes() > 2
                    && !ByteBufUtil.isText(reason, reason.readerIndex() + 2, reason.readableBytes() - 2, StandardCharsets.UTF_8);
            ByteBuf answer = code == -1 ? control(CLOSE, null)
                    : badReason ? closeFrame(CloseCode.INVALID_PAYLOAD.code(), "a close reason must be valid UTF-8")
                    : closeFrame(code, "");
            channel.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        } else if (state == State.CLOSING) {
            dropQueued();
            channel.close();
        }
    }

    /**
     * A frame the decoder refused: the stream is closed with 1002 (1009 for a frame over 64 KiB,
     * 1007 for what the decoder found not UTF-8),
     * and the channel right after the close frame, since the decoder reads nothing more (Vert.x
     * would have closed with 1000, which says "the run is over"). Anything else (a reset
     * connection): the channel closes.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable failure) {
        if (failure instanceof CorruptedWebSocketFrameException corrupted && state == State.OPEN && events != null) {
            failed = true;
            CloseCode code = CloseCode.of(corrupted.closeStatus().code())
                    .filter(known -> known == CloseCode.TOO_BIG || known == CloseCode.INVALID_PAYLOAD)
                    .orElse(CloseCode.PROTOCOL);
            events.closeRequested(code, switch (code) {
                case TOO_BIG -> "frames to the server are at most 64 KiB";
                case INVALID_PAYLOAD -> "not valid UTF-8";
                default -> "not a valid WebSocket frame";
            });
            if (state == State.CLOSING) {
                return; // the close frame is on its way, and the channel closes behind it
            }
        }
        ctx.close();
    }

    /**
     * The channel is being closed from outside (the HTTP server closes every channel it accepted
     * when it stops, after {@code Hub.closeAll} sent 1001): what was held back goes first, so that
     * the client gets its close frame.
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        listening();
        ctx.close(promise);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            // The client reads: as alive as one that sends. A slow reader of a long history may
            // never see a ping (none is sent while the channel is full, and one sent waits behind
            // what it has yet to read), so its pong cannot be what keeps it open.
            received = true;
        }
        Runnable waiting = onWritable;
        if (waiting != null && ctx.channel().isWritable()) {
            onWritable = null;
            waiting.run();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        clock.remove(this);
        text = null;
        dropQueued();
        if (events != null) {
            events.ended(clientCode == 0 ? null : clientCode);
        }
    }

    private ByteBuf closeFrame(int code, String reason) {
        byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
        int reasonLength = Math.min(utf8.length, MAX_REASON_BYTES); // our reasons are ASCII: no character is cut
        ByteBuf frame = channel.alloc().buffer(4 + reasonLength);
        frame.writeByte(FIN | CLOSE).writeByte(2 + reasonLength).writeShort(code).writeBytes(utf8, 0, reasonLength);
        return frame;
    }

    /** A control frame (server frames are not masked) with {@code payload}'s readable bytes (at most 125), or none. */
    private ByteBuf control(int opcode, ByteBuf payload) {
        int length = payload == null ? 0 : payload.readableBytes();
        ByteBuf frame = channel.alloc().buffer(2 + length);
        frame.writeByte(FIN | opcode).writeByte(length);
        if (payload != null) {
            frame.writeBytes(payload, payload.readerIndex(), length);
        }
        return frame;
    }
}
