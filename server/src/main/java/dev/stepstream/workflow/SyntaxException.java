package dev.stepstream.workflow;

/** A document that does not parse as YAML or JSON (400), with where it broke (1-based). */
public class SyntaxException extends Exception {
    private final int line;
    private final int column;

    public SyntaxException(String message, int line, int column) {
        super(message);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
