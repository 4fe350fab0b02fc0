package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("postgres")
class PostgresReactionTest extends ReactionContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    JdbcEventStore newStore() {
        return JdbcEventStore.open(DB.newSchemaUrl("reactions"));
    }

    /**
     * A batch moves its checkpoint, and so has a transaction id, before it appends. Were its lock
     * on the events table taken only by its first INSERT, a reader between the two would not count
     * it, pass the positions it is about to write, and skip its reaction for good.
     */
    @Test
    @Timeout(60)
    void a_reader_between_a_batch_s_checkpoint_and_its_append_does_not_pass_the_reaction() {
        JdbcEventStore store = closeLater(newStore());
        deposit(store, "acct-1", 10);
        List<RecordedEvent> seenMeanwhile = new ArrayList<>();
        SqlProjection<Deposited> manager = reacting("late", true, (c, e) -> {
            // Another writer commits after this batch got its transaction id; a reader then
            // tails the log, both on other threads (other transactions).
            CompletableFuture.runAsync(() -> {
                        deposit(store, "other", 1);
                        seenMeanwhile.addAll(readAll(store));
                    })
                    .get();
            store.append("reaction", ExpectedVersion.noStream(), List.of(CODEC.encode(e.event())));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            ProjectionStatus status = runner.catchUp().get(0);
            assertThat(status.lastError()).isEmpty();
        }
        List<RecordedEvent> all = readAll(store);
        long last = seenMeanwhile.get(seenMeanwhile.size() - 1).position();
        List<RecordedEvent> tailedAfter = new ArrayList<>(seenMeanwhile);
        tailedAfter.addAll(readAllAfter(store, last));

        assertThat(all.stream().map(RecordedEvent::streamId))
                .as("the reaction's position is below the other writer's")
                .containsExactly("acct-1", "reaction", "other");
        assertThat(positions(tailedAfter)).as("what a tailing reader saw").isEqualTo(positions(all));
    }

    @Test
    void appends_of_one_batch_number_their_events_after_each_other() {
        JdbcEventStore store = closeLater(newStore());
        for (int i = 0; i < 20; i++) {
            deposit(store, "acct-" + i, i);
        }
        SqlProjection<Deposited> manager = reacting("many", true, (c, e) -> {
            store.append(
                    "one-" + e.recorded().streamId(), ExpectedVersion.noStream(), List.of(CODEC.encode(e.event())));
            store.append(
                    "many-" + e.recorded().streamId(),
                    ExpectedVersion.noStream(),
                    List.of(CODEC.encode(e.event()), CODEC.encode(e.event()), CODEC.encode(e.event())));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .batchSize(20)
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        List<RecordedEvent> all = readAll(store);
        List<RecordedEvent> reactions = all.subList(20, all.size());

        assertThat(reactions).hasSize(80);
        assertThat(positions(all)).isSorted().doesNotHaveDuplicates();
        assertThat(reactions.stream()
                        .map(r -> r.position() >> PostgresDialect.INDEX_BITS)
                        .distinct())
                .as("one transaction")
                .hasSize(1);
        assertThat(reactions.stream().map(r -> r.position() & PostgresDialect.MAX_EVENTS_PER_APPEND))
                .as("indexes counted across the transaction's appends")
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.rangeClosed(1, 80).boxed().toList());
    }

    @Test
    @Timeout(60)
    void an_append_handed_to_another_thread_that_waits_for_the_batch_fails_within_the_busy_timeout() {
        JdbcEventStore store = closeLater(JdbcEventStore.builder(DB.newSchemaUrl("reactions"))
                .busyTimeout(Duration.ofMillis(300))
                .open());
        deposit(store, "acct-1", 10);
        List<String> errors = new ArrayList<>();
        SqlProjection<Deposited> manager = reacting("handing", true, (c, e) -> {
            store.append("shared", ExpectedVersion.any(), List.of(CODEC.encode(e.event())));
            try {
                // waits on the version the batch took, in a transaction the batch waits for
                CompletableFuture.runAsync(
                                () -> store.append("shared", ExpectedVersion.any(), List.of(CODEC.encode(e.event()))))
                        .get();
            } catch (ExecutionException failed) {
                errors.add(failed.getCause().getMessage());
            }
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }

        assertThat(errors)
                .singleElement()
                .satisfies(m -> assertThat(m).contains("waited 300 ms").contains("must append on its own thread"));
        assertThat(amounts(store, "shared")).containsExactly(10L);
    }

    @Test
    @Timeout(60)
    void a_batch_that_appends_is_named_as_what_holds_readers_back() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        deposit(store, "acct-1", 10);
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SqlProjection<Deposited> manager = reacting("holding", true, (c, e) -> {
            store.append("reaction", ExpectedVersion.noStream(), List.of(CODEC.encode(e.event())));
            appended.countDown();
            release.await();
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            Thread batch = new Thread(runner::catchUp);
            batch.start();
            appended.await();
            ReadHorizon horizon = store.readHorizon();
            release.countDown();
            batch.join();

            assertThat(horizon.heldBy())
                    .hasValueSatisfying(h -> assertThat(h.description()).contains("'annals projection holding'"));
        }
        assertThat(store.readHorizon().heldBy()).isEmpty();
    }

    private static List<RecordedEvent> readAllAfter(JdbcEventStore store, long after) {
        return store.readAll(after, 10_000);
    }
}
