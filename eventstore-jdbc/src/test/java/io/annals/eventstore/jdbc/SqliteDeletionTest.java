package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.snapshot.SnapshotStore;
import io.annals.eventstore.tck.DeletionContract;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The deletion part of the contract on SQLite, each test on a new database file. */
class SqliteDeletionTest extends DeletionContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        Path file = dir.resolve("deletion-" + FILES.incrementAndGet() + ".db");
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
