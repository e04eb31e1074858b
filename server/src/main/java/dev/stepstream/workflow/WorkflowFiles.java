package dev.stepstream.workflow;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Workflow files read one after another, as the workflows directory loads them
 * ({@link WorkflowCatalog#loadDirectory}) and {@code stepstream workflows check} checks them: each
 * a regular file of at most {@link Workflow#MAX_DEFINITION_BYTES}, and each workflow id defined
 * by one file only, the first that claims it. Owned by the one thread that reads the files.
 */
public final class WorkflowFiles {
    /** Which file claimed each id first, by the name it is reported under. */
    private final Map<String, String> fileOfId = new HashMap<>();

    /**
     * The content of a file that may hold a workflow. Its size is checked before it is read, and
     * what is read stops past the limit, so a file that grows meanwhile (or a device that never
     * ends) is never read whole.
     *
     * @throws NotAWorkflowFile when it is not a regular file (a directory, a pipe, a device) or is
     *         larger than the limit
     * @throws IOException when it cannot be read (no such file, no permission)
     */
    public static byte[] read(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile() || attributes.size() > Workflow.MAX_DEFINITION_BYTES) {
            throw new NotAWorkflowFile();
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] content = in.readNBytes(Workflow.MAX_DEFINITION_BYTES + 1);
            if (content.length > Workflow.MAX_DEFINITION_BYTES) {
                throw new NotAWorkflowFile();
            }
            return content;
        }
    }

    /**
     * Claims {@code id} for the file reported as {@code name}: no other file may define it, else
     * loading both would store one over the other (and every restart add two versions).
     *
     * @throws InvalidException at {@code id} when an earlier file claimed it:
     *         {@code "x" is defined by a.yaml already}
     */
    public void claim(String id, String name) throws InvalidException {
        String first = fileOfId.putIfAbsent(id, name);
        if (first != null) {
            throw new InvalidException(List.of(new Problem("id", "\"" + id + "\" is defined by " + first + " already")));
        }
    }

    /** A file that {@link #read} does not read: not a regular file, or one too large to be a workflow. */
    public static final class NotAWorkflowFile extends IOException {
        NotAWorkflowFile() {
            super("not a regular file of at most " + Workflow.MAX_DEFINITION_BYTES / 1024 / 1024 + " MiB");
        }
    }
}
