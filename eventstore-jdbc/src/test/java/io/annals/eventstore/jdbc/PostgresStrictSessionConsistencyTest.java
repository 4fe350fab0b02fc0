package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.tck.ConsistencyContract;
import io.annals.eventstore.tck.ForwardingEventStore;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/**
 * The second part of the contract on PostgreSQL through an application's pool whose sessions run
 * in repeatable read: an append with a condition must not check it in a snapshot taken before its
 * locks were granted, which a stricter level than read committed would give the statements of
 * its round trip.
 */
@Tag("postgres")
class PostgresStrictSessionConsistencyTest extends ConsistencyContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        HikariDataSource pool = DB.pool(DB.newSchemaUrl("strict"), "TRANSACTION_REPEATABLE_READ", 20);
        EventStore store =
                JdbcEventStore.builder(pool).clock(clock).limits(limits).open();
        return new ForwardingEventStore(store) {
            @Override
            public void close() {
                super.close();
                pool.close();
            }
        };
    }
}
