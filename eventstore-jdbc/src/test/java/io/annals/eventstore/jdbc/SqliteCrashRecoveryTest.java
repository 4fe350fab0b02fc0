package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Scenarios 1 and 2 on SQLite files; {@code PRAGMA integrity_check} after every kill. */
class SqliteCrashRecoveryTest extends CrashRecoveryContract {

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
