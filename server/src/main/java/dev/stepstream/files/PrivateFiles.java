package dev.stepstream.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and directories holding what other users of the machine must not read (the database, the
 * secrets' master key, the tokens file, a step's outputs), created readable by their owner only:
 * files 0600, directories 0700, on a file system with POSIX permissions; elsewhere as the system
 * creates them. What exists already keeps its mode: that is the operator's choice.
 */
public final class PrivateFiles {
    private static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private PrivateFiles() {
    }

    /** Creates {@code dir} and whichever of its parents are missing, each 0700; nothing if it is a directory already. */
    public static Path createDirectories(Path dir) throws IOException {
        try {
            return Files.createDirectories(dir, DIRECTORY);
        } catch (UnsupportedOperationException e) {
            return Files.createDirectories(dir);
        }
    }

    /**
     * Creates {@code file}, empty and 0600, and its missing parent directories 0700.
     *
     * @throws java.nio.file.FileAlreadyExistsException if it exists
     */
    public static Path createFile(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            return Files.createFile(file, FILE);
        } catch (UnsupportedOperationException e) {
            return Files.createFile(file);
        }
    }

    /** A new empty file, 0600, in the system's directory for temporary files. */
    public static Path createTempFile(String prefix) throws IOException {
        try {
            return Files.createTempFile(prefix, "", FILE);
        } catch (UnsupportedOperationException e) {
            return Files.createTempFile(prefix, "");
        }
    }
}
