package dev.stepstream.cli;

import dev.stepstream.app.Config;
import dev.stepstream.app.Server;
import dev.stepstream.logging.Logging;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream serve}: runs a node until it is stopped (SIGTERM, Ctrl-C). Its options are
 * made from the settings table ({@link Config#SETTINGS}), one per setting, and kept as text:
 * {@link Config#resolve} reads them with the environment and the config file.
 */
@Command(name = "serve", description = "Run the server (each flag can also be set as STEPSTREAM_<FLAG>).",
        mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, modelTransformer = ServeCommand.Options.class)
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Adds an option for each setting of the table to {@code serve}. */
    static final class Options implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.add(spec, Config.SETTINGS);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> flags = SettingOptions.given(spec.commandLine().getParseResult(), Config.SETTINGS);
        Config resolved = Config.resolve(flags, System.getenv());
        Logging.use(resolved.observability().logFormat());

        Server server = Server.start(resolved);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "shutdown"));
        System.out.println("stepstream listening on " + server.url()
                + " (store: " + (resolved.db() == null ? resolved.dataDir().resolve("stepstream.db") : "postgresql")
                + (resolved.db() == null ? "" : ", node " + resolved.cluster().nodeId())
                + (resolved.redis() == null ? "" : ", broker: redis")
                + ", scripts " + (resolved.allowScripts() ? "allowed" : "disabled")
                + ", " + (resolved.security().credentials() ? "tokens required"
                        : resolved.openToTheNetwork() ? "no credentials (--insecure): open to every client that reaches " + resolved.host()
                        : "no credentials: open to this machine") + ")");
        System.out.flush();
        stopped.await();
        return Cli.OK;
    }
}
