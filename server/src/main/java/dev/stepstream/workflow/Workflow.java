package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated workflow definition. {@code definition} is the normalised JSON document (what
 * {@code GET /api/v2/workflows/{id}} returns, without {@code version}); it must not be modified.
 * {@code inputs} keeps declaration order.
 *
 * @param maxParallel how many steps of one run may run at once (a graph's; 16 when not given)
 * @param resumes     {@code onInterrupt: resume}: a run whose node stopped or died goes on
 *                    elsewhere, rebuilt from its log, rather than end {@code interrupted}
 * @param triggers    what starts runs besides a call: schedules and webhooks
 * @param concurrency how many runs of one key run at once, or null for no limit
 * @param retention   how long and how many of its finished runs are kept, or null for the server's rule
 */
public record Workflow(String id, String name, String description, Map<String, InputSpec> inputs,
                       List<Step> steps, int maxParallel, boolean resumes, List<TriggerSpec> triggers,
                       Concurrency concurrency, Retention retention, ObjectNode definition) {

    /** A definition's size at most, as a request's body or as a file (docs/api.md, docs/security.md). */
    public static final int MAX_DEFINITION_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_PARALLEL = 16;
    public static final int MAX_PARALLEL = 256;

    /**
     * Whether its steps form a graph: as soon as one step has {@code needs}, a step starts when
     * what it needs has ended, and steps run at once. Otherwise they run in order, one at a time.
     */
    public boolean isGraph() {
        return steps.stream().anyMatch(step -> !step.needs().isEmpty());
    }

    /** Its trigger of that id, if it has one. */
    public Optional<TriggerSpec> trigger(String triggerId) {
        return triggers.stream().filter(trigger -> trigger.id().equals(triggerId)).findFirst();
    }

    /** Whether it has approval steps: its runs may wait for decisions. */
    public boolean hasApprovals() {
        return steps.stream().anyMatch(step -> step.type() == StepKind.APPROVAL);
    }
}
