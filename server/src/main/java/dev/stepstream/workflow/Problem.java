package dev.stepstream.workflow;

/**
 * One thing wrong with a document, at a path such as {@code steps[3].type} or
 * {@code inputs.times}; {@code message} says what is wrong, e.g. {@code unknown step type "teleport"}.
 */
public record Problem(String path, String message) {
    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
