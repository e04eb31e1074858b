package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.Await;
import dev.stepstream.testing.Certificates;
import dev.stepstream.testing.TestServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a new user sees when {@code serve} cannot start: one line naming the setting, exit 2, no stack trace. */
@Timeout(120)
class ServeStartupErrorsTest {
    @TempDir
    Path dir;

    private record Exit(int code, List<String> lines) {}

    private static Exit serve(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(ChildServer.QUICK_START);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.stepstream.Main", "serve"));
        command.addAll(List.of(args));
        Path log = Files.createTempFile("serve", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean exited = process.waitFor(60, TimeUnit.SECONDS);
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(exited).as("serve should have given up, but runs on:%n%s", output).isTrue();
            return new Exit(process.exitValue(), output.lines().filter(line -> !line.startsWith("WARNING:") && !line.isBlank()).toList());
        } finally {
            process.destroyForcibly();
            Files.delete(log);
        }
    }

    @Test
    void aBusyPortIsOneLineNamingThePortAndExit2() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            Exit exit = serve("--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString());
            assertThat(exit.code()).isEqualTo(2);
            assertThat(exit.lines()).containsExactly("stepstream serve: --port " + port + ": 127.0.0.1:" + port
                    + " is already in use (another stepstream, or another program; choose another with --port)");
        }
    }

    @Test
    void aDataDirectoryThatCannotBeCreatedIsOneLineNamingItAndExit2() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Exit exit = serve("--port", "0", "--data-dir", file.toString());
        assertThat(exit.code()).isEqualTo(2);
        assertThat(exit.lines()).hasSize(1);
        assertThat(exit.lines().get(0)).startsWith("stepstream serve: --data-dir " + file + ": cannot create it: ")
                .doesNotContain("Exception");

        Exit under = serve("--port", "0", "--data-dir", file.resolve("below").toString());
        assertThat(under.code()).isEqualTo(2);
        assertThat(under.lines()).hasSize(1);
        assertThat(under.lines().get(0)).startsWith("stepstream serve: --data-dir " + file.resolve("below") + ": cannot create it: ")
                .doesNotContain("Exception");
    }

    /**
     * A second server on a data directory one already serves is refused before it touches the
     * store: without the lock it took the first one's lease for a dead node's and ended its runs.
     */
    @Test
    void aDataDirectoryAnotherServerUsesIsOneLineNamingItAndItsRunsGoOn() throws Exception {
        Path data = dir.resolve("data");
        try (TestServer first = TestServer.start(data)) {
            first.apply(dev.stepstream.testing.Yaml.fixture("st-quiet.yaml"));
            String running = first.execute("st-quiet", "{\"pause\": \"30s\"}");
            Await.until("the run is running", Duration.ofSeconds(10),
                    () -> first.run(running).path("status").asText().equals("running") ? true : null);

            Exit exit = serve("--port", "0", "--data-dir", data.toString());

            assertThat(exit.code()).isEqualTo(2);
            assertThat(exit.lines()).containsExactly("stepstream serve: --data-dir " + data.toRealPath()
                    + ": another stepstream server (process " + ProcessHandle.current().pid()
                    + ") is using it; stop that one first, or give this one another --data-dir");
            assertThat(first.run(running).path("status").asText()).as("the first server's run").isEqualTo("running");
        }
        // Released when the server stops: the next one starts there.
        try (TestServer again = TestServer.start(data)) {
            assertThat(again.get("/readyz").status()).isEqualTo(200);
        }
    }

    /** A database that cannot be reached or read: PostgreSQL on a port nothing listens on, a SQLite file that is not one. */
    @Test
    void aDatabaseThatCannotBeOpenedIsOneLineNamingTheSettingAndExit2() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/nowhere?user=postgres&password=";
        Exit unreachable = serve("--port", "0", "--db", url + "hunter2");
        assertThat(unreachable.code()).isEqualTo(2);
        assertThat(unreachable.lines()).singleElement().asString()
                .startsWith("stepstream serve: --db " + url + "***: cannot open the database: ")
                .contains("refused").doesNotContain("hunter2", "Exception");

        Path data = Files.createDirectories(dir.resolve("garbled"));
        Files.writeString(data.resolve("stepstream.db"), "not a database, ".repeat(100));
        Exit garbled = serve("--port", "0", "--data-dir", data.toString());
        assertThat(garbled.code()).isEqualTo(2);
        assertThat(garbled.lines()).singleElement().asString()
                .startsWith("stepstream serve: --data-dir " + data.toAbsolutePath() + ": cannot open the database: ")
                .doesNotContain("Exception");
    }

    @Test
    void aSecretsKeyThatIsNotOneIsOneLineNamingItAndExit2() throws Exception {
        Exit malformed = serve("--port", "0", "--data-dir", dir.resolve("keyed").toString(), "--secrets-key", "not base64!");
        assertThat(malformed.code()).isEqualTo(2);
        assertThat(malformed.lines()).singleElement().asString().contains("--secrets-key", "32 bytes in base64");

        Path absent = dir.resolve("old.key");
        Exit missing = serve("--port", "0", "--data-dir", dir.resolve("keyed").toString(), "--secrets-previous-key-file", absent.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.lines()).singleElement().asString().contains("--secrets-previous-key-file: cannot read " + absent);
        assertThat(absent).as("a previous key is never made up").doesNotExist();
    }

    /**
     * The key of another certificate loads (it is a key) and the server listened, but every
     * handshake failed: the pair is now checked at start-up, by their public keys.
     */
    @Test
    void aTlsKeyOfAnotherCertificateIsOneLineNamingTlsKeyAndExit2() throws Exception {
        Certificates.Pair one = Certificates.selfSigned(dir.resolve("tls"), "one");
        Certificates.Pair other = Certificates.selfSigned(dir.resolve("tls"), "other");
        Certificates.Pair elliptic = Certificates.selfSigned(dir.resolve("tls"), "elliptic", "EC");
        Certificates.Pair elliptic2 = Certificates.selfSigned(dir.resolve("tls"), "elliptic2", "EC");
        for (Certificates.Pair[] pairing : new Certificates.Pair[][] {{one, other}, {one, elliptic}, {elliptic, elliptic2}}) {
            Certificates.Pair cert = pairing[0];
            Path key = pairing[1].key();
            Exit exit = serve("--port", "0", "--data-dir", dir.resolve("data").toString(),
                    "--tls-cert", cert.cert().toString(), "--tls-key", key.toString());
            assertThat(exit.code()).as("%s with the key of %s", cert.cert(), key).isEqualTo(2);
            assertThat(exit.lines()).as("%s with the key of %s", cert.cert(), key).hasSize(1);
            assertThat(exit.lines().get(0)).startsWith("stepstream serve: --tls-key: " + key + " ").contains(cert.cert().toString())
                    .doesNotContain("Exception");
            if (cert.certificate().getPublicKey().getAlgorithm().equals(pairing[1].certificate().getPublicKey().getAlgorithm())) {
                assertThat(exit.lines().get(0)).contains("is not the key of the certificate " + cert.cert());
            }
        }
    }

    /**
     * A node that cannot serve (here its TLS certificate does not load) stops before it takes
     * back the runs a previous process handed back: it once resumed them first, starting their
     * scripts, then exited and left those running with no node writing their logs.
     */
    @Test
    void aStartThatFailsTakesBackNoRunAndStartsNoScript() throws Exception {
        Path data = dir.resolve("data");
        Path work = Files.createDirectories(dir.resolve("work"));
        Path started = work.resolve("started");
        String runId;
        try (TestServer server = TestServer.start(data)) {
            server.apply("""
                    id: durable
                    onInterrupt: resume
                    steps:
                      - {id: hold, type: script, run: "echo started >> '%1$s'; while [ ! -f '%2$s/open' ]; do sleep 0.02; done"}
                    """.formatted(started, work));
            runId = server.execute("durable", null);
            // Its line, not the file: the shell creates the file before it writes to it, and the
            // stop that follows could end the script between the two.
            Await.until("the script runs", Duration.ofSeconds(20),
                    () -> Files.exists(started) && startedLines(started) == 1 ? true : null);
        } // a graceful stop: the run is handed back, to go on at the next start
        Path cert = Files.writeString(dir.resolve("bad.pem"), "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n");
        Path key = Files.writeString(dir.resolve("bad.key"), "-----BEGIN PRIVATE KEY-----\nnot one\n-----END PRIVATE KEY-----\n");

        try {
            Exit exit = serve("--port", "0", "--data-dir", data.toString(), "--allow-scripts",
                    "--tls-cert", cert.toString(), "--tls-key", key.toString());

            assertThat(exit.code()).isEqualTo(2);
            // It fails at listening, so the log lines of its start come first; the last says why.
            assertThat(exit.lines()).last().asString().startsWith("stepstream serve: --tls-cert: cannot serve TLS with " + cert);
            assertThat(exit.lines()).noneMatch(line -> line.contains("Exception"));
            assertThat(startedLines(started)).as("the script was started by the first node only").isOne();
            try (TestServer server = TestServer.start(data)) {
                Await.until("the next node resumes the run", Duration.ofSeconds(20),
                        () -> startedLines(started) == 2 ? true : null);
                Files.writeString(work.resolve("open"), "");
                assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
                assertThat(startedLines(started)).isEqualTo(2);
            }
        } finally {
            Files.writeString(work.resolve("open"), ""); // ends any copy of the script a failed start left running
        }
    }

    private static int startedLines(Path file) {
        try {
            return Files.readAllLines(file).size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
