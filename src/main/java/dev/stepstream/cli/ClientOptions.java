package dev.stepstream.cli;

import picocli.CommandLine.Option;

/** {@code --server} and {@code --token}, shared by the client commands. */
final class ClientOptions {
    @Option(names = "--server", paramLabel = "URL",
            description = "The server (default $STEPSTREAM_SERVER or http://127.0.0.1:8080).")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "A bearer token (default $STEPSTREAM_TOKEN).")
    String token;

    ApiClient client() {
        String url = server != null ? server : System.getenv().getOrDefault("STEPSTREAM_SERVER", "http://127.0.0.1:8080");
        String bearer = token != null ? token : System.getenv("STEPSTREAM_TOKEN");
        return new ApiClient(url, bearer);
    }
}
