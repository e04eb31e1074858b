package dev.stepstream.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted WebSocket server for the client's tests: real sockets and the real handshake
 * (RFC 6455), so the JDK's WebSocket client meets what it meets against stepstream. The n-th
 * connection is served by the n-th script, on a thread of its own; one past the last script is
 * refused with 503; or every connection is served by one script ({@link #serveEach}). A script
 * may answer a REST call instead ({@link Exchange#answer}). Frames go unfragmented; the client's
 * pings are answered ({@link #pings} counts them), but by a script that hangs.
 *
 * <p>Threads: the acceptor and one virtual thread per connection. {@link #requests} and
 * {@link #failures} are guarded by their own monitors; {@link #close} waits for the connections
 * and fails the test if a script failed.
 */
final class StreamServer implements AutoCloseable {
    /** What one connection does. */
    interface Script {
        void serve(Exchange exchange) throws IOException;
    }

    /**
     * The upgrade request as it came: its target (path and query), its headers, names in lower
     * case, its method, and when it came ({@link System#nanoTime}).
     */
    record Request(String target, Map<String, String> headers, String method, long at) {}

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final ServerSocket listening;
    private final Script[] scripts;
    /** The script of every connection, or null: {@link #scripts} say. */
    private final Script each;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pings = new AtomicInteger();
    private final List<Request> requests = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Thread acceptor;

    private StreamServer(Script[] scripts, Script each) throws IOException {
        this.scripts = scripts;
        this.each = each;
        this.listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().name("stream-server").start(this::acceptAll);
    }

    static StreamServer start(Script... scripts) {
        try {
            return new StreamServer(scripts, null);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen", e);
        }
    }

    /** A server that serves every connection with {@code script}. */
    static StreamServer serveEach(Script script) {
        try {
            return new StreamServer(new Script[0], script);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen", e);
        }
    }

    /** How many of the client's pings were answered, on every connection. */
    int pings() {
        return pings.get();
    }

    String url() {
        return "http://127.0.0.1:" + listening.getLocalPort();
    }

    /** The upgrade requests so far, in the order they came. */
    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    private void acceptAll() {
        while (!listening.isClosed()) {
            try {
                Socket socket = listening.accept();
                int index = connections.getAndIncrement();
                Thread thread = Thread.ofVirtual().start(() -> serve(socket, index));
                synchronized (threads) {
                    threads.add(thread);
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket, int index) {
        try (socket) {
            socket.setSoTimeout(10_000);
            Exchange exchange = new Exchange(socket, pings);
            synchronized (requests) {
                requests.add(exchange.request);
            }
            if (each != null) {
                each.serve(exchange);
            } else if (index < scripts.length) {
                scripts[index].serve(exchange);
            } else {
                exchange.refuse(503, "0", "{\"error\":{\"code\":\"unscripted\",\"message\":\"no script for connection " + index + "\"}}");
            }
        } catch (IOException | RuntimeException | Error e) {
            synchronized (failures) {
                failures.add(e);
            }
        }
    }

    @Override
    public void close() {
        try {
            listening.close();
            acceptor.join(5_000);
            List<Thread> started;
            synchronized (threads) {
                started = List.copyOf(threads);
            }
            for (Thread thread : started) {
                thread.join(5_000);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (failures) {
            if (!failures.isEmpty()) {
                AssertionError failed = new AssertionError("a script of the stream server failed", failures.getFirst());
                failures.stream().skip(1).forEach(failed::addSuppressed);
                throw failed;
            }
        }
    }

    /** One connection, from its upgrade request on. */
    static final class Exchange {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final AtomicInteger pings;
        final Request request;
        private boolean closeSent;
        private boolean bodyRead;

        private Exchange(Socket socket, AtomicInteger pings) throws IOException {
            this.socket = socket;
            this.pings = pings;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.request = readRequest();
        }

        Request request() {
            return request;
        }

        /** Answers the upgrade with 101: the connection is a WebSocket from here. */
        void accept() throws IOException {
            String key = request.headers().get("sec-websocket-key");
            String answer;
            try {
                answer = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            head("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                    + answer + "\r\n\r\n");
        }

        /** Refuses the upgrade (or a REST call) with {@code status}, a {@code Retry-After} (or null) and a JSON body. */
        void refuse(int status, String retryAfter, String body) throws IOException {
            readBody();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            head("HTTP/1.1 " + status + " Refused\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\nConnection: close\r\n" + (retryAfter == null ? "" : "Retry-After: " + retryAfter + "\r\n") + "\r\n");
            out.write(bytes);
            out.flush();
        }

        /** Answers a request that is no upgrade, a REST call, with 200 and a JSON body; the connection then ends. */
        void answer(String body) throws IOException {
            answer(200, body);
        }

        /**
         * Answers a REST call with {@code status} and a JSON body, having read the request's body
         * (a POST's: one left unread would make the close a reset); the connection then ends.
         */
        void answer(int status, String body) throws IOException {
            readBody();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            head("HTTP/1.1 " + status + " OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\nConnection: close\r\n\r\n");
            out.write(bytes);
            out.flush();
        }

        /** Sends one text message. */
        void text(String message) throws IOException {
            frame(0x1, message.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Cuts the connection as a network failure or a proxy's reset does: an RST, no close frame.
         * (A plain close, a FIN, is what a server that exits sends; the JDK's client has been seen
         * to miss one on a busy machine, until its silence check: not what these tests are about.)
         */
        void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        /** Sends a close frame with {@code code}, then waits for the client's answer or its going. */
        void close(int code, String reason) throws IOException {
            sendClose(code, reason);
            awaitEnd();
        }

        /** Reads what the client sends (answering pings and a close) until it closes or goes. */
        void awaitEnd() throws IOException {
            try {
                for (int opcode = 0; opcode >= 0 && opcode != 0x8; ) {
                    opcode = serveFrame();
                }
            } catch (SocketException | EOFException gone) {
                // the client aborted the connection
            }
        }

        /** Reads what the client sends, answering it, until it has sent {@code count} pings. */
        void answerPings(int count) throws IOException {
            for (int answered = 0; answered < count; ) {
                int opcode = serveFrame();
                if (opcode < 0 || opcode == 0x8) {
                    throw new EOFException("the client went after " + answered + " of " + count + " pings");
                }
                if (opcode == 0x9) {
                    answered++;
                }
            }
        }

        /**
         * Reads one frame of the client's and answers it: a pong for a ping, a close for a close
         * (unless one was sent); its opcode, or -1 when the connection ended.
         */
        private int serveFrame() throws IOException {
            int first = in.read();
            if (first < 0) {
                return -1;
            }
            int second = read();
            long length = second & 0x7f;
            if (length == 126) {
                length = (read() << 8) | read();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | read();
                }
            }
            byte[] mask = (second & 0x80) != 0 ? in.readNBytes(4) : new byte[4];
            byte[] payload = in.readNBytes((int) length);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i % 4];
            }
            int opcode = first & 0x0f;
            if (opcode == 0x8 && !closeSent) {
                frame(0x8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
            } else if (opcode == 0x9) {
                frame(0xA, payload);
                pings.incrementAndGet();
            }
            return opcode; // a client's text, binary or pong: nothing to do
        }

        /**
         * Says nothing more and answers nothing, pings included, until the client goes: what a
         * client sees of a server, or a proxy in front of it, that hangs.
         */
        void hang() throws IOException {
            try {
                while (in.read() >= 0) {
                    // what the client sends goes unanswered
                }
            } catch (SocketException gone) {
                // the client aborted the connection
            }
        }

        private void sendClose(int code, String reason) throws IOException {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[2 + text.length];
            payload[0] = (byte) (code >> 8);
            payload[1] = (byte) code;
            System.arraycopy(text, 0, payload, 2, text.length);
            frame(0x8, payload);
            closeSent = true;
        }

        private void frame(int opcode, byte[] payload) throws IOException {
            ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 10);
            frame.write(0x80 | opcode);
            if (payload.length < 126) {
                frame.write(payload.length);
            } else if (payload.length < 65_536) {
                frame.write(126);
                frame.write(payload.length >> 8);
                frame.write(payload.length);
            } else {
                frame.write(127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    frame.write((int) ((long) payload.length >> shift));
                }
            }
            frame.write(payload);
            out.write(frame.toByteArray());
            out.flush();
        }

        private void head(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** Reads the request's body, if it has one (a Content-Length), once. */
        private void readBody() throws IOException {
            String length = request.headers().get("content-length");
            if (length != null && !bodyRead) {
                in.readNBytes(Integer.parseInt(length));
            }
            bodyRead = true;
        }

        private int read() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException();
            }
            return b;
        }

        private Request readRequest() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            for (int lastFour = 0; lastFour != 0x0d0a0d0a; ) { // up to the empty line: CR LF CR LF
                int b = read();
                head.write(b);
                lastFour = (lastFour << 8) | b;
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            return new Request(lines[0].split(" ")[1], headers, lines[0].split(" ")[0], System.nanoTime());
        }
    }
}
