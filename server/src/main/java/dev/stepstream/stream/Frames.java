package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import io.netty.buffer.ByteBuf;
import io.vertx.core.http.WebSocketFrame;
import java.util.List;

/**
 * WebSocket text frames (RFC 6455, server to client: never masked) over bytes that are already
 * UTF-8 JSON, so that every connection sends the stored envelope bytes as they are (DESIGN.md
 * invariant 5).
 */
final class Frames {
    private static final int FIN_TEXT = 0x81;

    private Frames() {}

    /** The bytes one frame of {@code payload} bytes takes on the wire. */
    static int frameLength(int payload) {
        return headerLength(payload) + payload;
    }

    /** The bytes {@link #writeEach} writes for {@code events}. */
    static int eachLength(List<RunEvent> events) {
        int size = 0;
        for (RunEvent event : events) {
            size += frameLength(event.json().length);
        }
        return size;
    }

    /** Writes one text frame per event: the envelope per frame, docs/api.md's default. */
    static void writeEach(ByteBuf out, List<RunEvent> events) {
        for (RunEvent event : events) {
            writeText(out, event.json());
        }
    }

    /** Writes one text frame of {@code utf8}. */
    static void writeText(ByteBuf out, byte[] utf8) {
        writeHeader(out, utf8.length);
        out.writeBytes(utf8);
    }

    /** The payload of a {@code batch=1} frame of {@code events}: the envelopes, one per line. */
    static int linesLength(List<RunEvent> events) {
        int size = events.size() - 1;
        for (RunEvent event : events) {
            size += event.json().length;
        }
        return size;
    }

    /**
     * Writes one text frame with every envelope, one per line (newline-delimited JSON without a
     * trailing newline, so splitting on {@code \n} gives exactly the envelopes).
     */
    static void writeLines(ByteBuf out, List<RunEvent> events, int payloadLength) {
        writeHeader(out, payloadLength);
        for (int i = 0; i < events.size(); i++) {
            if (i > 0) {
                out.writeByte('\n');
            }
            out.writeBytes(events.get(i).json());
        }
    }

    private static int headerLength(int payload) {
        return payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
    }

    private static void writeHeader(ByteBuf out, int payload) {
        out.writeByte(FIN_TEXT);
        if (payload < 126) {
            out.writeByte(payload);
        } else if (payload <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(payload);
        } else {
            out.writeByte(127);
            out.writeLong(payload);
        }
    }
}
