package io.annals.eventstore.jdbc;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.DeadLetterProjector;
import io.annals.eventstore.projection.ErrorPolicy;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Poison events and dead letters on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresDeadLetterTest extends DeadLetterContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("dead_letters");
    }

    /** Every stream's amounts in one row; its apply can be held at a deposit of {@link #held}. */
    private static final class HeldAmounts extends AllAmounts {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile long held = -1;

        HeldAmounts(AtomicBoolean broken) {
            super(broken);
        }

        @Override
        public String apply(String current, Envelope<Deposited> e) {
            if (e.event().amount() == held) {
                entered.countDown();
                try {
                    release.await(60, SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.apply(current, e);
        }
    }

    @Test
    @Timeout(180)
    void a_parked_event_applied_during_a_batch_waits_for_it_and_the_batch_after_keeps_both() throws Exception {
        String url = newUrl();
        AtomicBoolean broken = new AtomicBoolean(true);
        HeldAmounts held = new HeldAmounts(broken);
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            KeyedProjector<String, String> all = store.projectors().keyed(held, ProjectionRunnerContract.CODEC, TEXT);
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(all)
                    .onError("all-amounts", ErrorPolicy.parkAfter(0))
                    .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                    .build()) {
                deposit(store, "a", 1);
                long poison = deposit(store, "b", 13);
                deposit(store, "a", 2);
                runner.catchUp();
                deposit(store, "a", 3);
                runner.catchUp(); // the runner's projector now keeps the row at its checkpoint
                assertThat(all.get("all")).hasValue("1,2,3");

                // The runner's next batch has moved its checkpoint and folds, in its transaction.
                broken.set(false);
                held.held = 7;
                long seven = deposit(store, "a", 7);
                CompletableFuture<Void> batch = CompletableFuture.runAsync(runner::catchUp);
                assertThat(held.entered.await(30, SECONDS)).isTrue();

                // Another process applies the parked event meanwhile: it waits for the batch.
                String name = "annals_parked_" + UUID.randomUUID().toString().substring(0, 8);
                try (JdbcEventStore other = JdbcEventStore.open(PostgresTestDatabase.named(url, name))) {
                    DeadLetterProjector elsewhere = (DeadLetterProjector)
                            other.projectors().keyed(new AllAmounts(broken), ProjectionRunnerContract.CODEC, TEXT);
                    RecordedEvent parked = other.readAll(poison - 1, 1).get(0);
                    CompletableFuture<Boolean> applied =
                            CompletableFuture.supplyAsync(() -> elsewhere.applyParked(parked));
                    PostgresTestDatabase.awaitWaitingForALock(name);
                    assertThat(applied).isNotDone();

                    held.release.countDown();
                    batch.get(60, SECONDS);
                    assertThat(applied.get(60, SECONDS)).isTrue();
                }
                assertThat(all.get("all")).hasValue("1,2,3,7,13");
                assertThat(all.checkpoint()).isEqualTo(seven);

                deposit(store, "a", 4);
                runner.catchUp();
                assertThat(all.get("all")).hasValue("1,2,3,7,13,4"); // "1,2,3,7,4" from a kept row
                assertThat(runner.deadLetters("all-amounts")).isEmpty();
            }
        }
    }

    private static long deposit(JdbcEventStore store, String stream, long amount) {
        return store.append(
                        stream,
                        ExpectedVersion.any(),
                        List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(amount))))
                .position();
    }
}
