package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.snapshot.SnapshotStore;
import io.annals.eventstore.tck.TruncationContract;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** The truncation part of the contract on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresTruncationTest extends TruncationContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return JdbcEventStore.builder(DB.newSchemaUrl("truncation"))
                .clock(clock)
                .limits(limits)
                .open();
    }

    @Override
    protected SnapshotStore snapshotsOf(EventStore store) {
        return ((JdbcEventStore) store).snapshots();
    }
}
