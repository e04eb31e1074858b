package dev.stepstream.workflow;

import java.util.Locale;

/** The step types of API.md, in wire spelling. */
public enum StepKind {
    LOG, SET, SLEEP, HTTP, SCRIPT, FAIL;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
