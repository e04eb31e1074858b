package dev.stepstream.execution;

import dev.stepstream.json.Json;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowValidator;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Workflows validated from the definitions that runs were queued with, kept by (workflow id,
 * definition bytes): claiming a run does not parse and validate its definition again when a run
 * of the same definition did before. The claimer starts runs one after another, so that work was
 * on the path of every run, and a run of a 3-step workflow spent more CPU on it than on its steps
 * (docs/BENCHMARKS.md, "Issue 21").
 *
 * <p>Why a cached result is the one validation would give: a node's validator has fixed rules
 * (scripts allowed, http targets) for its life, and validation reads nothing but the document
 * and the id. A {@link Workflow} must not be modified (its contract), so runs share one, as the
 * catalog's readers already do. A definition that is not valid is not kept: it is validated
 * (and refused) each time.
 *
 * <p>Thread-safe (a concurrent map). Bounded: past {@link #MAX} definitions it starts again
 * empty, which costs a validation per definition once more; a node runs few at once. A
 * definition over {@link #MAX_KEPT_BYTES} is validated each time and not kept, so that what the
 * map holds stays under MAX × that (16 MiB): such workflows are rare, and their runs long
 * beside the validation.
 */
final class ValidatedWorkflows {
    static final int MAX = 256;
    static final int MAX_KEPT_BYTES = 64 << 10;

    /** {@code definition} wraps the bytes: equal and hashed by content. */
    private record Key(String workflowId, ByteBuffer definition) {}

    private final WorkflowValidator validator;
    private final Map<Key, Workflow> validated = new ConcurrentHashMap<>();

    ValidatedWorkflows(WorkflowValidator validator) {
        this.validator = validator;
    }

    /** As {@code validator.validate(Json.parseTrusted(definition), workflowId)}. */
    Workflow of(String workflowId, byte[] definition) throws InvalidException {
        if (definition.length > MAX_KEPT_BYTES) {
            return validator.validate(Json.parseTrusted(definition), workflowId);
        }
        Key key = new Key(workflowId, ByteBuffer.wrap(definition));
        Workflow workflow = validated.get(key);
        if (workflow == null) {
            workflow = validator.validate(Json.parseTrusted(definition), workflowId);
            if (validated.size() >= MAX) {
                validated.clear();
            }
            validated.put(key, workflow);
        }
        return workflow;
    }
}
