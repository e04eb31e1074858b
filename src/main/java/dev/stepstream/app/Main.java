package dev.stepstream.app;

import dev.stepstream.cli.Cli;

/** Entry point of {@code bin/stepstream}: the server and the client commands. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
        System.exit(Cli.run(args));
    }
}
