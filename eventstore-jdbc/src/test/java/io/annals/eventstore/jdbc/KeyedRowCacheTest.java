package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows a keyed projector keeps between batches: served without being read or decoded again,
 * and never once a batch that could have changed them failed.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class KeyedRowCacheTest {

    @TempDir
    Path dir;

    /** A row that its projection changes in place, against the rule that apply is pure. */
    static final class Tally {
        long sum;
        long count;
    }

    /** Stores a {@link Tally} as "sum,count", counting the rows it decodes. */
    static final class TallyCodec implements StateCodec<Tally> {
        final AtomicInteger decoded = new AtomicInteger();

        @Override
        public String serialize(Tally state) {
            return state.sum + "," + state.count;
        }

        @Override
        public Tally deserialize(String text) {
            decoded.incrementAndGet();
            String[] parts = text.split(",");
            Tally t = new Tally();
            t.sum = Long.parseLong(parts[0]);
            t.count = Long.parseLong(parts[1]);
            return t;
        }
    }

    /**
     * Sums deposits per account, each times a weight, into the row it is handed; fails on 666 while
     * {@code failing}.
     */
    static final class Tallies implements Projection<Deposited, String, Tally> {
        final AtomicBoolean failing = new AtomicBoolean();
        private final long weight;

        Tallies() {
            this(1);
        }

        Tallies(long weight) {
            this.weight = weight;
        }

        @Override
        public String name() {
            return "tallies";
        }

        @Override
        public String key(Envelope<Deposited> e) {
            return e.recorded().streamId();
        }

        @Override
        public Tally apply(Tally current, Envelope<Deposited> e) {
            Tally t = current == null ? new Tally() : current;
            t.sum += weight * e.event().amount();
            t.count++;
            if (failing.get() && e.event().amount() == 666) {
                throw new IllegalStateException("cannot handle 666");
            }
            return t;
        }
    }

    private JdbcEventStore open() {
        return JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("rows.db"));
    }

    private static void deposit(JdbcEventStore store, String account, long amount) {
        store.append(account, ExpectedVersion.any(), List.of(EventData.of("Deposited", "{\"amount\":" + amount + "}")));
    }

    private static String row(KeyedProjector<String, Tally> projector, String key) {
        return projector.get(key).map(t -> t.sum + "/" + t.count).orElse("none");
    }

    @Test
    void a_batch_that_failed_after_changing_a_kept_row_in_place_leaves_the_next_batch_the_stored_row() {
        try (JdbcEventStore store = open()) {
            Tallies tallies = new Tallies();
            TallyCodec codec = new TallyCodec();
            KeyedProjector<String, Tally> projector =
                    store.projectors().keyed(tallies, ProjectionRunnerContract.CODEC, codec);
            ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(projector).build();
            deposit(store, "a", 1);
            assertThat(runner.catchUp().get(0).state()).isNotEqualTo(ProjectionStatus.State.FAILED);
            assertThat(row(projector, "a")).isEqualTo("1/1");

            // the batch changes a's kept row to 3/2 in place, then fails on b's event
            tallies.failing.set(true);
            deposit(store, "a", 2);
            deposit(store, "b", 666);
            assertThat(runner.catchUp().get(0).state()).isEqualTo(ProjectionStatus.State.FAILED);
            assertThat(row(projector, "a")).isEqualTo("1/1");

            tallies.failing.set(false);
            assertThat(runner.catchUp().get(0).state()).isNotEqualTo(ProjectionStatus.State.FAILED);
            assertThat(row(projector, "a")).isEqualTo("3/2"); // 5/3 had the changed row been kept
            assertThat(row(projector, "b")).isEqualTo("666/1");
            runner.close();
        }
    }

    @Test
    void a_rebuild_whose_rows_fit_in_the_cache_decodes_none_of_them() {
        try (JdbcEventStore store = open()) {
            for (int i = 0; i < 60; i++) {
                deposit(store, "acct-" + (i % 3), 1);
            }
            TallyCodec codec = new TallyCodec();
            KeyedProjector<String, Tally> projector =
                    store.projectors().keyed(new Tallies(), ProjectionRunnerContract.CODEC, codec);
            ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(projector).batchSize(7).build();

            runner.rebuild("tallies", p -> {}).done();

            assertThat(codec.decoded).hasValue(0); // nine batches, each key in every one
            codec.decoded.set(0);
            assertThat(row(projector, "acct-0")).isEqualTo("20/20");
            assertThat(row(projector, "acct-2")).isEqualTo("20/20");
            assertThat(codec.decoded).hasValue(2); // reads go to the table
            runner.close();
        }
    }

    @Test
    void a_rebuild_in_another_process_back_to_the_same_position_is_not_written_over_by_kept_rows() {
        try (JdbcEventStore store = open();
                JdbcEventStore other = open()) {
            KeyedProjector<String, Tally> projector =
                    store.projectors().keyed(new Tallies(), ProjectionRunnerContract.CODEC, new TallyCodec());
            ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(projector).build();
            deposit(store, "a", 1);
            runner.catchUp(); // keeps a's row at the checkpoint
            assertThat(row(projector, "a")).isEqualTo("1/1");

            // Another process resets the read model and replays it to the same position, writing
            // rows of its own (other code here; a parked event now applied in its place would do).
            KeyedProjector<String, Tally> elsewhere =
                    other.projectors().keyed(new Tallies(2), ProjectionRunnerContract.CODEC, new TallyCodec());
            elsewhere.reset();
            List<RecordedEvent> log = other.readAll(0, 10);
            elsewhere.apply(0, log.get(log.size() - 1).position(), log);
            assertThat(row(projector, "a")).isEqualTo("2/1");

            deposit(store, "a", 5);
            runner.catchUp();
            assertThat(row(projector, "a")).isEqualTo("7/2"); // 6/2 from the kept row
            runner.close();
        }
    }

    @Test
    void a_batch_in_flight_leaves_the_cache_valid_nowhere_until_it_commits() {
        RowCache<String> cache = new RowCache<>(10);
        cache.wasReset();
        cache.startBatch(0, 0);
        cache.committed(5, Map.of("a", "row a"), List.of("b"));

        cache.startBatch(5, 0);
        assertThat(cache.get("a")).isEqualTo(new RowCache.Lookup.Stored<>("row a"));
        assertThat(cache.get("b")).isInstanceOf(RowCache.Lookup.Missing.class);
        assertThat(cache.get("c")).isInstanceOf(RowCache.Lookup.Missing.class); // complete since the reset

        // that batch never commits: the next one, from the same position, starts empty
        cache.startBatch(5, 0);
        assertThat(cache.get("a")).isInstanceOf(RowCache.Lookup.Unknown.class);
        assertThat(cache.get("c")).isInstanceOf(RowCache.Lookup.Unknown.class);
    }

    @Test
    void a_batch_from_another_position_or_outside_the_order_starts_empty() {
        RowCache<String> cache = new RowCache<>(10);
        cache.startBatch(0, 0);
        cache.committed(5, Map.of("a", "row a"), List.of());
        cache.startBatch(6, 0);
        assertThat(cache.get("a")).isInstanceOf(RowCache.Lookup.Unknown.class);

        cache.startBatch(6, 0);
        cache.committed(9, Map.of("a", "row a"), List.of());
        cache.startBatch(-1, -1); // a parked event applied on its own
        assertThat(cache.get("a")).isInstanceOf(RowCache.Lookup.Unknown.class);
    }

    @Test
    void a_batch_that_finds_a_repair_counted_starts_empty_and_after_a_reset_any_count_is_taken() {
        RowCache<String> cache = new RowCache<>(10);
        cache.startBatch(0, 0);
        cache.committed(5, Map.of("a", "row a"), List.of());
        cache.startBatch(5, 1); // a parked event was applied meanwhile, here or in another process
        assertThat(cache.get("a")).isInstanceOf(RowCache.Lookup.Unknown.class);
        cache.committed(8, Map.of("a", "row a again"), List.of());
        cache.startBatch(8, 1);
        assertThat(cache.get("a")).isEqualTo(new RowCache.Lookup.Stored<>("row a again"));

        cache.wasReset();
        cache.startBatch(0, 7);
        assertThat(cache.get("z")).isInstanceOf(RowCache.Lookup.Missing.class);
        cache.committed(3, Map.of("b", "row b"), List.of());
        cache.startBatch(3, 8);
        assertThat(cache.get("b")).isInstanceOf(RowCache.Lookup.Unknown.class);
    }

    @Test
    void a_cache_that_overflowed_no_longer_answers_for_keys_it_does_not_hold() {
        RowCache<String> cache = new RowCache<>(2);
        cache.wasReset();
        cache.startBatch(0, 0);
        cache.committed(3, Map.of("a", "1", "b", "2", "c", "3"), List.of());
        cache.startBatch(3, 0);
        List<RowCache.Lookup<String>> found =
                List.of("a", "b", "c").stream().map(cache::get).toList();
        assertThat(found).filteredOn(RowCache.Lookup.Stored.class::isInstance).hasSize(2);
        assertThat(found).filteredOn(RowCache.Lookup.Unknown.class::isInstance).hasSize(1);
        assertThat(cache.get("z")).isInstanceOf(RowCache.Lookup.Unknown.class);
    }
}
