package dev.stepstream.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on SQLite: a fresh database file per test. */
class SqliteStoreTest extends StoreContractTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("stepstream.db");
    }

    @Override
    protected Store openStore() {
        return Stores.sqlite(file());
    }
}
