package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 8 on SQLite files. (Scenario 5 on SQLite, an acknowledgement lost after the commit,
 * is the crash test's: a process killed between its commit and its acknowledgement, and the
 * same events appended again by the next one; see {@link CrashRecoveryContract}.)
 */
class SqliteFaultTest extends FaultContract {

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
