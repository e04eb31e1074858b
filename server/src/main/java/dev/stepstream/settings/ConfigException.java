package dev.stepstream.settings;

/** A bad flag, variable or config value: its message is the one line {@code serve} prints before exit 2. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
