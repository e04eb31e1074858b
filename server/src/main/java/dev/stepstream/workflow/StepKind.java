package dev.stepstream.workflow;

import dev.stepstream.time.Durations;
import java.util.Locale;

/**
 * The step types of docs/workflows.md, in wire spelling. Each step's {@link Step#spec()} holds the fields
 * below as validated by {@link WorkflowValidator}; defaults are not written into the spec, so
 * a reader applies them. String values may hold {@code ${…}} expressions, rendered with
 * {@link Expressions#render} when the step runs.
 */
public enum StepKind {
    /** {@code message} (text, required), {@code level}: debug, info, warn or error (default info). */
    LOG,
    /** {@code vars}: a non-empty mapping of variable names to any JSON; null deletes the variable. */
    SET,
    /** {@code duration}: a duration ({@link Durations}), or an expression that renders to one. */
    SLEEP,
    /**
     * {@code url} (required), {@code method} (upper case; default GET), {@code headers} (name to
     * text), {@code body} (any JSON), {@code expectStatus} (a list of codes), {@code saveAs}.
     */
    HTTP,
    /** {@code run} (required), {@code workdir}, {@code env} (name to text), {@code saveAs}. */
    SCRIPT,
    /** {@code message} (text, optional). */
    FAIL,
    /**
     * {@code workflow} (a workflow id, required), {@code inputs} (a mapping; its values may be
     * expressions): a child run of that workflow, which the step waits for.
     */
    WORKFLOW,
    /**
     * {@code message} (text, required): waits for a person's decision (approve or reject),
     * until {@code timeout} if it has one; holds no thread while it waits.
     */
    APPROVAL;

    /**
     * Whether the step acts outside the run (a process, a request, a child run): its run's driver waits
     * until its step_start is stored before it acts, so that no such act is missing from a
     * run's log, whatever the faults (docs/architecture.md, "One writer per run").
     */
    public boolean actsOutside() {
        return this == HTTP || this == SCRIPT || this == WORKFLOW;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
