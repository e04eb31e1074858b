package dev.stepstream;

import dev.stepstream.cli.Cli;

/**
 * Entry point of {@code bin/stepstream} and of the jar: the server and the client commands. It
 * stands above every package (none depends on it), so that {@code cli}, which starts the server
 * of {@code app}, forms no cycle with it.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
        System.exit(Cli.run(args));
    }
}
