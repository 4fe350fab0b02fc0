package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A split projection's edges, on PostgreSQL, where segments run in several processes at once. */
@Tag("postgres")
class PostgresSegmentEdgeTest extends SegmentEdgeContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("segment_edges");
    }

    /** Totals per stream whose apply can be held at an event of one stream. */
    static final class GatedTotals extends Totals {
        volatile String gatedStream;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        GatedTotals() {
            super("totals");
        }

        @Override
        public boolean rowsDeriveFromOneStream() {
            return true;
        }

        @Override
        public Total apply(Total current, Envelope<Deposited> e) {
            if (e.recorded().streamId().equals(gatedStream)) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.apply(current, e);
        }
    }

    private static String streamIn(Segments segments, int segment, String prefix) {
        for (int i = 0; ; i++) {
            if (segments.segmentOf(prefix + i) == segment) {
                return prefix + i;
            }
        }
    }

    @Test
    @Timeout(60)
    void a_reset_of_one_segment_racing_a_batch_of_another_never_applies_an_event_twice() throws Exception {
        String url = newUrl();
        JdbcEventStore store = closeLater(JdbcEventStore.open(url));
        Segments two = Segments.of(2);
        String x = streamIn(two, 1, "acct-x");
        String y = streamIn(two, 1, "acct-y");
        String z = streamIn(two, 0, "acct-z");
        for (String s : List.of(x, z, x, z)) {
            store.append(s, ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(5))));
        }
        GatedTotals gated = new GatedTotals();
        List<KeyedProjector<String, Total>> segments = store.projectors().segments(gated, CODEC, TOTALS, two);
        try (ProjectionRunner r = runner(store, segments)) {
            r.catchUp();
        }
        long cp1 = segments.get(1).checkpoint();
        assertThat(cp1).isPositive();

        // a new stream of segment 1: its batch inserts a row the read model did not have
        store.append(y, ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(7))));
        List<RecordedEvent> after = store.readAll(cp1, 100);
        long to = after.get(after.size() - 1).position();
        gated.gatedStream = y;

        // segment 1's runner (another process): its batch has moved its checkpoint and folds
        CompletableFuture<Void> batch =
                CompletableFuture.runAsync(() -> segments.get(1).apply(cp1, to, after));
        assertThat(gated.entered.await(10, TimeUnit.SECONDS)).isTrue();

        // an operator rebuilds through segment 0 meanwhile: the reset waits on segment 1's checkpoint
        String name = "annals_reset_" + UUID.randomUUID().toString().substring(0, 8);
        JdbcEventStore operator = closeLater(JdbcEventStore.open(PostgresTestDatabase.named(url, name)));
        KeyedProjector<String, Total> seg0 = operator.projectors()
                .segments(new SegmentContract.StreamTotals(), CODEC, TOTALS, two)
                .get(0);
        CompletableFuture<Void> reset = CompletableFuture.runAsync(seg0::reset);
        PostgresTestDatabase.awaitWaitingForALock(name);
        assertThat(reset).isNotDone();
        gated.release.countDown();
        batch.get(20, TimeUnit.SECONDS);
        reset.get(20, TimeUnit.SECONDS);

        // both segments replay from wherever the reset left them
        gated.gatedStream = null;
        try (ProjectionRunner r = runner(store, segments)) {
            r.catchUp();
        }
        assertThat(SegmentContract.rows(segments.get(0)))
                .as("every event applied once after the reset")
                .isEqualTo(SegmentContract.fold(EventStoreContract.readAllOf(store)));
    }

    @Test
    @Timeout(120)
    void two_segments_reset_at_once_both_succeed() throws Exception {
        String url = newUrl();
        JdbcEventStore store = closeLater(JdbcEventStore.open(url));
        deposits(store, 40, 7);
        Segments four = Segments.of(4);
        try (ProjectionRunner r = runner(store, split(store, 4))) {
            r.catchUp();
        }
        // four operators, as four processes would, each resetting through its own segment
        List<KeyedProjector<String, Total>> operators = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            JdbcEventStore other = closeLater(JdbcEventStore.open(url));
            operators.add(other.projectors()
                    .segments(new SegmentContract.StreamTotals(), CODEC, TOTALS, four)
                    .get(s));
        }
        List<Throwable> failures = new ArrayList<>();
        for (int round = 0; round < 10 && failures.isEmpty(); round++) {
            List<CompletableFuture<Void>> resets = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (KeyedProjector<String, Total> seg : operators) {
                resets.add(CompletableFuture.runAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    seg.reset();
                }));
            }
            go.countDown();
            for (CompletableFuture<Void> f : resets) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            try (ProjectionRunner r = runner(store, split(store, 4))) {
                r.catchUp(); // the model back up, so that the next round's resets have rows to delete
            }
        }
        assertThat(failures).as("resets of one split at once").isEmpty();
    }
}
