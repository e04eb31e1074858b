package dev.stepstream.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A Server-Sent Events client: reads the response line by line as it arrives (on a virtual
 * thread) and records each event (its {@code id}, {@code event} and {@code data} fields) and
 * each comment line. Ownership: the lists are guarded by {@code this}.
 */
public final class SseClient implements AutoCloseable {
    /** One event; a field that was not given is null. */
    public record Event(String id, String event, String data) {}

    /** A comment line, and how many events had arrived before it. */
    public record Comment(String text, int eventsBefore) {}

    private final List<Event> events = new ArrayList<>();     // guarded by this
    private final List<Comment> comments = new ArrayList<>(); // guarded by this
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final HttpResponse<Stream<String>> response;

    private SseClient(HttpResponse<Stream<String>> response) {
        this.response = response;
    }

    /** Opens the stream; {@code headers} are extra request headers (e.g. {@code Last-Event-ID}). */
    public static SseClient open(HttpClient http, URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
        headers.forEach(request::header);
        try {
            HttpResponse<Stream<String>> response = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
                    .get(15, TimeUnit.SECONDS);
            SseClient client = new SseClient(response);
            Thread.ofVirtual().name("sse-reader").start(client::read);
            return client;
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("could not open " + uri + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private void read() {
        String id = null;
        String event = null;
        StringBuilder data = null;
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (data != null || id != null || event != null) {
                        synchronized (this) {
                            events.add(new Event(id, event, data == null ? null : data.toString()));
                        }
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    synchronized (this) {
                        comments.add(new Comment(line, events.size()));
                    }
                } else {
                    int colon = line.indexOf(':');
                    String field = colon < 0 ? line : line.substring(0, colon);
                    String value = colon < 0 ? "" : line.substring(colon + 1);
                    if (value.startsWith(" ")) {
                        value = value.substring(1);
                    }
                    switch (field) {
                        case "id" -> id = value;
                        case "event" -> event = value;
                        case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                        default -> { }
                    }
                }
            }
            ended.complete(null);
        } catch (RuntimeException e) {
            ended.completeExceptionally(e);
        }
    }

    public int status() {
        return response.statusCode();
    }

    public HttpHeaders headers() {
        return response.headers();
    }

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    public synchronized List<Comment> comments() {
        return List.copyOf(comments);
    }

    public boolean ended() {
        return ended.isDone();
    }

    /** Waits until the server ends the response. */
    public List<Event> awaitEnd(Duration timeout) {
        try {
            ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return events();
        } catch (TimeoutException e) {
            List<Event> now = events();
            throw new AssertionError("the SSE stream did not end within " + timeout.toMillis() + " ms; got " + now.size()
                    + " events, last " + (now.isEmpty() ? "none" : now.get(now.size() - 1)));
        } catch (ExecutionException e) {
            throw new AssertionError("the SSE stream failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    @Override
    public void close() {
        if (!ended.isDone()) {
            response.body().close();
        }
    }
}
