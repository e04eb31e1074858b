package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.settings.ConfigException;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes sharing PostgreSQL, each named by its --node-id: a node given the id of a live node is
 * refused before it registers (which would have ended the live node's runs as a dead node's);
 * a node given the id of one that died waits for that lease to end, then takes its runs up.
 */
@Timeout(120)
class NodeIdTest {
    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private static TestServer node(Path dataDir, Postgres postgres, String nodeId) {
        return TestServer.start(dataDir, config -> config.withDb(postgres.url())
                .withCluster(new ClusterSettings(nodeId, LEASE, Duration.ofMillis(200))));
    }

    @Test
    void aSecondNodeWithTheIdOfALiveOneIsRefusedAndTheFirstOnesRunGoesOn() {
        try (Postgres postgres = Postgres.schema(); TestServer first = node(dir.resolve("a"), postgres, "twin")) {
            first.apply(Yaml.fixture("st-quiet.yaml"));
            String running = first.execute("st-quiet", "{\"pause\": \"30s\"}");
            Await.until("the run is running", Duration.ofSeconds(10),
                    () -> first.run(running).path("status").asText().equals("running") ? true : null);

            assertThatThrownBy(() -> node(dir.resolve("b"), postgres, "twin")).isInstanceOf(ConfigException.class)
                    .hasMessage("--node-id twin (STEPSTREAM_NODE_ID): a live node has this id (it renewed its lease while"
                            + " this one waited): give each node its own --node-id");

            assertThat(first.run(running).path("status").asText()).as("the first node's run").isEqualTo("running");
        }
    }

    /** The dead process's lease would hold for a whole lease more: the node starts once a renewal is missed, well before. */
    @Test
    void aNodeWithTheIdOfOneThatDiedStartsOnceItsRenewalIsMissed() {
        try (Postgres postgres = Postgres.schema()) {
            Instant registered = Instant.now();
            try (Store store = Stores.postgres(postgres.url())) {
                store.registerNode("lazarus", registered, registered.plus(LEASE)); // a process that registered, then died
            }
            try (TestServer again = node(dir.resolve("a"), postgres, "lazarus")) {
                assertThat(Instant.now()).as("started once a renewal was due and did not come")
                        .isAfterOrEqualTo(registered.plus(LEASE.dividedBy(3)))
                        .isBefore(registered.plus(LEASE));
                assertThat(again.get("/readyz").status()).isEqualTo(200);
            }
        }
    }
}
