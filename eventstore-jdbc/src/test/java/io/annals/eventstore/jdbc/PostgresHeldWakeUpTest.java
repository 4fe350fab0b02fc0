package io.annals.eventstore.jdbc;

import static io.annals.eventstore.jdbc.ReactionContract.deposit;
import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.Projector;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * On PostgreSQL, a batch of a projection that may append holds the readers of the log back while
 * it runs, as an append in flight does. An append that commits meanwhile wakes the runners, whose
 * polls cannot read it yet: the end of the batch must wake them again, whether it appended,
 * appended nothing, or rolled back.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresHeldWakeUpTest extends ClosingTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    /** Moves its checkpoint over every event, watched from outside the runner. */
    static final class Seen implements Projector {
        final AtomicLong checkpoint = new AtomicLong();

        @Override
        public String name() {
            return "seen";
        }

        @Override
        public long checkpoint() {
            return checkpoint.get();
        }

        @Override
        public void apply(long from, long to, List<RecordedEvent> events) {
            if (!checkpoint.compareAndSet(from, to)) {
                throw new CheckpointConflictException(name(), from);
            }
        }

        @Override
        public void reset() {
            checkpoint.set(0);
        }

        @Override
        public Optional<Lease> tryAcquire() {
            return Optional.of(Lease.untilClosed(() -> {}));
        }
    }

    @ParameterizedTest(name = "the batch {0}")
    @ValueSource(strings = {"appends nothing", "rolls back"})
    void an_append_held_back_by_a_reacting_batch_is_read_once_the_batch_ends(String ending) throws Exception {
        String url = DB.newSchemaUrl("held");
        JdbcEventStore store = closeLater(JdbcEventStore.open(url));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // reacts to the deposits of slow-* streams only, and to none of them with an append
        var manager = ReactionContract.reacting("manager", "slow-", true, (c, e) -> {
            inside.countDown();
            release.await();
            if (ending.equals("rolls back")) {
                throw new SQLException("fails once", "XX000");
            }
        });
        Seen seen = new Seen();
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .add(seen)
                .pollInterval(Duration.ofHours(1))
                .maxBackoff(Duration.ofHours(1))
                .build());
        runner.start();

        deposit(store, "slow-1", 1); // the manager's batch begins, and waits inside its apply
        assertThat(inside.await(20, TimeUnit.SECONDS)).isTrue();
        AppendResult held = deposit(store, "acct-2", 2); // committed above the batch's transaction
        Thread.sleep(300); // its wake-up's poll comes, and stops below the batch
        release.countDown(); // the batch ends; nothing else is appended

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (seen.checkpoint() < held.position() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(seen.checkpoint())
                .as("the append held back by the batch, read without the hourly poll")
                .isGreaterThanOrEqualTo(held.position());
    }
}
