package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.ProjectionStatus.State;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A split projection meeting the other ways a keyed read model changes hands: a blue-green switch
 * before the split, and the checks that keep two splits apart.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class SegmentEdgeContract {

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

    <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    ProjectionRunner runner(JdbcEventStore store, List<? extends KeyedProjector<String, Total>> projectors) {
        ProjectionRunner.Builder b =
                ProjectionRunner.builder(store).batchSize(7).pollInterval(Duration.ofMillis(10));
        projectors.forEach(b::add);
        return closeLater(b.build());
    }

    static void deposits(JdbcEventStore store, int n, int streams) {
        for (int i = 1; i <= n; i++) {
            store.append("acct-" + (i % streams), ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(i))));
        }
    }

    static List<KeyedProjector<String, Total>> split(JdbcEventStore store, int count) {
        return store.projectors().segments(new SegmentContract.StreamTotals(), CODEC, TOTALS, Segments.of(count));
    }

    static KeyedProjector<String, Total> whole(JdbcEventStore store) {
        return store.projectors().keyed(new SegmentContract.StreamTotals(), CODEC, TOTALS);
    }

    /** Runs the projection whole, then rebuilds it blue-green: a version other than the first serves it. */
    void runWholeThenSwitch(JdbcEventStore store) {
        try (ProjectionRunner r = runner(store, List.of(whole(store)))) {
            r.catchUp();
            r.rebuildBlueGreen("totals", p -> {});
        }
        Map<String, Total> expected = SegmentContract.fold(EventStoreContract.readAllOf(store));
        assertThat(SegmentContract.rows(whole(store))).isEqualTo(expected);
    }

    @Test
    @Timeout(60)
    void a_projection_switched_blue_green_then_reset_and_split_as_documented_serves_the_split_rows() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 60, 9);
        runWholeThenSwitch(store);

        // the documented way to change the split: stop the runners, reset the projection run
        // whole, start the segments
        whole(store).reset();
        List<KeyedProjector<String, Total>> two = split(store, 2);
        List<ProjectionStatus> done = runner(store, two).catchUp();
        assertThat(done).extracting(ProjectionStatus::lastError).containsOnly(java.util.Optional.empty());

        Map<String, Total> expected = SegmentContract.fold(EventStoreContract.readAllOf(store));
        assertThat(SegmentContract.rows(two.get(0))).isEqualTo(expected);
        assertThat(SegmentContract.rows(whole(store))).isEqualTo(expected);
    }

    @Test
    @Timeout(60)
    void a_projection_switched_blue_green_then_split_without_a_reset_is_refused_or_right() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 60, 9);
        runWholeThenSwitch(store);
        deposits(store, 14, 9); // the segments must show these too, or refuse to run

        List<KeyedProjector<String, Total>> two = split(store, 2);
        List<ProjectionStatus> done = runner(store, two).catchUp();

        Map<String, Total> expected = SegmentContract.fold(EventStoreContract.readAllOf(store));
        if (done.stream().allMatch(s -> s.state() != State.FAILED)) {
            assertThat(SegmentContract.rows(two.get(0)))
                    .as("the segments ran, so what readers see must be the fold of the log")
                    .isEqualTo(expected);
        } else {
            assertThat(done.get(0).lastError().orElseThrow()).contains("read model totals was built by");
        }
    }

    @Test
    @Timeout(60)
    void a_whole_projection_after_a_split_is_refused_even_once_switched() {
        // the other way round: split first, then run whole. The split's checkpoints stop it.
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 40, 7);
        try (ProjectionRunner r = runner(store, split(store, 2))) {
            r.catchUp();
        }
        List<ProjectionStatus> refused = runner(store, List.of(whole(store))).catchUp();
        assertThat(refused).extracting(ProjectionStatus::state).containsOnly(State.FAILED);
        assertThat(refused.get(0).lastError().orElseThrow()).contains("read model totals was built by totals[");
    }

    @Test
    @Timeout(60)
    void another_projection_whose_name_extends_this_one_does_not_block_the_split() {
        JdbcEventStore store = closeLater(JdbcEventStore.open(newUrl()));
        deposits(store, 40, 7);
        // "totals-eu", "totals[x]" and "totals[1]" are other projections, never segments of "totals"
        for (String other : List.of("totals-eu", "totals[x]", "totals[1]", "totals[1/2/3]x")) {
            KeyedProjector<String, Total> p = store.projectors()
                    .keyed(new io.annals.eventstore.tck.ProjectionRunnerContract.Totals(other), CODEC, TOTALS);
            try (ProjectionRunner r = runner(store, List.of(p))) {
                assertThat(r.catchUp()).extracting(ProjectionStatus::state).doesNotContain(State.FAILED);
            }
        }
        List<KeyedProjector<String, Total>> two = split(store, 2);
        List<ProjectionStatus> done = runner(store, two).catchUp();
        assertThat(done).extracting(ProjectionStatus::lastError).containsOnly(java.util.Optional.empty());
        assertThat(SegmentContract.rows(two.get(1)))
                .isEqualTo(SegmentContract.fold(EventStoreContract.readAllOf(store)));
    }
}
