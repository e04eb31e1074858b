package dev.stepstream.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reverse proxy at a path in front of a test's server, over real sockets, as nginx's
 * {@code location /stepstream/ { proxy_pass http://server/; }} is: a request for
 * {@code /stepstream/x} goes to the server as {@code /x}, a WebSocket upgrade too (after it the
 * bytes are copied both ways as they come); a request for any other path is answered with a
 * 404 web page, as a site's front page would be.
 *
 * <p>Only the head of a connection's first request is read: a request that is no upgrade goes
 * to the server with {@code Connection: close} (and without an HTTP/2 upgrade), so that each
 * request comes on a connection of its own.
 *
 * <p>{@link #freeze} hangs the connections open at the time, as a proxy that hangs does (or a
 * laptop that slept, a NAT that forgot them): nothing more goes either way on them, not even
 * their end, and neither side is told. Connections made afterwards go through.
 *
 * <p>The server's tests use it too (the CLI's, through this module's test jar).
 *
 * <p>Threads: the acceptor, and two virtual threads per connection, one each way. {@link #asked}
 * is guarded by its own monitor; {@link #links} is a concurrent set.
 */
public final class ReverseProxy implements AutoCloseable {
    private final ServerSocket listening;
    private final String prefix;
    private final int serverPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<String> asked = new ArrayList<>();
    /** Whether each connection to the server is frozen, one flag per connection while it lasts. */
    private final Set<AtomicBoolean> links = ConcurrentHashMap.newKeySet();
    /** Counted down by {@link #close}: what a frozen connection's threads wait for. */
    private final CountDownLatch closing = new CountDownLatch(1);

    private ReverseProxy(String prefix, String server) throws IOException {
        this.prefix = prefix;
        this.serverPort = URI.create(server).getPort();
        this.listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("reverse-proxy").start(this::acceptAll);
    }

    /** A proxy that serves {@code server} (http://127.0.0.1:port) at its root. */
    public static ReverseProxy to(String server) {
        return at("", server);
    }

    /** A proxy that serves {@code server} (http://127.0.0.1:port) at {@code prefix} ({@code /stepstream}). */
    public static ReverseProxy at(String prefix, String server) {
        try {
            return new ReverseProxy(prefix, server);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen", e);
        }
    }

    /** The proxy's own URL, without the prefix. */
    public String url() {
        return "http://127.0.0.1:" + listening.getLocalPort();
    }

    /** The targets (path and query) of the requests that came, as the client sent them. */
    public List<String> asked() {
        synchronized (asked) {
            return List.copyOf(asked);
        }
    }

    /** Hangs every connection open now: nothing more goes either way on it, nor does it end, until the proxy closes. */
    public void freeze() {
        links.forEach(frozen -> frozen.set(true));
    }

    private void acceptAll() {
        while (!listening.isClosed()) {
            try {
                Socket client = listening.accept();
                open.add(client);
                Thread.ofVirtual().start(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try {
            String[] head = readHead(client.getInputStream()).split("\r\n");
            String[] requestLine = head[0].split(" ");
            synchronized (asked) {
                asked.add(requestLine[1]);
            }
            if (!requestLine[1].startsWith(prefix + "/")) {
                notFound(client.getOutputStream());
                closeQuietly(client);
                return;
            }
            boolean upgrade = false;
            for (int i = 1; i < head.length; i++) {
                upgrade |= head[i].toLowerCase(Locale.ROOT).matches("upgrade:\\s*websocket\\s*");
            }
            StringBuilder forwarded = new StringBuilder(requestLine[0] + " " + requestLine[1].substring(prefix.length()) + " "
                    + requestLine[2] + "\r\n");
            for (int i = 1; i < head.length; i++) {
                String name = head[i].substring(0, head[i].indexOf(':')).strip().toLowerCase(Locale.ROOT);
                if (upgrade || !Set.of("connection", "upgrade", "http2-settings", "keep-alive").contains(name)) {
                    forwarded.append(head[i]).append("\r\n");
                }
            }
            forwarded.append(upgrade ? "" : "Connection: close\r\n").append("\r\n");
            Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort);
            open.add(server);
            server.getOutputStream().write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
            AtomicBoolean frozen = new AtomicBoolean();
            links.add(frozen);
            Thread.ofVirtual().start(() -> pipe(server, client, frozen));
            pipe(client, server, frozen);
            links.remove(frozen);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /**
     * Copies what comes from {@code from} to {@code to} until either ends; then ends both. Once
     * {@code frozen}, nothing more is copied, and the end waits for the proxy's.
     */
    private void pipe(Socket from, Socket to, AtomicBoolean frozen) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int read; (read = in.read(buffer)) >= 0 && !frozen.get(); ) {
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // one side went: both end below
        } finally {
            if (frozen.get()) {
                try {
                    closing.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void notFound(OutputStream out) throws IOException {
        byte[] page = "<!doctype html><title>Not found</title><p>Nothing here.".getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: " + page.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(page);
        out.flush();
    }

    /** The request's head, up to the empty line (read a byte at a time: what follows stays unread). */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int lastFour = 0; lastFour != 0x0d0a0d0a; ) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection ended in the request's head");
            }
            head.write(b);
            lastFour = (lastFour << 8) | b;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closing.countDown();
        try {
            listening.close();
        } catch (IOException e) {
            // closing anyway
        }
        open.forEach(this::closeQuietly);
    }
}
