package dev.stepstream.workflow;

import dev.stepstream.json.Json;
import dev.stepstream.store.PutOutcome;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoredWorkflow;
import dev.stepstream.store.WorkflowDraft;
import dev.stepstream.time.Clock;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered workflows: parse, validate and store on put; on read, the stored row plus its
 * validated {@link Workflow}, cached per id and version (the store stays the truth: every read
 * checks the stored version). Thread-safe.
 */
public final class WorkflowCatalog {
    /** A stored workflow with its parsed form. */
    public record Entry(StoredWorkflow stored, Workflow workflow) {}

    /** What loading a directory did: files loaded, and per bad file its problems. */
    public record LoadReport(List<String> loaded, Map<String, List<String>> rejected) {}

    private static final Logger log = LoggerFactory.getLogger(WorkflowCatalog.class);

    private final Store store;
    private final WorkflowValidator validator;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    /** A version's update time is when its schedules begin: the schedulers' clock (docs/workflows.md, "Schedules"). */
    private final Clock clock;

    public WorkflowCatalog(Store store, WorkflowValidator validator, Clock clock) {
        this.store = store;
        this.validator = validator;
        this.clock = clock;
    }

    /**
     * Parses, validates and stores a definition under {@code id} (null: the id in the body).
     * @throws SyntaxException  the body is not YAML/JSON
     * @throws InvalidException the workflow is not valid: every problem with its path
     */
    public PutOutcome put(String id, byte[] body, boolean json) throws SyntaxException, InvalidException {
        return store(parse(id, body, json));
    }

    /** Parses and validates a definition under {@code id} (null: the id in the body); stores nothing. */
    private Workflow parse(String id, byte[] body, boolean json) throws SyntaxException, InvalidException {
        return validator.validateNew(WorkflowParser.parse(body, json), id);
    }

    private PutOutcome store(Workflow workflow) {
        PutOutcome outcome = store.putWorkflow(new WorkflowDraft(workflow.id(), workflow.name(), workflow.description(),
                workflow.steps().size(), Json.bytes(workflow.definition())), clock.now());
        cache.put(workflow.id(), new Entry(outcome.workflow(), workflow));
        return outcome;
    }

    public Optional<Entry> find(String id) {
        Optional<StoredWorkflow> stored = store.findWorkflow(id);
        if (stored.isEmpty()) {
            cache.remove(id);
            return Optional.empty();
        }
        Entry cached = cache.get(id);
        if (cached != null && cached.stored().version() == stored.get().version()) {
            return Optional.of(cached);
        }
        try {
            return Optional.of(validated(stored.get()));
        } catch (InvalidException e) {
            // Stored under other rules (e.g. scripts were allowed then): visible, not executable.
            throw new NotValidHere(id, e);
        }
    }

    /** A stored workflow validated under this server's rules, and cached as such. */
    private Entry validated(StoredWorkflow stored) throws InvalidException {
        Entry entry = new Entry(stored, validator.validate(Json.parseTrusted(stored.definition()), stored.id()));
        cache.put(stored.id(), entry);
        return entry;
    }

    /**
     * A stored workflow that this server's settings make invalid (it was stored where scripts
     * were allowed, say): it is listed and read, but not executed (422 {@code invalid_workflow}).
     */
    public static final class NotValidHere extends RuntimeException {
        private final transient InvalidException problems;

        NotValidHere(String id, InvalidException problems) {
            super("workflow \"" + id + "\" as stored is not valid on this server: " + problems.getMessage(), problems);
            this.problems = problems;
        }

        /** What is wrong, each problem with its path. */
        public InvalidException problems() {
            return problems;
        }
    }

    /**
     * Checks every stored workflow under this server's rules, at start-up: one stored by an older
     * version or under other settings (scripts allowed then) may be refused here, and is then
     * listed and read but not run (docs/operations.md). Each such workflow is logged once with its
     * problems, so that an operator learns of it when the node starts rather than when a run or a
     * schedule of it is refused. The valid ones are cached, as {@link #find} would.
     */
    public void checkStored() {
        for (StoredWorkflow stored : store.listWorkflows()) {
            try {
                validated(stored);
            } catch (InvalidException e) {
                log.warn("stored workflow {} (version {}) is not valid on this server and will not run: {};"
                        + " apply it fixed (docs/operations.md)", stored.id(), stored.version(), e.getMessage());
            }
        }
    }

    public List<StoredWorkflow> list() {
        return store.listWorkflows();
    }

    public boolean delete(String id) {
        cache.remove(id);
        return store.deleteWorkflow(id);
    }

    /**
     * Loads every {@code *.yaml}/{@code *.yml} file of a directory, in the order of their names. A
     * file that does not parse or validate is reported with its name and problems, and so is one
     * whose id an earlier file has (else each start would store both, one over the other, and
     * every restart add two versions); the others still load.
     */
    public LoadReport loadDirectory(Path dir) {
        List<String> loaded = new ArrayList<>();
        Map<String, List<String>> rejected = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            log.info("workflows directory {} does not exist: nothing loaded", dir.toAbsolutePath());
            return new LoadReport(loaded, rejected);
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            log.error("cannot read workflows directory {}: {}", dir, e.getMessage());
            return new LoadReport(loaded, rejected);
        }
        files.sort(null);
        Path realDir;
        try {
            realDir = dir.toRealPath();
        } catch (IOException e) {
            log.error("cannot read workflows directory {}: {}", dir, e.getMessage());
            return new LoadReport(loaded, rejected);
        }
        WorkflowFiles seen = new WorkflowFiles();
        for (Path file : files) {
            String name = file.getFileName().toString();
            try {
                // A link may point anywhere: only what lies inside the directory is read, so that a
                // link to another file (a key, /etc/shadow) never reaches the parser or the log.
                if (!file.toRealPath().startsWith(realDir)) {
                    rejected.put(name, List.of("a link to a file outside the workflows directory"));
                    continue;
                }
                Workflow workflow = parse(null, WorkflowFiles.read(file), false);
                seen.claim(workflow.id(), name);
                PutOutcome outcome = store(workflow);
                loaded.add(name);
                log.info("loaded workflow {} (version {}) from {}", outcome.workflow().id(), outcome.workflow().version(), name);
            } catch (SyntaxException e) {
                rejected.put(name, List.of(e.located()));
            } catch (InvalidException e) {
                rejected.put(name, e.problems().stream().map(Problem::toString).toList());
            } catch (WorkflowFiles.NotAWorkflowFile e) {
                rejected.put(name, List.of(e.getMessage()));
            } catch (IOException e) {
                rejected.put(name, List.of("cannot read: " + e.getMessage()));
            }
        }
        rejected.forEach((name, problems) ->
                log.warn("workflow file {} skipped: {}", name, String.join("; ", problems)));
        return new LoadReport(loaded, rejected);
    }
}
