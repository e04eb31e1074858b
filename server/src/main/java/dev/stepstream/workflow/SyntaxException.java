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

    /**
     * Where it broke and why, as the API's 400 says it, and the workflows directory's log and
     * {@code stepstream workflows check} repeat it: {@code line 3, column 7: …}.
     */
    public String located() {
        return "line " + line + ", column " + column + ": " + getMessage();
    }
}
