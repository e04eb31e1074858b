package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepstream.security.Role;
import dev.stepstream.security.SecuritySettings;
import dev.stepstream.security.TokenFile;
import dev.stepstream.settings.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Safe defaults: where the server refuses to start, and the security settings' checks. */
@Timeout(90)
class SecureDefaultsTest {
    @TempDir
    Path dir;

    @Test
    void aNonLoopbackBindWithoutCredentialsExitsWith2AndOneLineSayingWhy() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.stepstream.Main",
                "serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", dir.toString()))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        List<String> lines = output.lines().filter(line -> !line.startsWith("WARNING:")).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("stepstream serve: --host: refusing to listen on 0.0.0.0 without credentials")
                .contains("--insecure");
    }

    @Test
    void credentialsOrInsecureAllowANonLoopbackBind() throws Exception {
        Path tokens = dir.resolve("tokens");
        TokenFile.create(tokens, "ci", Role.OPERATOR);
        Config withTokens = Config.resolve(Map.of("host", "0.0.0.0", "tokens-file", tokens.toString()), Map.of());
        assertThat(withTokens.security().credentials()).isTrue();
        Config withJwt = Config.resolve(Map.of("host", "0.0.0.0"), Map.of("STEPSTREAM_JWT_SECRET", "x".repeat(32)));
        assertThat(withJwt.security().jwtSecret()).hasSize(32);
        assertThat(Config.resolve(Map.of("host", "0.0.0.0", "insecure", "true"), Map.of()).security().credentials()).isFalse();
    }

    /** What an --insecure bind beyond loopback serves is said where the operator looks: the start-up line and a warning. */
    @Test
    void anInsecureServerBeyondLoopbackSaysItIsOpenToTheNetwork() throws Exception {
        try (ChildServer open = ChildServer.start(dir, "--host", "0.0.0.0", "--insecure")) {
            assertThat(open.output()).contains("no credentials (--insecure): open to every client that reaches 0.0.0.0)")
                    .doesNotContain("open to this machine")
                    .contains("WARN").contains("every client that reaches it may do anything an admin may");
        }
        try (ChildServer local = ChildServer.start(dir.resolve("local"))) {
            assertThat(local.output()).contains("no credentials: open to this machine)").doesNotContain("--insecure");
        }
    }

    /** The database holds every run's log: a data directory stepstream creates, and its files, are its user's alone. */
    @Test
    void whatTheServerCreatesInItsDataDirectoryOnlyItsUserCanRead() throws Exception {
        Path created = dir.resolve("created");
        Path existing = Files.createDirectory(dir.resolve("existing"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try (ChildServer server = ChildServer.start(created); ChildServer other = ChildServer.start(existing)) {
            assertThat(mode(created)).isEqualTo("rwx------");
            assertThat(mode(existing)).as("a directory the operator made keeps its mode").isEqualTo("rwxr-xr-x");
            for (Path data : List.of(created, existing)) {
                assertThat(mode(data.resolve("stepstream.db"))).isEqualTo("rw-------");
                assertThat(mode(data.resolve("stepstream.db-wal"))).isEqualTo("rw-------");
                assertThat(mode(data.resolve("secrets.key"))).isEqualTo("rw-------");
            }
        }
    }

    private static String mode(Path path) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void badSecuritySettingsNameTheirFlag() throws Exception {
        Path garbled = Files.writeString(dir.resolve("tokens"), "ci operator sha256:abc\n");
        assertThatThrownBy(() -> Config.resolve(Map.of("tokens-file", garbled.toString()), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--tokens-file: ").hasMessageContaining("line 1");
        assertThatThrownBy(() -> Config.resolve(Map.of("tokens-file", dir.resolve("missing").toString()), Map.of()))
                .hasMessageStartingWith("--tokens-file: no readable file");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_JWT_SECRET", "short")))
                .hasMessageStartingWith("STEPSTREAM_JWT_SECRET: an HS256 secret must be at least 32 bytes");
        Path notAKey = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> Config.resolve(Map.of("jwt-public-key", notAKey.toString()), Map.of()))
                .hasMessageStartingWith("--jwt-public-key: ").hasMessageContaining("not a PEM RSA public key");
        assertThatThrownBy(() -> Config.resolve(Map.of("tls-cert", notAKey.toString()), Map.of()))
                .hasMessageStartingWith("--tls-cert: --tls-cert and --tls-key go together");
        assertThatThrownBy(() -> Config.resolve(Map.of("rate-limit", "lots"), Map.of()))
                .hasMessageStartingWith("--rate-limit: expected a rate like 100/s");
        assertThatThrownBy(() -> Config.resolve(Map.of("http-allow", "exa mple.com"), Map.of()))
                .hasMessageStartingWith("--http-allow: expected host patterns");
        assertThatThrownBy(() -> Config.resolve(Map.of("max-connections", "0"), Map.of()))
                .hasMessageStartingWith("--max-connections: expected a whole number from 1");
    }

    @Test
    void theJwtSecretNeverShowsInTheSettingsText() {
        String secret = "a secret that must never be printed, 32+ bytes";
        Config config = Config.resolve(Map.of(), Map.of("STEPSTREAM_JWT_SECRET", secret));
        assertThat(config.toString()).doesNotContain(secret).contains("jwtSecret=(set)");
    }

    @Test
    void limitsHaveGenerousDefaultsAndReadRates() {
        SecuritySettings.Limits defaults = Config.resolve(Map.of(), Map.of()).security().limits();
        assertThat(defaults).isEqualTo(SecuritySettings.DEFAULT_LIMITS);
        SecuritySettings.Limits given = Config.resolve(Map.of("rate-limit", "600/min", "stream-rate-limit", "5/s", "request-timeout", "5s"),
                Map.of()).security().limits();
        assertThat(given.requests()).isEqualTo(new SecuritySettings.Rate(600, Duration.ofMinutes(1)));
        assertThat(given.streams()).isEqualTo(new SecuritySettings.Rate(5, Duration.ofSeconds(1)));
        assertThat(given.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(Config.resolve(Map.of("http-allow", "API.example.com, *.internal.example:8443"), Map.of()).security().httpAllow())
                .containsExactly("api.example.com", "*.internal.example:8443");
    }
}
