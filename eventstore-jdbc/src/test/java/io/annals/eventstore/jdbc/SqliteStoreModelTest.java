package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Scenario 12 (the store against a model of the contract) on SQLite files. */
class SqliteStoreModelTest extends StoreModelContract {

    @TempDir
    static Path dir;

    private ReliabilityDb db;

    @Override
    ReliabilityDb db() {
        if (db == null) {
            db = remember(ReliabilityDb.sqlite(dir));
        }
        return db;
    }
}
