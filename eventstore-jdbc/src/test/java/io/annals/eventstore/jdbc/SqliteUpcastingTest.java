package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

class SqliteUpcastingTest extends UpcastingContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    EventStore newStore() {
        return JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("upcasting-" + FILES.incrementAndGet() + ".db"));
    }

    @Override
    KeyedProjector<String, Balance> keyed(EventStore store, Projection<Money, String, Balance> projection) {
        return ((JdbcEventStore) store).projectors().keyed(projection, CODEC, JacksonStateCodec.of(Balance.class));
    }
}
