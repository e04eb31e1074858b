package dev.stepstream.workflow;

import java.util.List;

/** A document that parses but is not valid: every problem found, each with its path (422). */
public class InvalidException extends Exception {
    private final List<Problem> problems;

    public InvalidException(List<Problem> problems) {
        super(problems.size() == 1 ? problems.get(0).toString()
                : problems.size() + " problems: " + problems.get(0) + "; …");
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
