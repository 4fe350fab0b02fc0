package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SqliteReactionTest extends ReactionContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    JdbcEventStore newStore() {
        return JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("reactions-" + FILES.incrementAndGet() + ".db"));
    }

    @Test
    @Timeout(60)
    void an_append_handed_to_another_thread_fails_within_the_busy_timeout_instead_of_hanging() {
        String url = "jdbc:sqlite:" + dir.resolve("handed.db");
        JdbcEventStore store = closeLater(
                JdbcEventStore.builder(url).busyTimeout(Duration.ofMillis(300)).open());
        ExecutorService other = Executors.newSingleThreadExecutor();
        deposit(store, "acct-1", 10);
        SqlProjection<Deposited> manager = reacting(
                "handing",
                true,
                (c, e) -> other.submit(() -> store.append("x", ExpectedVersion.any(), List.of(CODEC.encode(e.event()))))
                        .get());
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            ProjectionStatus status = runner.catchUp().get(0);

            assertThat(status.lastError()).hasValueSatisfying(m -> assertThat(m).contains("thread that calls apply"));
            assertThat(status.checkpoint()).isZero();
            assertThat(store.currentVersion("x")).isZero();
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    @Timeout(60)
    void an_append_through_another_store_on_the_same_file_is_refused_at_once() {
        String url = "jdbc:sqlite:" + dir.resolve("twice.db");
        JdbcEventStore store = closeLater(JdbcEventStore.open(url));
        JdbcEventStore again = closeLater(JdbcEventStore.open(url));
        deposit(store, "acct-1", 10);
        SqlProjection<Deposited> manager = reacting(
                "elsewhere",
                true,
                (c, e) -> again.append("x", ExpectedVersion.any(), List.of(CODEC.encode(e.event()))));
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            ProjectionStatus status = runner.catchUp().get(0);

            assertThat(status.lastError())
                    .hasValueSatisfying(
                            m -> assertThat(m).contains("writing to").contains("already"));
            assertThat(store.currentVersion("x")).isZero();
        }
    }

    @Test
    @Timeout(60)
    void a_write_waiting_behind_a_long_batch_is_told_which_projection_holds_the_turn() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("slow.db");
        JdbcEventStore store = closeLater(
                JdbcEventStore.builder(url).busyTimeout(Duration.ofMillis(300)).open());
        deposit(store, "acct-1", 10);
        CountDownLatch inBatch = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SqlProjection<Deposited> slow = reacting("slow-one", false, (c, e) -> {
            inBatch.countDown();
            release.await();
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(slow, CODEC))
                .build()) {
            Thread batch = new Thread(runner::catchUp);
            batch.start();
            inBatch.await();

            assertThatThrownBy(() -> deposit(store, "acct-2", 1))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("a batch of projection slow-one has held the turn for")
                    .hasMessageContaining("nothing was written");
            release.countDown();
            batch.join();
        }
        assertThat(store.currentVersion("acct-2")).isZero();
    }
}
