package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.app.Config;
import dev.stepstream.security.SecuritySettings;
import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import dev.stepstream.workflow.HttpTargets;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Problem;
import dev.stepstream.workflow.SyntaxException;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowFiles;
import dev.stepstream.workflow.WorkflowParser;
import dev.stepstream.workflow.WorkflowValidator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream workflows check FILE…} (docs/clients.md, "The stepstream command line"):
 * says of each file whether a server would take it, without one, by the server's own code: read
 * as the workflows directory reads a file ({@link WorkflowFiles}), parsed as {@code workflows apply}
 * sends it (JSON for a {@code .json}, else YAML), validated as the API validates a definition it
 * stores ({@link WorkflowValidator#validateNew}) under the id {@code apply} would put it under, and
 * each id claimed by one file only. Nothing is sent, stored or written.
 *
 * <p>Of the server's settings, those that change what is valid: {@code --allow-scripts},
 * {@code --http-allow}, and {@code --config}, the file they may be in, each from its flag, its
 * variable or the file, as {@code serve} reads them. A URL to this machine is not refused as
 * the server itself: which port a server will have is not known here
 * ({@link HttpTargets#withoutServer}).
 *
 * <p>Exit 0 when every file is valid; 1 when one is not (the server's 422); 2 when one cannot be
 * read or does not parse (the server's 400), or on a usage error; the worst file decides.
 */
@Command(name = "check", mixinStandardHelpOptions = true, modelTransformer = WorkflowsCheck.Options.class,
        description = {"Check workflow files without a server, as a server with these settings would take them;"
                + " nothing is sent or written.",
            "Exit 0 when every file is valid, 1 when one is not, 2 when one cannot be read or does not parse.",
            "The settings are serve's, also read from STEPSTREAM_<FLAG> and --config's file."})
final class WorkflowsCheck implements Callable<Integer> {
    /** The settings of the table that decide what is valid, as {@code serve} takes them. */
    private static final List<Setting<?>> SETTINGS = List.of(Config.ALLOW_SCRIPTS, SecuritySettings.HTTP_ALLOW, Settings.CONFIG);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Workflow files: JSON for a .json, else YAML.")
    List<Path> files;

    @Option(names = "--json", description = "Print one JSON document: per file its id and steps, or its problems"
            + " ({path, message}, as the API's 422 details), or why it cannot be read or parsed.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Adds {@link #SETTINGS}' options, described and parsed as serve's. */
    static final class Options implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.add(spec, SETTINGS);
        }
    }

    /** What became of one file; its exit code is the command's if it is the worst. */
    sealed interface Outcome {
        int exit();
    }

    record Valid(Workflow workflow) implements Outcome {
        public int exit() {
            return Cli.OK;
        }
    }

    /** What the server would refuse with a 422: every problem, each with its path. */
    record Invalid(List<Problem> problems) implements Outcome {
        public int exit() {
            return Cli.FAILED;
        }
    }

    /** A file that cannot be read or does not parse (the server's 400): why, and where for a syntax error. */
    record Unusable(String reason, SyntaxException syntax) implements Outcome {
        public int exit() {
            return Cli.USAGE;
        }
    }

    @Override
    public Integer call() {
        // As serve resolves them: a config file may hold any of serve's settings, and only these are read.
        Settings settings = Settings.of(Config.SETTINGS, SettingOptions.given(spec.commandLine().getParseResult(), SETTINGS),
                System.getenv());
        WorkflowValidator validator = new WorkflowValidator(settings.get(Config.ALLOW_SCRIPTS),
                HttpTargets.withoutServer(settings.get(SecuritySettings.HTTP_ALLOW)));
        WorkflowFiles seen = new WorkflowFiles();
        List<Outcome> outcomes = new ArrayList<>();
        int exit = Cli.OK;
        for (Path file : files) {
            Outcome outcome = check(file, validator, seen);
            outcomes.add(outcome);
            exit = Math.max(exit, outcome.exit());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JsonOutput.of(json(outcomes)));
        } else {
            for (int i = 0; i < files.size(); i++) {
                print(files.get(i).toString(), outcomes.get(i), out, spec.commandLine().getErr());
            }
        }
        return exit;
    }

    private static Outcome check(Path file, WorkflowValidator validator, WorkflowFiles seen) {
        try {
            JsonNode document = WorkflowParser.parse(WorkflowFiles.read(file), WorkflowsCommand.isJson(file));
            Workflow workflow = validator.validateNew(document, WorkflowsCommand.idOf(document, file));
            seen.claim(workflow.id(), file.toString());
            return new Valid(workflow);
        } catch (InvalidException e) {
            return new Invalid(e.problems());
        } catch (SyntaxException e) {
            return new Unusable(e.located(), e);
        } catch (WorkflowFiles.NotAWorkflowFile e) {
            return new Unusable(e.getMessage(), null);
        } catch (IOException e) {
            return new Unusable("cannot read: " + why(e), null);
        }
    }

    /** An I/O failure in words: the exception's message is often the file's name alone. */
    private static String why(IOException e) {
        return switch (e) {
            case NoSuchFileException missing -> "no such file";
            case AccessDeniedException denied -> "permission denied";
            case FileSystemException other when other.getReason() != null -> other.getReason();
            default -> String.valueOf(e.getMessage());
        };
    }

    /** A valid file on stdout, as {@code apply} says what it did; each problem on stderr, on a line of its own. */
    private static void print(String file, Outcome outcome, PrintWriter out, PrintWriter err) {
        switch (outcome) {
            case Valid valid -> {
                int steps = valid.workflow().steps().size();
                Terminal.printf(out, "%s: ok, workflow %s (%d %s)%n", file, valid.workflow().id(), steps, steps == 1 ? "step" : "steps");
            }
            case Invalid invalid -> invalid.problems().forEach(problem -> Terminal.printf(err, "%s: %s%n", file, problem.toString()));
            case Unusable unusable -> Terminal.printf(err, "%s: %s%n", file, unusable.reason());
        }
    }

    /**
     * {@code {"files": [...]}}, one object per file, in the order given: {@code file} and
     * {@code valid}; for a valid one its {@code id} and {@code steps}; for an invalid one its
     * {@code problems}; for one that cannot be read or parsed an {@code error}, with the
     * {@code line} and {@code column} of a syntax error.
     */
    private ObjectNode json(List<Outcome> outcomes) {
        ArrayNode array = NODES.arrayNode();
        for (int i = 0; i < files.size(); i++) {
            ObjectNode file = array.addObject().put("file", files.get(i).toString());
            switch (outcomes.get(i)) {
                case Valid valid -> file.put("id", valid.workflow().id()).put("valid", true)
                        .put("steps", valid.workflow().steps().size());
                case Invalid invalid -> {
                    ArrayNode problems = file.put("valid", false).putArray("problems");
                    invalid.problems().forEach(problem -> problems.addObject().put("path", problem.path()).put("message", problem.message()));
                }
                case Unusable unusable -> {
                    file.put("valid", false).put("error", unusable.reason());
                    if (unusable.syntax() != null) {
                        file.put("line", unusable.syntax().line()).put("column", unusable.syntax().column());
                    }
                }
            }
        }
        ObjectNode root = NODES.objectNode();
        root.set("files", array);
        return root;
    }
}
