package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.settings.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    @Test
    void defaultsServeOneMachineOnLoopback() {
        Config config = Config.resolve(Map.of(), Map.of());
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(config.workflowsDir()).isEqualTo(Path.of("./workflows"));
        assertThat(config.allowScripts()).isFalse();
        assertThat(config.maxConcurrentRuns()).isEqualTo(64);
    }

    @Test
    void aFlagBeatsTheVariableWhichBeatsTheFileWhichBeatsTheDefault(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("stepstream.yaml"), "port: 7000\nallow-scripts: true\nmax-concurrent-runs: 3\n");
        Config fromFile = Config.resolve(Map.of("config", file.toString()), Map.of());
        assertThat(fromFile.port()).isEqualTo(7000);
        assertThat(fromFile.allowScripts()).isTrue();
        assertThat(fromFile.maxConcurrentRuns()).isEqualTo(3);

        Config fromEnv = Config.resolve(Map.of("config", file.toString()), Map.of("STEPSTREAM_PORT", "9090"));
        assertThat(fromEnv.port()).isEqualTo(9090);

        Config fromFlag = Config.resolve(Map.of("config", file.toString(), "port", "9191"), Map.of("STEPSTREAM_PORT", "9090"));
        assertThat(fromFlag.port()).isEqualTo(9191);
        assertThat(Config.resolve(Map.of(), Map.of("STEPSTREAM_ALLOW_SCRIPTS", "true")).allowScripts()).isTrue();
    }

    /** The master key or a file holding it: whichever the source of higher precedence gives; one source giving both is an error. */
    @Test
    void aKeyFileFlagBeatsTheKeyVariableAndOneSourceMayNotGiveBoth() {
        String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        Config flagFile = Config.resolve(Map.of("secrets-key-file", "/keys/master.key", "secrets-previous-key-file", "/keys/old.key"),
                Map.of("STEPSTREAM_SECRETS_KEY", key, "STEPSTREAM_SECRETS_PREVIOUS_KEY", key));
        assertThat(flagFile.secrets().key()).isNull();
        assertThat(flagFile.secrets().keyFile()).isEqualTo(Path.of("/keys/master.key"));
        assertThat(flagFile.secrets().previousKey()).isNull();
        assertThat(flagFile.secrets().previousKeyFile()).isEqualTo(Path.of("/keys/old.key"));

        Config variableKey = Config.resolve(Map.of(), Map.of("STEPSTREAM_SECRETS_KEY", key));
        assertThat(variableKey.secrets().key()).isEqualTo(key);

        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_SECRETS_KEY", key, "STEPSTREAM_SECRETS_KEY_FILE", "/k")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("STEPSTREAM_SECRETS_KEY and STEPSTREAM_SECRETS_KEY_FILE give the same thing two ways: give one of them");
    }

    @Test
    void badValuesNameTheirSource(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Config.resolve(Map.of("port", "eighty"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--port: expected a whole number");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_PORT", "70000")))
                .hasMessageStartingWith("STEPSTREAM_PORT: expected a whole number from 0 to 65535");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_ALLOW_SCRIPTS", "maybe")))
                .hasMessageStartingWith("STEPSTREAM_ALLOW_SCRIPTS: expected true or false");
        Path twice = Files.writeString(dir.resolve("twice.yaml"), "port: 7000\nport: 7001\n");
        assertThatThrownBy(() -> Config.resolve(Map.of("config", twice.toString()), Map.of()))
                .hasMessageStartingWith("--config: cannot read " + twice + ": Duplicate field 'port'");
        Path file = Files.writeString(dir.resolve("bad.yaml"), "prot: 1\n");
        assertThatThrownBy(() -> Config.resolve(Map.of("config", file.toString()), Map.of()))
                .hasMessageContaining("unknown setting \"prot\"");
        assertThatThrownBy(() -> Config.resolve(Map.of("db", "mysql://x"), Map.of()))
                .hasMessageStartingWith("--db:");
    }

    @Test
    void aNonLoopbackBindNeedsInsecureUntilCredentialsExist() {
        assertThatThrownBy(() -> Config.resolve(Map.of("host", "0.0.0.0"), Map.of()))
                .hasMessageStartingWith("--host: refusing to listen on 0.0.0.0");
        assertThat(Config.resolve(Map.of("host", "0.0.0.0", "insecure", "true"), Map.of()).host()).isEqualTo("0.0.0.0");
    }

    /** A missing workflows directory loads nothing; a file given for one is a mistake, refused at start. */
    @Test
    void aWorkflowsDirectoryThatIsAFileIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("hello.yaml"), "id: hello\n");
        assertThatThrownBy(() -> Config.resolve(Map.of("workflows-dir", file.toString()), Map.of()))
                .hasMessage("--workflows-dir: " + file.toAbsolutePath() + " is not a directory");
        assertThat(Config.resolve(Map.of("workflows-dir", dir.resolve("none").toString()), Map.of()).workflowsDir())
                .isEqualTo(dir.resolve("none"));
    }

    /**
     * A variable set to nothing is how compose files and unit files unset one: it is not set, so
     * STEPSTREAM_INSECURE= leaves the refusal of an open non-loopback bind in place. An empty
     * flag or config value is no switch either.
     */
    @Test
    void anEmptyValueTurnsNoSwitchOn(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_HOST", "0.0.0.0", "STEPSTREAM_INSECURE", "")))
                .hasMessageStartingWith("STEPSTREAM_HOST: refusing to listen on 0.0.0.0");
        assertThat(Config.resolve(Map.of(), Map.of("STEPSTREAM_ALLOW_SCRIPTS", "")).allowScripts()).isFalse();
        assertThat(Config.resolve(Map.of(), Map.of("STEPSTREAM_PORT", "")).port()).isEqualTo(8080);
        assertThatThrownBy(() -> Config.resolve(Map.of("allow-scripts", ""), Map.of()))
                .hasMessage("--allow-scripts: expected true or false (or yes/no, on/off, 1/0), got \"\"");
        Path file = Files.writeString(dir.resolve("open.yaml"), "host: 0.0.0.0\ninsecure: \"\"\n");
        assertThatThrownBy(() -> Config.resolve(Map.of("config", file.toString()), Map.of()))
                .hasMessage("config file " + file + " key insecure: expected true or false (or yes/no, on/off, 1/0), got \"\"");
    }

    @Test
    void severalNodesShareAPostgresStoreAndARedisBroker() {
        Config config = Config.resolve(Map.of("db", "jdbc:postgresql://db/stepstream", "node-id", "web-1", "lease", "9s",
                "poll-interval", "250ms"), Map.of("STEPSTREAM_REDIS", "redis://cache:6379"));
        assertThat(config.redis()).isEqualTo("redis://cache:6379");
        assertThat(config.cluster()).isEqualTo(new ClusterSettings("web-1", java.time.Duration.ofSeconds(9),
                java.time.Duration.ofMillis(250)));
        Config defaults = Config.resolve(Map.of(), Map.of());
        assertThat(defaults.cluster().lease()).isEqualTo(java.time.Duration.ofSeconds(15));
        assertThat(defaults.cluster().pollInterval()).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(defaults.cluster().nodeId()).isNotEqualTo(Config.resolve(Map.of(), Map.of()).cluster().nodeId());
    }

    @Test
    void badClusterSettingsNameTheirSource() {
        String pg = "jdbc:postgresql://db/stepstream";
        assertThatThrownBy(() -> Config.resolve(Map.of("redis", "redis://cache:6379"), Map.of()))
                .hasMessageStartingWith("--redis: a Redis broker serves nodes that share a PostgreSQL store");
        assertThatThrownBy(() -> Config.resolve(Map.of("db", pg, "redis", "cache:6379"), Map.of()))
                .hasMessageStartingWith("--redis: expected a Redis URL (redis://HOST:PORT)");
        assertThatThrownBy(() -> Config.resolve(Map.of("db", pg, "redis", "redis://:secret@cache:6379/x"), Map.of()))
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> Config.resolve(Map.of("lease", "500ms"), Map.of()))
                .hasMessageStartingWith("--lease: must be at least 1s");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_POLL_INTERVAL", "often")))
                .hasMessageStartingWith("STEPSTREAM_POLL_INTERVAL: expected a duration");
        assertThatThrownBy(() -> Config.resolve(Map.of("node-id", "web 1"), Map.of()))
                .hasMessageStartingWith("--node-id: expected 1 to 100 letters");
    }

    @Test
    void logFormatAndStepLogEchoAreSettings() {
        Config defaults = Config.resolve(Map.of(), Map.of());
        assertThat(defaults.observability().logFormat()).isEqualTo(dev.stepstream.logging.LogFormat.TEXT);
        assertThat(defaults.observability().echoStepLogs()).isFalse();
        Config set = Config.resolve(Map.of("log-format", "json"), Map.of("STEPSTREAM_ECHO_STEP_LOGS", "true"));
        assertThat(set.observability().logFormat()).isEqualTo(dev.stepstream.logging.LogFormat.JSON);
        assertThat(set.observability().echoStepLogs()).isTrue();
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("STEPSTREAM_LOG_FORMAT", "xml")))
                .isInstanceOf(ConfigException.class).hasMessage("STEPSTREAM_LOG_FORMAT: expected text or json, got \"xml\"");
    }
}
