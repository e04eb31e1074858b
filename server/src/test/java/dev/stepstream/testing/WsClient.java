package dev.stepstream.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.stepstream.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A test WebSocket client on the JDK's {@link WebSocket}: it records every text frame, and
 * every message in it (a {@code batch=1} frame is split on {@code \n} into one message per
 * line), pings, and how the connection closed.
 *
 * <p>Reading is paced with {@link WebSocket#request}: the client asks for one message at a
 * time, so a client that is {@linkplain #pause() paused} asks for nothing more, the JDK stops
 * reading its socket, and TCP back-pressure reaches the server, as with a real client that
 * stopped reading. Ownership: the lists and the demand state are guarded by {@code this};
 * the JDK calls the listener methods one at a time.
 */
public final class WsClient implements AutoCloseable {
    /** The default deadline of the awaiting helpers. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
    /** Parses exactly one JSON value: trailing content (a second object) is an error. */
    private static final ObjectReader STRICT = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** A close as the client saw it; {@code code} -1 when the connection failed without a close frame. */
    public record Close(int code, String reason, Throwable error) {}

    /** One message: its text (a frame, or one line of a batched frame) and its JSON, parsed on first use. */
    public static final class Message {
        private final String text;
        private JsonNode json;
        private boolean malformed;

        Message(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        /** The parsed object; a {@code MissingNode} if the text is not exactly one JSON value. */
        public synchronized JsonNode json() {
            if (json == null) {
                try {
                    json = STRICT.readTree(text);
                } catch (JsonProcessingException e) {
                    malformed = true;
                    json = Json.MAPPER.missingNode();
                }
            }
            return json;
        }

        public synchronized boolean malformed() {
            json();
            return malformed;
        }

        /**
         * An envelope of the run's log (it has a {@code seq}); control messages ({@code caught_up},
         * {@code pong}, {@code run_progress}) have none. Cheap for the common case: text without
         * the word {@code caught_up} that names a {@code seq} is an envelope without parsing it.
         */
        public boolean isEnvelope() {
            if (!text.contains("caught_up") && !text.contains("run_progress") && text.contains("\"seq\"")
                    && text.startsWith("{") && !text.contains("\n")) {
                return true;
            }
            return json().has("seq");
        }

        public String type() {
            return json().path("type").asText();
        }

        @Override
        public String toString() {
            return text.length() > 300 ? text.substring(0, 300) + "…" : text;
        }
    }

    private final URI uri;
    private final boolean batch;
    private final List<String> frames = new ArrayList<>();         // guarded by this
    private final List<Message> messages = new ArrayList<>();       // guarded by this
    private final AtomicInteger pings = new AtomicInteger();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();      // only touched by the listener
    private final int pauseAfterFrames;
    private WebSocket socket;                                       // guarded by this
    private boolean paused;                                         // guarded by this
    private boolean owed;                                           // guarded by this: a request(1) held back while paused

    private WsClient(URI uri, int pauseAfterFrames) {
        this.uri = uri;
        this.batch = uri.getRawQuery() != null && ("&" + uri.getRawQuery() + "&").contains("&batch=1&");
        this.pauseAfterFrames = pauseAfterFrames;
    }

    /** Connects and reads everything; fails the test if the server refuses the upgrade. */
    public static WsClient connect(HttpClient http, URI uri) {
        return join(open(http, uri, Integer.MAX_VALUE), uri);
    }

    /** Connects, and stops reading (as if paused) once {@code frames} text frames have arrived. */
    public static WsClient connect(HttpClient http, URI uri, int pauseAfterFrames) {
        return join(open(http, uri, pauseAfterFrames), uri);
    }

    /** Starts connecting; the future fails with the JDK's exception if the upgrade is refused. */
    public static CompletableFuture<WsClient> open(HttpClient http, URI uri, int pauseAfterFrames) {
        return open(http, uri, pauseAfterFrames, builder -> builder);
    }

    /**
     * Starts connecting with a builder made ready by {@code customise} (headers such as
     * {@code Authorization}, subprotocols); the future fails if the upgrade is refused.
     */
    public static CompletableFuture<WsClient> open(HttpClient http, URI uri, int pauseAfterFrames,
                                                   java.util.function.UnaryOperator<WebSocket.Builder> customise) {
        WsClient client = new WsClient(uri, pauseAfterFrames);
        return customise.apply(http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)))
                .buildAsync(uri, client.listener())
                .thenApply(ws -> client);
    }

    /** Connects with a customised builder and reads everything; fails the test if the server refuses the upgrade. */
    public static WsClient connect(HttpClient http, URI uri, java.util.function.UnaryOperator<WebSocket.Builder> customise) {
        return join(open(http, uri, Integer.MAX_VALUE, customise), uri);
    }

    /** The subprotocol the server chose ("" for none). */
    public synchronized String subprotocol() {
        return socket == null ? "" : socket.getSubprotocol();
    }

    /**
     * Tries to connect where the server must refuse the upgrade, and returns the HTTP status the
     * JDK saw. (The JDK does not expose the body of a refused upgrade; {@link RawHttp#upgrade}
     * reads it.)
     */
    public static int refusedStatus(HttpClient http, URI uri) {
        return refusedStatus(http, uri, builder -> builder);
    }

    /** {@link #refusedStatus(HttpClient, URI)} with a customised builder. */
    public static int refusedStatus(HttpClient http, URI uri, java.util.function.UnaryOperator<WebSocket.Builder> customise) {
        try {
            WsClient client = open(http, uri, Integer.MAX_VALUE, customise).get(15, TimeUnit.SECONDS);
            client.abort();
            throw new AssertionError("expected " + uri + " to refuse the WebSocket upgrade, but it was accepted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw new AssertionError("connecting to " + uri + " failed without an HTTP answer: " + cause, cause);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer to the upgrade request to " + uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private static WsClient join(CompletableFuture<WsClient> opening, URI uri) {
        try {
            return opening.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof WebSocketHandshakeException refused) {
                throw new AssertionError("the server refused the upgrade to " + uri + " with "
                        + refused.getResponse().statusCode() + ": " + refused.getResponse().body(), cause);
            }
            throw new AssertionError("could not connect to " + uri + ": " + cause, cause);
        } catch (TimeoutException e) {
            throw new AssertionError("no WebSocket connection to " + uri + " within 15 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            @Override
            public void onOpen(WebSocket webSocket) {
                synchronized (WsClient.this) {
                    socket = webSocket;
                }
                webSocket.request(1);
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    String frame = partial.toString();
                    partial.setLength(0);
                    record(frame);
                }
                next(webSocket, last);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                if (last) {
                    record("<binary frame>");
                }
                next(webSocket, last);
                return null;
            }

            @Override
            public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
                pings.incrementAndGet(); // the JDK answers with a pong by itself
                next(webSocket, true);
                return null;
            }

            @Override
            public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
                next(webSocket, true);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(new Close(statusCode, reason, null));
                return null; // the JDK then answers with a close frame of the same code
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(new Close(-1, "", error));
            }
        };
    }

    private synchronized void record(String frame) {
        frames.add(frame);
        if (batch) {
            for (String line : frame.split("\n", -1)) {
                messages.add(new Message(line));
            }
        } else {
            messages.add(new Message(frame));
        }
        if (frames.size() == pauseAfterFrames) {
            paused = true;
        }
    }

    /** Asks for the next message, unless paused; a fragment of a message is always read on. */
    private void next(WebSocket webSocket, boolean endOfMessage) {
        synchronized (this) {
            if (paused && endOfMessage) {
                owed = true;
                return;
            }
        }
        webSocket.request(1);
    }

    /** Stops reading: at most the message already asked for still arrives. */
    public synchronized void pause() {
        paused = true;
    }

    /** Reads again. */
    public void resume() {
        WebSocket ws;
        synchronized (this) {
            paused = false;
            if (!owed) {
                return;
            }
            owed = false;
            ws = socket;
        }
        ws.request(1);
    }

    public void sendText(String text) {
        WebSocket ws;
        synchronized (this) {
            ws = socket;
        }
        ws.sendText(text, true).join();
    }

    /** Sends a normal close frame (the stream may still deliver what was in flight). */
    public void sendClose() {
        WebSocket ws;
        synchronized (this) {
            ws = socket;
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    }

    /** Drops the connection at once, without a close handshake, as a client that is cut off. */
    public void abort() {
        WebSocket ws;
        synchronized (this) {
            ws = socket;
        }
        if (ws != null) {
            ws.abort();
        }
        closed.complete(new Close(-1, "aborted by the test", null));
    }

    public URI uri() {
        return uri;
    }

    /** Every text frame as it arrived. */
    public synchronized List<String> frames() {
        return List.copyOf(frames);
    }

    /** Every message: one per frame, or one per line of a batched frame. */
    public synchronized List<Message> messages() {
        return List.copyOf(messages);
    }

    public synchronized int messageCount() {
        return messages.size();
    }

    /** The envelopes (messages with a {@code seq}) as JSON. */
    public List<JsonNode> envelopes() {
        return messages().stream().filter(Message::isEnvelope).map(Message::json).toList();
    }

    /** The envelopes' exact text, as sent. */
    public List<String> envelopeTexts() {
        return messages().stream().filter(Message::isEnvelope).map(Message::text).toList();
    }

    /** The messages that carry no seq ({@code caught_up}, {@code pong}, …). */
    public List<JsonNode> controls() {
        return messages().stream().filter(m -> !m.isEnvelope()).map(Message::json).toList();
    }

    /** The seq of the last envelope received, or {@code orElse} if none came. */
    public long lastSeq(long orElse) {
        List<JsonNode> envelopes = envelopes();
        return envelopes.isEmpty() ? orElse : envelopes.get(envelopes.size() - 1).path("seq").asLong();
    }

    public int pings() {
        return pings.get();
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** The close, if there was one yet. */
    public Close closeNow() {
        return closed.getNow(null);
    }

    public Close awaitClose(Duration timeout) {
        try {
            return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the stream " + uri + " was not closed within " + timeout.toMillis()
                    + " ms; received " + messageCount() + " messages, last: " + last());
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    public Close awaitClose() {
        return awaitClose(DEFAULT_WAIT);
    }

    /** Waits until {@code condition} holds for the messages received so far, and returns them. */
    public List<Message> awaitMessages(String what, Predicate<List<Message>> condition, Duration timeout) {
        return Await.until(what + " on " + uri + " (have " + messageCount() + " messages, last " + last() + ")", timeout, () -> {
            List<Message> now = messages();
            return condition.test(now) ? now : null;
        });
    }

    /** Waits until the envelopes received so far satisfy {@code condition}, and returns them. */
    public List<JsonNode> awaitEnvelopes(Predicate<List<JsonNode>> condition, Duration timeout) {
        return Await.until("envelopes as expected on " + uri + " (have " + messageCount() + " messages, last " + last() + ")",
                timeout, () -> {
                    List<JsonNode> now = envelopes();
                    return condition.test(now) ? now : null;
                });
    }

    /** Waits for the first message of {@code type} and returns it. */
    public JsonNode awaitType(String type, Duration timeout) {
        Message found = Await.until("a " + type + " message on " + uri + " (have " + messageCount() + " messages, last " + last()
                + (isClosed() ? ", closed " + closeNow() : "") + ")", timeout,
                () -> messages().stream().filter(m -> m.type().equals(type)).findFirst().orElse(null));
        return found.json();
    }

    public JsonNode awaitType(String type) {
        return awaitType(type, DEFAULT_WAIT);
    }

    private synchronized String last() {
        return messages.isEmpty() ? "none" : messages.get(messages.size() - 1).toString();
    }

    @Override
    public void close() {
        if (!isClosed()) {
            abort();
        }
    }
}
