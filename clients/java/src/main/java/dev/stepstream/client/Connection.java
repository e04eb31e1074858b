package dev.stepstream.client;

import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * One WebSocket connection to a stream (a run's, or the all-runs stream), from the upgrade to its
 * end, as a queue of what arrived that the follower takes from; and how a message reads
 * ({@link #lines}, {@link #fields}).
 *
 * <p>It also watches for silence, which a half-open TCP connection (a proxy that hangs, a laptop
 * that slept, a NAT that forgot it) never reports otherwise, by the client libraries' common rule
 * (docs/clients.md). While nothing waits in {@link #arrived} for the follower, a
 * connection quiet for {@link Liveness#quiet()} is sent a ping frame, and one from which nothing
 * was heard for {@link Liveness#deadAfter()}, a ping gone unanswered meanwhile, ends as
 * {@link Silent}: a lost connection. Heard: any frame, the server's pings and the pongs to ours
 * included. Silence counts from the last thing heard or taken by the follower, whichever is
 * later: a message waiting for a slow follower, which the socket is not read past, is our quiet,
 * not the server's; so is the time the follower spends on the last one it took, while the pongs
 * to our pings are read.
 *
 * <p>Threads: the JDK calls the listener methods one at a time on its own threads; they only
 * put into {@link #arrived} and never block. The next message is asked for ({@code request(1)})
 * when the follower takes one, so at most one text message waits here beside an end: a slow
 * reader slows the server (which closes with 1013 if it falls too far behind) instead of
 * filling memory. The follower's thread waits in {@link #take}. The watchdog, a virtual thread
 * of the connection's own, ticks every third of {@code quiet} from the opening until the end
 * ({@link #ended}), so that silence is judged whatever the follower is doing. The times are
 * volatile, each written by one side: {@link #lastHeard} by the listener, {@link #lastTaken} by
 * the follower, {@link #lastPing} by the watchdog. {@link #end} is synchronized: the listener and
 * the watchdog may both end the connection, and only the first ending goes into the queue.
 */
final class Connection implements WebSocket.Listener {
    /** What the follower takes: a whole text message, or how the connection ended. */
    sealed interface Item {}

    record Text(String data) implements Item {}

    record Closed(int code, String reason) implements Item {}

    record Failed(String why) implements Item {}

    record Broken(String why) implements Item {}

    /** Nothing heard for {@link Liveness#deadAfter()}, a ping unanswered: lost, though it never said so. */
    record Silent(String why) implements Item {}

    /** How an upgrade went. */
    sealed interface Opening {}

    record Opened(Connection connection) implements Opening {}

    /** The server answered the upgrade with an HTTP error; {@code body} as sent, or null. */
    record Refused(int status, String body, Duration retryAfter) implements Opening {}

    /** No connection: refused, unknown host, TLS failed, no answer in time. */
    record Unreachable(String why) implements Opening {}

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);
    /** A message this large did not come from a stepstream server; refusing it bounds memory. */
    static final int MAX_MESSAGE_CHARS = 64 << 20;

    /** One text message and one ending at most: the capacity is never reached. */
    private final BlockingQueue<Item> arrived = new ArrayBlockingQueue<>(4);
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Parts of a message delivered in pieces; touched only by the listener. */
    private final StringBuilder parts = new StringBuilder();
    private final Liveness liveness;
    /** When a frame last came, the opening included (nanoTime). */
    private volatile long lastHeard = System.nanoTime();
    /** When the follower last took a message (nanoTime): silence counts from then at the earliest. */
    private volatile long lastTaken = lastHeard;
    /** When the last ping went (nanoTime); before {@link #lastHeard} until one goes. */
    private volatile long lastPing = lastHeard - 1;
    private volatile boolean ended;
    private volatile Thread watchdog;
    private WebSocket socket;

    private Connection(Liveness liveness) {
        this.liveness = liveness;
    }

    /**
     * Opens a connection to {@code uri}, watched for silence by {@code liveness}; the token goes
     * as {@code Authorization: Bearer}.
     */
    static Opening open(HttpClient http, URI uri, String token, Liveness liveness) {
        Connection connection = new Connection(liveness);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        CompletableFuture<WebSocket> opening = builder.buildAsync(uri, connection);
        try {
            connection.socket = opening.get(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            connection.heard();
            connection.watchdog = Thread.ofVirtual().name("stepstream-silence").start(connection::watch);
            return new Opened(connection);
        } catch (ExecutionException e) {
            return refusal(e.getCause());
        } catch (TimeoutException e) {
            opening.cancel(true);
            return new Unreachable("no answer to the upgrade within " + HANDSHAKE_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            opening.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting", e);
        }
    }

    private static Opening refusal(Throwable failure) {
        if (failure instanceof WebSocketHandshakeException handshake) {
            HttpResponse<?> response = handshake.getResponse();
            Object body = response.body();
            String text = body instanceof String string ? string
                    : body instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8) : null;
            Duration retryAfter = response.headers().firstValue("Retry-After")
                    .map(header -> retryAfter(header, java.time.Instant.now())).orElse(null);
            return new Refused(response.statusCode(), text, retryAfter);
        }
        return new Unreachable(why(failure));
    }

    /** A Retry-After header: seconds, or an HTTP date; null when it is neither. */
    static Duration retryAfter(String header, java.time.Instant now) {
        String text = header.trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(text)));
        } catch (NumberFormatException e) {
            try {
                java.time.Instant at = java.time.ZonedDateTime.parse(text, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
            } catch (java.time.format.DateTimeParseException notADate) {
                return null; // the back-off decides
            }
        }
    }

    /** What went wrong, in words a person reads: never a Java class name. */
    static String why(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            // First: the JDK reports an unknown host as a ConnectException caused by one of these.
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpConnectTimeoutException) {
                return "no answer within " + CONNECT_TIMEOUT.toSeconds() + " s";
            }
            if (cause instanceof ConnectException) {
                return "connection refused";
            }
            if (cause instanceof javax.net.ssl.SSLException) {
                return "TLS failed" + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
            }
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message != null) {
                // Exceptions that wrap others put the cause's class name in their message.
                String words = message.replaceAll("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*)?", "").strip();
                if (!words.isEmpty()) {
                    return words;
                }
            }
        }
        return "the connection failed";
    }

    /** The items of one text message: one a line, empty lines left out. */
    static List<String> lines(String message) {
        return Arrays.stream(message.split("\n")).filter(line -> !line.isBlank()).toList();
    }

    /**
     * The object one line holds, read shallowly ({@link Json#parseShallow}: a payload is read
     * when asked for); a {@code PROTOCOL} error when the line is not a JSON object.
     */
    static Map<String, Object> fields(String line) {
        try {
            return Json.parseShallow(line);
        } catch (IllegalArgumentException e) {
            throw new StepstreamException("the server sent a line that is not JSON (" + e.getMessage() + "): "
                    + (line.length() > 200 ? line.substring(0, 200) + "…" : line), StepstreamException.Kind.PROTOCOL, 0, null, null, 0);
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        heard();
        if (ended) {
            webSocket.request(1);
            return null;
        }
        if (parts.length() + data.length() > MAX_MESSAGE_CHARS) {
            parts.setLength(0);
            end(new Broken("the server sent a message over " + (MAX_MESSAGE_CHARS >> 20) + " MiB"));
            return null;
        }
        parts.append(data);
        if (last) {
            String message = parts.toString();
            parts.setLength(0);
            put(new Text(message)); // the follower asks for the next one when it takes this
        } else {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        heard();
        webSocket.request(1);
        return null;
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        heard(); // the JDK answers with a pong by itself
        webSocket.request(1);
        return null;
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        heard();
        webSocket.request(1);
        return null;
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        end(new Closed(statusCode, reason));
        closed.complete(null);
        return null; // the JDK then answers with its own close frame
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        end(new Failed(why(error)));
        closed.complete(null);
    }

    private void heard() {
        lastHeard = System.nanoTime();
    }

    private synchronized void end(Item item) {
        if (!ended) {
            ended = true;
            put(item);
        }
    }

    private void put(Item item) {
        if (!arrived.offer(item)) {
            // Cannot happen with one message asked for at a time; if it did, say so rather than block the JDK's thread.
            ended = true;
            arrived.clear();
            arrived.offer(new Broken("more arrived than was asked for"));
        }
    }

    /**
     * The next thing that arrived, waiting for it as long as the connection lives (the watchdog
     * ends a silent one). Taking a text message asks for the next one.
     */
    Item take() throws InterruptedException {
        Item item = arrived.take();
        if (item instanceof Text && !ended) {
            lastTaken = System.nanoTime();
            socket.request(1);
        }
        return item;
    }

    /** The watchdog's loop: a look every third of {@code quiet}, until the connection ends. */
    private void watch() {
        long tick = liveness.quiet().toNanos() / 3;
        while (!ended) {
            LockSupport.parkNanos(this, tick); // release() unparks it to end at once
            if (!ended) {
                checkSilence();
            }
        }
    }

    /** Pings a quiet connection, ends a silent one (see the class comment). */
    private void checkSilence() {
        if (!arrived.isEmpty()) {
            return; // it waits for the follower: our quiet, not the server's
        }
        long now = System.nanoTime();
        long heard = lastHeard;
        long taken = lastTaken;
        long quietSince = taken - heard > 0 ? taken : heard;
        if (now - quietSince >= liveness.deadAfter().toNanos() && lastPing - quietSince > 0) {
            end(new Silent("nothing heard from the server for " + words(liveness.deadAfter())));
            socket.abort(); // no closing handshake: a dead connection would never complete one
        } else if (now - quietSince >= liveness.quiet().toNanos()) {
            lastPing = now; // one that cannot go, as the last has not left yet, is unanswered all the same
            try {
                socket.sendPing(ByteBuffer.allocate(0));
            } catch (IllegalStateException e) {
                // a ping is still being sent, or the output is closed: the silence decides
            }
        }
    }

    /** A duration as a person reads it: {@code 45 s} (tests' shorter ones in ms). */
    private static String words(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    /**
     * Lets the connection go. After {@code run_complete} ({@code normally}) the server closes
     * with 1000: its close frame is awaited briefly (the JDK answers it), and if it does not
     * come we close first. Any other ending aborts at once.
     */
    void release(boolean normally) {
        ended = true;
        Thread watching = watchdog;
        if (watching != null) {
            LockSupport.unpark(watching);
        }
        try {
            if (normally && !closed.isDone()) {
                // The JDK hands over the close frame, as any other, only on demand: without one
                // more request it would sit unread and every follow would end CLOSE_WAIT late.
                // Whatever comes before it is dropped (ended), each asking for the next.
                socket.request(1);
                closed.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            try {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException | RuntimeException ignored) {
                // It is going away either way.
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            socket.abort();
        }
    }
}
