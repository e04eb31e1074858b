package dev.stepstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One WebSocket connection to a run stream, from the upgrade to its end, with the JDK's client.
 *
 * <p>Threads: the JDK calls the listener methods one at a time, on its own threads; each
 * complete text message is handed to {@link Messages#show} there, and the next one is asked
 * for ({@code request(1)}) only after it returns, so a slow reader slows the server instead of
 * filling a queue here. The thread that called {@link #attempt} waits for the outcome and
 * watches for silence: it pings a connection quiet for {@link #QUIET} and gives one silent for
 * {@link #DEAD_AFTER} up for dead (a half-open TCP connection never reports an error).
 */
final class StreamConnection implements WebSocket.Listener {
    /** Where complete messages go; returns the run's final status once run_complete was shown, else null. */
    interface Messages {
        String show(String message);
    }

    /** A message could not be understood; the connection ends {@link StreamOutcome.Broken}. */
    static final class ProtocolException extends RuntimeException {
        ProtocolException(String message) {
            super(message);
        }
    }

    /**
     * Events went missing on the way (a seq gap: the server never skips one, so the transport
     * lost them); the connection ends {@link StreamOutcome.Dropped}, and the follower resumes
     * after its last seq, which brings them again.
     */
    static final class LostEventsException extends RuntimeException {
        LostEventsException(String message) {
            super(message);
        }
    }

    /** How a connection ended, whether it opened, and whether anything at all arrived on it. */
    record Result(StreamOutcome outcome, boolean opened, boolean heard) {}

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration QUIET = Duration.ofSeconds(15);
    private static final Duration DEAD_AFTER = Duration.ofSeconds(45);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);
    /** A message this large did not come from a stepstream server; refusing it bounds memory. */
    private static final int MAX_MESSAGE_CHARS = 64 << 20;

    private final Messages messages;
    private final CompletableFuture<StreamOutcome> outcome = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Parts of a message delivered in pieces; touched only by the listener. */
    private final StringBuilder parts = new StringBuilder();
    private volatile boolean heard;
    private volatile long lastHeard = System.nanoTime();
    /** True while a message is being shown: a slow terminal is not a silent network. */
    private volatile boolean busy;

    private StreamConnection(Messages messages) {
        this.messages = messages;
    }

    /** Opens a connection to {@code uri}, hands its messages to {@code messages}, and returns how it ended. */
    static Result attempt(ApiClient client, URI uri, Messages messages) {
        StreamConnection connection = new StreamConnection(messages);
        WebSocket.Builder builder = client.http().newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (client.token() != null) {
            builder.header("Authorization", "Bearer " + client.token());
        }
        CompletableFuture<WebSocket> opening = builder.buildAsync(uri, connection);
        WebSocket socket;
        try {
            socket = opening.get(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return new Result(refusal(e.getCause()), false, false);
        } catch (TimeoutException e) {
            opening.cancel(true);
            return new Result(new StreamOutcome.Dropped("no answer to the upgrade within "
                    + HANDSHAKE_TIMEOUT.toSeconds() + " s"), false, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClient.ConnectionException("interrupted");
        }
        StreamOutcome ended = null;
        try {
            ended = connection.await(socket);
            return new Result(ended, true, connection.heard);
        } finally {
            connection.release(socket, ended instanceof StreamOutcome.Completed);
        }
    }

    /** What a failed upgrade means: an HTTP error (with the API's error message) or no connection at all. */
    private static StreamOutcome refusal(Throwable failure) {
        if (failure instanceof WebSocketHandshakeException handshake) {
            HttpResponse<?> response = handshake.getResponse();
            ApiClient.Response error = new ApiClient.Response(response.statusCode(), json(response.body()));
            Duration retryAfter = response.headers().firstValue("Retry-After").map(StreamConnection::seconds).orElse(null);
            return new StreamOutcome.Refused(response.statusCode(), error.errorMessage(), retryAfter);
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException
                    || cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException
                    || cause instanceof javax.net.ssl.SSLException) {
                return new StreamOutcome.Unreachable(ApiClient.why(cause));
            }
        }
        return new StreamOutcome.Dropped(message(failure));
    }

    /** The body of a refused upgrade (the JDK keeps it as a String) as JSON, or JSON null. */
    private static JsonNode json(Object body) {
        try {
            return body instanceof String text && !text.isEmpty() ? Json.MAPPER.readTree(text) : Json.MAPPER.nullNode();
        } catch (JsonProcessingException e) {
            return Json.MAPPER.nullNode();
        }
    }

    private static Duration seconds(String header) {
        try {
            return Duration.ofSeconds(Long.parseLong(header.trim()));
        } catch (NumberFormatException e) {
            return null; // an HTTP date: the back-off decides
        }
    }

    /** What went wrong, in words: never a Java class name. */
    static String message(Throwable failure) {
        return ApiClient.why(failure);
    }

    @Override
    public void onOpen(WebSocket socket) {
        socket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        busy = true;
        try {
            heard();
            if (parts.length() + data.length() > MAX_MESSAGE_CHARS) {
                throw new ProtocolException("the server sent a message over " + (MAX_MESSAGE_CHARS >> 20) + " MiB");
            }
            parts.append(data);
            if (last) {
                String message = parts.toString();
                parts.setLength(0);
                if (!outcome.isDone()) {
                    String status = messages.show(message);
                    if (status != null) {
                        outcome.complete(new StreamOutcome.Completed(status));
                    }
                }
            }
        } catch (LostEventsException e) {
            outcome.complete(new StreamOutcome.Dropped(e.getMessage()));
        } catch (ProtocolException e) {
            outcome.complete(new StreamOutcome.Broken(e.getMessage()));
        } catch (RuntimeException e) {
            outcome.complete(new StreamOutcome.Broken("cannot show the run: " + message(e)));
        } finally {
            heard();
            busy = false;
        }
        socket.request(1); // once the outcome is known, what follows (the close frame) is only drained
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
        heard();
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
        heard(); // the JDK answers with a pong by itself
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
        heard();
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
        outcome.complete(new StreamOutcome.Closed(statusCode, reason));
        closed.complete(null);
        return null; // the JDK then answers with its own close frame
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
        outcome.complete(new StreamOutcome.Dropped(message(error)));
        closed.complete(null);
    }

    private void heard() {
        heard = true;
        lastHeard = System.nanoTime();
    }

    /** Waits for the connection to end, pinging it when quiet and giving it up when silent too long. */
    private StreamOutcome await(WebSocket socket) {
        while (true) {
            try {
                return outcome.get(QUIET.toMillis() / 3, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long quiet = System.nanoTime() - lastHeard;
                if (busy) {
                    continue;
                }
                if (quiet > DEAD_AFTER.toNanos()) {
                    outcome.complete(new StreamOutcome.Dropped("nothing heard from the server for " + DEAD_AFTER.toSeconds() + " s"));
                } else if (quiet > QUIET.toNanos()) {
                    socket.sendPing(ByteBuffer.allocate(0));
                }
            } catch (ExecutionException e) {
                return new StreamOutcome.Dropped(message(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiClient.ConnectionException("interrupted");
            }
        }
    }

    /**
     * Lets the connection go. After {@code run_complete} the server closes with 1000: its close
     * frame is awaited briefly (the JDK answers it), and if it does not come we close first.
     * Any other ending aborts at once.
     */
    private void release(WebSocket socket, boolean completed) {
        try {
            if (completed && !closed.isDone()) {
                closed.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            try {
                socket.sendClose(dev.stepstream.stream.CloseCode.NORMAL.code(), "").get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
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
