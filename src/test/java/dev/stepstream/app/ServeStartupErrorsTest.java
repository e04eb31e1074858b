package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.stepstream.Main", "serve"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("serve gave up").isTrue();
        return new Exit(process.exitValue(), output.lines().filter(line -> !line.startsWith("WARNING:") && !line.isBlank()).toList());
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

    @Test
    void aSecretsKeyThatIsNotOneIsOneLineNamingItAndExit2() throws Exception {
        Exit malformed = serve("--port", "0", "--data-dir", dir.resolve("keyed").toString(), "--secrets-key", "not base64!");
        assertThat(malformed.code()).isEqualTo(2);
        assertThat(malformed.lines()).singleElement().asString().contains("--secrets-key", "32 bytes in base64");
    }
}
