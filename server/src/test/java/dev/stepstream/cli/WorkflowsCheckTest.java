package dev.stepstream.cli;

import static dev.stepstream.cli.CliTest.cli;
import static dev.stepstream.cli.CliTest.cliProcess;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.app.Config;
import dev.stepstream.cli.CliTest.Result;
import dev.stepstream.json.Json;
import dev.stepstream.security.SecuritySettings;
import dev.stepstream.testing.RepositoryFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code stepstream workflows check}: files judged as a server would take them, with no server at all. */
@Timeout(60)
class WorkflowsCheckTest {
    @TempDir
    Path dir;

    private static final String NL = System.lineSeparator();

    private Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static String[] check(Object... args) {
        return Stream.concat(Stream.of("workflows", "check"), Stream.of(args).map(Object::toString)).toArray(String[]::new);
    }

    @Test
    void validYamlAndJsonFilesAreEachOneLineOnStdout() throws IOException {
        Path yaml = file("deploy.yaml", """
                id: deploy
                inputs:
                  env: {type: string, default: staging}
                steps:
                  - {id: announce, type: log, message: "deploying to ${inputs.env}"}
                  - {id: wait, type: sleep, duration: 1s}
                """);
        Path json = file("notify.json", """
                {"id": "notify", "steps": [{"id": "say", "type": "log", "message": "done"}]}
                """);

        Result checked = cli(check(yaml, json));

        assertThat(checked.exitCode()).as(checked.err()).isZero();
        assertThat(checked.out()).isEqualTo(yaml + ": ok, workflow deploy (2 steps)" + NL + json + ": ok, workflow notify (1 step)" + NL);
        assertThat(checked.err()).isEmpty();
    }

    /** JSON for a .json, as apply sends it: YAML in a .json file does not parse, and JSON in a .yaml does. */
    @Test
    void aFileIsJsonByItsExtensionAsApplySendsIt() throws IOException {
        Path yamlInJson = file("yaml.json", "id: yaml\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Path jsonInYaml = file("json.yaml", "{\"id\": \"json\", \"steps\": [{\"id\": \"a\", \"type\": \"log\", \"message\": \"hi\"}]}\n");

        Result checked = cli(check(yamlInJson, jsonInYaml));

        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.err()).startsWith(yamlInJson + ": line 1, column ");
        assertThat(checked.out()).isEqualTo(jsonInYaml + ": ok, workflow json (1 step)" + NL);
    }

    @Test
    void anInvalidFileListsEveryProblemOnALineOfItsOwnWithItsPathAsThe422Does() throws IOException {
        Path bad = file("bad.yaml", """
                id: bad
                colour: blue
                steps:
                  - {id: a, type: teleport}
                  - {id: b, type: log}
                  - {id: b, type: sleep, duration: soon}
                """);

        Result checked = cli(check(bad));

        assertThat(checked.exitCode()).isEqualTo(1);
        assertThat(checked.out()).isEmpty();
        List<String> lines = checked.err().lines().toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(4).allSatisfy(line -> assertThat(line).startsWith(bad + ": "));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith(bad + ": colour: "))
                .anySatisfy(line -> assertThat(line).startsWith(bad + ": steps[0].type: unknown step type \"teleport\""))
                .anySatisfy(line -> assertThat(line).startsWith(bad + ": steps[1].message: "))
                .anySatisfy(line -> assertThat(line).startsWith(bad + ": steps[2].id: duplicate id \"b\""))
                .anySatisfy(line -> assertThat(line).startsWith(bad + ": steps[2].duration: "));
    }

    @Test
    void aScriptStepIsRefusedWithoutAllowScriptsAndTakenWithItAsServeTakesIt() throws Exception {
        Path script = file("build.yaml", "id: build\nsteps:\n  - {id: make, type: script, run: make}\n");

        Result refused = cli(check(script));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo(script + ": steps[0].type: script steps are disabled on this server"
                + " (start it with --allow-scripts)" + NL);

        // The switch stands alone before a file, as after it; a value is taken only if it is one.
        for (List<String> allowed : List.of(List.of("--allow-scripts", script.toString()), List.of(script.toString(), "--allow-scripts"),
                List.of("--allow-scripts=yes", script.toString()), List.of("--allow-scripts", "true", script.toString()))) {
            Result ok = cli(check(allowed.toArray()));
            assertThat(ok.exitCode()).as("%s: %s", allowed, ok.err()).isZero();
            assertThat(ok.out()).isEqualTo(script + ": ok, workflow build (1 step)" + NL);
        }
        assertThat(cli(check("--allow-scripts", "false", script)).exitCode()).isEqualTo(1);
        Result bad = cli(check("--allow-scripts=maybe", script));
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("stepstream workflows check: --allow-scripts: expected true or false (or yes/no, on/off, 1/0),"
                + " got \"maybe\"" + NL);

        // The server's variable and config file count as for serve, a flag first; an empty variable is no value.
        assertThat(cliProcess(Map.of("STEPSTREAM_ALLOW_SCRIPTS", "true"), check(script)).exitCode()).isZero();
        assertThat(cliProcess(Map.of("STEPSTREAM_ALLOW_SCRIPTS", "true"), check("--allow-scripts=false", script)).exitCode()).isEqualTo(1);
        assertThat(cliProcess(Map.of("STEPSTREAM_ALLOW_SCRIPTS", ""), check(script)).exitCode()).isEqualTo(1);
        Path config = file("server.yaml", "allow-scripts: true\nport: 9090\ndata-dir: /var/lib/stepstream\n");
        Result fromFile = cli(check("--config", config, script));
        assertThat(fromFile.exitCode()).as(fromFile.err()).isZero();
        Result unknown = cli(check("--config", file("typo.yaml", "allow-script: true\n"), script));
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown setting \"allow-script\"");
    }

    @Test
    void anHttpStepToAHostOutsideHttpAllowIsRefusedAsTheServerRefusesIt() throws Exception {
        Path calls = file("calls.yaml", """
                id: calls
                steps:
                  - {id: api, type: http, url: "https://api.example.com/v1/ping"}
                  - {id: other, type: http, url: "https://other.example.org/"}
                """);

        Result refused = cli(check("--http-allow", "API.example.com,*.internal", calls));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo(calls + ": steps[1].url: host other.example.org is not in --http-allow" + NL);

        assertThat(cli(check("--http-allow", "*.example.com,*.example.org", calls)).exitCode()).isZero();
        assertThat(cliProcess(Map.of("STEPSTREAM_HTTP_ALLOW", "api.example.com"), check(calls)).err())
                .contains("host other.example.org is not in --http-allow");
        Result badPattern = cli(check("--http-allow", "http://api.example.com", calls));
        assertThat(badPattern.exitCode()).isEqualTo(2);
        assertThat(badPattern.err()).contains("--http-allow: expected host patterns like api.example.com");
    }

    /**
     * Without --http-allow, cloud metadata addresses are refused as the server refuses them; a URL
     * to this machine is not, since no server's port is known here (the server refuses its own).
     */
    @Test
    void withoutHttpAllowCloudMetadataIsRefusedAndThisMachineIsNot() throws IOException {
        Path calls = file("calls.yaml", """
                id: calls
                steps:
                  - {id: metadata, type: http, url: "http://169.254.169.254/latest/meta-data/"}
                  - {id: local, type: http, url: "http://127.0.0.1:8080/api/v2/workflows"}
                """);

        Result checked = cli(check(calls));

        assertThat(checked.exitCode()).isEqualTo(1);
        assertThat(checked.err()).isEqualTo(calls + ": steps[0].url: link-local addresses (169.254.169.254, where cloud metadata lives)"
                + " may not be called unless listed in --http-allow" + NL);
    }

    @Test
    void aYamlSyntaxErrorIsExit2WithItsLineAndColumnAsThe400SaysIt() throws IOException {
        Path broken = file("broken.yaml", "id: broken\nsteps:\n  - {id: a, type: log, message: hi\n");

        Result checked = cli(check(broken));

        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.err()).matches(Pattern.quote(broken + ": line ") + "\\d+, column \\d+: .+" + NL);
        Result duplicateKey = cli(check(file("twice.yaml", "id: twice\nid: again\nsteps: []\n")));
        assertThat(duplicateKey.err()).endsWith(": line 2, column 1: duplicate key \"id\"" + NL);
    }

    @Test
    void aMissingFileOrADirectoryIsExit2AndTheOtherFilesAreStillChecked() throws IOException {
        Path good = file("good.yaml", "id: good\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Path missing = dir.resolve("missing.yaml");

        Result checked = cli(check(missing, dir, good));

        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.err()).isEqualTo(missing + ": cannot read: no such file" + NL
                + dir + ": not a regular file of at most 1 MiB" + NL);
        assertThat(checked.out()).isEqualTo(good + ": ok, workflow good (1 step)" + NL);
    }

    /** 1 MiB, as the workflows directory and the API take a definition: one byte more is not read. */
    @Test
    void aFileOfOneMebibyteIsCheckedAndOneByteMoreIsRefused() throws IOException {
        String workflow = "id: big\nsteps:\n  - {id: a, type: log, message: hi}\n#";
        String padding = "x".repeat(1024 * 1024 - workflow.length() - 1) + "\n";
        Path exactly = file("exactly.yaml", workflow + padding);
        Path over = file("over.yaml", workflow + "x" + padding);
        assertThat(Files.size(exactly)).isEqualTo(1024 * 1024);

        Result checked = cli(check(exactly, over));

        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.out()).isEqualTo(exactly + ": ok, workflow big (1 step)" + NL);
        assertThat(checked.err()).isEqualTo(over + ": not a regular file of at most 1 MiB" + NL);
    }

    @Test
    void theReservedIdRunsIsRefused() throws IOException {
        Path runs = file("runs.yaml", "id: runs\nsteps:\n  - {id: a, type: log, message: hi}\n");

        Result checked = cli(check(runs));

        assertThat(checked.exitCode()).isEqualTo(1);
        assertThat(checked.err()).isEqualTo(runs + ": id: \"runs\" is reserved" + NL);
    }

    /** As the workflows directory refuses a second file with an id, and as apply would replace one file's workflow by the other's. */
    @Test
    void aSecondFileWithTheIdOfAnEarlierOneIsRefused() throws IOException {
        Path first = file("a.yaml", "id: shared\nsteps:\n  - {id: a, type: log, message: one}\n");
        Path second = file("b.yaml", "id: shared\nsteps:\n  - {id: a, type: log, message: two}\n");
        // No id: the file's name, as apply puts it (PUT /api/v2/workflows/shared).
        Path third = file("shared.yml", "steps:\n  - {id: a, type: log, message: three}\n");

        Result checked = cli(check(first, second, third));

        assertThat(checked.exitCode()).isEqualTo(1);
        assertThat(checked.out()).isEqualTo(first + ": ok, workflow shared (1 step)" + NL);
        assertThat(checked.err()).isEqualTo(second + ": id: \"shared\" is defined by " + first + " already" + NL
                + third + ": id: \"shared\" is defined by " + first + " already" + NL);
    }

    @Test
    void jsonPrintsOneDocumentOfEveryFileAndTheWorstFileDecidesTheExitCode() throws IOException {
        Path good = file("good.yaml", "id: good\nsteps:\n  - {id: a, type: log, message: hi}\n  - {id: b, type: log, message: bye}\n");
        Path bad = file("bad.yaml", "id: bad\nsteps:\n  - {id: a, type: teleport}\n");
        Path broken = file("broken.yaml", "id: [broken\n");
        Path missing = dir.resolve("missing.yaml");

        Result checked = cli(check("--json", good, bad, broken, missing));

        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.err()).isEmpty();
        assertThat(checked.out().lines()).hasSize(1);
        JsonNode files = Json.parseTrusted(checked.out().getBytes(StandardCharsets.UTF_8)).path("files");
        assertThat(files).hasSize(4);
        assertThat(files.get(0).toString()).isEqualTo(Json.object().put("file", good.toString()).put("id", "good").put("valid", true)
                .put("steps", 2).toString());
        assertThat(files.get(1).path("valid").asBoolean(true)).isFalse();
        assertThat(files.get(1).path("problems").toString()).isEqualTo(
                "[{\"path\":\"steps[0].type\",\"message\":\"unknown step type \\\"teleport\\\" (expected log, set, sleep, http, script,"
                        + " fail, workflow or approval)\"}]");
        assertThat(files.get(2).path("error").asText()).startsWith("line 2, column 1: ");
        assertThat(files.get(2).path("line").asInt()).isEqualTo(2);
        assertThat(files.get(2).path("column").asInt()).isEqualTo(1);
        assertThat(files.get(3).toString()).isEqualTo(Json.object().put("file", missing.toString()).put("valid", false)
                .put("error", "cannot read: no such file").toString());

        assertThat(cli(check(good, bad)).exitCode()).isEqualTo(1);
        assertThat(cli(check(bad, broken, good)).exitCode()).isEqualTo(2);
        assertThat(cli(check("--json", good)).exitCode()).isZero();
    }

    /** The file's name, and whatever the messages quote from it, cannot drive the terminal. */
    @Test
    void controlCharactersFromAFileAreShownNotObeyed() throws IOException {
        Path titled = file("evil\u001b]0;pwned\u0007.yaml", "id: evil\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Path cleared = file("clear.yaml", "id: clear\nsteps:\n  - {id: \"a\\e[2J\", type: log, message: hi}\n");

        Result checked = cli(check(titled, cleared));

        assertThat(checked.out() + checked.err()).doesNotContain("\u001b", "\u0007");
        assertThat(checked.out()).contains("evil.yaml: ok, workflow evil").doesNotContain("pwned");
        assertThat(checked.err()).startsWith(cleared + ": steps[0].id: ");
    }

    /** No server, no data directory, no cache: a check in an empty directory, with an empty home, leaves both empty. */
    @Test
    void itCreatesNothingInTheWorkingDirectoryNorInHome(@TempDir Path work, @TempDir Path home) throws Exception {
        Path good = file("good.yaml", "id: good\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Path bad = file("bad.yaml", "id: bad\nsteps:\n  - {id: a, type: script, run: rm -rf /}\n");

        Result checked = cliProcess(work, Map.of("HOME", home.toString()), check(good, bad));
        Result json = cliProcess(work, Map.of("HOME", home.toString()), check("--json", "--allow-scripts", good, bad));

        assertThat(checked.exitCode()).as(checked.err()).isEqualTo(1);
        assertThat(json.exitCode()).as(json.err()).isZero();
        try (Stream<Path> inWork = Files.list(work); Stream<Path> inHome = Files.list(home)) {
            assertThat(inWork).isEmpty();
            assertThat(inHome).isEmpty();
        }
    }

    @Test
    void helpDescribesTheSettingsInServesWords() {
        Result help = cli("workflows", "check", "--help");

        assertThat(help.exitCode()).isZero();
        String words = help.out().replaceAll("\\s+", " ");
        assertThat(words).contains("--allow-scripts[=BOOL] " + Config.ALLOW_SCRIPTS.help())
                .contains("--http-allow=HOSTS " + SecuritySettings.HTTP_ALLOW.help().replaceAll("\\s+", " "))
                .contains("--json", "FILE...");
        assertThat(cli("workflows", "check").exitCode()).isEqualTo(2);
    }

    /** The samples the repository ships, which its README applies: they stay valid. */
    @Test
    void everySampleWorkflowOfTheRepositoryPasses() throws IOException {
        List<Object> samples = new ArrayList<>(List.of("--allow-scripts"));
        for (String folder : List.of("workflows", "docs/examples")) {
            try (Stream<Path> files = Files.list(RepositoryFiles.path(folder))) {
                files.filter(file -> file.toString().matches(".*\\.(yaml|yml|json)")).sorted().forEach(samples::add);
            }
        }
        assertThat(samples).hasSizeGreaterThan(3);

        Result checked = cli(check(samples.toArray()));

        assertThat(checked.exitCode()).as(checked.err()).isZero();
        assertThat(checked.out().lines()).hasSize(samples.size() - 1).allSatisfy(line -> assertThat(line).contains(": ok, workflow "));
    }

    /**
     * The documentation's YAML blocks that are whole workflows (an {@code id}, {@code steps}, no
     * {@code …} left out), each on its own: several show one workflow id in different ways.
     */
    @Test
    void everyWholeWorkflowShownInTheDocumentationPasses() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(RepositoryFiles.path("README.md")));
        try (Stream<Path> docs = Files.list(RepositoryFiles.path("docs"))) {
            docs.filter(file -> file.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        int checked = 0;
        for (Path page : pages) {
            Matcher block = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(page));
            while (block.find()) {
                String yaml = block.group(1);
                if (yaml.startsWith("id:") && yaml.contains("\nsteps:") && !yaml.contains("…")) {
                    Path shown = file("shown-" + checked++ + ".yaml", yaml);
                    Result result = cli(check("--allow-scripts", shown));
                    assertThat(result.exitCode()).as("%s:\n%s\n%s", page.getFileName(), yaml, result.err()).isZero();
                }
            }
        }
        assertThat(checked).isGreaterThan(2);
    }
}
