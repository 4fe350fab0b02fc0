package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresInstrumentationTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    /** Writes down the appends' outcomes and the horizon waits. */
    static final class Recording implements Instrumentation {
        final List<String> appends = new CopyOnWriteArrayList<>();
        final List<Duration> waits = new CopyOnWriteArrayList<>();

        @Override
        public Append appendStarted(String store, int events) {
            return outcome -> appends.add(store + " " + outcome.tag());
        }

        @Override
        public void horizonWaited(String store, Duration waited) {
            assertThat(store).isEqualTo("postgresql");
            waits.add(waited);
        }
    }

    private static EventData tagged(String type) {
        return new EventData(UUID.randomUUID(), type, "{}", Map.of()).withTags("topic:x");
    }

    @Test
    @Timeout(60)
    void a_read_by_query_that_waits_for_an_append_in_flight_is_reported_and_a_read_that_does_not_is_not()
            throws Exception {
        Recording recording = new Recording();
        try (JdbcEventStore store = JdbcEventStore.builder(DB.newSchemaUrl("instrumented"))
                .instrumentation(recording)
                .open()) {
            Query x = Query.of(QueryItem.tags("topic:x"));
            assertThat(store.lastPosition()).hasValue(0);
            long first = store.append("fast", ExpectedVersion.any(), List.of(tagged("First")))
                    .position();
            assertThat(store.lastPosition()).hasValue(first);
            assertThat(store.read(x, 0, 10)).hasSize(1);
            assertThat(recording.waits).as("nothing in flight: no wait").isEmpty();

            try (Connection c = store.dataSource().getConnection();
                    Statement st = c.createStatement()) {
                st.execute("CREATE FUNCTION slow_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "PERFORM pg_sleep(2); RETURN NEW; END $$");
                st.execute("CREATE TRIGGER slow_append BEFORE INSERT ON annals_events FOR EACH ROW "
                        + "WHEN (NEW.stream_id = 'slow') EXECUTE FUNCTION slow_append()");
            }
            CompletableFuture<?> slow = CompletableFuture.runAsync(
                    () -> store.append("slow", ExpectedVersion.any(), List.of(tagged("Slow"))));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (store.readHorizon().heldBy().isEmpty()) {
                assertThat(System.nanoTime()).as("the slow append in flight").isLessThan(deadline);
                Thread.sleep(10);
            }
            // committed above the slow append's positions: a read of the query waits for it
            store.append("fast", ExpectedVersion.any(), List.of(tagged("Second")));

            List<RecordedEvent> read = store.read(x, 0, 10);

            slow.get(30, TimeUnit.SECONDS);
            assertThat(read).extracting(RecordedEvent::type).containsExactly("First", "Slow", "Second");
            assertThat(recording.waits).hasSize(1);
            assertThat(recording.waits.get(0)).isPositive();
            assertThat(recording.appends).containsOnly("postgresql ok").hasSize(3);
        }
    }
}
