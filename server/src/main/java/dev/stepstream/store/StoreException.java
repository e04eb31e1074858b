package dev.stepstream.store;

/** The store failed (I/O, constraint, unavailable): never the client's fault. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
