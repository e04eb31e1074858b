package dev.stepstream.cli;

import dev.stepstream.settings.Redact;
import picocli.CommandLine.Option;

/** {@code --server} and {@code --token}, shared by the client commands. */
final class ClientOptions {
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = "--server", paramLabel = "URL",
            description = "The server (default $STEPSTREAM_SERVER, else " + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "A bearer token (default $STEPSTREAM_TOKEN).")
    String token;

    ApiClient client() {
        String fromEnv = System.getenv("STEPSTREAM_SERVER");
        String url;
        String source;
        if (server != null) {
            url = server;
            source = "--server";
        } else if (fromEnv != null && !fromEnv.isBlank()) {
            url = fromEnv.strip();
            source = "STEPSTREAM_SERVER";
        } else {
            url = DEFAULT_SERVER;
            source = null;
        }
        String bearer = token != null ? token : System.getenv("STEPSTREAM_TOKEN");
        return new ApiClient(url, source, bearer, token != null ? "--token" : "STEPSTREAM_TOKEN");
    }

    /**
     * The options to repeat in a command this one suggests, so that it reaches the same server;
     * shown as every message shows the URL, its user-info hidden.
     */
    String serverOption() {
        return server == null ? "" : " --server " + Redact.url(server);
    }
}
