import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The fan-out load generator: N WebSocket clients of one run, on a few threads, cheap enough
 * that the server, not the generator, is what is measured.
 *
 * <p>Each client is a non-blocking socket with a minimal RFC 6455 client (handshake, unmasked
 * server frames, masked pongs), parsing each envelope in place: no String, no JSON tree. It
 * checks that it receives every seq exactly once and in order, and records the latency from
 * each live event's {@code time} (set by the server when the run created the event, before it
 * was stored) to its receipt, in a histogram per thread. Clients bind source addresses spread
 * over 127.0.0.x (a few thousand per address), so tens of thousands fit in the port ranges.
 *
 * <pre>
 *   java bench/Load.java fanout --server URL --clients 1000 --events 2000 [--rate 0] [--batch] [--server-pid PID]
 *   java bench/Load.java idle   --server URL --clients 10000 --server-pid PID
 *   java bench/Load.java storm  --server URL --clients 10000 --runs 100 [--jitter-ms 1000] --server-pid PID
 *   java bench/Load.java accept --server URL --clients 10000 --rounds 6 --server-pid PID
 * </pre>
 * The accept mode opens the connections again and again on a server nothing warmed up: see {@link #accept}.
 * The storm mode cuts every client at once and has each reconnect with {@code after}: see {@link #storm}.
 * The idle mode first opens and drops a fifth as many connections (JIT and heap warm-up),
 * then measures RSS, live heap and CPU around opening them all.
 * {@code --rate 0} prints the lines flat out; otherwise at that many lines a second.
 * {@code --join-live} lets the run start before the clients connect (they read history first);
 * {@code --slow-readers} gives each client a small receive buffer and a pause before each read,
 * so that the server's sockets fill and it works through its drain path. Every client checks
 * each frame header (no reserved bits, unmasked) as well as the envelopes. The last line
 * printed ({@code RESULT {…}}) holds every figure as JSON, for bench/suite.sh and bench/Report.java.
 */
public class Load {
    static String server;
    static final HttpClient http = HttpClient.newHttpClient();
    static final int CLIENTS_PER_ADDRESS = 4000;
    /** The last byte of the first source address, 127.0.0.N, that clients bind (4,000 to an address). */
    static int addressBase = 1;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "fanout";
        server = arg(args, "--server", "http://127.0.0.1:8080");
        int clients = Integer.parseInt(arg(args, "--clients", "1000"));
        long serverPid = Long.parseLong(arg(args, "--server-pid", "0"));
        int threads = Integer.parseInt(arg(args, "--threads", "1"));
        joinLive = Arrays.asList(args).contains("--join-live");
        slowReaders = Arrays.asList(args).contains("--slow-readers");
        switch (mode) {
            case "fanout" -> fanout(clients, Integer.parseInt(arg(args, "--events", "2000")),
                    Integer.parseInt(arg(args, "--rate", "0")), Arrays.asList(args).contains("--batch"), threads, serverPid);
            case "idle" -> idle(clients, threads, serverPid);
            case "storm" -> storm(clients, Integer.parseInt(arg(args, "--runs", "100")),
                    Integer.parseInt(arg(args, "--jitter-ms", "1000")), threads, serverPid);
            case "accept" -> accept(clients, Integer.parseInt(arg(args, "--rounds", "6")), threads, serverPid);
            default -> throw new IllegalArgumentException("mode: fanout, idle, storm or accept, got " + mode);
        }
        System.exit(0);
    }

    // ---- scenarios ---------------------------------------------------------------------------

    static boolean joinLive;
    static boolean slowReaders;

    static void fanout(int clients, int events, int rate, boolean batch, int threads, long serverPid) throws Exception {
        String print = rate <= 0
                ? "seq -f 'event %g of the flood' 1 " + events
                // perl paces the lines by sleeping until each one's due time (a spin would take a core)
                : ("perl -MTime::HiRes=time,sleep -e '$|=1; my $t=time; for my $i (1..%d) "
                   + "{ my $d = $t + $i/%d - time; sleep($d) if $d > 0; print \"event $i of the paced run\\n\" }'").formatted(events, rate);
        Path gate = Files.createTempDirectory("load").resolve("gate");
        put("bench-fanout", "id: bench-fanout\nsteps:\n"
                + "  - {id: wait, type: script, run: \"while [ ! -f " + gate + " ]; do sleep 0.02; done\"}\n"
                + "  - id: print\n    type: script\n    run: \"" + print.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n"
                + (secretsEnv().isEmpty() ? "" : "    env: " + secretsEnv() + "\n"));
        String runId = execute("bench-fanout");
        long expected = events + 6; // run_start, wait's start and end, print's start, the lines, its end, run_complete
        String path = "/api/v2/workflows/runs/" + runId + "/stream" + (batch ? "?batch=1" : "");

        Loops loops = new Loops(threads, clients, expected);
        if (joinLive) {
            Files.writeString(gate, "open"); // clients join while the lines flow
        }
        long connectStart = System.nanoTime();
        loops.connectAll(path, clients);
        loops.awaitCaughtUp(Duration.minutes(2));
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;

        long cpuBefore = serverPid > 0 ? cpuTicks(serverPid) : 0;
        long ownCpuBefore = cpuTicks(ProcessHandle.current().pid());
        long gateOpened = System.currentTimeMillis();
        if (!joinLive) {
            Files.writeString(gate, "open");
        }
        boolean finished = loops.awaitDone(Duration.seconds(60 + (rate > 0 ? events / rate * 3L : 0)));
        long cpuAfter = serverPid > 0 ? cpuTicks(serverPid) : 0;
        long ownCpuAfter = cpuTicks(ProcessHandle.current().pid());

        Histogram latency = loops.latency();
        long deliveries = loops.liveDeliveries();
        long lastReceipt = loops.lastReceipt();
        double seconds = Math.max(1, lastReceipt - gateOpened) / 1000.0;
        List<String> problems = loops.problems();
        if (!finished) {
            problems.add(0, loops.unfinished() + " clients did not receive run_complete in time");
        }
        String framing = batch ? "batch=1" : "one envelope per frame";
        System.out.printf("%,d clients connected and caught up in %.1f s%n", clients, connectSeconds);
        System.out.printf("%,d events %s, %s: %,d live deliveries in %.2f s: %,.0f deliveries/s%n",
                events, rate <= 0 ? "flat out" : "at " + rate + "/s", framing, deliveries, seconds, deliveries / seconds);
        System.out.printf("latency from creation to receipt (ms): p50 %d, p90 %d, p99 %d, p99.9 %d, max %d%n",
                latency.percentile(50), latency.percentile(90), latency.percentile(99), latency.percentile(99.9), latency.max());
        System.out.printf("server CPU during delivery: %.2f s (the load generator's own: %.2f s)%n",
                (cpuAfter - cpuBefore) / 100.0, (ownCpuAfter - ownCpuBefore) / 100.0);
        System.out.printf("clients with a gap, duplicate, missing event or bad close: %d%n", problems.size());
        problems.stream().limit(5).forEach(p -> System.out.println("  " + p));
        System.out.println(new Json()
                .put("scenario", "fanout").put("clients", clients).put("events", events).put("rate", rate)
                .put("framing", framing).put("expectedPerClient", expected).put("deliveries", deliveries)
                .put("seconds", seconds).put("deliveriesPerSecond", Math.round(deliveries / seconds))
                .put("p50", latency.percentile(50)).put("p90", latency.percentile(90)).put("p99", latency.percentile(99))
                .put("p999", latency.percentile(99.9)).put("max", latency.max())
                .put("serverCpuSeconds", (cpuAfter - cpuBefore) / 100.0)
                .put("generatorCpuSeconds", (ownCpuAfter - ownCpuBefore) / 100.0)
                .put("serverRssKb", serverPid > 0 ? rssKb(serverPid) : -1)
                .put("badClients", problems.size()).put("connectSeconds", connectSeconds)
                .put("histogram", latency.buckets()));
        loops.closeAll();
    }

    /**
     * A run that sleeps for an hour, once it is asleep (run_start, step_start: its last seq 2), so
     * that every stream of it is quiet: what the idle and accept modes connect to.
     */
    static String quietRun() throws Exception {
        put("bench-idle", "id: bench-idle\nsteps:\n  - {id: wait, type: sleep, duration: 1h}\n");
        String runId = execute("bench-idle");
        for (int i = 0; i < 200 && !get("/api/v2/workflows/runs/" + runId).contains("\"lastSeq\":2"); i++) {
            Thread.sleep(25);
        }
        return runId;
    }

    /** CONNECTIONS streams of the {@link #quietRun} RUNID from after its last event, each open until its {@code caught_up}. */
    static Loops caughtUp(String runId, int connections, int threads) throws Exception {
        Loops loops = new Loops(threads, connections, Long.MAX_VALUE);
        loops.connectAll("/api/v2/workflows/runs/" + runId + "/stream?after=2", connections);
        loops.awaitCaughtUp(Duration.minutes(5));
        return loops;
    }

    static void idle(int connections, int threads, long serverPid) throws Exception {
        String runId = quietRun();
        // Warm up: accept and drop a fifth of the connections first, so that what is measured
        // is what a connection costs a running server, not the JIT compiling the accept path or
        // the heap growing to its working size (both paid once, not per connection).
        caughtUp(runId, connections / 5, threads).closeAll();
        Thread.sleep(2000);
        settle(serverPid);
        long rssBefore = rssKb(serverPid);
        long heapBefore = liveHeapKb(serverPid);
        long cpuBefore = cpuTicks(serverPid);
        long start = System.nanoTime();
        Loops loops = caughtUp(runId, connections, threads);
        double took = (System.nanoTime() - start) / 1e9;
        long cpuAfter = cpuTicks(serverPid);
        settle(serverPid);
        long rssAfter = rssKb(serverPid);
        long heapAfter = liveHeapKb(serverPid);
        List<String> problems = loops.problems();
        double rssEach = (rssAfter - rssBefore) / (double) connections;
        double heapEach = (heapAfter - heapBefore) / (double) connections;
        System.out.printf("%,d idle WebSocket connections open and caught up in %.1f s (%d problems)%n", connections, took, problems.size());
        problems.stream().limit(5).forEach(p -> System.out.println("  " + p));
        System.out.printf("server resident memory: %,d KB before, %,d KB after: %.1f KB per connection%n", rssBefore, rssAfter, rssEach);
        System.out.printf("server live heap after a full GC: %,d KB before, %,d KB after: %.1f KB per connection%n",
                heapBefore, heapAfter, heapEach);
        System.out.printf("server CPU to accept them: %.2f s%n", (cpuAfter - cpuBefore) / 100.0);
        System.out.println(new Json().put("scenario", "idle").put("connections", connections).put("seconds", took)
                .put("rssBeforeKb", rssBefore).put("rssAfterKb", rssAfter).put("rssPerConnectionKb", rssEach)
                .put("heapPerConnectionKb", heapEach).put("serverCpuSeconds", (cpuAfter - cpuBefore) / 100.0)
                .put("badClients", problems.size()));
        loops.closeAll();
    }

    /**
     * How long the accept stays cold (issue 21, target 2): on a server that nothing warmed up,
     * CLIENTS connections to one quiet run are opened (at most 256 handshakes in flight), each
     * until its {@code caught_up}, then closed, ROUNDS times, 2 s apart. Each round's server CPU
     * is counted from the first connection until 2 s after the last {@code caught_up}, so that
     * the compilation the accept set off counts too (as the peers harness counts a fresh
     * process's accept: until 2.5 s after its last connection). A fresh process's first rounds
     * pay the JIT's warm-up; the last ones what an accept costs once compiled.
     */
    static void accept(int connections, int rounds, int threads, long serverPid) throws Exception {
        String runId = quietRun();
        List<Double> cpu = new ArrayList<>();
        List<Double> cpuToCaughtUp = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        List<String> cpuByThread = new ArrayList<>();
        int problems = 0;
        for (int round = 1; round <= rounds; round++) {
            // Each round's clients from source addresses of their own: the last round's wait in TIME_WAIT.
            addressBase = 1 + (round - 1) * ((connections + CLIENTS_PER_ADDRESS - 1) / CLIENTS_PER_ADDRESS);
            long cpuBefore = cpuTicks(serverPid);
            Map<String, Long> byThreadBefore = cpuTicksByThread(serverPid);
            long start = System.nanoTime();
            Loops loops = caughtUp(runId, connections, threads);
            double took = (System.nanoTime() - start) / 1e9;
            long cpuCaughtUp = cpuTicks(serverPid);
            Thread.sleep(2000);
            long cpuAfter = cpuTicks(serverPid);
            Map<String, Long> byThread = since(byThreadBefore, cpuTicksByThread(serverPid), cpuAfter - cpuBefore);
            List<String> bad = loops.problems();
            problems += bad.size();
            bad.stream().limit(5).forEach(p -> System.out.println("  " + p));
            loops.closeAll();
            cpu.add((cpuAfter - cpuBefore) / 100.0);
            cpuToCaughtUp.add((cpuCaughtUp - cpuBefore) / 100.0);
            seconds.add(Math.round(took * 100) / 100.0);
            System.out.printf("round %d: %,d connections caught up in %.1f s; server CPU %.2f s (%.2f s until the last caught up)%n",
                    round, connections, took, cpu.getLast(), cpuToCaughtUp.getLast());
            StringJoiner split = new StringJoiner(", ", "  of which ", "");
            Json splitJson = new Json();
            byThread.forEach((group, ticks) -> {
                split.add(String.format(Locale.ROOT, "%s %.2f s", group, ticks / 100.0));
                splitJson.put(group, ticks / 100.0);
            });
            System.out.println(split);
            cpuByThread.add(splitJson.object());
            Thread.sleep(2000);
        }
        System.out.println(new Json().put("scenario", "accept").put("connections", connections).put("rounds", rounds)
                .put("serverCpuSeconds", cpu).put("serverCpuToCaughtUpSeconds", cpuToCaughtUp).put("seconds", seconds)
                .put("serverCpuByThread", cpuByThread).put("badClients", problems));
    }

    /**
     * A reconnect storm (issue 21, target 2), as a proxy reload or a network blip makes one: CLIENTS
     * clients follow RUNS live runs (each prints a line a second, as a build's log does), and once
     * all are live and events have flowed for 2 s, every socket is cut at once (reset, no close handshake). Each
     * client reconnects after a random delay of up to JITTER ms with {@code after=} the last seq it
     * got, as the client libraries do, all at once (no limit on handshakes in flight). Measured: from the cut until every client is live again
     * (its {@code caught_up} on the new connection), each client's time from its reconnect to its
     * {@code caught_up}, and the server's CPU and memory meanwhile. Every client checks that it got
     * every seq once and in order, across the cut, and for 3 s of live events after it.
     */
    static void storm(int clients, int runs, int jitterMs, int threads, long serverPid) throws Exception {
        put("bench-storm", "id: bench-storm\nsteps:\n"
                // one process a run, sleeping in perl: a shell loop forking sleep 10 times a second in
                // each of 100 runs took the machine to a load of 50 on its own
                + "  - {id: print, type: script, run: \"perl -e '$|=1; for my $i (1..6000) { print \\\"storm line $i\\\\n\\\"; "
                + "select(undef, undef, undef, 1) }'\"}\n");
        String[] runIds = new String[runs];
        for (int i = 0; i < runs; i++) {
            runIds[i] = execute("bench-storm");
        }
        long[] from = new long[clients];
        Loops before = new Loops(threads, clients, Long.MAX_VALUE);
        long connectStart = System.nanoTime();
        before.connectEach(i -> "/api/v2/workflows/runs/" + runIds[i % runs] + "/stream", from, 0, 256);
        before.awaitCaughtUp(Duration.minutes(5));
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        Thread.sleep(2000);

        long cpuBefore = cpuTicks(serverPid);
        long rssBefore = rssKb(serverPid);
        long cutAt = System.nanoTime();
        long[] lastSeqs = before.cut();
        Loops after = new Loops(threads, clients, Long.MAX_VALUE);
        after.connectEach(i -> "/api/v2/workflows/runs/" + runIds[i % runs] + "/stream?after=" + lastSeqs[i], lastSeqs, jitterMs,
                clients);
        after.awaitCaughtUp(Duration.minutes(2));
        double allLive = (System.nanoTime() - cutAt) / 1e9;
        long cpuAfter = cpuTicks(serverPid);
        long rssAfter = rssKb(serverPid);
        Thread.sleep(3000); // live events go on: each client must get them in order after its history
        long[] finalSeqs = after.cut();

        List<String> problems = before.problems();
        problems.addAll(after.problems());
        long behind = 0;
        for (int i = 0; i < clients; i++) {
            if (finalSeqs[i] <= lastSeqs[i]) {
                behind++; // nothing after the cut: not live again
            }
        }
        if (behind > 0) {
            problems.add(0, behind + " clients got nothing after the cut");
        }
        Histogram catchUp = after.catchUp();
        for (String runId : runIds) {
            send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/runs/" + runId + "/cancel"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
        }
        System.out.printf("%,d clients of %d runs connected and caught up in %.1f s%n", clients, runs, connectSeconds);
        System.out.printf("cut at once, each back after up to %,d ms with after: all %,d live again %.2f s after the cut%n",
                jitterMs, clients, allLive);
        System.out.printf("from each reconnect to its caught_up (ms): p50 %d, p90 %d, p99 %d, max %d%n",
                catchUp.percentile(50), catchUp.percentile(90), catchUp.percentile(99), catchUp.max());
        System.out.printf("server meanwhile: %.2f s of CPU, resident memory %,d KB -> %,d KB%n",
                (cpuAfter - cpuBefore) / 100.0, rssBefore, rssAfter);
        System.out.printf("clients with a gap, duplicate, missing event or bad close: %d%n", problems.size());
        problems.stream().limit(5).forEach(p -> System.out.println("  " + p));
        System.out.println(new Json().put("scenario", "storm").put("clients", clients).put("runs", runs)
                .put("jitterMs", jitterMs).put("connectSeconds", connectSeconds).put("allLiveSeconds", allLive)
                .put("p50", catchUp.percentile(50)).put("p90", catchUp.percentile(90)).put("p99", catchUp.percentile(99))
                .put("max", catchUp.max()).put("serverCpuSeconds", (cpuAfter - cpuBefore) / 100.0)
                .put("rssBeforeKb", rssBefore).put("rssAfterKb", rssAfter).put("badClients", problems.size()));
    }

    /** A full GC in the server and a moment to return memory, so that RSS readings compare like with like. */
    static void settle(long pid) throws Exception {
        jcmd(pid, "GC.run");
        Thread.sleep(1000);
    }

    // ---- the clients -------------------------------------------------------------------------

    record Duration(long millis) {
        static Duration seconds(long s) { return new Duration(s * 1000); }
        static Duration minutes(long m) { return new Duration(m * 60_000); }
    }

    /** The client threads, each a selector over its share of the connections. */
    static final class Loops {
        final Loop[] loops;
        final Thread[] threads;
        final CountDownLatch caughtUp;
        final CountDownLatch done;

        Loops(int threads, int clients, long expected) throws IOException {
            caughtUp = new CountDownLatch(clients);
            done = new CountDownLatch(clients);
            loops = new Loop[threads];
            this.threads = new Thread[threads];
            for (int i = 0; i < threads; i++) {
                loops[i] = new Loop(expected, caughtUp, done);
                Thread thread = new Thread(loops[i], "load-" + i);
                thread.setDaemon(true);
                thread.start();
                this.threads[i] = thread;
            }
        }

        /** Opens the connections, at most 256 handshakes in flight. */
        void connectAll(String path, int clients) throws Exception {
            connectEach(i -> path, new long[clients], 0, 256);
        }

        /**
         * Opens a connection per client {@code i} to {@code path(i)}, the client expecting seq
         * {@code from[i] + 1} first; each after a random delay of up to {@code jitterMs} from now
         * (0: at once), at most {@code inFlight} handshakes at a time.
         */
        void connectEach(java.util.function.IntFunction<String> path, long[] from, int jitterMs, int inFlight) throws Exception {
            int clients = from.length;
            URI uri = URI.create(server);
            InetSocketAddress target = new InetSocketAddress(uri.getHost(), uri.getPort());
            long start = System.nanoTime();
            long[] due = new long[clients];
            Integer[] order = new Integer[clients];
            java.util.Random random = new java.util.Random(42);
            for (int i = 0; i < clients; i++) {
                due[i] = jitterMs > 0 ? random.nextInt(jitterMs * 1000) * 1000L : 0;
                order[i] = i;
            }
            Arrays.sort(order, java.util.Comparator.comparingLong(i -> due[i]));
            for (int n = 0; n < clients; n++) {
                int i = order[n];
                while (n - (clients - caughtUp.getCount()) >= inFlight) {
                    Thread.sleep(1);
                }
                long wait = start + due[i] - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                byte[] request = ("GET " + path.apply(i) + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c3RlcHN0cmVhbS1sb2FkIQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (slowReaders) {
                    channel.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                }
                channel.bind(new InetSocketAddress("127.0.0." + (addressBase + i / CLIENTS_PER_ADDRESS), 0));
                channel.connect(target);
                loops[i % loops.length].add(new Client(i, channel, request, from[i]));
            }
        }

        /**
         * Cuts every connection at once, with a reset (no close handshake), as a proxy reload
         * or a lost network does, and returns the last seq each client got, by client id.
         */
        long[] cut() throws InterruptedException {
            for (Loop loop : loops) {
                loop.abort = true;
                loop.stop();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            int count = 0;
            for (Loop loop : loops) {
                count += loop.clients.size();
            }
            long[] last = new long[count];
            for (Loop loop : loops) {
                for (Client client : loop.clients) {
                    last[client.id] = client.lastSeq;
                }
            }
            return last;
        }

        Histogram catchUp() {
            Histogram all = new Histogram();
            for (Loop loop : loops) {
                all.add(loop.results().catchUp);
            }
            return all;
        }

        void awaitCaughtUp(Duration timeout) throws InterruptedException {
            if (!caughtUp.await(timeout.millis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(caughtUp.getCount() + " clients did not get caught_up in time; problems: "
                        + problems().stream().limit(3).toList());
            }
        }

        boolean awaitDone(Duration timeout) throws InterruptedException {
            return done.await(timeout.millis(), TimeUnit.MILLISECONDS);
        }

        long unfinished() {
            return done.getCount();
        }

        Histogram latency() {
            Histogram all = new Histogram();
            for (Loop loop : loops) {
                all.add(loop.results().latency);
            }
            return all;
        }

        long liveDeliveries() {
            return Arrays.stream(loops).mapToLong(l -> l.results().liveDeliveries).sum();
        }

        long lastReceipt() {
            return Arrays.stream(loops).mapToLong(l -> l.results().lastReceipt).max().orElse(0);
        }

        List<String> problems() {
            List<String> problems = new ArrayList<>();
            for (Loop loop : loops) {
                problems.addAll(loop.results().problems);
            }
            return problems;
        }

        void closeAll() {
            for (Loop loop : loops) {
                loop.stop();
            }
        }
    }

    /** What a loop's clients measured, read once they are done (through the loop's lock). */
    static final class Results {
        final Histogram latency = new Histogram();
        /** From each connection's opening to its caught_up, ms. */
        final Histogram catchUp = new Histogram();
        long liveDeliveries;
        long lastReceipt;
        final List<String> problems = new ArrayList<>();
    }

    static final class Loop implements Runnable {
        final Selector selector = Selector.open();
        final ConcurrentLinkedQueue<Client> incoming = new ConcurrentLinkedQueue<>();
        final long expected;
        final CountDownLatch caughtUp;
        final CountDownLatch done;
        final Results results = new Results(); // owned by the loop thread; read under its monitor
        final ByteBuffer pong = ByteBuffer.wrap(new byte[] {(byte) 0x8A, (byte) 0x80, 1, 2, 3, 4});
        volatile boolean stopping;
        /** With stopping: close each socket with a reset (SO_LINGER 0) rather than a FIN. */
        volatile boolean abort;
        final List<Client> clients = new ArrayList<>();

        Loop(long expected, CountDownLatch caughtUp, CountDownLatch done) throws IOException {
            this.expected = expected;
            this.caughtUp = caughtUp;
            this.done = done;
        }

        void add(Client client) {
            incoming.add(client);
            selector.wakeup();
        }

        synchronized Results results() {
            return results;
        }

        void stop() {
            stopping = true;
            selector.wakeup();
        }

        @Override
        public void run() {
            try {
                while (!stopping) {
                    selector.select(100);
                    Client fresh;
                    while ((fresh = incoming.poll()) != null) {
                        clients.add(fresh);
                        fresh.channel.register(selector, SelectionKey.OP_CONNECT, fresh);
                    }
                    long now = System.currentTimeMillis();
                    synchronized (this) {
                        for (SelectionKey key : selector.selectedKeys()) {
                            Client client = (Client) key.attachment();
                            try {
                                client.ready(key, now, this);
                            } catch (IOException | RuntimeException e) {
                                client.fail("error: " + e, this);
                                key.cancel();
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                }
                for (Client client : clients) {
                    if (abort && client.channel.isOpen()) {
                        try {
                            client.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                        } catch (IOException e) {
                            // not connected (yet, or any more): a plain close
                        }
                    }
                    client.channel.close();
                }
                selector.close(); // a closed channel's descriptor is released when its selector lets go of it
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** One WebSocket connection. Loop thread only. */
    static final class Client {
        final int id;
        final SocketChannel channel;
        final ByteBuffer request;
        ByteBuffer in = ByteBuffer.allocate(1024);
        boolean upgraded;
        boolean caughtUp;
        boolean finished;
        long lastSeq;
        long received;

        final long openedAt = System.nanoTime();

        Client(int id, SocketChannel channel, byte[] request, long from) {
            this.id = id;
            this.channel = channel;
            this.request = ByteBuffer.wrap(request);
            this.lastSeq = from;
        }

        void ready(SelectionKey key, long now, Loop loop) throws IOException {
            if (key.isConnectable()) {
                channel.finishConnect();
                channel.write(request);
                if (request.hasRemaining()) {
                    throw new IOException("handshake request not written at once");
                }
                key.interestOps(SelectionKey.OP_READ);
                return;
            }
            if (slowReaders) {
                LockSupport.parkNanos(20_000); // a reader slower than the server: its socket fills
            }
            int read = channel.read(in);
            if (read < 0) {
                fail("connection closed by the server without a close frame", loop);
                key.cancel();
                return;
            }
            in.flip();
            if (!upgraded && !handshake(loop)) {
                in.compact();
                return;
            }
            frames(now, loop);
            if (in.hasRemaining() && in.position() == 0 && in.limit() == in.capacity()) {
                throw new IllegalStateException("frame larger than the buffer");
            }
            in.compact();
        }

        private boolean handshake(Loop loop) {
            byte[] a = in.array();
            for (int i = in.position(); i + 3 < in.limit(); i++) {
                if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                    String head = new String(a, in.position(), i - in.position(), StandardCharsets.US_ASCII);
                    if (!head.startsWith("HTTP/1.1 101")) {
                        fail("upgrade refused: " + head.lines().findFirst().orElse(""), loop);
                    }
                    in.position(i + 4);
                    upgraded = true;
                    return true;
                }
            }
            if (in.limit() == in.capacity()) {
                fail("handshake response too long", loop);
            }
            return false;
        }

        /** Handles every complete frame in the buffer, growing it when a frame does not fit. */
        private void frames(long now, Loop loop) throws IOException {
            byte[] a = in.array();
            while (in.remaining() >= 2) {
                int p = in.position();
                int opcode = a[p] & 0x0F;
                if ((a[p] & 0x70) != 0 || (a[p + 1] & 0x80) != 0) {
                    int from = Math.max(0, p - 300);
                    throw new IllegalStateException("bad frame header after " + received + " events, bytes before it: "
                            + new String(a, from, p - from, StandardCharsets.UTF_8).replace("\n", "\\n")
                            + " | at it: " + new String(a, p, Math.min(80, in.limit() - p), StandardCharsets.UTF_8));
                }
                long length = a[p + 1] & 0x7F;
                int header = 2;
                if (length == 126) {
                    if (in.remaining() < 4) {
                        return;
                    }
                    length = ((a[p + 2] & 0xFF) << 8) | (a[p + 3] & 0xFF);
                    header = 4;
                } else if (length == 127) {
                    if (in.remaining() < 10) {
                        return;
                    }
                    length = ByteBuffer.wrap(a, p + 2, 8).getLong();
                    header = 10;
                }
                if (in.remaining() < header + length) {
                    if (header + length > in.capacity()) {
                        ByteBuffer bigger = ByteBuffer.allocate((int) Math.max(in.capacity() * 2L, header + length));
                        bigger.put(in);
                        bigger.flip();
                        in = bigger;
                    }
                    return;
                }
                int start = p + header;
                int end = (int) (start + length);
                switch (opcode) {
                    case 1 -> text(a, start, end, now, loop);
                    case 8 -> {
                        int code = length >= 2 ? ((a[start] & 0xFF) << 8) | (a[start + 1] & 0xFF) : 1005;
                        if (code != 1000 || received != loop.expected) {
                            fail("closed with " + code + " after " + received + " events", loop);
                        } else {
                            finish(loop);
                        }
                    }
                    case 9 -> {
                        loop.pong.clear();
                        channel.write(loop.pong);
                    }
                    case 10 -> { }
                    default -> fail("unexpected opcode " + opcode, loop);
                }
                in.position(end);
                if (in.capacity() > 1 << 20 && in.remaining() == 0) {
                    in = ByteBuffer.allocate(1024); // give back a buffer grown for a burst
                    return;
                }
            }
        }

        /** A text frame: one envelope, or several, one per line (batch=1). */
        private void text(byte[] a, int start, int end, long now, Loop loop) {
            int line = start;
            for (int i = start; i <= end; i++) {
                if (i == end || a[i] == '\n') {
                    envelope(a, line, i, now, loop);
                    line = i + 1;
                }
            }
        }

        private static final byte[] RUN_ID = "{\"runId\"".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CAUGHT_UP = "{\"type\":\"caught_up\"".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] TYPE = "\"type\":\"".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] TIME = "\"time\":\"".getBytes(StandardCharsets.US_ASCII);

        private void envelope(byte[] a, int from, int to, long now, Loop loop) {
            if (!startsWith(a, from, RUN_ID)) {
                if (startsWith(a, from, CAUGHT_UP) && !caughtUp) {
                    caughtUp = true;
                    loop.results.catchUp.record((System.nanoTime() - openedAt) / 1_000_000);
                    loop.caughtUp.countDown();
                }
                return; // pong
            }
            int at = indexOf(a, from, to, SEQ) + SEQ.length;
            long seq = 0;
            while (a[at] >= '0' && a[at] <= '9') {
                seq = seq * 10 + (a[at++] - '0');
            }
            if (seq != lastSeq + 1) {
                fail("expected seq " + (lastSeq + 1) + ", got " + seq, loop);
            }
            lastSeq = seq;
            received++;
            int type = indexOf(a, at, to, TYPE) + TYPE.length;
            if (caughtUp) {
                int time = indexOf(a, type, to, TIME) + TIME.length;
                loop.results.latency.record(now - Times.epochMillis(a, time));
                loop.results.liveDeliveries++;
                loop.results.lastReceipt = now;
            }
            if (a[type] == 'r' && a[type + 4] == 'c') { // run_complete
                if (received != loop.expected) {
                    fail("run_complete after " + received + " of " + loop.expected + " events", loop);
                }
            }
        }

        void fail(String problem, Loop loop) {
            if (!finished) {
                loop.results.problems.add("client " + id + ": " + problem);
                if (!caughtUp) {
                    loop.caughtUp.countDown();
                    caughtUp = true;
                }
                finish(loop);
            }
        }

        private void finish(Loop loop) {
            if (!finished) {
                finished = true;
                loop.done.countDown();
            }
        }

        private static boolean startsWith(byte[] a, int from, byte[] prefix) {
            if (from + prefix.length > a.length) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (a[from + i] != prefix[i]) {
                    return false;
                }
            }
            return true;
        }

        private static int indexOf(byte[] a, int from, int to, byte[] needle) {
            outer:
            for (int i = from; i <= to - needle.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (a[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            throw new IllegalStateException("no " + new String(needle, StandardCharsets.US_ASCII) + " in an envelope");
        }
    }

    /** ISO-8601 UTC times with milliseconds, as the server writes them, parsed in place. */
    static final class Times {
        private static long cachedDay = -1;      // yyyymmdd of the last date parsed (loop threads share it benignly)
        private static long cachedDayMillis;

        static long epochMillis(byte[] a, int at) {
            long day = digits(a, at, 4) * 10000 + digits(a, at + 5, 2) * 100 + digits(a, at + 8, 2);
            long dayMillis;
            synchronized (Times.class) {
                if (day != cachedDay) {
                    cachedDayMillis = LocalDate.of((int) (day / 10000), (int) (day / 100 % 100), (int) (day % 100))
                            .toEpochDay() * 86_400_000L;
                    cachedDay = day;
                }
                dayMillis = cachedDayMillis;
            }
            return dayMillis + digits(a, at + 11, 2) * 3_600_000L + digits(a, at + 14, 2) * 60_000L
                    + digits(a, at + 17, 2) * 1000L + digits(a, at + 20, 3);
        }

        private static long digits(byte[] a, int at, int n) {
            long value = 0;
            for (int i = 0; i < n; i++) {
                value = value * 10 + (a[at + i] - '0');
            }
            return value;
        }
    }

    /** Latencies in whole milliseconds (the server's times have millisecond precision). */
    static final class Histogram {
        final long[] counts = new long[600_001];
        long total;

        void record(long millis) {
            counts[(int) Math.max(0, Math.min(counts.length - 1, millis))]++;
            total++;
        }

        void add(Histogram other) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += other.counts[i];
            }
            total += other.total;
        }

        long percentile(double p) {
            if (total == 0) {
                return -1;
            }
            long rank = (long) Math.ceil(p / 100 * total);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return i;
                }
            }
            return counts.length - 1;
        }

        long max() {
            for (int i = counts.length - 1; i >= 0; i--) {
                if (counts[i] > 0) {
                    return i;
                }
            }
            return -1;
        }

        /** The non-empty buckets as {"ms": count}, for charts. */
        String buckets() {
            StringBuilder out = new StringBuilder("{");
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    out.append(out.length() > 1 ? "," : "").append('"').append(i).append("\":").append(counts[i]);
                }
            }
            return out.append('}').toString();
        }
    }

    /** A flat JSON object for the result line; values that are already JSON text pass as they are. */
    static final class Json {
        private final StringBuilder out = new StringBuilder("{");

        Json put(String name, Object value) {
            out.append(out.length() > 1 ? "," : "").append('"').append(name).append("\":");
            if (value instanceof String s && !(s.startsWith("{") && s.endsWith("}"))) {
                out.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            } else if (value instanceof Double d) {
                out.append(String.format(Locale.ROOT, "%.3f", d));
            } else {
                out.append(value);
            }
            return this;
        }

        /** The object alone, to nest in another. */
        String object() {
            return out + "}";
        }

        @Override
        public String toString() {
            return "RESULT " + object();
        }
    }

    // ---- the server, over HTTP and /proc -----------------------------------------------------

    static void put(String id, String yaml) throws Exception {
        send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + id)).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString(yaml)));
    }

    /**
     * With STEPSTREAM_BENCH_SECRETS=N (bench/suite.sh --engine), the env of the step that prints
     * references secrets S000…S(N-1), which the suite has stored: the run's masker then holds N
     * values, and every line it prints is searched for each (issue 21, target 5). Empty otherwise.
     */
    static String secretsEnv() {
        int count = Integer.parseInt(System.getenv().getOrDefault("STEPSTREAM_BENCH_SECRETS", "0"));
        StringBuilder env = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String name = "S%03d".formatted(i);
            env.append(env.isEmpty() ? "{" : ", ").append(name).append(": \"${secrets.").append(name).append("}\"");
        }
        return env.isEmpty() ? "" : env.append("}").toString();
    }

    static String execute(String id) throws Exception {
        String body = send(HttpRequest.newBuilder(URI.create(server + "/api/v2/workflows/" + id + "/execute"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        return body.replaceAll(".*\"runId\":\"([^\"]+)\".*", "$1");
    }

    static String get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(server + path)).GET());
    }

    static String send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** Runs a full GC in the server and returns the heap it still uses. */
    static long liveHeapKb(long pid) throws Exception {
        String text = jcmd(pid, "GC.run") + jcmd(pid, "GC.heap_info");
        java.util.regex.Matcher used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(text);
        return used.find() ? Long.parseLong(used.group(1)) : -1;
    }

    static String jcmd(long pid, String command) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process process = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        return text;
    }

    /** A process's CPU time so far (the server's, or this one's), in clock ticks (1/100 s): user + system. */
    static long cpuTicks(long pid) throws Exception {
        return statTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    /** User + system ticks of a {@code /proc/…/stat} line (after the name, which may hold spaces and parentheses). */
    static long statTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /**
     * A process's CPU time so far by kind of thread, in clock ticks: the event loops, the
     * acceptor, the JIT's two compilers, the collector's threads, the virtual threads' carriers,
     * the event log's committer, and the rest. Threads that ended meanwhile are missing here (the
     * JVM stops compiler threads it no longer needs): {@link #since} puts their time in "other".
     */
    static Map<String, Long> cpuTicksByThread(long pid) throws IOException {
        Map<String, Long> ticks = new LinkedHashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended between the listing and the read
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                ticks.merge(threadGroup(name), statTicks(stat), Long::sum);
            }
        }
        return ticks;
    }

    /**
     * The kinds of thread, in the order they are printed, each with the starts of the names the
     * kernel keeps for them (15 characters at most); any other thread is "other".
     */
    static final Map<String, List<String>> THREAD_GROUPS = threadGroups();

    private static Map<String, List<String>> threadGroups() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        groups.put("eventLoops", List.of("vert.x-eventloo"));
        groups.put("acceptor", List.of("vert.x-acceptor"));
        groups.put("c2", List.of("C2 Compiler"));
        groups.put("c1", List.of("C1 Compiler"));
        groups.put("gc", List.of("GC ", "G1 "));
        groups.put("virtualThreads", List.of("ForkJoinPool"));
        groups.put("committer", List.of("event-log-commi"));
        return groups;
    }

    static String threadGroup(String name) {
        for (Map.Entry<String, List<String>> group : THREAD_GROUPS.entrySet()) {
            if (group.getValue().stream().anyMatch(name::startsWith)) {
                return group.getKey();
            }
        }
        return "other";
    }

    /** Each kind's ticks from {@code before} to {@code after}, "other" taking what {@code total} has beyond them. */
    static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after, long total) {
        Map<String, Long> spent = new LinkedHashMap<>();
        long counted = 0;
        for (String group : THREAD_GROUPS.keySet()) {
            long ticks = Math.max(0, after.getOrDefault(group, 0L) - before.getOrDefault(group, 0L));
            spent.put(group, ticks);
            counted += ticks;
        }
        spent.put("other", Math.max(0, total - counted));
        return spent;
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
