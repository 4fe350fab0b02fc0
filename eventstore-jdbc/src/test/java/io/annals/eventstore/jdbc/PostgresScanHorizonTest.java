package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reader paging through the log reads the next page below the horizon of the page before (it
 * stays true), and reads a fresh one where that page ends short. Neither may let it pass an
 * append still open, nor end its scan before events that committed since.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresScanHorizonTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private static final long HOLD = 71_007;

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Test
    @Timeout(60)
    void pages_read_below_a_remembered_horizon_wait_for_an_open_append_and_then_read_on() throws Exception {
        String url = DB.newSchemaUrl("scan");
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection holder = DriverManager.getConnection(url)) {
            try (Statement st = holder.createStatement()) {
                // the append to "held" waits, its rows inserted, until the holder lets it go
                st.execute("CREATE FUNCTION hold_append() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                        + "BEGIN IF NEW.stream_id = 'held' THEN PERFORM pg_advisory_xact_lock(" + HOLD
                        + "); END IF; RETURN NULL; END $$");
                st.execute("CREATE TRIGGER hold_append AFTER INSERT ON annals_events FOR EACH ROW "
                        + "EXECUTE FUNCTION hold_append()");
            }
            for (int i = 0; i < 4; i++) {
                store.append("before", ExpectedVersion.any(), List.of(EventData.of("Before", "{}")));
            }
            List<RecordedEvent> first = store.readAll(0, 2); // a full page: its horizon is remembered
            assertThat(first).hasSize(2);

            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_lock(" + HOLD + ")");
            }
            CompletableFuture<Void> held = CompletableFuture.runAsync(
                    () -> store.append("held", ExpectedVersion.noStream(), List.of(EventData.of("Held", "{}"))));
            awaitWaiting(holder);
            for (int i = 0; i < 3; i++) {
                store.append("after", ExpectedVersion.any(), List.of(EventData.of("After", "{}")));
            }

            List<RecordedEvent> second = store.readAll(first.get(1).position(), 2);
            assertThat(second).extracting(RecordedEvent::type).containsExactly("Before", "Before");
            long after = second.get(1).position();
            assertThat(store.readAll(after, 2))
                    .as("nothing past the append still open, though three later ones committed")
                    .isEmpty();

            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_unlock(" + HOLD + ")");
            }
            held.get(30, TimeUnit.SECONDS);
            assertThat(store.readAll(after, 10))
                    .extracting(RecordedEvent::type)
                    .containsExactly("Held", "After", "After", "After");
        }
    }

    /** Until the append to "held" waits for the holder's lock. */
    private static void awaitWaiting(Connection c) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = "
                                    + HOLD)) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the append to \"held\" never waited for the lock");
    }
}
