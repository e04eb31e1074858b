package dev.stepstream.app;

import java.io.IOException;
import dev.stepstream.settings.ConfigException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded store's data directory, held by one server at a time: a second {@code serve} on
 * the same directory would take the first one's lease for a dead node's and end its running runs
 * {@code interrupted}. An operating-system lock on {@code stepstream.lock} (released by the OS
 * when the process ends, however it ends), which holds the owner's process id for the message of
 * the server that is refused.
 *
 * <p>The directories held in this process are also kept in {@link #HELD}, checked before the file is
 * opened: POSIX drops every lock a process holds on a file when it closes any descriptor of it, so
 * a second server in one JVM (tests start several) must not open the file at all.
 *
 * <p>Ownership: the server that acquired it, which closes it last when it stops.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE_NAME = "stepstream.lock";
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws ConfigException naming --data-dir when another server (another process, or this one) holds it */
    static DataDirLock acquire(Path dataDir) {
        Path absolute = canonical(dataDir);
        Path file = absolute.resolve(FILE_NAME);
        if (!HELD.add(absolute)) {
            throw inUse(absolute, " (this process)");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            HELD.remove(absolute);
            throw new ConfigException("--data-dir " + absolute + ": cannot open " + FILE_NAME + ": " + e.getMessage());
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            HELD.remove(absolute);
            throw new ConfigException("--data-dir " + absolute + ": cannot lock " + FILE_NAME + ": " + e.getMessage());
        }
        if (lock == null) {
            closeQuietly(channel);
            HELD.remove(absolute);
            throw inUse(absolute, owner(file));
        }
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            // The lock holds without the process id; only the message of a refused server lacks it.
        }
        return new DataDirLock(absolute, channel, lock);
    }

    private static ConfigException inUse(Path dir, String owner) {
        return new ConfigException("--data-dir " + dir + ": another stepstream server" + owner
                + " is using it; stop that one first, or give this one another --data-dir");
    }

    /** The directory as the file system names it, so that two spellings of one directory are one. */
    private static Path canonical(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize();
        }
    }

    /** " (process N)" from the lock file, or nothing if it cannot be read. */
    private static String owner(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return pid.matches("[0-9]{1,10}") ? " (process " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel releases it too.
        }
        closeQuietly(channel);
        HELD.remove(dir);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing held any longer.
        }
    }
}
