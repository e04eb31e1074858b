package dev.stepstream.workflow;

/** An expression that does not parse, is not allowed, or fails to evaluate; the message names it. */
public class ExpressionException extends Exception {
    public ExpressionException(String message) {
        super(message);
    }
}
