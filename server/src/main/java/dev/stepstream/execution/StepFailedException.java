package dev.stepstream.execution;

/** A step failed for a reason the user should read (the message becomes the step's error). */
public class StepFailedException extends Exception {
    public StepFailedException(String message) {
        super(message);
    }
}
