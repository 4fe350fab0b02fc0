package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.ProjectionStatus.State;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A keyed projection split into segments by stream, on a JDBC store: what SQLite and PostgreSQL
 * must both do. The read model is the deposits' totals per stream; split or whole, it must equal
 * the fold of the log, each event applied once.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class SegmentContract {

    /** Totals per stream: each row derives from one stream, so it can be split. */
    static final class StreamTotals extends Totals {
        StreamTotals() {
            super("totals");
        }

        @Override
        public boolean rowsDeriveFromOneStream() {
            return true;
        }
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** A URL of a new, empty database. */
    protected abstract String newUrl();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private static List<KeyedProjector<String, Total>> split(JdbcEventStore store, Segments segments) {
        return store.projectors().segments(new StreamTotals(), CODEC, TOTALS, segments);
    }

    private ProjectionRunner runner(JdbcEventStore store, List<KeyedProjector<String, Total>> segments) {
        ProjectionRunner.Builder b =
                ProjectionRunner.builder(store).batchSize(7).pollInterval(Duration.ofMillis(10));
        segments.forEach(b::add);
        return closeLater(b.build());
    }

    private static AppendResult deposit(JdbcEventStore store, String stream, long amount) {
        return store.append(stream, ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(amount))));
    }

    private static AppendResult deposits(JdbcEventStore store, int n, int streams) {
        AppendResult last = null;
        for (int i = 1; i <= n; i++) {
            last = deposit(store, "acct-" + (i % streams), i);
        }
        return last;
    }

    /** The read model as the fold of the log would make it: totals per stream. */
    static Map<String, Total> fold(List<RecordedEvent> events) {
        Map<String, Total> model = new TreeMap<>();
        Totals totals = new Totals("fold");
        for (RecordedEvent r : events) {
            Total t = totals.apply(model.get(r.streamId()), CODEC.decode(r));
            if (t == null) {
                model.remove(r.streamId());
            } else {
                model.put(r.streamId(), t);
            }
        }
        return model;
    }

    static Map<String, Total> rows(KeyedProjector<String, Total> model) {
        Map<String, Total> out = new TreeMap<>();
        model.list(0, 100_000).forEach(r -> out.put(r.key(), r.value()));
        return out;
    }

    @Test
    void the_segments_together_build_what_the_whole_projection_builds() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 300, 23);
        List<KeyedProjector<String, Total>> segments = split(store, Segments.of(3));
        assertThat(segments)
                .extracting(KeyedProjector::name)
                .containsExactly("totals[0/3]", "totals[1/3]", "totals[2/3]");

        List<ProjectionStatus> done = runner(store, segments).catchUp();

        long end = store.readAll(0, 1_000).get(299).position();
        assertThat(done).extracting(ProjectionStatus::checkpoint).containsOnly(end);
        assertThat(done).extracting(ProjectionStatus::lastError).containsOnly(Optional.empty());
        Map<String, Total> expected = fold(EventStoreContract.readAllOf(store));
        assertThat(expected).hasSize(23);
        // every segment reads the whole read model, stored under the projection's name
        for (KeyedProjector<String, Total> s : segments) {
            assertThat(rows(s)).isEqualTo(expected);
        }
        assertThat(segments.get(1).get("acct-5")).isEqualTo(Optional.of(expected.get("acct-5")));
    }

    @Test
    void each_segment_applies_the_streams_of_its_hash_alone() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 120, 17);
        Segments three = Segments.of(3);
        List<KeyedProjector<String, Total>> segments = split(store, three);
        int segment = three.segmentOf("acct-4");
        // only the segment of acct-4's stream runs: the others' streams stay unapplied
        runner(store, List.of(segments.get(segment))).catchUp();

        Map<String, Total> expected = new TreeMap<>(fold(EventStoreContract.readAllOf(store)));
        expected.keySet().removeIf(stream -> three.segmentOf(stream) != segment);
        assertThat(expected).containsKey("acct-4").hasSizeLessThan(17);
        assertThat(rows(segments.get(segment))).isEqualTo(expected);
    }

    @Test
    void a_stream_lands_in_the_same_segment_in_every_process() {
        // CRC-32 of the UTF-8 bytes, modulo the count: "a" is 0xE8B7BE43 = 3904355907 in every
        // JVM, so another process splits the log the same way
        assertThat(Segments.of(7).segmentOf("a"))
                .isEqualTo((int) (3904355907L % 7))
                .isEqualTo(4);
        assertThat(Segments.of(2).segmentOf("a")).isEqualTo(1);
        assertThat(Segments.of(256).segmentOf("a")).isEqualTo(0x43);
    }

    @Test
    void a_projection_that_folds_many_streams_into_a_row_is_refused() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        assertThatThrownBy(() -> store.projectors().segments(new Totals("sums"), CODEC, TOTALS, Segments.of(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("projection sums cannot be split into segments")
                .hasMessageContaining("rowsDeriveFromOneStream");
    }

    @Test
    void bad_segment_settings_are_refused() {
        assertThatThrownBy(() -> Segments.of(1)).hasMessageContaining("2 to 256 segments, not 1");
        assertThatThrownBy(() -> Segments.of(257)).hasMessageContaining("not 257");
        assertThatThrownBy(() -> Segments.of(3).owning(3)).hasMessageContaining("segment 3 does not exist");
        assertThatThrownBy(() -> Segments.of(3).owning(-1)).hasMessageContaining("segment -1 does not exist");
        assertThatThrownBy(() -> Segments.of(3).takeoverAfter(Duration.ofSeconds(-1)))
                .hasMessageContaining("cannot be negative");
    }

    @Test
    void another_split_or_the_whole_projection_is_refused_until_a_rebuild() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 60, 9);
        Map<String, Total> expected = fold(EventStoreContract.readAllOf(store));
        try (ProjectionRunner two = runner(store, split(store, Segments.of(2)))) {
            two.catchUp();
        }

        List<KeyedProjector<String, Total>> three = split(store, Segments.of(3));
        List<ProjectionStatus> refused = runner(store, three).catchUp();
        assertThat(refused).extracting(ProjectionStatus::state).containsOnly(State.FAILED);
        assertThat(refused.get(0).lastError().orElseThrow())
                .contains("read model totals was built by totals[0/2]")
                .contains("splits it another way")
                .contains("reset it first");
        assertThat(rows(three.get(0))).as("nothing applied twice").isEqualTo(expected);

        KeyedProjector<String, Total> whole = store.projectors().keyed(new StreamTotals(), CODEC, TOTALS);
        ProjectionStatus wholeRefused = runner(store, List.of(whole)).catchUp().get(0);
        assertThat(wholeRefused.lastError().orElseThrow()).contains("was built by totals[0/2]");

        // what the docs tell an operator: reset the old split through one of its segments (rows
        // and every checkpoint of that split), then run the new one
        KeyedProjector<String, Total> old = split(store, Segments.of(2)).get(1);
        old.reset();
        assertThat(split(store, Segments.of(2)).get(0).checkpoint()).isZero();
        assertThat(rows(old)).isEmpty();
        List<ProjectionStatus> built =
                runner(store, split(store, Segments.of(3))).catchUp();
        assertThat(built).extracting(ProjectionStatus::lastError).containsOnly(Optional.empty());
        assertThat(rows(three.get(0))).isEqualTo(expected);
    }

    @Test
    void a_rebuild_of_one_segment_replays_the_whole_projection() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 90, 11);
        List<KeyedProjector<String, Total>> segments = split(store, Segments.of(3));
        ProjectionRunner runner = runner(store, segments);
        runner.catchUp();
        Map<String, Total> expected = fold(EventStoreContract.readAllOf(store));
        assertThat(rows(segments.get(0))).isEqualTo(expected);

        runner.rebuild("totals[2/3]", p -> {});
        Map<String, Total> partial = rows(segments.get(0));
        assertThat(partial.keySet()).allMatch(stream -> Segments.of(3).segmentOf(stream) == 2);
        runner.catchUp();
        assertThat(rows(segments.get(0))).isEqualTo(expected);
    }

    @Test
    @Timeout(60)
    void after_a_rebuild_of_one_segment_the_idle_others_replay_without_waiting_for_an_event() throws Exception {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 80, 16);
        List<KeyedProjector<String, Total>> segments = split(store, Segments.of(4));
        ProjectionRunner runner = runner(store, segments);
        runner.start();
        long end = EventStoreContract.readAllOf(store).get(79).position();
        assertThat(runner.awaitPosition(end, Duration.ofSeconds(20))).isTrue();
        Map<String, Total> expected = fold(EventStoreContract.readAllOf(store));

        runner.rebuild("totals[0/4]", p -> {});

        // no append from here on: the other segments must notice the reset by themselves
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!rows(segments.get(0)).equals(expected) && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertThat(rows(segments.get(0))).isEqualTo(expected);
        assertThat(runner.awaitPosition(end, Duration.ofSeconds(20))).isTrue();
    }

    @Test
    void a_rebuild_under_a_new_split_resets_the_old_one_and_builds_the_model_again() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 60, 9);
        Map<String, Total> expected = fold(EventStoreContract.readAllOf(store));
        try (ProjectionRunner four = runner(store, split(store, Segments.of(4)))) {
            four.catchUp();
        }
        List<KeyedProjector<String, Total>> two = split(store, Segments.of(2));
        try (ProjectionRunner r = runner(store, two)) {
            assertThat(r.catchUp()).extracting(ProjectionStatus::state).containsOnly(State.FAILED);
            // what the refusal says to do: rebuild (the reset covers the old split's checkpoints)
            r.rebuild("totals[0/2]", p -> {});
            r.catchUp();
        }
        assertThat(rows(two.get(0))).isEqualTo(expected);
        // and the old split, started again by mistake, is refused rather than resuming on rows it
        // did not build
        List<ProjectionStatus> old = runner(store, split(store, Segments.of(4))).catchUp();
        assertThat(old).extracting(ProjectionStatus::state).containsOnly(State.FAILED);
        assertThat(rows(two.get(0))).isEqualTo(expected);
    }

    @Test
    @Timeout(60)
    void two_instances_share_the_segments_and_one_takes_over_those_of_the_other_when_it_stops() throws Exception {
        String url = newUrl();
        JdbcEventStore a = closeLater(JdbcEventStore.open(url));
        JdbcEventStore b = closeLater(JdbcEventStore.open(url));
        Segments split = Segments.of(2).takeoverAfter(Duration.ofMillis(300));
        ProjectionRunner first = runner(a, split(a, split.owning(0)));
        ProjectionRunner second = runner(b, split(b, split.owning(1)));
        first.start();
        second.start();
        AppendResult last = deposits(a, 80, 13);
        assertThat(first.awaitPosition(last.position(), Duration.ofSeconds(20))).isTrue();
        assertThat(second.awaitPosition(last.position(), Duration.ofSeconds(20)))
                .isTrue();
        // each instance runs its own segment; the other's waits in standby
        awaitState(first, "totals[0/2]", State.RUNNING);
        awaitState(first, "totals[1/2]", State.STANDBY);
        awaitState(second, "totals[1/2]", State.RUNNING);
        awaitState(second, "totals[0/2]", State.STANDBY);

        second.close();
        AppendResult more = deposits(a, 40, 13);
        // the survivor takes segment 1 over once it has been free for the takeover delay
        assertThat(first.awaitPosition("totals[1/2]", more.position(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(first.awaitPosition(more.position(), Duration.ofSeconds(20))).isTrue();
        awaitState(first, "totals[1/2]", State.RUNNING);
        assertThat(rows(split(a, split).get(0))).isEqualTo(fold(EventStoreContract.readAllOf(a)));
    }

    private static void awaitState(ProjectionRunner runner, String segment, State state) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (runner.status(segment).state() != state && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(runner.status(segment).state()).as(segment).isEqualTo(state);
    }

    @Test
    @Timeout(120)
    void segments_on_three_runners_under_concurrent_writers_apply_each_event_once() throws Exception {
        String url = newUrl();
        JdbcEventStore writer = closeLater(JdbcEventStore.open(url));
        Segments split = Segments.of(3).takeoverAfter(Duration.ofMillis(200));
        List<ProjectionRunner> runners = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JdbcEventStore instance = closeLater(JdbcEventStore.open(url));
            ProjectionRunner r = runner(instance, split(instance, split.owning(i)));
            r.start();
            runners.add(r);
        }
        int threads = 4;
        int each = 150;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<AppendResult>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                go.await();
                AppendResult last = null;
                for (int i = 1; i <= each; i++) {
                    last = deposit(writer, "acct-" + thread + "-" + (i % 19), i);
                }
                return last;
            }));
        }
        go.countDown();
        long end = 0;
        for (Future<AppendResult> f : done) {
            end = Math.max(end, f.get().position());
        }
        pool.shutdown();
        for (ProjectionRunner r : runners) {
            assertThat(r.awaitPosition(end, Duration.ofSeconds(60))).isTrue();
        }
        Map<String, Total> expected = fold(EventStoreContract.readAllOf(writer));
        Map<String, Total> built = rows(split(writer, split).get(0));
        assertThat(built).isEqualTo(expected);
        assertThat(built.values().stream().mapToLong(Total::count).sum())
                .as("every deposit applied once")
                .isEqualTo((long) threads * each);
    }
}
