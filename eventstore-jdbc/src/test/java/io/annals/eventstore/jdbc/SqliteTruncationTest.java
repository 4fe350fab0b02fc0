package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.snapshot.SnapshotStore;
import io.annals.eventstore.tck.TruncationContract;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The truncation part of the contract on SQLite, each test on a new database file. */
class SqliteTruncationTest extends TruncationContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        Path file = dir.resolve("truncation-" + FILES.incrementAndGet() + ".db");
        return JdbcEventStore.builder("jdbc:sqlite:" + file)
                .clock(clock)
                .limits(limits)
                .open();
    }

    @Override
    protected SnapshotStore snapshotsOf(EventStore store) {
        return ((JdbcEventStore) store).snapshots();
    }
}
