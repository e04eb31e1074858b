package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Path tricks in the workflows directory: a link to a file outside it is never read. */
@Timeout(60)
class WorkflowsDirectoryTest {
    @Test
    void aLinkOutOfTheWorkflowsDirectoryIsSkippedAndTheOthersLoad(@TempDir Path data) throws Exception {
        Path workflows = Files.createDirectories(data.resolve("workflows"));
        Files.writeString(workflows.resolve("good.yaml"), "id: good\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Path outside = Files.writeString(data.resolve("outside.yaml"), "id: outside\nsteps:\n  - {id: a, type: log, message: secret}\n");
        Files.createSymbolicLink(workflows.resolve("outside.yaml"), Path.of("..", "outside.yaml"));
        Files.createSymbolicLink(workflows.resolve("passwd.yaml"), Path.of("/etc/passwd"));
        Files.createDirectories(workflows.resolve("inner"));
        Files.writeString(workflows.resolve("inner/inside.yaml"), "id: inside\nsteps:\n  - {id: a, type: log, message: hi}\n");
        Files.createSymbolicLink(workflows.resolve("inside.yaml"), Path.of("inner", "inside.yaml"));
        assertThat(outside).exists();
        try (TestServer server = TestServer.start(data)) {
            assertThat(server.get("/api/v2/workflows/good").status()).isEqualTo(200);
            assertThat(server.get("/api/v2/workflows/inside").status()).as("a link within the directory is fine").isEqualTo(200);
            assertThat(server.get("/api/v2/workflows/outside").status()).isEqualTo(404);
            assertThat(server.get("/api/v2/workflows").text()).doesNotContain("outside", "root:");
        }
    }
}
