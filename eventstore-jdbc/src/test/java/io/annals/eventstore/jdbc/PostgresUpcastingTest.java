package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

@Tag("postgres")
class PostgresUpcastingTest extends UpcastingContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    EventStore newStore() {
        return JdbcEventStore.open(DB.newSchemaUrl("upcasting"));
    }

    @Override
    KeyedProjector<String, Balance> keyed(EventStore store, Projection<Money, String, Balance> projection) {
        return ((JdbcEventStore) store).projectors().keyed(projection, CODEC, JacksonStateCodec.of(Balance.class));
    }
}
