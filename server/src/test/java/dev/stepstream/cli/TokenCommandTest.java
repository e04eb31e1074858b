package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code stepstream token}, and every client command sending the token it is given. */
@Timeout(90)
class TokenCommandTest {
    @TempDir
    static Path dir;
    static Path tokens;
    static String operator;
    static String viewer;
    static TestServer server;

    record Result(int exitCode, String out, String err) {}

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void start() {
        tokens = dir.resolve("secrets/tokens");
        Result created = cli("token", "create", "--role", "operator", "--name", "ci", "--tokens-file", tokens.toString());
        assertThat(created.exitCode()).as(created.err()).isZero();
        operator = created.out().strip();
        viewer = cli("token", "create", "--role", "viewer", "--name", "dashboard", "--tokens-file", tokens.toString()).out().strip();
        Result admin = cli("token", "create", "--role", "admin", "--name", "ops", "--tokens-file", tokens.toString());
        server = TestServer.start(dir, config -> config.withSecurity(config.security().withTokensFile(tokens)));
        Result applied = cli("workflows", "apply", writeHello().toString(), "--server", server.url(), "--token", admin.out().strip());
        assertThat(applied.exitCode()).as(applied.err()).isZero();
    }

    static Path writeHello() {
        try {
            return Files.writeString(dir.resolve("tok-hello.yaml"), "id: tok-hello\nsteps:\n  - {id: a, type: log, message: hi}\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void createPrintsTheTokenOnceAndKeepsOnlyItsHash() throws Exception {
        assertThat(operator).startsWith("ss_").hasSizeGreaterThan(40);
        String file = Files.readString(tokens);
        assertThat(file).doesNotContain(operator).contains("ci operator sha256:");
        assertThat(Files.getPosixFilePermissions(tokens)).extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        Result list = cli("token", "list", "--tokens-file", tokens.toString());
        assertThat(list.out()).contains("ci", "operator", "dashboard", "viewer").doesNotContain(operator);
    }

    @Test
    void createRefusesABadRoleOrATakenName() {
        Result badRole = cli("token", "create", "--role", "root", "--name", "x", "--tokens-file", tokens.toString());
        assertThat(badRole.exitCode()).isEqualTo(2);
        assertThat(badRole.err()).contains("--role: expected viewer, operator or admin");
        Result taken = cli("token", "create", "--role", "viewer", "--name", "ci", "--tokens-file", tokens.toString());
        assertThat(taken.exitCode()).isEqualTo(2);
        assertThat(taken.err()).contains("a token named ci exists");
    }

    @Test
    void everyClientCommandSendsTheToken() {
        Result run = cli("run", "tok-hello", "--follow", "--server", server.url(), "--token", operator);
        assertThat(run.exitCode()).as(run.err()).isZero();
        Result started = cli("run", "tok-hello", "--server", server.url(), "--token", operator);
        assertThat(started.exitCode()).as(started.err()).isZero();
        String runId = started.out().strip();
        Result follow = cli("follow", runId, "--server", server.url(), "--token", viewer);
        assertThat(follow.exitCode()).as(follow.err()).isZero();
        Result runs = cli("runs", "--server", server.url(), "--token", viewer);
        assertThat(runs.exitCode()).as(runs.err()).isZero();
        assertThat(runs.out()).contains(runId);
    }

    @Test
    void withoutATokenOrWithTooSmallARoleCommandsSayWhy() {
        Result runs = cli("runs", "--server", server.url());
        assertThat(runs.exitCode()).isEqualTo(1);
        assertThat(runs.err()).contains("this server needs a token");
        Result apply = cli("workflows", "apply", writeHello().toString(), "--server", server.url(), "--token", viewer);
        assertThat(apply.exitCode()).isEqualTo(1);
        assertThat(apply.err()).contains("the role viewer may not PUT", "it needs admin");
        Result status = cli("status", "--interval", "10ms", "--server", server.url());
        assertThat(status.exitCode()).as("a refused request").isEqualTo(1);
        assertThat(status.err().lines()).singleElement().asString()
                .startsWith("stepstream status: GET /metrics: this server needs a token")
                .endsWith("(give a token with --token or STEPSTREAM_TOKEN)");
        Result follow = cli("follow", "00000000-0000-0000-0000-000000000000", "--server", server.url());
        assertThat(follow.exitCode()).as("a refused request").isEqualTo(1);
        assertThat(follow.err().lines()).singleElement().asString()
                .contains("this server needs a token", "--token or STEPSTREAM_TOKEN");
    }

    /**
     * A token read from a file or a Kubernetes secret often ends in a newline: it is sent
     * without the whitespace around it, from --token as from STEPSTREAM_TOKEN.
     */
    @Test
    void aTokenIsSentWithoutTheWhitespaceAroundIt() throws Exception {
        Result runs = cli("runs", "--server", server.url(), "--token", viewer + "\n");
        assertThat(runs.exitCode()).as(runs.err()).isZero();
        Result status = cli("status", "--interval", "10ms", "--server", server.url(), "--token", " " + viewer + "\r\n");
        assertThat(status.exitCode()).as(status.err()).isZero();
        Result started = cli("run", "tok-hello", "--server", server.url(), "--token", operator + "\n");
        assertThat(started.exitCode()).as(started.err()).isZero();
        Result follow = cli("follow", started.out().strip(), "--server", server.url(), "--token", "\t" + viewer + "\n");
        assertThat(follow.exitCode()).as(follow.err()).isZero();
        CliTest.Result fromEnvironment = CliTest.cliProcess(Map.of("STEPSTREAM_SERVER", server.url(), "STEPSTREAM_TOKEN", viewer + "\n"),
                "follow", started.out().strip());
        assertThat(fromEnvironment.exitCode()).as(fromEnvironment.err()).isZero();
    }

    /** A token that holds what no token has is a usage error that says where, and never shows the token. */
    @Test
    void aTokenWithACharacterNoTokenHasIsAUsageErrorThatNeverShowsIt() throws Exception {
        String secret = viewer.substring(0, 20);
        for (var bad : Map.of(secret + "\u0007" + secret, "a control character, character 21 of 41",
                secret + " " + secret, "a space, character 21 of 41", secret + "é" + secret, "a character that is not ASCII, character 21 of 41",
                "\n" + secret + "\nx", "a control character, character 22 of 23").entrySet()) {
            for (List<String> command : List.of(List.of("runs"), List.of("status"), List.of("follow", "00000000-0000-0000-0000-000000000000"))) {
                List<String> args = new ArrayList<>(command);
                args.addAll(List.of("--server", server.url(), "--token", bad.getKey()));
                Result result = cli(args.toArray(String[]::new));
                assertThat(result.exitCode()).as("%s: %s", command, result.err()).isEqualTo(2);
                assertThat(result.err().lines()).as("%s", command).singleElement().asString().isEqualTo("stepstream " + command.get(0)
                        + ": --token: holds a character a token cannot have (" + bad.getValue() + ")");
                assertThat(result.out() + result.err()).as("%s", command).doesNotContain(secret);
            }
        }
        CliTest.Result fromEnvironment = CliTest.cliProcess(Map.of("STEPSTREAM_SERVER", server.url(), "STEPSTREAM_TOKEN",
                secret + "\u001b" + secret), "runs");
        assertThat(fromEnvironment.exitCode()).isEqualTo(2);
        assertThat(fromEnvironment.err()).contains("stepstream runs: STEPSTREAM_TOKEN: holds a character a token cannot have"
                + " (a control character, character 21 of 41)");
        assertThat(fromEnvironment.out() + fromEnvironment.err()).doesNotContain(secret);
    }

    /**
     * What is wrong with the tokens file is one line, after the command's name as every command's
     * is, that names the flag, the file and why in words; the file given is a usage error (exit 2).
     */
    @Test
    void aTokensFileThatCannotBeUsedIsAUsageErrorSaidInOneLine() throws Exception {
        Path missing = dir.resolve("no-such-dir/tokens");
        Result list = cli("token", "list", "--tokens-file", missing.toString());
        assertThat(list.exitCode()).isEqualTo(2);
        assertThat(list.err()).isEqualTo("stepstream token list: --tokens-file " + missing + ": no such file" + System.lineSeparator());
        Result revoke = cli("token", "revoke", "ci", "--tokens-file", missing.toString());
        assertThat(revoke.exitCode()).isEqualTo(2);
        assertThat(revoke.err()).isEqualTo("stepstream token revoke: --tokens-file " + missing + ": no such file" + System.lineSeparator());

        Path malformed = Files.writeString(dir.resolve("malformed-tokens"), "ci operator md5:abc\n");
        for (String command : List.of("list", "create")) {
            Result result = command.equals("list") ? cli("token", "list", "--tokens-file", malformed.toString())
                    : cli("token", "create", "--role", "viewer", "--name", "new", "--tokens-file", malformed.toString());
            assertThat(result.exitCode()).as(command).isEqualTo(2);
            assertThat(result.err()).as(command).isEqualTo("stepstream token " + command + ": --tokens-file " + malformed
                    + ": not a tokens file: line 1: expected NAME ROLE sha256:HEX (64 hex digits)" + System.lineSeparator());
        }
        Result directory = cli("token", "create", "--role", "viewer", "--name", "new", "--tokens-file", dir.toString());
        assertThat(directory.exitCode()).isEqualTo(2);
        assertThat(directory.err().lines()).singleElement().asString()
                .startsWith("stepstream token create: --tokens-file " + dir + ": ").doesNotEndWith(dir.toString());

        Result noSuchToken = cli("token", "revoke", "nobody", "--tokens-file", tokens.toString());
        assertThat(noSuchToken.exitCode()).as("a token that is not there, as a refused request").isEqualTo(1);
        assertThat(noSuchToken.err()).isEqualTo("stepstream token revoke: no token named nobody in " + tokens + System.lineSeparator());
    }

    @Test
    void theTokenMayComeFromTheEnvironment() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "dev.stepstream.Main", "runs", "--json")).redirectErrorStream(true);
        builder.environment().put("STEPSTREAM_SERVER", server.url());
        builder.environment().put("STEPSTREAM_TOKEN", viewer);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("\"runs\"");
    }

    @Test
    void revokeRemovesTheLine() throws Exception {
        Result created = cli("token", "create", "--role", "viewer", "--name", "short-lived", "--tokens-file", tokens.toString());
        assertThat(created.exitCode()).isZero();
        assertThat(cli("token", "revoke", "short-lived", "--tokens-file", tokens.toString()).exitCode()).isZero();
        assertThat(Files.readString(tokens)).doesNotContain("short-lived");
        Result again = cli("token", "revoke", "short-lived", "--tokens-file", tokens.toString());
        assertThat(again.exitCode()).isEqualTo(1);
        List<String> names = new ArrayList<>();
        cli("token", "list", "--tokens-file", tokens.toString()).out().lines().forEach(line -> names.add(line.split("\\s+")[0]));
        assertThat(names).contains("ci", "dashboard").doesNotContain("short-lived");
    }
}
