package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The global log under concurrent writers whose transactions commit out of order, the hard way:
 * a trigger makes every append sleep a random few milliseconds after its rows are inserted (so
 * later transactions often commit first), one append is held open for seconds while the others
 * go on, and a reader tails {@code readAll} throughout. It must see every acknowledged event
 * exactly once, in position order, and must wait for the held append rather than skip it.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresGapSafetyTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Test
    @Timeout(180)
    void a_tailing_reader_sees_every_event_once_in_order_while_transactions_commit_out_of_order()
            throws Exception {
        String url = DB.newSchemaUrl("gaps");
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(12).open()) {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("""
                        CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.stream_id = 'held-open' THEN
                                PERFORM pg_sleep(3);
                            ELSE
                                PERFORM pg_sleep(random() * 0.008);
                            END IF;
                            RETURN NULL;
                        END $$""");
                st.execute("CREATE TRIGGER slow_commit AFTER INSERT ON annals_events FOR EACH ROW "
                        + "EXECUTE FUNCTION slow_commit()");
            }

            int writers = 8;
            int appendsPerWriter = 60;
            Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
            List<RecordedEvent> seen = new ArrayList<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong heldPosition = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
            try {
                Future<?> reader = pool.submit(() -> {
                    long checkpoint = 0;
                    while (true) {
                        boolean last = !writing.get();
                        List<RecordedEvent> page = store.readAll(checkpoint, 25);
                        for (RecordedEvent r : page) {
                            assertThat(r.position()).isGreaterThan(checkpoint);
                            checkpoint = r.position();
                            seen.add(r);
                        }
                        if (page.isEmpty() && last) {
                            return null;
                        }
                        Thread.sleep(1);
                    }
                });
                List<Future<?>> done = new ArrayList<>();
                done.add(pool.submit(() -> {
                    Thread.sleep(300); // let the others get going
                    EventData e = EventData.of("Held", "{\"held\":true}");
                    AppendResult r = store.append("held-open", ExpectedVersion.noStream(), List.of(e));
                    heldPosition.set(r.position());
                    acknowledged.add(e.eventId());
                    return null;
                }));
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        for (int i = 0; i < appendsPerWriter; i++) {
                            List<EventData> batch = new ArrayList<>();
                            for (int k = 0; k <= random.nextInt(3); k++) {
                                batch.add(EventData.of("Written", "{\"writer\":" + writer + ",\"i\":" + i + "}"));
                            }
                            store.append("stream-" + random.nextInt(20), ExpectedVersion.any(), batch);
                            batch.forEach(e -> acknowledged.add(e.eventId()));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(150, TimeUnit.SECONDS);
                }
                writing.set(false);
                reader.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }

            List<UUID> seenIds = seen.stream().map(RecordedEvent::eventId).toList();
            assertThat(seenIds).doesNotHaveDuplicates();
            assertThat(seenIds).containsExactlyInAnyOrderElementsOf(acknowledged);
            List<RecordedEvent> all = EventStoreContract.readAllOf(store);
            assertThat(seenIds).containsExactlyElementsOf(all.stream().map(RecordedEvent::eventId).toList());
            // The held append took its position early and committed late; events written while it
            // was open have higher positions, and the reader returned none of them before it.
            int heldIndex = seenIds.indexOf(all.stream().filter(r -> r.streamId().equals("held-open"))
                    .findFirst().orElseThrow().eventId());
            assertThat(seen.get(heldIndex).position()).isEqualTo(heldPosition.get());
            assertThat(seen.size() - heldIndex - 1)
                    .as("events committed while the held append was open, after it in the log")
                    .isGreaterThan(20);
        }
    }
}
