package dev.stepstream.workflow;

import java.util.List;

/** A document that parses but is not valid: every problem found, each with its path (422). */
public class InvalidException extends Exception {
    private final List<Problem> problems;

    /** How many problems the message spells out: all of them where the message is all there is (a step's error). */
    private static final int SPELLED_OUT = 5;

    public InvalidException(List<Problem> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    /** {@code 2 problems: a; b}, or past {@value #SPELLED_OUT}: {@code 7 problems: a; b; c; d; e; and 2 more}. */
    private static String message(List<Problem> problems) {
        if (problems.size() == 1) {
            return problems.get(0).toString();
        }
        StringBuilder message = new StringBuilder().append(problems.size()).append(" problems: ");
        for (int i = 0; i < Math.min(problems.size(), SPELLED_OUT); i++) {
            message.append(i == 0 ? "" : "; ").append(problems.get(i));
        }
        if (problems.size() > SPELLED_OUT) {
            message.append("; and ").append(problems.size() - SPELLED_OUT).append(" more");
        }
        return message.toString();
    }

    public List<Problem> problems() {
        return problems;
    }
}
