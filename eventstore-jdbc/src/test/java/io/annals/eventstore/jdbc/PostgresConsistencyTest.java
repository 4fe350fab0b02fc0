package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.tck.ConsistencyContract;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** The second part of the contract on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresConsistencyTest extends ConsistencyContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return JdbcEventStore.builder(DB.newSchemaUrl("consistency"))
                .clock(clock)
                .limits(limits)
                .open();
    }
}
