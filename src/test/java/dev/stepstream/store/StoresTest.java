package dev.stepstream.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing and opening a store from the {@code --db} setting. */
class StoresTest {

    @TempDir
    Path dir;

    @Test
    void noUrlMeansSqliteInTheDataDirectoryWhichIsCreated() {
        Path dataDir = dir.resolve("data/nested");

        try (Store store = Stores.open(null, dataDir)) {
            store.ping();
        }
        try (Store store = Stores.open("  ", dataDir)) {
            store.ping();
        }

        assertThat(dataDir.resolve("stepstream.db")).isRegularFile();
    }

    @Test
    void anUnsupportedUrlIsRejectedByNameWithoutItsPassword() {
        assertThatThrownBy(() -> Stores.open("jdbc:mysql://bob:secret@db.example/app?password=hunter2", dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported database URL")
                .hasMessageContaining("jdbc:mysql://***@db.example/app?password=***")
                .hasMessageNotContaining("secret")
                .hasMessageNotContaining("hunter2");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aMalformedPostgresUrlIsRejected() {
        assertThatThrownBy(() -> Stores.postgres("jdbc:postgresql://[nonsense"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a PostgreSQL JDBC URL");
    }

    @Test
    void anUnreachablePostgresFailsSayingWhereWithoutThePassword() {
        String url = "jdbc:postgresql://127.0.0.1:1/none?user=nobody&password=hunter2&connectTimeout=2";

        assertThatThrownBy(() -> Stores.open(url, dir))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("PostgreSQL database jdbc:postgresql://127.0.0.1:1/none?user=nobody&password=***")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aSqliteFileThatIsNotADatabaseFailsAsAStoreError() throws Exception {
        Path file = dir.resolve("stepstream.db");
        Files.writeString(file, "this is not a database, and it is long enough to have a header".repeat(20));

        assertThatThrownBy(() -> Stores.sqlite(file))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file.toString());
    }
}
