package dev.stepstream.execution.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The tree a cancel kills: every process below the script's shell, however deep, and the kill reaches them all. */
class ProcessTreeTest {
    private Process shell;

    @AfterEach
    void killWhatIsLeft() {
        if (shell != null) {
            shell.descendants().forEach(ProcessHandle::destroyForcibly);
            shell.destroyForcibly();
        }
    }

    @Test
    void findsChildrenAndGrandchildrenAsTheJdksWalkDoes() throws Exception {
        // A child, and a subshell with a child of its own (a grandchild of the script's shell).
        shell = new ProcessBuilder("/bin/sh", "-c", "sleep 300 & (sleep 301 & wait) & wait").start();
        List<ProcessHandle> jdk = Await.until("the shell has started three processes", Duration.ofSeconds(10), () -> {
            List<ProcessHandle> all = shell.descendants().toList();
            return all.size() == 3 ? all : null;
        });

        List<ProcessHandle> found = ProcessTree.descendants(shell.toHandle());

        assertThat(found).containsExactlyInAnyOrderElementsOf(jdk);
        ProcessHandle grandchild = jdk.stream().filter(p -> p.parent().map(q -> q.pid() != shell.pid()).orElse(false))
                .findFirst().orElseThrow();
        assertThat(found.indexOf(grandchild)).as("a parent comes before its children")
                .isGreaterThan(found.indexOf(grandchild.parent().orElseThrow()));

        ScriptStep.killTree(shell);

        for (ProcessHandle process : jdk) {
            Await.until("process " + process.pid() + " is gone", Duration.ofSeconds(5), () -> process.isAlive() ? null : true);
        }
        assertThat(shell.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aProcessThatEndedHasNone() throws Exception {
        shell = new ProcessBuilder("/bin/sh", "-c", "exit 0").start();
        shell.waitFor();

        assertThat(ProcessTree.descendants(shell.toHandle())).isEmpty();
    }
}
