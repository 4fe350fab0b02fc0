package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

class SqliteProjectionRunnerTest extends ProjectionRunnerContract {

    private static final AtomicInteger FILES = new AtomicInteger();
    private final Map<EventStore, String> urls = new ConcurrentHashMap<>();

    @TempDir
    Path dir;

    @Override
    protected EventStore newStore() {
        String url = "jdbc:sqlite:" + dir.resolve("projections-" + FILES.incrementAndGet() + ".db");
        JdbcEventStore store = JdbcEventStore.open(url);
        urls.put(store, url);
        return store;
    }

    @Override
    protected KeyedProjector<String, Total> keyed(EventStore store, Totals projection) {
        return ((JdbcEventStore) store).projectors().keyed(projection, CODEC, TOTALS);
    }

    @Override
    protected EventStore reopen(EventStore store) {
        JdbcEventStore again = JdbcEventStore.open(urls.get(store));
        urls.put(again, urls.get(store));
        return again;
    }
}
