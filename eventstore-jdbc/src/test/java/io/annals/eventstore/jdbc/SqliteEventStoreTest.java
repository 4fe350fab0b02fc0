package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.tck.EventStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The whole contract on SQLite, each test on a new database file. */
class SqliteEventStoreTest extends EventStoreContract {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        Path file = dir.resolve("events-" + FILES.incrementAndGet() + ".db");
        return JdbcEventStore.builder("jdbc:sqlite:" + file)
                .clock(clock)
                .limits(limits)
                .open();
    }

    @Override
    protected void assertSameJson(String actual, String expected) {
        try {
            assertThat(JSON.readTree(actual)).isEqualTo(JSON.readTree(expected));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
