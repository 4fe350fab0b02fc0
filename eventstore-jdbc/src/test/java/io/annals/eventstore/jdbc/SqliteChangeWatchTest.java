package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ChildJvm;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SQLite store's listeners hear the writes of other connections, another process's included,
 * through its change check; without it they hear only the appends of their own store object.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SqliteChangeWatchTest {

    @TempDir
    Path dir;

    /** Appends one event to the store at args[0] and says so. */
    public static void main(String[] args) {
        try (JdbcEventStore store = JdbcEventStore.open(args[0])) {
            store.append("from-child", ExpectedVersion.any(), List.of(EventData.of("Noted", "{}")));
            System.out.println("appended");
        }
    }

    @Test
    @Timeout(60)
    void a_listener_hears_an_append_made_by_another_process() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("watched.db");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            CountDownLatch heard = new CountDownLatch(1);
            store.onAppend(heard::countDown);

            try (ChildJvm child = ChildJvm.start(SqliteChangeWatchTest.class, null, url)) {
                assertThat(child.awaitLine("appended"::equals, 30_000))
                        .as("the child appended; %s", child.describe())
                        .isTrue();
            }

            assertThat(heard.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(store.readAll(0, 10)).hasSize(1);
        }
    }

    @Test
    @Timeout(60)
    void without_the_check_only_the_store_objects_own_appends_are_heard() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("unwatched.db");
        try (JdbcEventStore listening =
                        JdbcEventStore.builder(url).changeCheck(Duration.ZERO).open();
                JdbcEventStore other = JdbcEventStore.open(url)) {
            CountDownLatch heard = new CountDownLatch(1);
            listening.onAppend(heard::countDown);

            other.append("elsewhere", ExpectedVersion.any(), List.of(EventData.of("Noted", "{}")));
            assertThat(heard.await(500, TimeUnit.MILLISECONDS)).isFalse();

            listening.append("here", ExpectedVersion.any(), List.of(EventData.of("Noted", "{}")));
            assertThat(heard.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @Timeout(60)
    void a_runner_polling_once_an_hour_applies_another_store_objects_append_at_once() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("runner.db");
        try (JdbcEventStore reader = JdbcEventStore.open(url);
                JdbcEventStore writer = JdbcEventStore.open(url)) {
            InMemoryProjector<Deposited, String, Total> totals = new InMemoryProjector<>(new Totals("totals"), CODEC);
            try (ProjectionRunner runner = ProjectionRunner.builder(reader)
                    .add(totals)
                    .pollInterval(Duration.ofHours(1))
                    .build()) {
                long first = deposit(reader, 1);
                runner.start();
                assertThat(runner.awaitPosition(first, Duration.ofSeconds(20)))
                        .as("the first poll")
                        .isTrue();

                long second = deposit(writer, 5); // the next poll is an hour away

                assertThat(runner.awaitPosition(second, Duration.ofSeconds(20))).isTrue();
                assertThat(totals.get("acct")).contains(new Total(6, 2));
            }
        }
    }

    private static long deposit(JdbcEventStore store, long amount) {
        return store.append("acct", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(amount))))
                .position();
    }
}
