import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shows the JDK WebSocket client (java.net.http) losing bytes: a plain socket server answers
 * each upgrade with the 101, then FRAMES small text frames (in a write of their own, or in the
 * 101's with --together; --after-101-ms waits between them); CLIENTS JDK clients of one
 * HttpClient read them. A client that loses bytes fails with "Unexpected rsvN bit" (it reads a
 * frame header in the middle of a payload), about 16 KiB (its read buffer) into the stream. On
 * the 2-core machine of docs/BENCHMARKS.md under load, 500 clients x 2,000 frames: a few
 * failures a run whichever way; the JDK drops a read that lands while it hands the connection
 * from its HTTP reader to its WebSocket reader. stepstream therefore sends a ping with the 101
 * and holds the frames until the client's pong (stream/StreamSocket).
 *
 *   java bench/JdkWebSocketRace.java [--clients 500] [--frames 2000] [--together] [--after-101-ms N]
 *                                    [--first-bytes N --pause-ms N]   (a pause after the first N bytes)
 */
public class JdkWebSocketRace {
    static int frames;
    static boolean together;
    static long pauseMs;
    static long afterHandshakeMs;
    static int firstBytes;

    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(arg(args, "--clients", "500"));
        frames = Integer.parseInt(arg(args, "--frames", "2000"));
        together = java.util.Arrays.asList(args).contains("--together");
        pauseMs = Long.parseLong(arg(args, "--pause-ms", "0"));
        afterHandshakeMs = Long.parseLong(arg(args, "--after-101-ms", "0"));
        firstBytes = Integer.parseInt(arg(args, "--first-bytes", "65536"));
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    SocketChannel connection = server.accept();
                    Thread.ofVirtual().start(() -> serve(connection));
                }
            } catch (Exception e) {
                // the server socket closed
            }
        });
        HttpClient http = HttpClient.newHttpClient();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/"), new WebSocket.Listener() {
                int messages;

                @Override
                public void onOpen(WebSocket socket) {
                    socket.request(1);
                }

                @Override
                public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    if (last) {
                        messages++;
                    }
                    socket.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
                    (messages == frames ? ok : failed).incrementAndGet();
                    done.countDown();
                    return null;
                }

                @Override
                public void onError(WebSocket socket, Throwable error) {
                    System.out.println("after " + messages + " frames: " + error + " / " + error.getCause());
                    failed.incrementAndGet();
                    done.countDown();
                }
            });
        }
        done.await(120, TimeUnit.SECONDS);
        System.out.printf("%s: %d clients got every frame, %d failed%n",
                together ? "101 and first frames in one write" : "101 alone, then the frames", ok.get(), failed.get());
        System.exit(0);
    }

    static void serve(SocketChannel connection) {
        try {
            ByteBuffer in = ByteBuffer.allocate(4096);
            String request = "";
            while (!request.contains("\r\n\r\n")) {
                connection.read(in);
                request = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
            }
            String key = request.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-key:")).findFirst()
                    .orElseThrow().split(":")[1].trim();
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer out = ByteBuffer.allocate(64 * 1024);
            out.put(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            if (!together) {
                writeAll(connection, out);
                Thread.sleep(afterHandshakeMs);
            }
            boolean paused = pauseMs == 0;
            for (int i = 1; i <= frames; i++) {
                byte[] payload = ("{\"seq\":" + i + ",\"type\":\"step_log\",\"time\":\"2026-11-26T10:30:45.123Z\","
                        + "\"payload\":{\"stepId\":\"print\",\"level\":\"info\",\"message\":\"line " + i + " of the burst\"}}")
                        .getBytes(StandardCharsets.UTF_8);
                if (out.remaining() < payload.length + 4 || (!paused && out.position() > firstBytes)) {
                    writeAll(connection, out);
                    if (!paused) {
                        paused = true;
                        Thread.sleep(pauseMs);
                    }
                }
                out.put((byte) 0x81);
                if (payload.length < 126) {
                    out.put((byte) payload.length);
                } else {
                    out.put((byte) 126).putShort((short) payload.length);
                }
                out.put(payload);
            }
            out.put((byte) 0x88).put((byte) 2).putShort((short) 1000);
            writeAll(connection, out);
            connection.read(ByteBuffer.allocate(128)); // the client's close frame
            connection.close();
        } catch (Exception e) {
            // the client went away
        }
    }

    static void writeAll(SocketChannel connection, ByteBuffer out) throws java.io.IOException {
        out.flip();
        while (out.hasRemaining()) {
            connection.write(out);
        }
        out.clear();
    }

    static String arg(String[] args, String name, String otherwise) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return otherwise;
    }
}
