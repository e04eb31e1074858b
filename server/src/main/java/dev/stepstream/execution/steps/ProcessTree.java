package dev.stepstream.execution.steps;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The processes a script started, and theirs: what a cancel, a timeout or a stop kills.
 *
 * <p>Linux lists each thread's children in {@code /proc/PID/task/TID/children}: the tree is a
 * few reads. {@link ProcessHandle#descendants()} instead reads {@code /proc/N/stat} of every
 * process on the machine to learn each one's parent, in native code, which pins the virtual
 * thread's carrier: ~10 ms with a few hundred processes, and a node stopping with 100 scripts
 * running made 100 such walks, on as many carriers as cores, while the other runs' threads waited
 * for one (a second of the stop; docs/BENCHMARKS.md, issue 21). Where the kernel has no such
 * file (not Linux, or built without {@code CONFIG_PROC_CHILDREN}), the JDK's walk.
 *
 * <p>Like the JDK's walk, this one sees the tree as it is while it reads: a process started after
 * its parent was read is not in it. The caller kills the script's shell first, so that it starts
 * nothing new.
 */
final class ProcessTree {
    /** Whether the kernel lists children: this process's main thread (whose id is the pid) has the file. */
    private static final boolean PROC_CHILDREN = hasChildrenFile(ProcessHandle.current().pid());

    private ProcessTree() {}

    private static boolean hasChildrenFile(long pid) {
        return Files.isReadable(Path.of("/proc", Long.toString(pid), "task", Long.toString(pid), "children"));
    }

    /** Every process below {@code root}, parents before their children. */
    static List<ProcessHandle> descendants(ProcessHandle root) {
        if (PROC_CHILDREN) {
            try {
                return fromProc(root);
            } catch (IOException e) {
                // unexpected (a /proc that cannot be read): the JDK's walk still finds them
            }
        }
        return root.descendants().toList();
    }

    private static List<ProcessHandle> fromProc(ProcessHandle root) throws IOException {
        List<ProcessHandle> found = new ArrayList<>();
        Set<Long> seen = new HashSet<>(); // a pid reused while the tree is read must not loop it
        Deque<Long> pending = new ArrayDeque<>();
        pending.add(root.pid());
        seen.add(root.pid());
        while (!pending.isEmpty()) {
            for (long child : children(pending.poll())) {
                if (seen.add(child)) {
                    ProcessHandle.of(child).ifPresent(found::add);
                    pending.add(child);
                }
            }
        }
        return found;
    }

    /** The children of every thread of {@code pid}; none if it is gone. */
    private static List<Long> children(long pid) throws IOException {
        List<Long> children = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String list;
                try {
                    list = Files.readString(task.resolve("children"));
                } catch (NoSuchFileException e) {
                    continue; // the thread ended while listed
                }
                for (String child : list.trim().split("\\s+")) {
                    if (!child.isEmpty()) {
                        children.add(Long.parseLong(child));
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return List.of(); // the process ended: its children, if any, are now init's
        }
        return children;
    }
}
