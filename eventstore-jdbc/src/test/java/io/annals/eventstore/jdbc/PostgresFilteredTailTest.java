package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.Projector;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A started runner's filtered projection (an interest in some event types) tails a log whose
 * appends commit out of position order, with its timed poll an hour away: the wake-ups alone
 * bring its polls, and the checkpoint moves past events it does not need. It must apply every
 * event it needs, once, and a caller of awaitPosition must see the last append applied.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresFilteredTailTest extends ClosingTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    /** Applies the {@code Needed} events alone, and remembers them. */
    static final class Needing implements Projector {
        final AtomicLong checkpoint = new AtomicLong();
        final Set<Long> applied = ConcurrentHashMap.newKeySet();
        final AtomicReference<String> wrong = new AtomicReference<>();

        @Override
        public String name() {
            return "needing";
        }

        @Override
        public long checkpoint() {
            return checkpoint.get();
        }

        @Override
        public Optional<Query> interest() {
            return Optional.of(Query.of(QueryItem.types("Needed")));
        }

        @Override
        public synchronized void apply(long from, long to, List<RecordedEvent> events) {
            if (checkpoint.get() != from) {
                throw new CheckpointConflictException(name(), from);
            }
            for (RecordedEvent e : events) {
                if (!e.type().equals("Needed") || e.position() <= from || e.position() > to) {
                    wrong.compareAndSet(null, e.type() + " at " + e.position() + " in (" + from + ", " + to + "]");
                }
                if (!applied.add(e.position())) {
                    wrong.compareAndSet(null, "applied twice: " + e.position());
                }
            }
            checkpoint.set(to);
        }

        @Override
        public void reset() {
            checkpoint.set(0);
            applied.clear();
        }

        @Override
        public Optional<Lease> tryAcquire() {
            return Optional.of(Lease.untilClosed(() -> {}));
        }
    }

    @ParameterizedTest(name = "sessions in repeatable read: {0}")
    @ValueSource(booleans = {false, true})
    void a_filtered_projection_applies_every_event_it_needs_while_appends_commit_out_of_order(boolean repeatable)
            throws Exception {
        String url = DB.newSchemaUrl("filtered");
        JdbcEventStore store = closeLater(
                repeatable
                        ? JdbcEventStore.builder(DB.pool(url, "TRANSACTION_REPEATABLE_READ", 12))
                                .open()
                        : JdbcEventStore.builder(url).maxPoolSize(12).open());
        // a second store object: its appends wake the runner through notifications alone
        JdbcEventStore other =
                closeLater(JdbcEventStore.builder(url).maxPoolSize(4).open());
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement()) {
            st.execute("""
                    CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        PERFORM pg_sleep(random() * 0.01);
                        RETURN NULL;
                    END $$""");
            st.execute("CREATE TRIGGER slow_commit AFTER INSERT ON annals_events FOR EACH ROW "
                    + "EXECUTE FUNCTION slow_commit()");
        }
        Needing needing = new Needing();
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(needing)
                .pollInterval(Duration.ofHours(1))
                .batchSize(7) // full pages too
                .build());
        runner.start();

        Set<Long> needed = ConcurrentHashMap.newKeySet();
        AtomicLong last = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            JdbcEventStore through = w < 6 ? store : other;
            String stream = "w" + w;
            Thread t = new Thread(() -> {
                for (int i = 0; i < 120; i++) {
                    boolean need = ThreadLocalRandom.current().nextInt(4) == 0;
                    long at = through.append(
                                    stream,
                                    ExpectedVersion.any(),
                                    List.of(EventData.of(need ? "Needed" : "Other", "{}")))
                            .position();
                    if (need) {
                        needed.add(at);
                    }
                    last.accumulateAndGet(at, Math::max);
                }
            });
            t.start();
            writers.add(t);
        }
        for (Thread t : writers) {
            t.join();
        }
        assertThat(runner.awaitPosition("needing", last.get(), Duration.ofSeconds(60)))
                .as("the last append, waited for")
                .isTrue();
        assertThat(needing.wrong.get()).isNull();
        Set<Long> missed = new TreeSet<>(needed);
        missed.removeAll(needing.applied);
        assertThat(missed).as("needed events the checkpoint moved past").isEmpty();
        assertThat(needing.applied).hasSameSizeAs(needed);
    }
}
