package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.stepstream.client.ServerUrlProblem;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.client.StepstreamException;
import dev.stepstream.json.Json;
import dev.stepstream.json.JsonTrees;
import dev.stepstream.settings.Redact;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * A small blocking client of the REST API for the CLI commands, and the one place that decides
 * what an answer of stepstream's is ({@link #send}): whatever else answers at the URL (a web
 * page, a proxy's error page) is "no stepstream server there", exit 2, never taken for success.
 */
final class ApiClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The media type of the API's answers and of the bodies the CLI sends. */
    private static final String JSON = "application/json";

    /**
     * No server to talk to (it cannot be reached, or what answers is not stepstream), or a stream
     * that could not be resumed: one line on stderr, exit 2 (docs/clients.md, "The stepstream command line").
     */
    static final class ConnectionException extends Cli.Exit {
        ConnectionException(String message) {
            super(Cli.USAGE, message);
        }
    }

    /** The server refused the request (401, 403, 404, 409, 422): one line saying why, exit 1. */
    static final class RefusedException extends Cli.Exit {
        RefusedException(String message) {
            super(Cli.FAILED, message);
        }
    }

    /** A response of stepstream's ({@link #send}): its status and its JSON body (a 204's is a JSON null). */
    record Response(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /**
         * Prints the error's message after {@code prefix}; when its details list several
         * problems, each on a line of its own below (one problem is the message itself). Each
         * made safe ({@link Terminal#printf}): a problem may quote the file, a message the server.
         */
        void printError(java.io.PrintWriter err, String prefix) {
            JsonNode details = body.path("error").path("details");
            if (!details.isArray() || details.size() < 2) {
                Terminal.printf(err, "%s%s%n", prefix, errorMessage());
                return;
            }
            Terminal.printf(err, "%s%d problems:%n", prefix, details.size());
            for (JsonNode problem : details) {
                Terminal.printf(err, "  %s: %s%n", problem.path("path").asText(), problem.path("message").asText());
            }
        }

        /**
         * Says on {@code spec}'s stderr, in one line made safe ({@link Terminal#printf}), why the
         * server refused, and returns the exit code of a refusal: 2 for a 400 (the command was
         * given something bad), else 1.
         */
        int refused(picocli.CommandLine.Model.CommandSpec spec) {
            Terminal.printf(spec.commandLine().getErr(), "%s: %s%n", spec.qualifiedName(), errorMessage());
            return status == 400 ? Cli.USAGE : Cli.FAILED;
        }

        /** The API's error message (or the status), and for a 401 how to give a token. */
        String errorMessage() {
            JsonNode message = body.path("error").path("message");
            return (message.isMissingNode() ? "HTTP " + status : message.asText())
                    + (status == 401 ? " (give a token with --token or STEPSTREAM_TOKEN)" : "");
        }
    }

    /**
     * The server's URL, less a trailing {@code /}: the API's paths go after it (never
     * {@link URI#resolve}, which would drop the path of a server behind a reverse proxy at one).
     * The client library ({@link #library}), which follows runs and watches them for the CLI,
     * checks a URL by the same rule and puts its paths after it the same way, so its streams go
     * where the REST commands go.
     */
    private final String server;
    /** {@link #server} as messages show it, its user-info hidden ({@link Redact#url}). */
    private final String shown;
    /** Where {@link #server} came from, for messages: {@code --server}, {@code STEPSTREAM_SERVER}, or null (the default). */
    private final String serverSource;
    /** The bearer token, checked ({@link #bearer}), or null for none. */
    private final String token;

    static {
        // A POST whose answer was lost is not sent again (HttpURLConnection sends it twice by default).
        System.setProperty("sun.net.http.retryPost", "false");
    }

    /**
     * A client of the server at {@code server}, with {@code token} (null for none); the sources
     * name the flag or variable each came from, for messages ({@code serverSource} null: the default).
     * A URL the API's paths cannot follow, or a token no server could take, is a usage error
     * (exit 2) that names its source ({@link #checkedServer}, {@link #bearer}).
     */
    ApiClient(String server, String serverSource, String token, String tokenSource) {
        this.serverSource = serverSource;
        String checked = checkedServer(server);
        this.server = checked.endsWith("/") ? checked.substring(0, checked.length() - 1) : checked;
        this.shown = Redact.url(this.server);
        this.token = bearer(token, tokenSource);
    }

    /** The server's URL as messages show it: its user-info hidden. */
    String shown() {
        return shown;
    }

    /** The bearer token, or null when none was given. */
    String token() {
        return token;
    }

    /**
     * {@code url}, when the API's paths can be put after it: the client library's rule
     * ({@link ServerUrlProblem}), which the CLI keeps too, so that its REST commands and the
     * streams the library follows for it go to the same place. A password, which it refuses,
     * has no place on a command line either.
     */
    private String checkedServer(String url) {
        ServerUrlProblem.of(url).ifPresent(problem -> {
            throw badServer(problem, url);
        });
        return url;
    }

    /**
     * A {@code --server} (or {@code STEPSTREAM_SERVER}) that is no URL to use: one line, exit 2,
     * in the rule's words and, for a password, where the CLI takes a token instead; the URL shown
     * without its user-info.
     */
    private Cli.Exit badServer(ServerUrlProblem problem, String url) {
        String what = problem == ServerUrlProblem.PASSWORD ? problem.what() + " with --token or STEPSTREAM_TOKEN" : problem.what();
        String shownUrl = Redact.url(url);
        return new Cli.Exit(Cli.USAGE, (serverSource == null ? "--server" : serverSource) + ": " + what + ", got \""
                + (shownUrl.length() > 200 ? shownUrl.substring(0, 200) + "…" : shownUrl) + "\"");
    }

    /**
     * The token without the whitespace around it (a token read from a file, or from a
     * Kubernetes secret, often ends in a newline), or null for none. A token is printable ASCII
     * without spaces (RFC 6750's b64token, a JWT): one that holds anything else after that is a
     * usage error, which says where the character is and what kind it is, never the token.
     */
    static String bearer(String given, String source) {
        if (given == null || given.isBlank()) {
            return null;
        }
        String token = given.strip();
        int leading = given.indexOf(token);
        for (int i = 0; i < token.length(); ) {
            int c = token.codePointAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                String kind = Character.isISOControl(c) ? "a control character"
                        : Character.isSpaceChar(c) ? "a space" : "a character that is not ASCII";
                throw new Cli.Exit(Cli.USAGE, source + ": holds a character a token cannot have (" + kind + ", character "
                        + (given.codePointCount(0, leading + i) + 1) + " of " + given.codePointCount(0, given.length()) + ")");
            }
            i += Character.charCount(c);
        }
        return token;
    }

    /**
     * The Java client library on the same server and token, for the caller to close: what
     * follows a run's stream ({@link RunFollower}). It brings the JDK's HttpClient, which the
     * other commands do without: it takes ~0.3 s of CPU to start (its TLS set-up included, even
     * for http://), more than the rest of a command (docs/BENCHMARKS.md, start-up), and its
     * selector thread holds the JVM's exit by 0.3 s until closed.
     */
    StepstreamClient library() {
        // The library keeps the rule checkedServer kept: it takes every URL the CLI took.
        return StepstreamClient.builder(server).token(token()).build();
    }

    Response get(String path) {
        return send(path, exchange("GET", path, JSON, null, null));
    }

    /**
     * GETs {@code path}, whose 2xx answer is text of the media type {@code textType} (the
     * Prometheus exposition of /metrics), and returns that text; a refusal is a
     * RefusedException, or for a 400 a usage error, saying why in the API's words.
     */
    String getText(String path, String textType) {
        HttpURLConnection connection = exchange("GET", path, textType + ", " + JSON, null, null);
        try {
            int status = connection.getResponseCode();
            if (status < 200 || status >= 300) {
                Response refused = send(path, connection);
                String why = "GET " + path + ": " + refused.errorMessage();
                throw status == 400 ? new Cli.Exit(Cli.USAGE, why) : new RefusedException(why);
            }
            requireStepstreams(connection, path, textType);
            try (InputStream body = body(connection)) {
                return new String(body.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw failed(e, true);
        }
    }

    /**
     * GETs {@code path} and, for a 2xx, which must be text of the media type {@code textType},
     * hands its body to {@code reader} as it arrives (UTF-8), and returns null; any other answer
     * is read whole and returned, as {@link #get} reads it. A failure while reading the body (the
     * server went away, or cut the answer) is a ConnectionException that says so.
     */
    Response getStreamed(String path, String textType, BodyReader reader) {
        HttpURLConnection connection = exchange("GET", path, textType + ", " + JSON, null, null);
        try {
            int status = connection.getResponseCode();
            if (status < 200 || status >= 300) {
                return send(path, connection);
            }
            requireStepstreams(connection, path, textType);
            // The timeout was for the answer to begin; the body may take as long as it takes.
            connection.setReadTimeout(0);
            try (InputStream body = body(connection)) {
                reader.read(new java.io.InputStreamReader(body, StandardCharsets.UTF_8));
            }
            return null;
        } catch (IOException e) {
            throw new ConnectionException("the answer of the server at " + shown + " was cut short: " + why(e));
        }
    }

    /**
     * {@code value} as one segment of a path (RFC 3986): each byte of its UTF-8 percent-encoded
     * but for the unreserved characters, so a space is {@code %20} (never a form's {@code +}) and
     * a {@code /} is {@code %2F}, and the server reads back the value as it was typed, and quotes
     * it so. The one encoder of every id a command puts in a path (a run id needs none: it is a
     * UUID in its canonical text, {@link FollowCommand#canonical}). An empty value, {@code .}
     * and {@code ..} are no segment a server keeps (it removes them from the path, and would
     * answer for another one): a usage error naming {@code what}.
     */
    static String segment(String what, String value) {
        if (value.isEmpty() || value.equals(".") || value.equals("..")) {
            throw new Cli.Exit(Cli.USAGE, what + ": expected an id, got \"" + value + "\"");
        }
        StringBuilder encoded = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
                encoded.append(c);
            } else {
                encoded.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return encoded.toString();
    }

    /** Reads a body as it arrives. */
    @FunctionalInterface
    interface BodyReader {
        void read(java.io.Reader body) throws IOException;
    }

    Response put(String path, byte[] body, String contentType) {
        return send(path, exchange("PUT", path, JSON, contentType, body));
    }

    Response post(String path, JsonNode body) {
        return send(path, exchange("POST", path, JSON, JSON, Json.bytes(body)));
    }

    Response delete(String path) {
        return send(path, exchange("DELETE", path, JSON, null, null));
    }

    /**
     * The answer's status and its JSON body (a 204's is a JSON null), once it is stepstream's:
     * a 204 has no body to check; any other 2xx is JSON; any other status is JSON in the API's
     * error shape, {@code {"error": {"code", "message"}}}, which every refusal of stepstream's
     * has. Anything else is {@link #notStepstreams}.
     */
    private Response send(String path, HttpURLConnection connection) {
        byte[] bytes;
        int status;
        try (InputStream body = body(connection)) {
            status = connection.getResponseCode();
            bytes = body.readAllBytes();
        } catch (IOException e) {
            throw failed(e, true);
        }
        if (status == 204) {
            return new Response(status, NullNode.getInstance());
        }
        requireStepstreams(connection, path, JSON);
        JsonNode json;
        try {
            // Without the mapper: a command that only reads answers never builds it (JsonTrees).
            json = bytes.length == 0 ? NullNode.getInstance() : JsonTrees.read(bytes);
        } catch (IOException e) {
            throw notStepstreams(path, connection, "JSON that does not parse");
        }
        boolean ok = status >= 200 && status < 300;
        if (!ok && !json.path("error").path("message").isTextual()) {
            throw notStepstreams(path, connection, "JSON that is no error of stepstream's");
        }
        return new Response(status, json);
    }

    /** Throws {@link #notStepstreams} unless the answer's media type is {@code expected}. */
    private void requireStepstreams(HttpURLConnection connection, String path, String expected) {
        if (!expected.equals(mediaType(connection))) {
            throw notStepstreams(path, connection, null);
        }
    }

    /** The answer's media type, lower-cased and without its parameters ({@code application/json}), or null for none. */
    private static String mediaType(HttpURLConnection connection) {
        String type = connection.getContentType();
        if (type == null) {
            return null;
        }
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    /**
     * Something that is not stepstream answered at the URL (a web page, a proxy's error page or
     * redirect, another API): as for no server at all, exit 2, in one line with the URL asked,
     * what came back, and where the URL came from.
     *
     * @param what what was wrong with the answer, or null to say its status and media type
     */
    private ConnectionException notStepstreams(String path, HttpURLConnection connection, String what) {
        int status;
        try {
            status = connection.getResponseCode();
        } catch (IOException e) {
            status = -1;
        }
        String type = mediaType(connection);
        String got = what != null ? what : type == null || type.isEmpty() ? "no Content-Type" : cut(type);
        String location = connection.getHeaderField("Location");
        if (status >= 300 && status < 400 && location != null) {
            got = "a redirect to " + cut(Redact.url(location));
        }
        return notStepstreams(shown + path, (status >= 200 && status < 300 ? "" : "HTTP " + status + ", ") + got);
    }

    /**
     * The same for a stream the Java client library was refused with a status but no error of
     * stepstream's ({@link StepstreamException#code} null): a 404 page, say, where the stream
     * should be.
     */
    ConnectionException notStepstreams(StepstreamException refused) {
        return notStepstreams(shown, refused.getMessage());
    }

    private ConnectionException notStepstreams(String where, String got) {
        return new ConnectionException(where + ": the answer is not stepstream's (" + got + "); "
                + (serverSource == null ? "is a stepstream server there? point to one with --server URL or STEPSTREAM_SERVER"
                        : "is " + serverSource + " right?"));
    }

    /** Whether the library's {@code refused} came with a status but without an error of stepstream's. */
    static boolean isNotStepstreams(StepstreamException refused) {
        return refused.status() > 0 && refused.code() == null;
    }

    /** A text from the answer, for a message: at most 100 characters. */
    private static String cut(String text) {
        return text.length() > 100 ? text.substring(0, 100) + "…" : text;
    }

    /**
     * Sends a request and waits for the answer's status line and headers. The JDK's
     * HttpURLConnection rather than its HttpClient: one request needs none of the client's
     * threads and TLS set-up (docs/BENCHMARKS.md, start-up). As the HttpClient did: no proxy,
     * no redirect followed, {@link #CONNECT_TIMEOUT} to connect and {@link #REQUEST_TIMEOUT} for
     * the answer to begin. A server that cannot be reached is a ConnectionException that says why.
     */
    private HttpURLConnection exchange(String method, String path, String accept, String contentType, byte[] body) {
        URL url;
        try {
            url = URI.create(server + path).toURL();
        } catch (IllegalArgumentException | java.net.MalformedURLException e) {
            // The server was checked (checkedServer) and each path is built of encoded parts.
            throw new IllegalStateException("not a URL: " + shown + path, e);
        }
        HttpURLConnection connection;
        try {
            connection = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
            connection.setRequestMethod(method);
        } catch (IOException e) {
            throw unreachable(why(e));
        }
        connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        connection.setReadTimeout((int) REQUEST_TIMEOUT.toMillis());
        connection.setInstanceFollowRedirects(false);
        connection.setUseCaches(false);
        if (token != null) {
            connection.setRequestProperty("Authorization", "Bearer " + token);
        }
        connection.setRequestProperty("Accept", accept);
        if (contentType != null) {
            connection.setRequestProperty("Content-Type", contentType);
        }
        connection.setDoOutput(body != null);
        try {
            connection.connect();
        } catch (IOException e) {
            throw failed(e, false);
        }
        try {
            if (body != null) {
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
            connection.getResponseCode();
        } catch (IOException e) {
            throw failed(e, true);
        }
        return connection;
    }

    /** The answer's body: for a status that is not 2xx, the error stream, which may be absent. */
    private static InputStream body(HttpURLConnection connection) throws IOException {
        int status = connection.getResponseCode();
        InputStream stream = status >= 200 && status < 300 ? connection.getInputStream() : connection.getErrorStream();
        return stream == null ? InputStream.nullInputStream() : stream;
    }

    /** The connection could not be made ({@code connected} false) or the answer did not come. */
    private ConnectionException failed(IOException e, boolean connected) {
        if (e instanceof SocketTimeoutException) {
            return unreachable("no answer within " + (connected ? REQUEST_TIMEOUT : CONNECT_TIMEOUT).toSeconds() + " s");
        }
        return unreachable(why(e));
    }

    /**
     * No server at the URL tried: one line with the URL, where it came from, why (in words, never
     * a Java class name), and how to point elsewhere (docs/clients.md, "The stepstream command line").
     */
    ConnectionException unreachable(String why) {
        return new ConnectionException("cannot reach the server at " + shown
                + (serverSource == null ? "" : " (from " + serverSource + ")") + ": " + why
                + "; start one with \"stepstream serve\", or point to another with --server URL or STEPSTREAM_SERVER");
    }

    /** Why a connection failed, in a few words a person can act on. */
    static String why(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            // First: the JDK reports an unknown host as a ConnectException caused by this.
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            switch (cause) {
                case HttpConnectTimeoutException e -> {
                    return "no answer within " + CONNECT_TIMEOUT.toSeconds() + " s";
                }
                case HttpTimeoutException e -> {
                    return "no answer within " + REQUEST_TIMEOUT.toSeconds() + " s";
                }
                case ConnectException e -> {
                    return "connection refused";
                }
                case SSLException e -> {
                    return "TLS failed" + (e.getMessage() == null ? "" : ": " + e.getMessage());
                }
                default -> { }
            }
        }
        return words(failure);
    }

    /**
     * A failure's message without the Java class names that exceptions wrapping others put in
     * it ({@code java.net.ConnectException: Connection refused} is "Connection refused").
     */
    static String words(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message == null) {
                continue;
            }
            String stripped = message.replaceAll("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*)?", "").strip();
            if (!stripped.isEmpty()) {
                return stripped;
            }
        }
        return "the connection failed";
    }
}
