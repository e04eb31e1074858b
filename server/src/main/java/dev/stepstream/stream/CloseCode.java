package dev.stepstream.stream;

/**
 * The close codes of a stream (docs/api.md, "The run stream"), each with whether the client
 * should reconnect with {@code after=<last seq>}.
 */
public enum CloseCode {
    /** {@code run_complete} was sent, or the run was deleted ({@link #RUN_DELETED}): the run's stream is over. */
    NORMAL(1000, false),
    /** The server is shutting down, or the connection went silent: reconnect with after. */
    GOING_AWAY(1001, true),
    /** The client broke the WebSocket protocol (an unmasked frame, an unknown opcode, a control frame too long). */
    PROTOCOL(1002, false),
    /** The client sent a text message, or a close reason, that is not valid UTF-8 (RFC 6455 8.1). */
    INVALID_PAYLOAD(1007, false),
    /** The token expired or was revoked. */
    POLICY(1008, false),
    /** The client sent a message over 512 bytes (or a frame over 64 KiB). */
    TOO_BIG(1009, false),
    /** Something failed inside the server: reconnect with after. */
    INTERNAL(1011, true),
    /** The client fell too far behind or the server is overloaded: reconnect with after, nothing is lost. */
    TRY_AGAIN(1013, true);

    /**
     * The reason that comes with {@link #NORMAL} when the run was deleted while its stream was
     * open (its history is gone, so no {@code run_complete} may follow): clients tell the two
     * ends of a stream apart by it.
     */
    public static final String RUN_DELETED = "run deleted";

    private final short code;
    private final boolean reconnect;

    CloseCode(int code, boolean reconnect) {
        this.code = (short) code;
        this.reconnect = reconnect;
    }

    public short code() {
        return code;
    }

    public boolean reconnect() {
        return reconnect;
    }

    /** The close code numbered {@code code}, if the server sends it. */
    public static java.util.Optional<CloseCode> of(int code) {
        for (CloseCode closeCode : values()) {
            if (closeCode.code == code) {
                return java.util.Optional.of(closeCode);
            }
        }
        return java.util.Optional.empty();
    }
}
