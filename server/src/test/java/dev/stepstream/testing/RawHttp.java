package dev.stepstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP/1.1 and WebSocket over a plain socket, for what the JDK's clients hide: the body of a
 * refused upgrade (the JDK restricts {@code Sec-WebSocket-Key} and drops the body), and a
 * WebSocket client that never answers a ping.
 */
public final class RawHttp {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private RawHttp() {}

    /** An HTTP answer: status, headers (names in lower case) and body. */
    public record Answer(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("the body is not JSON: " + body);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends a WebSocket upgrade request for {@code path} and reads the answer (a refusal, expectedly). */
    public static Answer upgrade(int port, String path) {
        return upgrade(port, path, Map.of());
    }

    /** Sends a WebSocket upgrade request for {@code path} with extra headers, and reads the answer. */
    public static Answer upgrade(int port, String path, Map<String, String> headers) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            sendUpgrade(socket, port, path, headers);
            InputStream in = socket.getInputStream();
            Answer head = readHead(in);
            if (head.status() == 101) {
                return head;
            }
            return new Answer(head.status(), head.headers(), readBody(in, head.headers()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sendUpgrade(Socket socket, int port, String path, Map<String, String> headers) throws IOException {
        StringBuilder extra = new StringBuilder();
        headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\n"
                + (headers.containsKey("Host") ? "" : "Host: 127.0.0.1:" + port + "\r\n")
                + "Connection: Upgrade\r\n"
                + "Upgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: " + KEY + "\r\n"
                + extra
                + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * Sends {@code request} (raw bytes: a whole request, well-formed or not) on a new connection
     * and reads one answer; null when the server closed the connection without answering.
     */
    public static Answer exchange(int port, byte[] request) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // The server may have answered and closed while the body was still going out: read on.
            }
            InputStream in = socket.getInputStream();
            Answer head;
            try {
                head = readHead(in);
            } catch (EOFException | java.net.SocketException e) {
                return null;
            }
            if (head.status() == 101) {
                return head;
            }
            try {
                return new Answer(head.status(), head.headers(), readBody(in, head.headers()));
            } catch (java.net.SocketException e) {
                return new Answer(head.status(), head.headers(), "");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Answer readHead(InputStream in) throws IOException {
        String statusLine = readLine(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new AssertionError("not an HTTP status line: " + statusLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return new Answer(Integer.parseInt(parts[1]), headers, "");
    }

    private static String readBody(InputStream in, Map<String, String> headers) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                int size = Integer.parseInt(readLine(in).split(";")[0].trim(), 16);
                if (size == 0) {
                    break;
                }
                body.write(in.readNBytes(size));
                readLine(in);
            }
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else {
            body.write(in.readAllBytes());
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /**
     * One kept-alive connection that sends requests given as raw bytes and reads one answer
     * each. A connection the server closed is replaced: a request whose answer never began on a
     * reused connection is sent once more on a new one, so that "no answer" is the server's
     * answer to that request and not to the one before. Not thread-safe: one per thread.
     */
    public static final class KeptAlive implements AutoCloseable {
        private final int port;
        private Socket socket;
        private boolean reused;

        public KeptAlive(int port) {
            this.port = port;
        }

        /** Sends {@code request} and reads its answer; null when the server closed the connection without one. */
        public Answer exchange(byte[] request) {
            Answer answer = attempt(request);
            if (answer == null && reused) {
                drop();
                answer = attempt(request);
            }
            if (answer == null || "close".equalsIgnoreCase(answer.header("connection"))) {
                drop();
            }
            return answer;
        }

        private Answer attempt(byte[] request) {
            try {
                if (socket == null) {
                    socket = new Socket("127.0.0.1", port);
                    socket.setSoTimeout(15_000);
                    reused = false;
                } else {
                    reused = true;
                }
                try {
                    socket.getOutputStream().write(request);
                    socket.getOutputStream().flush();
                } catch (IOException e) {
                    // The server may have answered and closed while the body was still going out: read on.
                }
                InputStream in = socket.getInputStream();
                Answer head = readHead(in);
                return new Answer(head.status(), head.headers(), head.status() == 101 ? "" : readBody(in, head.headers()));
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("no answer within 15 s", e);
            } catch (IOException | NumberFormatException | StringIndexOutOfBoundsException e) {
                drop();
                return null;
            }
        }

        private void drop() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // dropping it either way
                }
                socket = null;
            }
        }

        @Override
        public void close() {
            drop();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        if (b == -1 && line.size() == 0) {
            throw new EOFException("connection closed");
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * A WebSocket client that reads every frame the server sends and sends nothing of its own
     * accord: not a pong, not a close answer; only the frames a test sends with {@link
     * SilentWebSocket#send}. It records the text messages, the close frame, and when the server
     * ends the TCP connection. Its reader runs on a virtual thread.
     */
    /** A frame as the server sent it: its first byte's FIN, RSV bits and opcode, whether it was masked, its payload. */
    public record Frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {}

    public static final class SilentWebSocket implements AutoCloseable {
        private final Socket socket;
        private final Answer handshake;
        private final AtomicInteger pings = new AtomicInteger();
        private final AtomicInteger texts = new AtomicInteger();
        private final java.util.List<String> textMessages = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.List<Frame> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** The close code the server sent, or -1 when the connection ended without a close frame. */
        private final CompletableFuture<Integer> ended = new CompletableFuture<>();
        private volatile String closeReason;
        /** Completed when the server ends the TCP connection (the reader sees the end of the stream, or a reset). */
        private final CompletableFuture<Long> disconnected = new CompletableFuture<>();

        /** How slowly it reads: a pause after each frame of this many nanoseconds a KiB of its payload, or 0. */
        private volatile long nanosPerKiB;

        private SilentWebSocket(Socket socket, Answer handshake) {
            this.socket = socket;
            this.handshake = handshake;
        }

        public static SilentWebSocket connect(int port, String path) {
            return connect(port, path, Map.of(), new byte[0]);
        }

        /**
         * A reader that is slow, not dead: a receive buffer of {@code receiveBuffer} bytes, and a
         * pause after each frame, {@code nanosPerKiB} for each KiB of its payload. So the server's
         * socket stays full, as a client on a slow link keeps it.
         */
        public static SilentWebSocket connectSlow(int port, String path, int receiveBuffer, long nanosPerKiB) {
            return connect(port, path, Map.of(), new byte[0], receiveBuffer, nanosPerKiB);
        }

        /**
         * Connects with extra headers, sending {@code sentWithRequest} (frames, say) in the same
         * write as the upgrade request, before the server could answer it.
         */
        public static SilentWebSocket connect(int port, String path, Map<String, String> headers, byte[] sentWithRequest) {
            return connect(port, path, headers, sentWithRequest, 0, 0);
        }

        private static SilentWebSocket connect(int port, String path, Map<String, String> headers, byte[] sentWithRequest,
                                               int receiveBuffer, long nanosPerKiB) {
            try {
                Socket socket = new Socket();
                if (receiveBuffer > 0) {
                    socket.setReceiveBufferSize(receiveBuffer); // before connecting: it sets the window offered
                }
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
                StringBuilder extra = new StringBuilder();
                headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
                ByteArrayOutputStream request = new ByteArrayOutputStream();
                request.writeBytes(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: Upgrade\r\n"
                        + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + KEY + "\r\n" + extra
                        + "\r\n").getBytes(StandardCharsets.UTF_8));
                request.writeBytes(sentWithRequest);
                socket.getOutputStream().write(request.toByteArray());
                socket.getOutputStream().flush();
                Answer head = readHead(socket.getInputStream());
                if (head.status() != 101) {
                    socket.close();
                    throw new AssertionError("upgrade refused with " + head.status());
                }
                SilentWebSocket client = new SilentWebSocket(socket, head);
                client.nanosPerKiB = nanosPerKiB;
                Thread.ofVirtual().name("silent-ws-reader").start(client::read);
                return client;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * One frame as a client sends it (masked with a fixed key), for {@link #connect(int, String,
         * Map, byte[])}: {@code opcode} and {@code payload} as given, final.
         */
        public static byte[] clientFrame(int opcode, byte[] payload) {
            if (payload.length > 125) {
                throw new IllegalArgumentException("a short frame only");
            }
            byte[] key = {0x11, 0x22, 0x33, 0x44};
            byte[] frame = new byte[6 + payload.length];
            frame[0] = (byte) (0x80 | opcode);
            frame[1] = (byte) (0x80 | payload.length);
            System.arraycopy(key, 0, frame, 2, 4);
            for (int i = 0; i < payload.length; i++) {
                frame[6 + i] = (byte) (payload[i] ^ key[i % 4]);
            }
            return frame;
        }

        /** The server's 101 answer (its headers). */
        public Answer handshake() {
            return handshake;
        }

        private void read() {
            try {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                while (true) {
                    int first = in.readUnsignedByte();
                    int second = in.readUnsignedByte();
                    long length = second & 0x7f;
                    if (length == 126) {
                        length = in.readUnsignedShort();
                    } else if (length == 127) {
                        length = in.readLong();
                    }
                    byte[] mask = (second & 0x80) != 0 ? in.readNBytes(4) : null;
                    byte[] payload = in.readNBytes((int) length);
                    if (mask != null) {
                        for (int i = 0; i < payload.length; i++) {
                            payload[i] ^= mask[i % 4];
                        }
                    }
                    frames.add(new Frame((first & 0x80) != 0, (first >> 4) & 0x7, first & 0x0f, mask != null, payload));
                    if (nanosPerKiB > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(payload.length * nanosPerKiB / 1024); // reading slowly
                    }
                    switch (first & 0x0f) {
                        case 0x9 -> pings.incrementAndGet();
                        case 0x1 -> {
                            textMessages.add(new String(payload, StandardCharsets.UTF_8));
                            texts.incrementAndGet();
                        }
                        case 0x8 -> {
                            closeReason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                            ended.complete(payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005);
                        }
                        default -> { }
                    }
                }
            } catch (IOException e) {
                ended.complete(-1);
                disconnected.complete(System.nanoTime());
            }
        }

        /**
         * Sends one frame exactly as asked, well-formed or not (the fuzz test's hostile client):
         * {@code opcode} and {@code fin} as given, masked unless {@code masked} is false.
         * @throws IOException when the server has already closed the connection
         */
        public synchronized void send(int opcode, byte[] payload, boolean fin, boolean masked) throws IOException {
            java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream(payload.length + 14);
            frame.write((fin ? 0x80 : 0) | (opcode & 0x0f));
            int maskBit = masked ? 0x80 : 0;
            if (payload.length < 126) {
                frame.write(maskBit | payload.length);
            } else if (payload.length < 65536) {
                frame.write(maskBit | 126);
                frame.write(payload.length >>> 8);
                frame.write(payload.length & 0xff);
            } else {
                frame.write(maskBit | 127);
                frame.writeBytes(java.nio.ByteBuffer.allocate(8).putLong(payload.length).array());
            }
            byte[] body = payload.clone();
            if (masked) {
                byte[] key = new byte[4];
                java.util.concurrent.ThreadLocalRandom.current().nextBytes(key);
                frame.writeBytes(key);
                for (int i = 0; i < body.length; i++) {
                    body[i] ^= key[i % 4];
                }
            }
            frame.writeBytes(body);
            socket.getOutputStream().write(frame.toByteArray());
            socket.getOutputStream().flush();
        }

        /** Sends raw bytes on the connection (a frame header that lies about its length, say). */
        public synchronized void sendRaw(byte[] bytes) throws IOException {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        /** Every frame the server sent so far, in order. */
        public java.util.List<Frame> frames() {
            return java.util.List.copyOf(frames);
        }

        public int pings() {
            return pings.get();
        }

        public int texts() {
            return texts.get();
        }

        /** The text messages received so far, in order. */
        public java.util.List<String> textMessages() {
            return java.util.List.copyOf(textMessages);
        }

        /** The reason in the server's close frame, once it came. */
        public String closeReason() {
            return closeReason;
        }

        /** When ({@link System#nanoTime}) the server ended the TCP connection, or null while it is open. */
        public Long disconnectedAt() {
            return disconnected.getNow(null);
        }

        public boolean ended() {
            return ended.isDone();
        }

        /** The close code, once the server closed (-1 for a connection dropped without a close frame). */
        public Integer endedWith() {
            return ended.getNow(null);
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing a test connection; nothing to do
            }
        }
    }
}
