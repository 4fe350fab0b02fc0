package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.KeyedProjector;
import io.annals.eventstore.ProjectionRunnerContract;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** The projection contract on PostgreSQL; "another process" is a second pool on the schema. */
@Tag("postgres")
class PostgresProjectionRunnerTest extends ProjectionRunnerContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private final Map<EventStore, String> urls = new ConcurrentHashMap<>();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected EventStore newStore() {
        String url = DB.newSchemaUrl("projections");
        JdbcEventStore store = JdbcEventStore.open(url);
        urls.put(store, url);
        return store;
    }

    @Override
    protected KeyedProjector<String, Total> keyed(EventStore store, Totals projection) {
        return ((JdbcEventStore) store).projections().keyed(projection, CODEC, TOTALS);
    }

    @Override
    protected EventStore reopen(EventStore store) {
        JdbcEventStore again = JdbcEventStore.open(urls.get(store));
        urls.put(again, urls.get(store));
        return again;
    }
}
