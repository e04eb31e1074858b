package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code follow} in a real terminal: tmux, on a socket of the test's own, whose screen, pane
 * title and cell colours the test reads back ({@code capture-pane}, {@code display}). A run's
 * escape sequences must neither retitle nor clear the terminal, its colours must show, and the
 * rest must be there to read. A control pane prints the same sequences raw, to show that this
 * tmux would have obeyed them. Skipped where tmux is missing, except in CI (env {@code CI}),
 * where that fails.
 */
@Timeout(120)
class TerminalFollowTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static TestServer server;
    static Tmux tmux;

    @BeforeAll
    static void start() throws IOException {
        tmux = Tmux.start(dir.resolve("tmux.sock"));
        server = TestServer.start(dir.resolve("server"));
        server.apply(Yaml.fixture("hostile-output.yaml"));
        server.apply(Yaml.fixture("st-quiet.yaml"));
    }

    @AfterAll
    static void stop() {
        if (tmux != null) {
            tmux.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRunsEscapeSequencesNeitherRetitleNorClearTheTerminalAndItsColoursShow() throws IOException {
        String runId = server.execute("hostile-output", null);
        server.awaitHistory(runId);
        Pane pane = tmux.pane("follow", javaCommand("follow", runId, "--server", server.url()));

        pane.go();
        String screen = pane.awaitScreen("follow has ended", text -> text.contains("exited with"));

        assertThat(screen).as("not cleared: the line printed before is still on screen").contains("before the run");
        assertThat(screen).contains("exited with 1");
        assertThat(tmux.display(pane.name, "#{pane_title}")).as("the title").isEqualTo(Pane.TITLE);
        assertThat(tmux.display(pane.name, "#{alternate_on}")).as("no alternate screen").isEqualTo("0");
        assertThat(screen.lines().map(String::stripTrailing)).as("the sequences shown as text").contains(
                "▶ attack␛]2;name-title␇",
                "  info  attack: ␛]0;pwned␇␛[2J␛[Hcleared␛[?1049h␍back␈␇␛[2J end",
                "  info  lines: first",
                "        second red",
                "        third",
                "  info  script: ␛]2;script-title␇green",
                "  outputs: key=␛]2;output-title␇v");
        assertThat(screen).contains("error: ␛]2;error-title␇␛[2Jkaput");

        Cells cells = new Cells(tmux.capture(pane.name, true));
        assertThat(cells.text()).as("the escaped capture reads as the plain one").isEqualTo(tmux.capture(pane.name, false));
        assertThat(cells.at("red bold").get("fg")).as("16 colours").isEqualTo("31");
        assertThat(cells.at("bold c208").get("bold")).isEqualTo("1");
        assertThat(cells.at("c208").get("fg")).as("256 colours").isEqualTo("38;5;208");
        assertThat(cells.at("rgb").get("fg")).as("truecolour").isEqualTo("38;2;0;128;255");
        assertThat(cells.at("left on")).containsEntry("underline", "4").containsEntry("fg", "32");
        assertThat(cells.at("✔ colours")).as("a message's colours end with it").doesNotContainKey("underline");
        assertThat(cells.at("red\n")).as("a colour left on at a line's end").containsEntry("fg", "31");
        assertThat(cells.at("        third")).as("ends with the line").doesNotContainKey("fg");
    }

    @Test
    void aSilentStepShowsItsElapsedTimeTickingAndCtrlCSaysTheRunGoesOnAndExits130() throws IOException {
        // The pane's shell traps Ctrl-C (its child gets the default action back) to live on and say how the CLI exited.
        Pane pane = tmux.pane("quiet", "trap true INT; " + javaCommand("run", "st-quiet", "--input", "pause=60s", "--follow", "--server", server.url()));
        Pattern ticking = Pattern.compile("[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] wait {2}running (\\d+)s");

        pane.go();
        String first = pane.awaitScreen("the status line of the silent step", text -> ticking.matcher(text).find());
        Matcher seen = ticking.matcher(first);
        assertThat(seen.find()).isTrue();
        String later = pane.awaitScreen("the elapsed time ticks", text -> {
            Matcher now = ticking.matcher(text);
            return now.find() && !now.group(1).equals(seen.group(1));
        });
        assertThat(later.lines().filter(line -> ticking.matcher(line).find()))
                .as("one status line, redrawn in place").hasSize(1);
        assertThat(later).contains("  info  hello");
        Matcher run = Pattern.compile("run ([0-9a-f-]{36}) of st-quiet").matcher(later);
        assertThat(run.find()).isTrue();
        String runId = run.group(1);

        tmux.run("send-keys", "-t", pane.name, "C-c");
        String screen = pane.awaitScreen("follow has ended", text -> text.contains("exited with"));

        assertThat(tmux.run("capture-pane", "-p", "-J", "-t", pane.name)).as("the notice, its wrapped lines joined").contains("run " + runId + " continues on the server; to cancel it: stepstream cancel " + runId);
        assertThat(screen).contains("exited with 130");
        assertThat(screen).as("the status line was erased").doesNotContainPattern(ticking.pattern());
        assertThat(server.run(runId).path("status").asText()).as("the run goes on").isEqualTo("running");
        server.post("/api/v2/workflows/runs/" + runId + "/cancel", "{}");
    }

    @Test
    void pipedOutputGetsNoStatusLine() throws IOException {
        Pane pane = tmux.pane("piped", javaCommand("run", "st-quiet", "--input", "pause=3s", "--follow", "--server", server.url())
                + " | cat -v");

        pane.go();
        String screen = pane.awaitScreen("the run has ended", text -> text.contains("exited with"));

        assertThat(screen).contains("  info  bye").contains("exited with 0").doesNotContain("running").doesNotContain("^[");
    }

    @Test
    void theSameSequencesPrintedRawWouldRetitleAndClearThisTerminal() throws IOException {
        Pane pane = tmux.pane("control", "printf '\\033]2;pwned\\007\\033[2J\\033[H\\033[31mred\\033[0m raw\\n'; echo 'exited with 0'");

        pane.go();
        String screen = pane.awaitScreen("the raw sequences were printed", text -> text.contains("exited with"));

        assertThat(screen).doesNotContain("before the run").contains("red raw");
        assertThat(tmux.display(pane.name, "#{pane_title}")).isEqualTo("pwned");
        assertThat(new Cells(tmux.capture(pane.name, true)).at("red raw")).containsEntry("fg", "31");
    }

    /** The command line that runs {@code stepstream ARGS} from the classes under test, quoted for sh. */
    private static String javaCommand(String... args) {
        List<String> words = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.stepstream.Main"));
        words.addAll(List.of(args));
        return String.join(" ", words.stream().map(word -> "'" + word.replace("'", "'\\''") + "'").toList());
    }

    /** A tmux server of the test's own (its own socket, no configuration file), for the panes of the test. */
    record Tmux(Path socket) implements AutoCloseable {
        static Tmux start(Path socket) throws IOException {
            try {
                Process version = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
                if (!version.waitFor(10, TimeUnit.SECONDS) || version.exitValue() != 0) {
                    throw new IOException("tmux -V failed");
                }
            } catch (IOException e) {
                if (System.getenv("CI") != null) {
                    fail("tmux is needed for this test in CI and cannot be run: " + e.getMessage());
                }
                Assumptions.abort("tmux is not installed: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return new Tmux(socket);
        }

        /** Runs a tmux command on this server; returns its stdout, or fails with its stderr. */
        String run(String... args) {
            List<String> command = new ArrayList<>(List.of("tmux", "-u", "-S", socket.toString(), "-f", "/dev/null"));
            command.addAll(List.of(args));
            try {
                Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
                byte[] out = process.getInputStream().readAllBytes();
                String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    throw new AssertionError(String.join(" ", command) + " failed: " + err);
                }
                return new String(out, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new AssertionError(String.join(" ", command) + " failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        /**
         * A pane of 120 × 40 in a session of its own that prints "before the run", waits for
         * {@link Pane#go}, then runs {@code command} in a UTF-8 locale without {@code NO_COLOR},
         * says how it exited, and stays open to be read.
         */
        Pane pane(String name, String command) throws IOException {
            Path go = dir.resolve(name + ".go");
            Path script = Files.writeString(dir.resolve(name + ".sh"), """
                    export LANG=C.UTF-8 LC_ALL=C.UTF-8
                    unset NO_COLOR
                    printf 'before the run\\n'
                    while [ ! -f '%s' ]; do sleep 0.02; done
                    %s
                    echo "exited with $?"
                    exec sleep 600
                    """.formatted(go, command));
            run("new-session", "-d", "-x", "120", "-y", "40", "-s", name, "sh " + script);
            Pane pane = new Pane(this, name, go);
            pane.awaitScreen("the pane is ready", text -> text.contains("before the run"));
            run("select-pane", "-t", name, "-T", Pane.TITLE);
            return pane;
        }

        /** The pane's screen as text, or with {@code escapes} with the SGR sequences of its cells' attributes. */
        String capture(String target, boolean escapes) {
            return escapes ? run("capture-pane", "-p", "-e", "-t", target) : run("capture-pane", "-p", "-t", target);
        }

        String display(String target, String format) {
            return run("display-message", "-p", "-t", target, format).strip();
        }

        @Override
        public void close() {
            try {
                run("kill-server");
            } catch (AssertionError alreadyGone) {
                // no session was ever started
            }
        }
    }

    /** A pane whose command waits until {@code signal} exists. */
    record Pane(Tmux tmux, String name, Path signal) {
        /** The pane's title before its command runs, to see whether the command changed it. */
        static final String TITLE = "stepstream-test";

        void go() throws IOException {
            Files.createFile(signal);
        }

        String awaitScreen(String what, java.util.function.Predicate<String> done) {
            return Await.until(what, DEADLINE, () -> {
                String screen = tmux.capture(name, false);
                return done.test(screen) ? screen : null;
            });
        }
    }

    /**
     * A screen captured with {@code -e}, read as a terminal would: the text, and the attributes
     * (foreground colour, bold, underline) in force at a place in it.
     */
    static final class Cells {
        private static final Pattern SGR = Pattern.compile("\u001b\\[([0-9;]*)m");
        private final StringBuilder text = new StringBuilder();
        private final List<Map<String, String>> attributes = new ArrayList<>();

        Cells(String captured) {
            Map<String, String> state = new HashMap<>();
            Matcher sgr = SGR.matcher(captured);
            int i = 0;
            while (i < captured.length()) {
                if (sgr.find(i) && sgr.start() == i) {
                    apply(state, sgr.group(1).isEmpty() ? new String[] {"0"} : sgr.group(1).split(";"));
                    i = sgr.end();
                } else {
                    text.append(captured.charAt(i++));
                    attributes.add(Map.copyOf(state));
                }
            }
        }

        String text() {
            return text.toString();
        }

        /** The attributes of the first character of {@code what}, which must be on the screen. */
        Map<String, String> at(String what) {
            int index = text.indexOf(what);
            assertThat(index).as("%s on the screen:%n%s", what, text).isNotNegative();
            return attributes.get(index);
        }

        private static void apply(Map<String, String> state, String[] p) {
            for (int k = 0; k < p.length; k++) {
                int code = Integer.parseInt(p[k]);
                switch (code) {
                    case 0 -> state.clear();
                    case 1 -> state.put("bold", "1");
                    case 22 -> state.remove("bold");
                    case 4 -> state.put("underline", "4");
                    case 24 -> state.remove("underline");
                    case 39 -> state.remove("fg");
                    case 38 -> {
                        int take = p[k + 1].equals("5") ? 2 : 4;
                        state.put("fg", String.join(";", List.of(p).subList(k, k + take + 1)));
                        k += take;
                    }
                    case 48 -> k += p[k + 1].equals("5") ? 2 : 4;
                    default -> {
                        if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
                            state.put("fg", String.valueOf(code));
                        }
                    }
                }
            }
        }
    }
}
