package dev.stepstream.stream;

import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import java.time.Duration;
import java.util.List;

/**
 * Liveness of stream connections (docs/api.md, "The run stream"): a ping frame every
 * {@code pingInterval}; a connection from which nothing arrived for {@code idleTimeout} is
 * closed; a write that cannot complete within {@code writeTimeout} closes it with 1013 (and a
 * client that has not answered the server's close frame within it is disconnected); SSE
 * streams get a comment line every {@code sseKeepAlive}.
 */
public record StreamSettings(Duration pingInterval, Duration idleTimeout, Duration writeTimeout, Duration sseKeepAlive) {
    public static final Setting<Duration> PING_INTERVAL = Setting.duration("ws-ping-interval", Duration.ofSeconds(54),
            "WebSocket ping frame interval.");
    public static final Setting<Duration> IDLE_TIMEOUT = Setting.duration("ws-idle-timeout", Duration.ofSeconds(60),
            "Close a WebSocket from which nothing arrived for this long (and which read nothing of what waited).");
    public static final Setting<Duration> WRITE_TIMEOUT = Setting.duration("write-timeout", Duration.ofSeconds(10),
            "Close a stream whose write cannot complete within this, and a WebSocket whose client has not"
                    + " answered the server's close frame within this.");
    public static final Setting<Duration> SSE_KEEP_ALIVE = Setting.duration("sse-keep-alive", Duration.ofSeconds(15),
            "SSE comment line interval.");

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(PING_INTERVAL, IDLE_TIMEOUT, WRITE_TIMEOUT, SSE_KEEP_ALIVE);

    public static final StreamSettings DEFAULTS = new StreamSettings(PING_INTERVAL.defaultValue(),
            IDLE_TIMEOUT.defaultValue(), WRITE_TIMEOUT.defaultValue(), SSE_KEEP_ALIVE.defaultValue());

    /** The longest a healthy stream stays silent: the ping interval or the SSE keep-alive, whichever is longer. */
    public Duration heartbeat() {
        return pingInterval.compareTo(sseKeepAlive) >= 0 ? pingInterval : sseKeepAlive;
    }

    public static StreamSettings from(Settings settings) {
        return new StreamSettings(settings.get(PING_INTERVAL), settings.get(IDLE_TIMEOUT), settings.get(WRITE_TIMEOUT),
                settings.get(SSE_KEEP_ALIVE));
    }
}
