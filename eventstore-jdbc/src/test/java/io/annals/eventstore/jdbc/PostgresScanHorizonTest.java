package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.lang.reflect.Field;
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
        // the reader's pages all go through its one connection, which remembers their horizons
        try (JdbcEventStore writer = JdbcEventStore.open(url);
                JdbcEventStore store =
                        JdbcEventStore.builder(url).maxPoolSize(1).open();
                Connection holder = DriverManager.getConnection(url)) {
            List<RecordedEvent> first = holdAfterAPage(writer, store, holder);

            List<RecordedEvent> second = store.readAll(first.get(1).position(), 2);
            assertThat(second).extracting(RecordedEvent::type).containsExactly("Before", "Before");
            long after = second.get(1).position();
            assertThat(store.readAll(after, 2))
                    .as("nothing past the append still open, though three later ones committed")
                    .isEmpty();

            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_unlock(" + HOLD + ")");
            }
            awaitCount(writer, 8);
            assertThat(store.readAll(after, 10))
                    .extracting(RecordedEvent::type)
                    .containsExactly("Held", "After", "After", "After");
        }
    }

    @Test
    @Timeout(60)
    void a_horizon_read_by_another_server_process_is_never_read_below() throws Exception {
        String url = DB.newSchemaUrl("scanelsewhere");
        try (JdbcEventStore writer = JdbcEventStore.open(url);
                JdbcEventStore store =
                        JdbcEventStore.builder(url).maxPoolSize(1).open();
                Connection holder = DriverManager.getConnection(url)) {
            List<RecordedEvent> first = holdAfterAPage(writer, store, holder);
            // As if the connection now reached another server (a pooler's, after a failover): the
            // horizon it remembers was read by a server process it no longer talks to, and on
            // this server it would pass the append still open.
            Object slot = ((Object[]) field(field(store, "scanHorizons"), "slots"))[0];
            assertThat((long) field(slot, "end"))
                    .as("the first page is remembered")
                    .isEqualTo(first.get(1).position());
            assertThat((long) field(slot, "horizon")).isGreaterThan(first.get(1).position());
            set(slot, "horizon", Long.MAX_VALUE - 1);
            set(slot, "process", -(int) field(slot, "process") - 1);

            assertThat(store.readAll(first.get(1).position(), 10))
                    .extracting(RecordedEvent::type)
                    .containsExactly("Before", "Before");

            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_unlock(" + HOLD + ")");
            }
            awaitCount(writer, 8);
        }
    }

    /**
     * Appends four events, reads a full page of two through {@code reader}, then holds an append
     * to "held" open (until the holder unlocks {@link #HOLD}) and commits three appends after it.
     */
    private static List<RecordedEvent> holdAfterAPage(JdbcEventStore writer, JdbcEventStore reader, Connection holder)
            throws Exception {
        try (Statement st = holder.createStatement()) {
            // the append to "held" waits, its rows inserted, until the holder lets it go
            st.execute("CREATE FUNCTION hold_append() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                    + "BEGIN IF NEW.stream_id = 'held' THEN PERFORM pg_advisory_xact_lock(" + HOLD
                    + "); END IF; RETURN NULL; END $$");
            st.execute("CREATE TRIGGER hold_append AFTER INSERT ON annals_events FOR EACH ROW "
                    + "EXECUTE FUNCTION hold_append()");
        }
        for (int i = 0; i < 4; i++) {
            writer.append("before", ExpectedVersion.any(), List.of(EventData.of("Before", "{}")));
        }
        List<RecordedEvent> first = reader.readAll(0, 2); // a full page: its horizon is remembered
        assertThat(first).hasSize(2);

        try (Statement st = holder.createStatement()) {
            st.execute("SELECT pg_advisory_lock(" + HOLD + ")");
        }
        CompletableFuture.runAsync(
                () -> writer.append("held", ExpectedVersion.noStream(), List.of(EventData.of("Held", "{}"))));
        awaitWaiting(holder);
        for (int i = 0; i < 3; i++) {
            writer.append("after", ExpectedVersion.any(), List.of(EventData.of("After", "{}")));
        }
        return first;
    }

    /** Until {@code count} events are committed. */
    private static void awaitCount(JdbcEventStore store, long count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (store.countEvents() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the held append never committed");
            }
            Thread.sleep(10);
        }
    }

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
    }

    private static void set(Object owner, String name, Object value) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        f.set(owner, value);
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
