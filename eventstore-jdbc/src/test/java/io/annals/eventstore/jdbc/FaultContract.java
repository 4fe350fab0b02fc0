package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.Event;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.AggregateState;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenario 8 of the reliability suite: snapshots written concurrently, corrupted, or of another
 * schema version; the loaded state always equals a full fold of the events.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class FaultContract extends ReliabilityContract {

    // --- 8. snapshots ---------------------------------------------------------------------

    /** The test aggregate: a tally of numbers, with every number kept. */
    record Add(String id, long n) implements Command {
        @Override
        public String aggregateId() {
            return id;
        }
    }

    record Added(long n) implements Event {}

    record Tally(long sum, List<Long> values) {}

    static final class Tallies implements Aggregate<Tally, Add, Added> {
        @Override
        public String category() {
            return "tally";
        }

        @Override
        public Tally initialState() {
            return new Tally(0, List.of());
        }

        @Override
        public List<Added> decide(Tally state, Add command) {
            return List.of(new Added(command.n()));
        }

        @Override
        public Tally evolve(Tally state, Added event) {
            List<Long> values = new ArrayList<>(state.values());
            values.add(event.n());
            return new Tally(state.sum() + event.n(), List.copyOf(values));
        }
    }

    static final JacksonEventCodec<Added> TALLY_CODEC = JacksonEventCodec.builder(Added.class)
            .register("Added", Added.class)
            .build();

    private static CommandHandler<Tally, Add, Added> handler(JdbcEventStore store, int schemaVersion, int every) {
        return CommandHandler.builder(new Tallies(), store, TALLY_CODEC)
                .maxAttempts(1000)
                .snapshots(new SnapshotSettings<>(
                        store.snapshots(),
                        JacksonStateCodec.of(Tally.class),
                        schemaVersion,
                        SnapshotPolicy.everyEvents(every)))
                .build();
    }

    /** The state folded from every event, never from a snapshot. */
    private static AggregateState<Tally> fold(JdbcEventStore store, String id) {
        return CommandHandler.builder(new Tallies(), store, TALLY_CODEC).build().load(id);
    }

    @Test
    @Timeout(120)
    void concurrent_commands_and_snapshot_writes_always_load_the_state_of_a_full_fold() throws Exception {
        String url = db().newUrl("snap-race");
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(10).open()) {
            CommandHandler<Tally, Add, Added> tallies = handler(store, 1, 2);
            int threads = 6;
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int i = 0; i < 15; i++) {
                            tallies.handle(new Add("t", thread * 100 + i));
                            AggregateState<Tally> loaded = tallies.load("t");
                            assertThat(loaded.state().values()).hasSize((int) loaded.version());
                        }
                        return null;
                    }));
                }
                // and a slow writer that keeps saving an old (correct) snapshot over newer ones
                done.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    for (int i = 0; i < 50; i++) {
                        List<RecordedEvent> head = store.readStream("tally-t", 1, 1);
                        if (!head.isEmpty()) {
                            long n = TALLY_CODEC.decode(head.get(0)).event().n();
                            store.snapshots()
                                    .save(new Snapshot(
                                            "tally-t",
                                            1,
                                            head.get(0).eventId(),
                                            1,
                                            "{\"sum\":" + n + ",\"values\":[" + n + "]}",
                                            Instant.now()));
                        }
                        Thread.sleep(2);
                    }
                    return null;
                }));
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(tallies.load("t")).isEqualTo(fold(store, "t"));
            assertThat(fold(store, "t").version()).isEqualTo(threads * 15);
            assertThat(store.snapshots().load("tally-t").orElseThrow().version())
                    .isGreaterThan(1);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "not json at all",
                "{\"sum\":12,\"values\":[1,2",
                "{}",
                "null",
                "{\"sum\":\"many\",\"values\":[]}",
                "[]",
                "{\"sum\":3}",
                "{\"values\":[1,2]}",
                ""
            })
    void a_corrupt_snapshot_is_ignored_and_the_events_are_folded(String corrupt) throws Exception {
        String url = db().newUrl("snap-corrupt");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            CommandHandler<Tally, Add, Added> tallies = handler(store, 1, 3);
            for (int i = 1; i <= 7; i++) {
                tallies.handle(new Add("c", i));
            }
            assertThat(store.snapshots().load("tally-c").orElseThrow().version())
                    .isEqualTo(6);
            sql(url, "UPDATE annals_snapshots SET state = ? WHERE stream_id = ?", corrupt, "tally-c");

            assertThat(tallies.load("c")).isEqualTo(fold(store, "c"));
            assertThat(tallies.handle(new Add("c", 8)).state())
                    .isEqualTo(fold(store, "c").state());
        }
    }

    @Test
    void a_snapshot_that_does_not_belong_to_the_stream_is_ignored_and_discarded() throws Exception {
        String url = db().newUrl("snap-foreign");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            CommandHandler<Tally, Add, Added> tallies = handler(store, 1, 3);
            for (int i = 1; i <= 4; i++) {
                tallies.handle(new Add("f", i));
            }
            AggregateState<Tally> truth = fold(store, "f");
            Snapshot taken = store.snapshots().load("tally-f").orElseThrow();
            for (String corruption : List.of(
                    "version = 99", // past the end of the stream
                    "version = 3, last_event_id = '" + UUID.randomUUID() + "'", // another event's id
                    "version = 0")) { // an impossible version
                sql(url, "DELETE FROM annals_snapshots WHERE stream_id = ?", "tally-f");
                store.snapshots().save(taken);
                sql(url, "UPDATE annals_snapshots SET " + corruption + " WHERE stream_id = ?", "tally-f");

                assertThat(tallies.load("f")).as(corruption).isEqualTo(truth);
                if (!corruption.equals("version = 0")) { // a row that is no snapshot cannot be read back
                    assertThat(store.snapshots().load("tally-f"))
                            .as(corruption + ": discarded")
                            .isEmpty();
                }
            }
            // a snapshot past the end no longer keeps the next one out
            store.snapshots().save(taken);
            sql(url, "UPDATE annals_snapshots SET version = 99 WHERE stream_id = ?", "tally-f");
            tallies.handle(new Add("f", 5));
            tallies.handle(new Add("f", 6)); // version 6: a snapshot is due
            assertThat(store.snapshots().load("tally-f").orElseThrow().version())
                    .isEqualTo(6);
        }
    }

    @Test
    void a_snapshot_of_another_schema_version_is_ignored() {
        String url = db().newUrl("snap-schema");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            CommandHandler<Tally, Add, Added> v1 = handler(store, 1, 2);
            for (int i = 1; i <= 5; i++) {
                v1.handle(new Add("v", i));
            }
            // an older shape, under schema version 1, that would not even fold the same
            store.snapshots()
                    .save(new Snapshot(
                            "tally-v",
                            4,
                            store.readStream("tally-v", 4, 1).get(0).eventId(),
                            1,
                            "{\"sum\":-1000,\"values\":[]}",
                            Instant.now()));
            CommandHandler<Tally, Add, Added> v2 = handler(store, 2, 1000);

            assertThat(v2.load("v")).isEqualTo(fold(store, "v"));
            assertThat(v2.load("v").state().sum()).isEqualTo(15);
        }
    }

    private static void sql(String url, String sql, Object... args) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }
}
