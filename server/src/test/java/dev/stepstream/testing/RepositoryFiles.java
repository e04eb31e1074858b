package dev.stepstream.testing;

import java.nio.file.Path;

/**
 * Files of the repository outside the server module (README.md, docs/, workflows/), for tests
 * that check what the documentation shows. Maven runs the tests in {@code server/}; the build
 * passes the repository's root as {@code stepstream.root}.
 */
public final class RepositoryFiles {
    private RepositoryFiles() {}

    /** {@code relative} under the repository's root. */
    public static Path path(String relative) {
        return Path.of(System.getProperty("stepstream.root", "..")).resolve(relative);
    }
}
