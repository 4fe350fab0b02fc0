package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Scenarios 3, 4 and 7 on SQLite files. */
class SqliteHistoryTest extends HistoryContract {

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
